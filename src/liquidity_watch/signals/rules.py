"""The rules: is the Fed easing the price of money while it drains the quantity, and are reserves still abundant?

Evaluated for each Fed business day D with only what had been published before the end
of D (New York): each core row carries the instant it became visible
(``domain.calendars``) and is joined "as of" D. The same function serves a run (today's
signal), the backtest (every day) and ``core.signals``. ``docs/signals.md`` explains each
rule and grade for subscribers; every number comes from the thresholds file.

The frame (unchanged from the first release):

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
scarcity); ``critical`` = watch and stress. A rule whose inputs do not exist yet on D is
``no_data``, never ``off`` by guess.
"""

from __future__ import annotations

import datetime as dt
import json

import polars as pl

from liquidity_watch.domain.calendars import end_of_day_series, published_at_series
from liquidity_watch.domain.rules import SIGNS, Rule
from liquidity_watch.domain.severity import SEVERITY_RANK, Severity
from liquidity_watch.signals.thresholds import Thresholds, rule_thresholds

RULES: tuple[str, ...] = tuple(Rule)


def _status(condition: pl.Expr, available: pl.Expr) -> pl.Expr:
    return pl.when(~available).then(pl.lit("no_data")).when(condition).then(pl.lit("on")).otherwise(pl.lit("off"))


def _min_samples(window: int) -> int:
    """A rolling measure needs at least half its window (holidays and a series' first days leave gaps)."""
    return max(1, (window + 1) // 2)


def rate_measures(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """``core.daily_rates`` with the rolling measures of signs (a) and (c) and of stress, per fixing.

    Each measure at a row uses that row and the fixings before it only, so it is public
    when the row is. SOFR measures run over the last ``window_days`` rows with a SOFR
    fixing, EFFR measures over the rows with an EFFR fixing; a row without one carries
    the last value forward (Good Friday has EFFR, no SOFR).

    Examples
    --------
    >>> from liquidity_watch.signals.thresholds import load_thresholds
    >>> days = pl.date_range(dt.date(2019, 7, 1), dt.date(2019, 7, 26), "1d", eager=True)
    >>> days = days.filter(days.dt.weekday() <= 5)
    >>> daily = pl.DataFrame({"date": days, "sofr_minus_iorb_bp": [5.0] * len(days),
    ...     "tgcr_minus_iorb_bp": [-1.0] * len(days), "effr_minus_iorb_bp": [3.0] * len(days),
    ...     "sofr_pct": 2.4, "effr_pct": 2.38, "pressure_day": None})
    >>> rate_measures(daily, load_thresholds()).select(
    ...     "sofr_above_iorb_share_pct", "tgcr_above_iorb_share_pct", "sofr_minus_iorb_median_bp").row(-1)
    (100.0, 0.0, 5.0)
    """
    window, lag = t.window_days, t.change_lag_days
    need = _min_samples(window)
    frame = daily.sort("date")
    sofr = frame.filter(pl.col("sofr_minus_iorb_bp").is_not_null()).select(
        "date",
        sofr_above_iorb_share_pct=((pl.col("sofr_minus_iorb_bp") > 0).cast(pl.Float64) * 100)
        .rolling_mean(window, min_samples=need)
        .round(1),
        tgcr_above_iorb_share_pct=((pl.col("tgcr_minus_iorb_bp") > 0).cast(pl.Float64) * 100)
        .rolling_mean(window, min_samples=need)
        .round(1),
        sofr_minus_iorb_median_bp=pl.col("sofr_minus_iorb_bp").rolling_median(window, min_samples=need).round(2),
        off_calendar_stress_days=(
            pl.col("pressure_day").is_null() & (pl.col("sofr_minus_iorb_bp") >= t.off_calendar_sofr_minus_iorb_bp)
        )
        .cast(pl.Int32)
        .rolling_sum(window, min_samples=1),
    )
    median = pl.col("effr_minus_iorb_bp").rolling_median(window, min_samples=need)
    effr = frame.filter(pl.col("effr_minus_iorb_bp").is_not_null()).select(
        "date",
        effr_minus_iorb_median_bp=median.round(2),
        effr_minus_iorb_rise_bp=(median - median.shift(lag)).round(2),
    )
    measures = [c for c in (*sofr.columns, *effr.columns) if c != "date"]
    frame = frame.join(sofr, on="date", how="left").join(effr, on="date", how="left")
    return frame.with_columns(pl.col(measures).forward_fill())


def _visible_weekly(weekly: pl.DataFrame) -> pl.DataFrame:
    frame = weekly.sort("week_ending")
    return frame.with_columns(visible_at=published_at_series("h41", frame["week_ending"])).sort("visible_at")


def _visible_bank_assets(weekly: pl.DataFrame) -> pl.DataFrame:
    """H.8 bank assets with the instant each week's figure came out (about nine days after H.4.1's)."""
    frame = weekly.select("week_ending", "bank_assets_usd_mn").drop_nulls().sort("week_ending")
    return frame.select(
        pl.col("week_ending").alias("bank_week_ending"),
        "bank_assets_usd_mn",
        visible_at=published_at_series("h8", frame["week_ending"]),
    ).sort("visible_at")


def _visible_daily(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    frame = rate_measures(daily, t)
    past = frame.select(pl.col("date").alias("past_date"), pl.col("iorb_pct").alias("iorb_past_pct")).drop_nulls()
    frame = frame.with_columns(lookup=pl.col("date") - pl.duration(days=t.iorb_lookback_days)).join_asof(
        past, left_on="lookup", right_on="past_date", strategy="backward"
    )
    sofr_at = published_at_series("sofr", frame["date"])
    effr_at = published_at_series("effr", frame["date"])
    frame = frame.with_columns(
        iorb_change_bp=((pl.col("iorb_pct") - pl.col("iorb_past_pct")) * 100).round(2),
        visible_at=pl.when(pl.col("sofr_pct").is_not_null())
        .then(pl.max_horizontal(sofr_at, effr_at))
        .otherwise(effr_at),
    )
    return frame.drop("lookup", "past_date").sort("visible_at")


def _visible_takeup(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """Repo operation take-up, public the afternoon of its day (not a day later with the rates)."""
    frame = daily.select("date", "repo_ops_takeup_usd_mn").sort("date")
    takeup = pl.col("repo_ops_takeup_usd_mn")
    frame = frame.select(
        pl.col("date").alias("takeup_date"),
        "repo_ops_takeup_usd_mn",
        takeup_material_days=(takeup >= t.takeup_floor_usd_mn)
        .fill_null(False)
        .cast(pl.Int32)
        .rolling_sum(t.window_days),
        takeup_max_usd_mn=takeup.rolling_max(t.window_days, min_samples=1),
        takeup_seen_days=takeup.is_not_null().cast(pl.Int32).rolling_sum(t.window_days),
        visible_at=published_at_series("repo", frame["date"]),
    )
    return frame.sort("visible_at")


def _visible_changes(policy: pl.DataFrame) -> pl.DataFrame:
    """The last change of the target range, cut or hike (the message's "last policy action")."""
    return _visible_policy(
        policy, "last_change_date", "last_change_bp", "last_change_lower_pct", "last_change_upper_pct"
    )


def _visible_cuts(policy: pl.DataFrame) -> pl.DataFrame:
    cuts = policy.filter(pl.col("change_bp") < 0)
    return _visible_policy(cuts, "last_cut_date", "last_cut_bp", "cut_new_lower_pct", "cut_new_upper_pct")


def _visible_policy(changes: pl.DataFrame, date: str, bp: str, lower: str, upper: str) -> pl.DataFrame:
    """Policy changes under the given column names, each with when it became public."""
    changes = changes.sort("date")
    return changes.select(
        pl.col("date").alias(date),
        pl.col("change_bp").alias(bp),
        pl.col("new_lower_pct").alias(lower),
        pl.col("new_upper_pct").alias(upper),
        visible_at=published_at_series("policy", changes["date"]),
    ).sort("visible_at")


WEEKLY_INPUTS = [
    "week_ending",
    "reserves_usd_mn",
    "reserves_change_13w_usd_mn",
    "reserves_below_52w_high_pct",
    "qt_runoff_4w_usd_mn",
    "qt_runoff_13w_usd_mn",
    "total_assets_change_4w_usd_mn",
    "net_liquidity_usd_mn",
]
DAILY_INPUTS = [
    "sofr_pct",
    "sofr_p99_pct",
    "tgcr_pct",
    "effr_pct",
    "iorb_pct",
    "iorb_change_bp",
    "target_lower_pct",
    "target_upper_pct",
    "sofr_minus_iorb_bp",
    "tgcr_minus_iorb_bp",
    "effr_minus_iorb_bp",
    "sofr_minus_target_upper_bp",
    "sofr_above_iorb_share_pct",
    "tgcr_above_iorb_share_pct",
    "sofr_minus_iorb_median_bp",
    "off_calendar_stress_days",
    "effr_minus_iorb_median_bp",
    "effr_minus_iorb_rise_bp",
]


def evaluate(
    weekly: pl.DataFrame, daily: pl.DataFrame, policy: pl.DataFrame, days: list[dt.date], t: Thresholds
) -> pl.DataFrame:
    """One row per day in ``days``: the inputs seen as of that day, each rule's status, the severity.

    Parameters
    ----------
    weekly, daily, policy : ``core.weekly_liquidity``, ``core.daily_rates``, ``core.policy_changes``.
    days : evaluation days (normally Fed business days).
    t : thresholds.

    Examples
    --------
    See ``tests/test_signals.py``: synthetic series (a quarter-end pop against a persistent
    drift) and the real 2019 episode; 2020 and 2022-23 stay quiet.
    """
    if not days:
        return pl.DataFrame()
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date}).sort("date")
    frame = frame.with_columns(cutoff=end_of_day_series(frame["date"]))
    daily_v = _visible_daily(daily, t).select(
        "visible_at",
        pl.col("date").alias("rates_date"),
        pl.col("pressure_day").alias("rates_pressure_day"),
        *DAILY_INPUTS,
    )
    for visible in (
        _visible_weekly(weekly).select("visible_at", *WEEKLY_INPUTS),
        _visible_bank_assets(weekly),
        daily_v,
        _visible_takeup(daily, t),
        _visible_cuts(policy),
        _visible_changes(policy),
    ):
        frame = frame.join_asof(
            visible, left_on="cutoff", right_on="visible_at", strategy="backward", allow_exact_matches=False
        ).drop("visible_at")
    frame = frame.with_columns(
        days_since_cut=(pl.col("date") - pl.col("last_cut_date")).dt.total_days(),
        reserves_to_bank_assets_pct=(pl.col("reserves_usd_mn") / pl.col("bank_assets_usd_mn") * 100).round(3),
    )
    frame = frame.with_columns(**_statuses(t))
    return frame.with_columns(**_severity(), stress_why=_stress_why(t), thresholds=pl.lit(t.to_json())).drop("cutoff")


def _statuses(t: Thresholds) -> dict[str, pl.Expr]:
    has_weekly = pl.col("week_ending").is_not_null()
    has_sofr = pl.col("sofr_above_iorb_share_pct").is_not_null()
    cut_recent = pl.col("days_since_cut").is_not_null() & (pl.col("days_since_cut") <= t.cut_lookback_days)
    iorb_fell = pl.col("iorb_change_bp") <= -t.iorb_drop_bp
    shares = (pl.col("sofr_above_iorb_share_pct") >= t.sofr_above_iorb_share_pct) & (
        pl.col("tgcr_above_iorb_share_pct") >= t.tgcr_above_iorb_share_pct
    )
    median = pl.col("sofr_minus_iorb_median_bp") >= t.sofr_minus_iorb_median_bp
    breaks = (pl.col("sofr_minus_iorb_bp") >= t.break_sofr_minus_iorb_bp).fill_null(False) | (
        pl.col("effr_minus_iorb_bp") >= t.break_effr_minus_iorb_bp
    ).fill_null(False)
    return {
        Rule.EASING: _status(
            cut_recent.fill_null(False) | iorb_fell.fill_null(False),
            pl.col("target_upper_pct").is_not_null() | pl.col("iorb_change_bp").is_not_null(),
        ),
        Rule.DRAINING: _status(
            (pl.col("qt_runoff_13w_usd_mn") >= t.qt_runoff_13w_usd_mn).fill_null(False)
            | (pl.col("qt_runoff_4w_usd_mn") >= t.qt_runoff_4w_usd_mn).fill_null(False)
            | (pl.col("total_assets_change_4w_usd_mn") <= -t.total_assets_fall_4w_usd_mn).fill_null(False),
            has_weekly & pl.col("qt_runoff_13w_usd_mn").is_not_null(),
        ),
        Rule.REPO_RATES: _status(shares.fill_null(False) | median.fill_null(False), has_sofr),
        Rule.FACILITY_USE: _status(
            (pl.col("takeup_material_days") >= t.takeup_days).fill_null(False),
            pl.col("takeup_seen_days").fill_null(0) > 0,
        ),
        Rule.EFFR_RISING: _status(
            (pl.col("effr_minus_iorb_rise_bp") >= t.effr_minus_iorb_rise_bp).fill_null(False),
            pl.col("effr_minus_iorb_rise_bp").is_not_null(),
        ),
        Rule.SCARCITY: _status(
            (pl.col("reserves_to_bank_assets_pct") <= t.reserves_to_bank_assets_pct).fill_null(False)
            | (pl.col("reserves_below_52w_high_pct") >= t.reserves_below_52w_high_pct).fill_null(False),
            pl.col("reserves_to_bank_assets_pct").is_not_null() | pl.col("reserves_below_52w_high_pct").is_not_null(),
        ),
        Rule.STRESS: _status(
            (pl.col("off_calendar_stress_days") >= t.off_calendar_days).fill_null(False) | breaks, has_sofr
        ),
    }


def _stress_why(t: Thresholds) -> pl.Expr:
    """Why ``stress`` is on, in words (null when it is not): the message and the evaluation show it."""
    sofr, effr = pl.col("sofr_minus_iorb_bp"), pl.col("effr_minus_iorb_bp")
    kind = pl.col("rates_pressure_day").fill_null("ordinary day")
    parts = [
        pl.when(sofr >= t.break_sofr_minus_iorb_bp).then(
            pl.format(
                "break: SOFR - IORB {} bp on {} ({}; >= {} bp)",
                sofr.cast(pl.Int64),
                pl.col("rates_date"),
                kind,
                pl.lit(f"{t.break_sofr_minus_iorb_bp:g}"),
            )
        ),
        pl.when(effr >= t.break_effr_minus_iorb_bp).then(
            pl.format(
                "break: EFFR - IORB {} bp on {} ({}; >= {} bp)",
                effr.cast(pl.Int64),
                pl.col("rates_date"),
                kind,
                pl.lit(f"{t.break_effr_minus_iorb_bp:g}"),
            )
        ),
        pl.when(pl.col("off_calendar_stress_days") >= t.off_calendar_days).then(
            pl.format(
                "repeats: {} ordinary days with SOFR - IORB >= {} bp in the last {} fixings",
                pl.col("off_calendar_stress_days"),
                pl.lit(f"{t.off_calendar_sofr_minus_iorb_bp:g}"),
                pl.lit(t.window_days),
            )
        ),
    ]
    return pl.when(pl.col(Rule.STRESS) == "on").then(pl.concat_str(parts, separator="; ", ignore_nulls=True))


def _severity() -> dict[str, pl.Expr]:
    watch = (pl.col(Rule.EASING) == "on") & (pl.col(Rule.DRAINING) == "on")
    signs = pl.sum_horizontal([(pl.col(rule) == "on").cast(pl.Int8) for rule in SIGNS])
    alert = watch & ((signs > 0) | (pl.col(Rule.SCARCITY) == "on"))
    critical = watch & (pl.col(Rule.STRESS) == "on")
    return {
        "signs_persisted": signs,
        "severity": pl.when(critical)
        .then(pl.lit(Severity.CRITICAL.value))
        .when(alert)
        .then(pl.lit(Severity.ALERT.value))
        .when(watch)
        .then(pl.lit(Severity.WATCH.value))
        .otherwise(pl.lit(Severity.NONE.value)),
    }


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


def signals_long(evaluated: pl.DataFrame) -> pl.DataFrame:
    """``core.signals`` rows: one per date and rule, with status, the day's severity, inputs and the
    thresholds that rule reads (not all of them: a backfill's ~42,000 rows are ~75 MB lighter to write)."""
    if evaluated.is_empty():
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "rule": pl.String,
                "status": pl.String,
                "severity": pl.String,
                "inputs": pl.String,
                "thresholds": pl.String,
            }
        )
    every = json.loads(evaluated["thresholds"][0])  # one set of thresholds per evaluation
    parts = []
    for rule in RULES:
        inputs = pl.struct([pl.col(c) for c in RULE_INPUTS[rule]]).struct.json_encode()
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


def episodes(evaluated: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive evaluated days with severity watch or worse.

    One row per episode: ``start``, ``end`` (last day at watch or worse), ``days``,
    ``peak_severity``, ``peak_date`` (first day at the peak), ``escalated_on`` (first day
    at alert or worse), ``triggers`` (the rules that were on at some point) and
    ``is_open`` (still on at the last evaluated day).
    """
    if evaluated.is_empty():
        return pl.DataFrame()
    frame = evaluated.sort("date").with_columns(
        active=pl.col("severity") != "none",
        rank=pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
    )
    frame = frame.with_columns(episode=(pl.col("active") & ~pl.col("active").shift(1, fill_value=False)).cum_sum())
    active = frame.filter(pl.col("active"))
    if active.is_empty():
        return pl.DataFrame(
            schema={
                "start": pl.Date,
                "end": pl.Date,
                "days": pl.UInt32,
                "peak_severity": pl.String,
                "peak_date": pl.Date,
                "escalated_on": pl.Date,
                "triggers": pl.String,
                "is_open": pl.Boolean,
            }
        )
    last_day = frame["date"].max()
    out = (
        active.group_by("episode", maintain_order=True)
        .agg(
            start=pl.col("date").min(),
            end=pl.col("date").max(),
            days=pl.len(),
            peak_rank=pl.col("rank").max(),
            peak_date=pl.col("date").filter(pl.col("rank") == pl.col("rank").max()).min(),
            escalated_on=pl.col("date").filter(pl.col("rank") >= Severity.ALERT.rank).min(),
            **{f"{rule}_on": (pl.col(rule) == "on").any() for rule in RULES},
        )
        .with_columns(
            peak_severity=pl.col("peak_rank").replace_strict(
                {v: k for k, v in SEVERITY_RANK.items()}, return_dtype=pl.String
            ),
            triggers=pl.concat_str(
                [pl.when(pl.col(f"{rule}_on")).then(pl.lit(rule)) for rule in RULES], separator="+", ignore_nulls=True
            ),
            is_open=pl.col("end") == last_day,
        )
    )
    return out.select("start", "end", "days", "peak_severity", "peak_date", "escalated_on", "triggers", "is_open")
