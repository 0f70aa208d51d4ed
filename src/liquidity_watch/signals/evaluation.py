"""How good are the rules? Episodes with their lead time, days at each grade, noise days: v1 beside the rules in force.

``liquidity-watch backtest --evaluate`` prints this for 2018-04-02 (the first SOFR) to the
end of the data; ``docs/signals.md`` shows its output. Definitions:

* an **episode** is a run of business days at watch or worse; its **largest stress day**
  is the fixing with the highest SOFR - IORB seen during it (``stress_bp``), and its
  **lead time** the business days from its first day at alert or worse (``lead_alert_bd``)
  and from its start (``lead_start_bd``) to that fixing;
* **noise days** are days at alert or worse on which none of the Fed's three signs
  (``domain.rules.SIGNS``) had persisted: an alert nobody could back with the Fed's own test.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.catalog import SOFR_START
from liquidity_watch.domain.rules import SIGNS
from liquidity_watch.domain.severity import SEVERITY_RANK, Severity
from liquidity_watch.signals.legacy import legacy_severity

#: The evaluation starts with SOFR and TGCR.
EVALUATION_START = SOFR_START
#: Rule sets compared: the first release and the rules in force.
V1, NOW = "v1", "now"


@dataclass(frozen=True)
class Evaluation:
    """The evaluation tables (polars frames) of one backtest window."""

    start: dt.date
    end: dt.date
    grades: pl.DataFrame  # grade, v1_days, now_days
    episodes: pl.DataFrame  # rules, start, end, days, peak, first_alert, largest_stress_day, ..., lead
    critical_days: pl.DataFrame  # rules, date, rates_date, why


def _episodes(frame: pl.DataFrame, severity: str, dates: list[dt.date]) -> pl.DataFrame:
    """Episodes of one rule set with their largest stress day and lead times (business days)."""
    rank = pl.col(severity).replace_strict(SEVERITY_RANK, return_dtype=pl.Int8)
    active = pl.col(severity) != Severity.NONE.value
    runs = frame.sort("date").with_columns(rank=rank, episode=(active & ~active.shift(1, fill_value=False)).cum_sum())
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


def evaluate_rules(
    evaluated: pl.DataFrame, start: dt.date = EVALUATION_START, end: dt.date | None = None
) -> Evaluation:
    """Compare v1 with the rules in force on the evaluated days from ``start`` to ``end``.

    ``evaluated`` is the output of ``rules.evaluate`` and should begin well before
    ``start`` (the rules need their look-back windows).
    """
    legacy = legacy_severity(evaluated)
    frame = evaluated.join(legacy, on="date", how="left")
    last: dt.date = end or frame["date"].max()  # type: ignore[assignment]
    frame = frame.filter(pl.col("date").is_between(start, last)).sort("date")
    dates = frame["date"].to_list()
    signs = pl.any_horizontal([pl.col(rule) == "on" for rule in SIGNS])
    columns = {V1: "severity_v1", NOW: "severity"}
    grades = [s.value for s in reversed(Severity)]
    counts = {name: {g: frame.filter(pl.col(column) == g).height for g in grades} for name, column in columns.items()}
    noise = {
        name: frame.filter(
            (pl.col(column).replace_strict(SEVERITY_RANK, return_dtype=pl.Int8) >= Severity.ALERT.rank) & ~signs
        ).height
        for name, column in columns.items()
    }
    grade_rows = pl.DataFrame(
        {
            "grade": [*grades, "business days", "noise days (alert+, no sign persisted)"],
            "v1_days": [*(counts[V1][g] for g in grades), len(dates), noise[V1]],
            "now_days": [*(counts[NOW][g] for g in grades), len(dates), noise[NOW]],
        }
    )
    parts = []
    for name, column in columns.items():
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
        pl.lit(NOW).alias("rules"), "date", "rates_date", why="stress_why"
    )
    return Evaluation(start, last, grade_rows, episodes, pl.concat([v1_critical, now_critical]))
