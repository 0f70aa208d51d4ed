"""What a subscriber reads: Block Kit blocks plus a plain fallback text, with the numbers and thresholds."""

from __future__ import annotations

import json

from liquidity_watch.domain.rules import Rule, RuleStatus

EMOJI = {"watch": ":large_yellow_circle:", "alert": ":large_orange_circle:", "critical": ":red_circle:"}


def _bn(value_usd_mn: float | None) -> str:
    return "n/a" if value_usd_mn is None else f"${value_usd_mn / 1000:,.0f}bn"


def _signed_bn(value_usd_mn: float | None) -> str:
    return "n/a" if value_usd_mn is None else f"{value_usd_mn / 1000:+,.0f}bn"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _bp(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.0f} bp"


def signal_message(day: dict, episode_start: str, thresholds_json: str) -> dict:
    """The message for one evaluated day (a row of ``transforms.signals.evaluate``).

    Returns ``{"text": fallback, "blocks": [...]}``; the text alone carries every figure,
    so it reads the same in a notification, a webhook or the terminal.
    """
    severity = day["severity"]
    rules_on = [r.value for r in Rule if day.get(r) == RuleStatus.ON]
    target = f"{_pct(day.get('target_lower_pct'))}-{_pct(day.get('target_upper_pct'))}"
    facts = {
        "Target range": target,
        "Last cut": f"{day['last_cut_bp']:+.0f} bp effective {day['last_cut_date']}"
        if day.get("last_cut_date")
        else "none within the look-back",
        "Reserves": f"{_bn(day.get('reserves_usd_mn'))} (13w {_signed_bn(day.get('reserves_change_13w_usd_mn'))}, "
        f"week of {day.get('week_ending')})",
        "QT runoff 13w": _bn(day.get("qt_runoff_13w_usd_mn")),
        "SOFR - IORB": f"{_bp(day.get('sofr_minus_iorb_bp'))} (SOFR {_pct(day.get('sofr_pct'))}, "
        f"IORB {_pct(day.get('iorb_pct'))}, {day.get('rates_date')})",
        "SOFR - top of range": _bp(day.get("sofr_minus_target_upper_bp")),
    }
    title = f"{severity.upper()}: rates falling while liquidity shrinks ({day['date']})"
    meaning = {
        "watch": "The Fed is easing the price of money while its balance sheet drains the quantity.",
        "alert": "Easing while draining, and funding is stressed or reserves are getting scarce.",
        "critical": "Easing while draining, and SOFR printed above the top of the target range: repo is under strain.",
    }[severity]
    thresholds = json.loads(thresholds_json)
    text = (
        f"{title}. {meaning} Rules on: {', '.join(rules_on)}. Episode since {episode_start}. "
        + "; ".join(f"{k}: {v}" for k, v in facts.items())
        + ". Thresholds: "
        + ", ".join(f"{k}={v}" for k, v in sorted(thresholds.items()))
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"{EMOJI[severity]} {meaning}\n*Rules on:* {', '.join(rules_on)}"
                f" - episode since {episode_start}",
            },
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in facts.items()]},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Thresholds: " + ", ".join(f"{k}={v}" for k, v in sorted(thresholds.items())),
                }
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "liquidity-watch: labels frame the data; they are not trade signals."}
            ],
        },
    ]
    return {"text": text, "blocks": blocks}


def ops_message(text: str) -> dict:
    return {
        "text": f"liquidity-watch ops: {text}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: *ops* {text}"[:2900]}}],
    }
