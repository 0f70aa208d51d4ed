"""The rules: is the Fed easing the price of money while it drains the quantity, and are reserves still abundant?

Evaluated for each Fed business day D with only what had been published before the end
of D (New York): ``signals.visibility`` joins each core row "as of" D, ``signals.measures``
computes the rolling windows, ``signals.staleness`` says which inputs are past their limits,
and this module turns them into each rule's status (``RuleStatus``) and the day's severity.
The same function serves a run (today's signal), the backtest (every day) and
``core.signals``; ``signals.episodes`` groups the graded days. ``docs/signals.md`` explains
each rule and grade for subscribers; every number comes from the thresholds file.

The frame:

* easing: the target range's upper bound was cut within ``cut_lookback_days``, or IORB fell
  by ``iorb_drop_bp`` or more over ``iorb_lookback_days``;
* draining: 13-week or 4-week runoff of securities held outright, or a 4-week fall of
  total assets, beyond its threshold.

The Fed's three signs that reserves are no longer abundant (the Chair, 2025-10-29), each
"on" only when it persisted over the last ``window_days`` published fixings:

* repo_rates (a): the share of fixings with SOFR above IORB and the share with TGCR above
  IORB both at their thresholds, or the median of SOFR - IORB at its threshold;
* facility_use (b): take-up at the Fed's repo operations (the Standing Repo Facility since
  2021-07-29) of at least ``takeup_floor_usd_mn`` on ``takeup_days`` or more days;
* effr_rising (c): the median of EFFR - IORB rose by ``effr_minus_iorb_rise_bp`` or more
  against the same median ``change_lag_days`` fixings earlier (its change, not its level).

And two more:

* scarcity: reserves at or below ``reserves_to_bank_assets_pct`` of commercial banks'
  total assets (H.8), or ``reserves_below_52w_high_pct`` or more below their 52-week high;
* stress: SOFR - IORB at pressure-day levels (``off_calendar_sofr_minus_iorb_bp``) on
  ``off_calendar_days`` or more *ordinary* days of the window (``domain.pressure_days``),
  or a break: the latest SOFR - IORB or EFFR - IORB at or beyond what pressure days
  ordinarily show (``break_*``).

Severity: ``watch`` = easing and draining; ``alert`` = watch and (a sign persisted, or
scarcity); ``critical`` = watch and (the Fed's full test: all three signs persisted together,
or stress). A rule whose inputs do not exist yet on D is ``no_data``, never ``off`` by guess;
so is a rule whose input is past its staleness limit on D (``domain.freshness``: the next
observation's publication plus its release's grace), with the reason in its inputs; and so
are the rules that read a spread to IORB on a day whose rates row has no IORB (no source
served it and it could not be carried forward). A day whose frame, or every sign, cannot be
judged is ``unknown``, never ``none``.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from liquidity_watch.domain.rules import SIGNS, Rule, RuleStatus
from liquidity_watch.domain.severity import Severity
from liquidity_watch.domain.tables.core import SIGNALS
from liquidity_watch.signals.staleness import stale_column, staleness
from liquidity_watch.signals.thresholds import Thresholds, rule_thresholds
from liquidity_watch.signals.visibility import as_of

RULES: tuple[str, ...] = tuple(Rule)


def status(condition: pl.Expr, available: pl.Expr) -> pl.Expr:
    """A rule's status: ``no_data`` where its inputs are not ``available``, else on where ``condition`` holds."""
    return (
        pl.when(~available)
        .then(pl.lit(RuleStatus.NO_DATA.value))
        .when(condition)
        .then(pl.lit(RuleStatus.ON.value))
        .otherwise(pl.lit(RuleStatus.OFF.value))
    )


def is_on(rule: str) -> pl.Expr:
    """True where ``rule``'s column says on."""
    return is_(rule, RuleStatus.ON)


def is_(rule: str, state: RuleStatus) -> pl.Expr:
    """True where ``rule``'s column is ``state``."""
    return pl.col(rule) == state.value


def evaluate(
    weekly: pl.DataFrame,
    daily: pl.DataFrame,
    policy: pl.DataFrame,
    days: list[dt.date],
    t: Thresholds,
    now: dt.datetime | None = None,
) -> pl.DataFrame:
    """One row per day in ``days``: the inputs seen as of that day, each rule's status, the severity.

    Parameters
    ----------
    weekly, daily, policy : ``core.weekly_liquidity``, ``core.daily_rates``, ``core.policy_changes``.
    days : evaluation days (normally Fed business days).
    t : thresholds.
    now : when a run evaluates today, the instant it runs: today's inputs are judged stale
        against it, not against the end of the day (default: the end of each day).

    Examples
    --------
    See ``tests/test_signals.py``: synthetic series (a quarter-end pop against a persistent
    drift) and the real 2019 episode; 2020 and 2022-23 stay quiet.
    """
    if not days:
        return pl.DataFrame()
    frame = as_of(weekly, daily, policy, days, t)
    cutoff = pl.col("cutoff")
    judged_at = cutoff if now is None else pl.min_horizontal(cutoff, pl.lit(now).dt.convert_time_zone("UTC"))
    frame = staleness(frame, weekly, daily, judged_at)
    frame = frame.with_columns(**statuses(t))
    frame = frame.with_columns(**_severity(), stress_why=_stress_why(t), thresholds=pl.lit(t.to_json()))
    return frame.with_columns(grade_why=_grade_why(t)).drop("cutoff")


def statuses(t: Thresholds, *, staleness: bool = True) -> dict[str, pl.Expr]:
    """Each rule's status from the evaluated inputs; with ``staleness``, no_data where an input is past its limit."""
    found = _statuses(t)
    if not staleness:
        return found
    return {
        rule: pl.when(pl.col(stale_column(rule)).is_not_null()).then(pl.lit(RuleStatus.NO_DATA.value)).otherwise(expr)
        for rule, expr in found.items()
    }


def _statuses(t: Thresholds) -> dict[str, pl.Expr]:
    has_weekly = pl.col("week_ending").is_not_null()
    # a day whose rates row has no IORB (no source served it, and it could not be carried) has no
    # spread to IORB: the rules that read one say no_data rather than judge a value from before
    has_iorb = pl.col("iorb_pct").is_not_null()
    has_sofr = pl.col("sofr_above_iorb_share_pct").is_not_null() & has_iorb
    cut_recent = pl.col("days_since_cut").is_not_null() & (pl.col("days_since_cut") <= t.cut_lookback_days)
    iorb_fell = pl.col("iorb_change_bp") <= -t.iorb_drop_bp
    shares = (pl.col("sofr_above_iorb_share_pct") >= t.sofr_above_iorb_share_pct) & (
        pl.col("tgcr_above_iorb_share_pct") >= t.tgcr_above_iorb_share_pct
    )
    median = pl.col("sofr_minus_iorb_median_bp") >= t.sofr_minus_iorb_median_bp
    breaks = _sofr_break(t).fill_null(False) | _effr_break(t).fill_null(False)
    return {
        Rule.EASING: status(
            cut_recent.fill_null(False) | iorb_fell.fill_null(False),
            pl.col("target_upper_pct").is_not_null() | pl.col("iorb_change_bp").is_not_null(),
        ),
        Rule.DRAINING: status(
            (pl.col("qt_runoff_13w_usd_mn") >= t.qt_runoff_13w_usd_mn).fill_null(False)
            | (pl.col("qt_runoff_4w_usd_mn") >= t.qt_runoff_4w_usd_mn).fill_null(False)
            | (pl.col("total_assets_change_4w_usd_mn") <= -t.total_assets_fall_4w_usd_mn).fill_null(False),
            has_weekly & pl.col("qt_runoff_13w_usd_mn").is_not_null(),
        ),
        Rule.REPO_RATES: status(shares.fill_null(False) | median.fill_null(False), has_sofr),
        Rule.FACILITY_USE: status(
            (pl.col("takeup_material_days") >= t.takeup_days).fill_null(False),
            pl.col("takeup_seen_days").fill_null(0) > 0,
        ),
        Rule.EFFR_RISING: status(
            (pl.col("effr_minus_iorb_rise_bp") >= t.effr_minus_iorb_rise_bp).fill_null(False),
            pl.col("effr_minus_iorb_rise_bp").is_not_null() & has_iorb,
        ),
        Rule.SCARCITY: status(
            (pl.col("reserves_to_bank_assets_pct") <= t.reserves_to_bank_assets_pct).fill_null(False)
            | (pl.col("reserves_below_52w_high_pct") >= t.reserves_below_52w_high_pct).fill_null(False),
            pl.col("reserves_to_bank_assets_pct").is_not_null() | pl.col("reserves_below_52w_high_pct").is_not_null(),
        ),
        Rule.STRESS: status(_repeats(t).fill_null(False) | breaks, has_sofr),
    }


def _sofr_break(t: Thresholds) -> pl.Expr:
    """The day's SOFR - IORB at or beyond what pressure days ordinarily show."""
    return pl.col("sofr_minus_iorb_bp") >= t.break_sofr_minus_iorb_bp


def _effr_break(t: Thresholds) -> pl.Expr:
    """The day's EFFR - IORB at or beyond what pressure days ordinarily show."""
    return pl.col("effr_minus_iorb_bp") >= t.break_effr_minus_iorb_bp


def _repeats(t: Thresholds) -> pl.Expr:
    """Stress on enough ordinary days of the window."""
    return pl.col("off_calendar_stress_days") >= t.off_calendar_days


def _stress_why(t: Thresholds) -> pl.Expr:
    """Why ``stress`` is on, in words (null when it is not): the message and the evaluation show it."""
    kind = pl.col("rates_pressure_day").fill_null("ordinary day")
    breaks = [
        pl.when(condition).then(
            pl.format(
                f"break: {name} - IORB {{}} bp on {{}} ({{}}; >= {threshold:g} bp)",
                pl.col(spread).cast(pl.Int64),
                pl.col("rates_date"),
                kind,
            )
        )
        for name, spread, condition, threshold in (
            ("SOFR", "sofr_minus_iorb_bp", _sofr_break(t), t.break_sofr_minus_iorb_bp),
            ("EFFR", "effr_minus_iorb_bp", _effr_break(t), t.break_effr_minus_iorb_bp),
        )
    ]
    repeats = pl.when(_repeats(t)).then(
        pl.format(
            "repeats: {} ordinary days with SOFR - IORB >= {} bp in the last {} fixings",
            pl.col("off_calendar_stress_days"),
            pl.lit(f"{t.off_calendar_sofr_minus_iorb_bp:g}"),
            pl.lit(t.window_days),
        )
    )
    return pl.when(is_on(Rule.STRESS)).then(pl.concat_str([*breaks, repeats], separator="; ", ignore_nulls=True))


def _severity() -> dict[str, pl.Expr]:
    """The day's grade. The frame is judged as a three-valued "and": off when easing or draining
    is off, on when both are on, and unknown otherwise (one cannot be judged). With the frame on,
    a day on which none of the three signs can be judged, and neither stress nor scarcity is on,
    is unknown too: no grade of calm (or of watch) rests on signs nobody could read."""
    on = {rule: is_on(rule) for rule in RULES}
    watch = on[Rule.EASING] & on[Rule.DRAINING]
    frame_off = is_(Rule.EASING, RuleStatus.OFF) | is_(Rule.DRAINING, RuleStatus.OFF)
    signs = pl.sum_horizontal([on[rule].cast(pl.Int8) for rule in SIGNS])
    no_sign = pl.all_horizontal([is_(rule, RuleStatus.NO_DATA) for rule in SIGNS])
    full_test = signs == len(SIGNS)
    alert = watch & ((signs > 0) | on[Rule.SCARCITY])
    critical = watch & (full_test | on[Rule.STRESS])
    return {
        "signs_persisted": signs,
        "severity": pl.when(critical)
        .then(pl.lit(Severity.CRITICAL.value))
        .when(alert)
        .then(pl.lit(Severity.ALERT.value))
        .when(frame_off)
        .then(pl.lit(Severity.NONE.value))
        .when(watch & ~no_sign)
        .then(pl.lit(Severity.WATCH.value))
        .otherwise(pl.lit(Severity.UNKNOWN.value)),
    }


SIGN_NAMES = {
    Rule.REPO_RATES: "repo rates above IORB",
    Rule.FACILITY_USE: "repo facility use",
    Rule.EFFR_RISING: "EFFR rising against IORB",
}


def _grade_why(t: Thresholds) -> pl.Expr:
    """The grade and its reason in one line: the first line of every message, and what ``run`` prints.

    ``critical: the Fed's full test is met, 3 of 3 signs``, ``critical: a break, SOFR - IORB 315 bp``,
    ``alert: 1 of 3 of the Fed's signs persisted (repo rates above IORB)``, ``unknown: cannot judge: ...``.
    """
    persisted = pl.concat_str(
        [pl.when(is_on(rule)).then(pl.lit(name)) for rule, name in SIGN_NAMES.items()],
        separator=", ",
        ignore_nulls=True,
    )
    stress = pl.concat_str(
        [
            # one break is named: SOFR's, else EFFR's
            pl.when(_sofr_break(t)).then(
                pl.format("a break, SOFR - IORB {} bp", pl.col("sofr_minus_iorb_bp").cast(pl.Int64))
            ),
            pl.when(_effr_break(t) & ~_sofr_break(t).fill_null(False)).then(
                pl.format("a break, EFFR - IORB {} bp", pl.col("effr_minus_iorb_bp").cast(pl.Int64))
            ),
            pl.when(_repeats(t)).then(
                pl.format(
                    "stress repeating, {} ordinary days with SOFR - IORB >= {} bp in {} fixings",
                    pl.col("off_calendar_stress_days"),
                    pl.lit(f"{t.off_calendar_sofr_minus_iorb_bp:g}"),
                    pl.lit(t.window_days),
                )
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    full = pl.col("signs_persisted") == len(SIGNS)
    critical = pl.concat_str(
        [
            pl.when(full).then(pl.lit(f"the Fed's full test is met, {len(SIGNS)} of {len(SIGNS)} signs")),
            pl.when(is_on(Rule.STRESS)).then(stress),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    alert = pl.concat_str(
        [
            pl.when(pl.col("signs_persisted") > 0).then(
                pl.format("{} of 3 of the Fed's signs persisted ({})", pl.col("signs_persisted"), persisted)
            ),
            pl.when(is_on(Rule.SCARCITY)).then(
                pl.format("reserves scarce against banks' assets ({} %)", pl.col("reserves_to_bank_assets_pct"))
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    unjudged = pl.concat_str(
        [
            pl.when(is_(rule, RuleStatus.NO_DATA)).then(
                pl.format("{} ({})", pl.lit(str(rule)), pl.col(stale_column(rule)).fill_null("no data"))
            )
            for rule in RULES
        ],
        separator="; ",
        ignore_nulls=True,
    )
    severity = pl.col("severity")
    return (
        pl.when(severity == Severity.CRITICAL.value)
        .then(pl.format("critical: {}", critical))
        .when(severity == Severity.ALERT.value)
        .then(pl.format("alert: {}", alert))
        .when(severity == Severity.WATCH.value)
        .then(pl.lit("watch: the Fed is easing while it drains; none of its 3 signs persisted"))
        .when(severity == Severity.UNKNOWN.value)
        .then(pl.format("unknown: cannot judge: {}", unjudged))
        .otherwise(pl.lit("none: the Fed is not easing while it drains"))
    )


#: Inputs echoed with each rule in core.signals (units in the keys).
RULE_INPUTS: dict[str, list[str]] = {
    Rule.EASING: [
        "last_cut_date",
        "last_cut_bp",
        "days_since_cut",
        "iorb_pct",
        "iorb_change_bp",
        "target_lower_pct",
        "target_upper_pct",
    ],
    Rule.DRAINING: ["week_ending", "qt_runoff_4w_usd_mn", "qt_runoff_13w_usd_mn", "total_assets_change_4w_usd_mn"],
    Rule.REPO_RATES: [
        "rates_date",
        "sofr_pct",
        "tgcr_pct",
        "iorb_pct",
        "sofr_minus_iorb_bp",
        "tgcr_minus_iorb_bp",
        "sofr_above_iorb_share_pct",
        "tgcr_above_iorb_share_pct",
        "sofr_minus_iorb_median_bp",
    ],
    Rule.FACILITY_USE: ["takeup_date", "repo_ops_takeup_usd_mn", "takeup_material_days", "takeup_max_usd_mn"],
    Rule.EFFR_RISING: [
        "rates_date",
        "effr_pct",
        "effr_minus_iorb_bp",
        "effr_minus_iorb_median_bp",
        "effr_minus_iorb_rise_bp",
    ],
    Rule.SCARCITY: [
        "week_ending",
        "bank_week_ending",
        "reserves_usd_mn",
        "bank_assets_usd_mn",
        "reserves_to_bank_assets_pct",
        "reserves_below_52w_high_pct",
    ],
    Rule.STRESS: [
        "rates_date",
        "rates_pressure_day",
        "sofr_minus_iorb_bp",
        "effr_minus_iorb_bp",
        "sofr_minus_target_upper_bp",
        "off_calendar_stress_days",
    ],
}


#: ``core.signals``' columns an evaluation computes (the run that first computed a row adds ``first_seen_run_id``).
LONG_COLUMNS = ("date", "rule", "status", "severity", "inputs", "thresholds")


def signals_long(evaluated: pl.DataFrame) -> pl.DataFrame:
    """``core.signals`` rows: one per date and rule, with status, the day's severity, inputs and the
    thresholds that rule reads (not all of them: a backfill's ~42,000 rows are ~75 MB lighter to write)."""
    if evaluated.is_empty():
        return pl.DataFrame(schema=SIGNALS.polars_schema(LONG_COLUMNS))
    every = json.loads(evaluated["thresholds"][0])  # one set of thresholds per evaluation
    parts = []
    for rule in RULES:
        # "stale" says why an input is past its limit (then the rule is no_data), null otherwise
        columns = [pl.col(c) for c in RULE_INPUTS[rule]]
        inputs = pl.struct([*columns, pl.col(stale_column(rule)).alias("stale")]).struct.json_encode()
        parts.append(
            evaluated.select(
                "date",
                pl.lit(rule).alias("rule"),
                pl.col(rule).alias("status"),
                "severity",
                inputs.alias("inputs"),
                pl.lit(json.dumps(rule_thresholds(every, rule), sort_keys=True)).alias("thresholds"),
            )
        )
    return pl.concat(parts).sort("date", "rule")
