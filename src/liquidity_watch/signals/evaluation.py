"""How good are the rules? Episodes with their lead time, days at each grade, noise days, the Fed's own actions.

``liquidity-watch backtest --evaluate`` prints this for 2018-04-02 (the first SOFR) to the
end of the data, for three rule sets side by side: the first release's (``v1``), the rules
just before the Fed's full test and the staleness limits (``before``), and the rules in
force (``now``). ``docs/signals.md`` shows its output. Definitions:

* an **episode** is a run of business days at watch or worse (days that cannot be judged
  are left out); its **largest stress day** is the fixing with the highest SOFR - IORB
  seen during it (``stress_bp``), and its **lead time** the business days from its first
  day at alert or worse (``lead_alert_bd``) and from its start (``lead_start_bd``) to that fixing;
* a **critical episode** is a run of consecutive business days at critical;
* **noise days** are days at alert or worse on which none of the Fed's three signs
  (``domain.rules.SIGNS``) had persisted: an alert nobody could back with the Fed's own test;
* for each of the Fed's actions (``domain.fed_actions``), the episode around it (the one
  that contains its day, else the nearest within a quarter) and the business days by which
  its first alert and first critical came before the action (negative: after it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.catalog import SOFR_START
from liquidity_watch.domain.fed_actions import FED_ACTIONS
from liquidity_watch.domain.rules import SIGNS
from liquidity_watch.domain.severity import GRADED, SEVERITY_RANK, Severity
from liquidity_watch.signals.legacy import legacy_severity, previous_severity
from liquidity_watch.signals.rules import is_on
from liquidity_watch.signals.thresholds import Thresholds, load_thresholds

#: The evaluation starts with SOFR and TGCR.
EVALUATION_START = SOFR_START
#: Rule sets compared: the first release, the rules before the full test and staleness, the rules in force.
V1, BEFORE, NOW = "v1", "before", "now"
COLUMNS = {V1: "severity_v1", BEFORE: "severity_before", NOW: "severity"}
#: How far (business days) an action may be from an episode and still be matched with it: a quarter.
ACTION_REACH_BD = 65


@dataclass(frozen=True)
class Evaluation:
    """The evaluation tables (polars frames) of one backtest window."""

    start: dt.date
    end: dt.date
    grades: pl.DataFrame  # grade, v1_days, before_days, now_days
    episodes: pl.DataFrame  # rules, start, end, days, peak, first_alert, largest_stress_day, ..., lead
    critical_days: pl.DataFrame  # rules, date, rates_date, why
    fed_actions: pl.DataFrame  # date, action, rules, episode_start, first_alert, alert_lead_bd, ...


def _episodes(frame: pl.DataFrame, severity: str, dates: list[dt.date]) -> pl.DataFrame:
    """Episodes of one rule set with their largest stress day and lead times (business days)."""
    judged = frame.filter(pl.col(severity) != Severity.UNKNOWN.value)
    rank = pl.col(severity).replace_strict(SEVERITY_RANK, return_dtype=pl.Int8)
    active = pl.col(severity) != Severity.NONE.value
    runs = judged.sort("date").with_columns(rank=rank, episode=(active & ~active.shift(1, fill_value=False)).cum_sum())
    runs = runs.filter(pl.col(severity) != Severity.NONE.value)
    if runs.is_empty():
        return pl.DataFrame()
    out = runs.group_by("episode", maintain_order=True).agg(
        start=pl.col("date").min(),
        end=pl.col("date").max(),
        days=pl.len(),
        peak=pl.col("rank").max(),
        first_alert=pl.col("date").filter(pl.col("rank") >= Severity.ALERT.rank).min(),
        first_critical=pl.col("date").filter(pl.col("rank") >= Severity.CRITICAL.rank).min(),
        largest_stress_day=pl.col("rates_date").sort_by("sofr_minus_iorb_bp", descending=True, nulls_last=True).first(),
        largest_sofr_minus_iorb_bp=pl.col("sofr_minus_iorb_bp").max(),
    )
    position = {day: i for i, day in enumerate(dates)}

    def lead(since: dt.date | None, stress: dt.date | None) -> int | None:
        if since is None or stress is None:
            return None
        # the stress fixing's date may precede the episode (seen the next day): count on the evaluated days
        target = position.get(stress, position.get(min((d for d in dates if d >= stress), default=since), 0))
        return target - position[since]

    rows = out.to_dicts()
    return pl.DataFrame(
        {
            "start": [r["start"] for r in rows],
            "end": [r["end"] for r in rows],
            "days": [r["days"] for r in rows],
            "peak": [Severity.from_rank(r["peak"]).value for r in rows],
            "first_alert": [r["first_alert"] for r in rows],
            "first_critical": [r["first_critical"] for r in rows],
            "largest_stress_day": [r["largest_stress_day"] for r in rows],
            "stress_bp": [r["largest_sofr_minus_iorb_bp"] for r in rows],
            "lead_start_bd": [lead(r["start"], r["largest_stress_day"]) for r in rows],
            "lead_alert_bd": [lead(r["first_alert"], r["largest_stress_day"]) for r in rows],
        },
        schema_overrides={"first_alert": pl.Date, "first_critical": pl.Date, "largest_stress_day": pl.Date},
    )


def critical_episodes(frame: pl.DataFrame, severity: str) -> int:
    """Runs of consecutive evaluated days at critical.

    >>> frame = pl.DataFrame({"date": [1, 2, 3, 4, 5], "s": ["critical", "critical", "alert", "critical", "none"]})
    >>> critical_episodes(frame, "s")
    2
    """
    critical = pl.col(severity) == Severity.CRITICAL.value
    starts = frame.sort("date").select((critical & ~critical.shift(1, fill_value=False)).sum())
    return int(starts.item())


def action_leads(episodes: pl.DataFrame, dates: list[dt.date]) -> pl.DataFrame:
    """For each of the Fed's actions inside ``dates``, per rule set: the episode around it and the leads.

    ``episodes`` has a ``rules`` column (as ``Evaluation.episodes``). A lead is the business days
    from the first alert (or critical) of that episode to the action: positive when the signal
    came first, negative when it followed.
    """
    position = {day: i for i, day in enumerate(dates)}
    rows = []
    for action in FED_ACTIONS:
        if action.day not in position:
            continue
        at = position[action.day]
        for rules in COLUMNS:
            found = episodes.filter(pl.col("rules") == rules).to_dicts() if episodes.height else []
            best, distance = None, None
            for ep in found:
                start, end = position.get(ep["start"]), position.get(ep["end"])
                if start is None or end is None:
                    continue
                gap = 0 if start <= at <= end else (start - at if at < start else at - end)
                if gap <= ACTION_REACH_BD and (distance is None or gap < distance):
                    best, distance = ep, gap
            first_alert = best["first_alert"] if best else None
            first_critical = best["first_critical"] if best else None
            rows.append(
                {
                    "date": action.day,
                    "action": action.action,
                    "rules": rules,
                    "episode_start": best["start"] if best else None,
                    "first_alert": first_alert,
                    "alert_lead_bd": at - position[first_alert] if first_alert in position else None,
                    "first_critical": first_critical,
                    "critical_lead_bd": at - position[first_critical] if first_critical in position else None,
                }
            )
    schema = {
        "date": pl.Date,
        "action": pl.String,
        "rules": pl.String,
        "episode_start": pl.Date,
        "first_alert": pl.Date,
        "alert_lead_bd": pl.Int64,
        "first_critical": pl.Date,
        "critical_lead_bd": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)


def evaluate_rules(
    evaluated: pl.DataFrame,
    start: dt.date = EVALUATION_START,
    end: dt.date | None = None,
    thresholds: Thresholds | None = None,
) -> Evaluation:
    """Compare v1, the rules before the full test and staleness, and the rules in force, from ``start`` to ``end``.

    ``evaluated`` is the output of ``rules.evaluate`` and should begin well before
    ``start`` (the rules need their look-back windows); ``thresholds`` are the ones it was
    evaluated with (default: the packaged file).
    """
    t = thresholds or load_thresholds()
    frame = evaluated.join(legacy_severity(evaluated), on="date", how="left").join(
        previous_severity(evaluated, t), on="date", how="left"
    )
    last: dt.date = end or frame["date"].max()  # type: ignore[assignment]
    frame = frame.filter(pl.col("date").is_between(start, last)).sort("date")
    dates = frame["date"].to_list()
    signs = pl.any_horizontal([is_on(rule) for rule in SIGNS])
    grades = [*(s.value for s in reversed(GRADED)), Severity.UNKNOWN.value]
    counts = {name: {g: frame.filter(pl.col(column) == g).height for g in grades} for name, column in COLUMNS.items()}
    noise = {
        name: frame.filter(
            (pl.col(column).replace_strict(SEVERITY_RANK, return_dtype=pl.Int8) >= Severity.ALERT.rank) & ~signs
        ).height
        for name, column in COLUMNS.items()
    }
    labels = [*grades, "critical episodes", "business days", "noise days (alert+, no sign persisted)"]
    grade_rows = pl.DataFrame(
        {
            "grade": labels,
            **{
                f"{name}_days": [
                    *(counts[name][g] for g in grades),
                    critical_episodes(frame, column),
                    len(dates),
                    noise[name],
                ]
                for name, column in COLUMNS.items()
            },
        }
    )
    parts = []
    for name, column in COLUMNS.items():
        found = _episodes(frame, column, dates)
        if found.height:
            parts.append(found.with_columns(rules=pl.lit(name)).select("rules", *found.columns))
    episodes = pl.concat(parts) if parts else pl.DataFrame()
    kind = pl.col("rates_pressure_day").fill_null("ordinary day")
    v1_critical = frame.filter(pl.col("severity_v1") == Severity.CRITICAL.value).select(
        pl.lit(V1).alias("rules"),
        "date",
        "rates_date",
        why=pl.format(
            "SOFR {} bp above the top of the range on {} ({})",
            pl.col("sofr_minus_target_upper_bp").cast(pl.Int64),
            pl.col("rates_date"),
            kind,
        ),
    )
    now_critical = frame.filter(pl.col("severity") == Severity.CRITICAL.value).select(
        pl.lit(NOW).alias("rules"), "date", "rates_date", why=pl.col("grade_why").str.strip_prefix("critical: ")
    )
    return Evaluation(
        start,
        last,
        grade_rows,
        episodes,
        pl.concat([v1_critical, now_critical]),
        action_leads(episodes, dates),
    )
