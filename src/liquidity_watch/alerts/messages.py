"""What a subscriber reads: Block Kit blocks plus a plain fallback text, with the numbers and thresholds.

A signal message shows the Fed's three signs with today's values and their thresholds, the
reserve ratio, facility take-up, the last policy action, and one sentence on what changed
since the last message to the same destination. Everything here is a pure function of one
evaluated day (a row of ``signals.rules.evaluate``) and of the previous message's ``state``
(the machine-readable part of every signal payload, kept in ``meta.outbox``).
"""

from __future__ import annotations

import json
from typing import Any

from liquidity_watch.domain.rules import SIGNS, Rule, RuleStatus

EMOJI = {"watch": ":large_yellow_circle:", "alert": ":large_orange_circle:", "critical": ":red_circle:"}
MEANING = {
    "watch": "The Fed is easing the price of money while its balance sheet drains the quantity. None of its own "
    "three signs that reserves are getting short has persisted yet.",
    "alert": "Easing while draining, and the Fed's own signs say reserves may no longer be abundant: "
    "at least one of them has persisted for weeks, not just on a calendar day, or reserves are low "
    "against banks' assets.",
    "critical": "Easing while draining, and the Fed's full test is met (all three of its signs persisted "
    "together), or funding stress is repeating away from the known pressure days (month-ends, mid-month "
    "settlements, tax dates), or broke beyond what those days ordinarily show.",
}
SIGN_TITLES = {
    Rule.REPO_RATES: "(a) Repo rates above IORB",
    Rule.FACILITY_USE: "(b) Repo facility use",
    Rule.EFFR_RISING: "(c) EFFR rising against IORB",
}
#: The fields of ``state`` compared from one message to the next, with how to say them.
STATE_NUMBERS = {
    "sofr_minus_iorb_bp": "SOFR - IORB",
    "reserves_to_bank_assets_pct": "reserves/bank assets",
    "takeup_material_days": "days of material facility take-up",
}

Day = dict[str, Any]


def _bn(value_usd_mn: float | None, decimals: int = 0) -> str:
    return "n/a" if value_usd_mn is None else f"${value_usd_mn / 1000:,.{decimals}f}bn"


def _signed_bn(value_usd_mn: float | None) -> str:
    return "n/a" if value_usd_mn is None else f"{value_usd_mn / 1000:+,.0f}bn"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def _bp(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}".rstrip("0").rstrip(".") + " bp"


def _status(day: Day, rule: Rule) -> str:
    words = {RuleStatus.ON.value: "ON", RuleStatus.OFF.value: "off", RuleStatus.NO_DATA.value: "no data"}
    return words.get(str(day.get(rule)), "n/a")


def sign_lines(day: Day, t: dict[str, float]) -> dict[str, str]:
    """Each of the three signs: its status, today's values and the thresholds they are held against.

    >>> day = {"repo_rates": "on", "facility_use": "off", "effr_rising": "no_data",
    ...        "sofr_above_iorb_share_pct": 100.0, "tgcr_above_iorb_share_pct": 95.0,
    ...        "sofr_minus_iorb_median_bp": 8.5, "takeup_material_days": 0}
    >>> t = {"window_days": 20, "sofr_above_iorb_share_pct": 80, "tgcr_above_iorb_share_pct": 50,
    ...      "sofr_minus_iorb_median_bp": 3, "takeup_floor_usd_mn": 1500, "takeup_days": 2,
    ...      "change_lag_days": 60, "effr_minus_iorb_rise_bp": 3}
    >>> sign_lines(day, t)["(a) Repo rates above IORB"]  # doctest: +NORMALIZE_WHITESPACE
    'ON: SOFR above IORB on 100% of the last 20 fixings (threshold 80%), TGCR on 95% (50%);
     median SOFR - IORB +8.5 bp (+3 bp)'
    """
    n = int(t["window_days"])
    latest = day.get("repo_ops_takeup_usd_mn")
    takeup = f"; latest {_bn(latest, 1)} on {day.get('takeup_date')}" if latest is not None else "; no operation lately"
    return {
        SIGN_TITLES[Rule.REPO_RATES]: f"{_status(day, Rule.REPO_RATES)}: SOFR above IORB on "
        f"{_share(day.get('sofr_above_iorb_share_pct'))} of the last {n} fixings "
        f"(threshold {_share(t['sofr_above_iorb_share_pct'])}), TGCR on {_share(day.get('tgcr_above_iorb_share_pct'))} "
        f"({_share(t['tgcr_above_iorb_share_pct'])}); median SOFR - IORB {_bp(day.get('sofr_minus_iorb_median_bp'))} "
        f"({_bp(t['sofr_minus_iorb_median_bp'])})",
        SIGN_TITLES[
            Rule.FACILITY_USE
        ]: f"{_status(day, Rule.FACILITY_USE)}: take-up of {_bn(t['takeup_floor_usd_mn'], 1)}"
        f" or more on {day.get('takeup_material_days') or 0} of the last {n} days "
        f"(threshold {int(t['takeup_days'])}){takeup}",
        SIGN_TITLES[Rule.EFFR_RISING]: f"{_status(day, Rule.EFFR_RISING)}: median EFFR - IORB "
        f"{_bp(day.get('effr_minus_iorb_median_bp'))}, {_bp(day.get('effr_minus_iorb_rise_bp'))} over "
        f"{int(t['change_lag_days'])} fixings (threshold {_bp(t['effr_minus_iorb_rise_bp'])})",
    }


def fact_lines(day: Day, t: dict[str, float]) -> dict[str, str]:
    """The policy frame, the reserve ratio and the latest fixing, with thresholds where a rule reads them."""
    change = day.get("last_change_bp")
    action = (
        f"{change:+.0f} bp to {_pct(day.get('last_change_lower_pct'))}-{_pct(day.get('last_change_upper_pct'))}, "
        f"effective {day.get('last_change_date')}"
        if change is not None
        else "none in the data"
    )
    kind = day.get("rates_pressure_day")
    calendar = f", {kind.replace('_', ' ')}: a known pressure day" if kind else ""
    return {
        "Last policy action": action,
        "QT runoff 13w": _bn(day.get("qt_runoff_13w_usd_mn")),
        "Reserves": f"{_bn(day.get('reserves_usd_mn'))} (13w {_signed_bn(day.get('reserves_change_13w_usd_mn'))}, "
        f"week of {day.get('week_ending')})",
        "Reserve ratio": f"{_pct(day.get('reserves_to_bank_assets_pct'))} of banks' assets (H.8 week of "
        f"{day.get('bank_week_ending')}; scarce at or below {_pct(t['reserves_to_bank_assets_pct'])}), "
        f"{_pct(day.get('reserves_below_52w_high_pct'))} below the 52-week high "
        f"(scarce from {_pct(t['reserves_below_52w_high_pct'])}); scarcity {_status(day, Rule.SCARCITY)}",
        "SOFR - IORB": f"{_bp(day.get('sofr_minus_iorb_bp'))} (SOFR {_pct(day.get('sofr_pct'))}, "
        f"IORB {_pct(day.get('iorb_pct'))}, {day.get('rates_date')}{calendar})",
        "Stress": f"{_status(day, Rule.STRESS)}" + (f": {day['stress_why']}" if day.get("stress_why") else ""),
    }


def message_state(day: Day) -> dict[str, Any]:
    """What the next message to the same destination compares itself with (JSON-safe)."""
    return {
        "date": str(day["date"]),
        "severity": day["severity"],
        "rules": {rule.value: day.get(rule) for rule in Rule},
        **{key: day.get(key) for key in STATE_NUMBERS},
    }


def what_changed(previous: dict[str, Any] | None, current: dict[str, Any]) -> str:
    """One sentence on what changed since the last message to this destination.

    Examples
    --------
    >>> before = {"date": "2019-07-31", "severity": "alert", "rules": {"repo_rates": "on", "stress": "off"},
    ...           "sofr_minus_iorb_bp": 20.0, "reserves_to_bank_assets_pct": 8.746, "takeup_material_days": 0}
    >>> now = {"date": "2019-09-17", "severity": "critical", "rules": {"repo_rates": "on", "stress": "on"},
    ...        "sofr_minus_iorb_bp": 33.0, "reserves_to_bank_assets_pct": 8.327, "takeup_material_days": 1}
    >>> what_changed(before, now)  # doctest: +NORMALIZE_WHITESPACE
    'Since the last message (alert, 2019-07-31): severity alert -> critical; stress off -> on;
     SOFR - IORB +20 bp -> +33 bp; reserves/bank assets 8.75% -> 8.33%; days of material facility take-up 0 -> 1.'
    >>> what_changed(None, now)
    'First signal message to this destination.'
    """
    if not previous:
        return "First signal message to this destination."
    changes: list[str] = []
    old, new = previous.get("severity"), current["severity"]
    if old != new:
        changes.append(f"severity {old} -> {new}")
    before_rules = previous.get("rules") or {}
    for rule, status in (current.get("rules") or {}).items():
        was = before_rules.get(rule)
        if was is not None and status is not None and was != status:
            changes.append(f"{rule.replace('_', ' ')} {was.replace('_', ' ')} -> {status.replace('_', ' ')}")
    for key, label in STATE_NUMBERS.items():
        a, b = previous.get(key), current.get(key)
        if a is None or b is None or a == b:
            continue
        if key.endswith("_bp"):
            changes.append(f"{label} {_bp(a)} -> {_bp(b)}")
        elif key.endswith("_pct"):
            changes.append(f"{label} {_pct(a)} -> {_pct(b)}")
        else:
            changes.append(f"{label} {a} -> {b}")
    since = f"Since the last message ({old}, {previous.get('date')})"
    return f"{since}: " + ("; ".join(changes) if changes else "no change in severity, rules or their main inputs") + "."


def signal_message(
    day: Day, episode_start: str, thresholds_json: str, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The message for one evaluated day (a row of ``signals.rules.evaluate``).

    ``previous`` is the ``state`` of the last signal message to the same destination.
    Returns ``{"text": fallback, "blocks": [...], "state": {...}}``; the text alone carries
    every figure, so it reads the same in a notification, a webhook or the terminal. Only
    ``text`` and ``blocks`` are sent.
    """
    severity = day["severity"]
    t = json.loads(thresholds_json)
    signs = sign_lines(day, t)
    facts = fact_lines(day, t)
    state = message_state(day)
    changed = what_changed(previous, state)
    persisted = [SIGN_TITLES[rule] for rule in SIGNS if day.get(rule) == RuleStatus.ON]
    reason = day.get("grade_why") or severity
    title = f"{severity.upper()}: rates falling while liquidity shrinks ({day['date']})"
    listed = f": {', '.join(persisted)}" if persisted else ""
    summary = f"The Fed's signs that persisted: {len(persisted)} of 3{listed}. Episode since {episode_start}. {changed}"
    thresholds_text = "Thresholds: " + ", ".join(f"{k}={v:g}" for k, v in sorted(t.items()))
    # the first line is the grade and its reason: what a notification preview and the terminal show first
    text = (
        f"{reason}\n{title}. {MEANING[severity]} {summary} "
        + "; ".join(f"{k}: {v}" for k, v in {**signs, **facts}.items())
        + f". {thresholds_text}"
    )
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": reason[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{EMOJI[severity]} {MEANING[severity]}\n{summary}"}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*The Fed's three signs*\n" + "\n".join(f"*{k}* {v}" for k, v in signs.items()),
            },
        },
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"[:2000]} for k, v in facts.items()]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": thresholds_text[:3000]}]},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "liquidity-watch: labels frame the data; they are not trade signals."}
            ],
        },
    ]
    return {"text": text, "blocks": blocks, "state": state}


def ops_message(text: str) -> dict[str, Any]:
    return {
        "text": f"liquidity-watch ops: {text}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f":rotating_light: *ops* {text}"[:2900]}}],
    }
