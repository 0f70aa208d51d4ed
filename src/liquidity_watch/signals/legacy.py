"""Earlier rules, kept only to compare: ``backtest --evaluate`` prints them beside the rules in force.

``previous_severity`` is the grading just before the Fed's full test and the staleness
limits: critical on stress alone, and every rule judged on whatever value it last saw,
however old. It is recomputed from the same evaluated inputs (``rules.statuses`` without
the staleness mask).

v1 graded a day ``critical`` when SOFR printed above the top of the target range once
while the Fed eased and drained, and judged scarcity against a fixed $1.5tn of reserves;
``docs/signals.md`` says why that was replaced. The frame (easing, draining) is the same in
both, so v1 is recomputed from the inputs ``rules.evaluate`` already echoes, with v1's own
fixed numbers (they were its defaults; they are not read from the thresholds file).
"""

from __future__ import annotations

import polars as pl

from liquidity_watch.domain.rules import SIGNS, Rule
from liquidity_watch.domain.severity import Severity
from liquidity_watch.signals.rules import is_on, status, statuses
from liquidity_watch.signals.thresholds import Thresholds

#: v1's defaults (its thresholds.toml of the first release).
V1 = {
    "sofr_minus_iorb_bp": 15.0,
    "sofr_p99_minus_iorb_bp": 40.0,
    "reserves_below_usd_mn": 1_500_000.0,
    "reserves_fall_13w_usd_mn": 150_000.0,
    "reserves_below_52w_high_pct": 10.0,
}


def legacy_severity(evaluated: pl.DataFrame) -> pl.DataFrame:
    """``date``, v1's ``stress_v1``, ``scarcity_v1`` and ``severity_v1`` for each evaluated day.

    ``evaluated`` is the output of ``rules.evaluate`` (its easing and draining are v1's).
    """
    p99 = ((pl.col("sofr_p99_pct") - pl.col("iorb_pct")) * 100).round(2)
    frame = evaluated.select(
        "date",
        stress_v1=status(
            (pl.col("sofr_minus_iorb_bp") >= V1["sofr_minus_iorb_bp"]).fill_null(False)
            | (p99 >= V1["sofr_p99_minus_iorb_bp"]).fill_null(False),
            pl.col("sofr_minus_iorb_bp").is_not_null(),
        ),
        scarcity_v1=status(
            (pl.col("reserves_usd_mn") < V1["reserves_below_usd_mn"]).fill_null(False)
            | (pl.col("reserves_change_13w_usd_mn") <= -V1["reserves_fall_13w_usd_mn"]).fill_null(False)
            | (pl.col("reserves_below_52w_high_pct") >= V1["reserves_below_52w_high_pct"]).fill_null(False),
            pl.col("week_ending").is_not_null(),
        ),
        watch=is_on(Rule.EASING) & is_on(Rule.DRAINING),
        above_range=(pl.col("sofr_minus_target_upper_bp") > 0).fill_null(False),
    )
    return frame.select(
        "date",
        "stress_v1",
        "scarcity_v1",
        severity_v1=pl.when(pl.col("watch") & pl.col("above_range"))
        .then(pl.lit(Severity.CRITICAL.value))
        .when(pl.col("watch") & (is_on("stress_v1") | is_on("scarcity_v1")))
        .then(pl.lit(Severity.ALERT.value))
        .when(pl.col("watch"))
        .then(pl.lit(Severity.WATCH.value))
        .otherwise(pl.lit(Severity.NONE.value)),
    )


def previous_severity(evaluated: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """``date`` and ``severity_before``: the grade of each day under the rules before the full test and staleness.

    Three persisted signs without stress were an alert then (critical now); a rule whose
    input had stopped was judged on its last value (no_data now, and the day unknown).
    """
    before = evaluated.select("date").with_columns(
        evaluated.with_columns(**statuses(t, staleness=False)).select(list(Rule))
    )
    watch = is_on(Rule.EASING) & is_on(Rule.DRAINING)
    signs = pl.any_horizontal([is_on(rule) for rule in SIGNS])
    return before.select(
        "date",
        severity_before=pl.when(watch & is_on(Rule.STRESS))
        .then(pl.lit(Severity.CRITICAL.value))
        .when(watch & (signs | is_on(Rule.SCARCITY)))
        .then(pl.lit(Severity.ALERT.value))
        .when(watch)
        .then(pl.lit(Severity.WATCH.value))
        .otherwise(pl.lit(Severity.NONE.value)),
    )
