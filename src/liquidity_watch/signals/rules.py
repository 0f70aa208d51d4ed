"""The rules: is the Fed easing the price of money while it drains the quantity?

Evaluated for each Fed business day D with only what had been published before the end
of D (New York): each core row carries the instant it became visible
(``liquidity_watch.calendars``) and is joined "as of" D. The same function serves a run
(today's signal), the backtest (every day) and ``core.signals``.

Rules (thresholds from the thresholds file, ``signals/thresholds.toml`` by default, echoed in every row):

* easing: the target range's upper bound was cut within ``cut_lookback_days``, or IORB fell
  by ``iorb_drop_bp`` or more over ``iorb_lookback_days``;
* draining: 13-week or 4-week runoff of securities held outright, or a 4-week fall of
  total assets, beyond its threshold;
* stress: SOFR - IORB, or SOFR's 99th percentile - IORB, at or above its threshold;
* scarcity: reserves below a level, falling fast over 13 weeks, or far below their
  52-week high.

Severity: ``watch`` = easing and draining; ``alert`` = watch and (stress or scarcity);
``critical`` = watch and SOFR above the top of the target range. A rule whose inputs do
not exist yet on D (no target range before 2008-12-16, no IORB/IOER before 2008-10-09, no
SOFR before 2018-04-02) is ``no_data``, never ``off`` by guess.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from liquidity_watch.domain.calendars import end_of_day_series, published_at_series
from liquidity_watch.domain.rules import Rule
from liquidity_watch.domain.severity import SEVERITY_RANK, Severity
from liquidity_watch.signals.thresholds import Thresholds

RULES: tuple[str, ...] = tuple(Rule)
#: First evaluation day: the first business day of 2003 (H.4.1 history starts 2002-12-18).
SIGNALS_START = dt.date(2003, 1, 2)


def _status(condition: pl.Expr, available: pl.Expr) -> pl.Expr:
    return pl.when(~available).then(pl.lit("no_data")).when(condition).then(pl.lit("on")).otherwise(pl.lit("off"))


def _visible_weekly(weekly: pl.DataFrame) -> pl.DataFrame:
    frame = weekly.sort("week_ending").with_columns(
        reserves_52w_high_usd_mn=pl.col("reserves_usd_mn").rolling_max(window_size=52, min_samples=1),
    )
    return frame.with_columns(visible_at=published_at_series("h41", frame["week_ending"])).sort("visible_at")


def _visible_daily(daily: pl.DataFrame, lookback_days: int) -> pl.DataFrame:
    frame = daily.sort("date")
    past = frame.select(pl.col("date").alias("past_date"), pl.col("iorb_pct").alias("iorb_past_pct")).drop_nulls()
    frame = frame.with_columns(lookup=pl.col("date") - pl.duration(days=lookback_days)).join_asof(
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


def _visible_cuts(policy: pl.DataFrame) -> pl.DataFrame:
    cuts = policy.filter(pl.col("change_bp") < 0).sort("date")
    return cuts.select(
        pl.col("date").alias("last_cut_date"),
        pl.col("change_bp").alias("last_cut_bp"),
        pl.col("new_lower_pct").alias("cut_new_lower_pct"),
        pl.col("new_upper_pct").alias("cut_new_upper_pct"),
        visible_at=published_at_series("policy", cuts["date"]),
    ).sort("visible_at")


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
    See ``tests/test_signals.py``: the 2019 episode, 2020 and 2022-23 stay quiet.
    """
    if not days:
        return pl.DataFrame()
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date}).sort("date")
    frame = frame.with_columns(cutoff=end_of_day_series(frame["date"]))
    weekly_v = _visible_weekly(weekly).select(
        "visible_at",
        "week_ending",
        "reserves_usd_mn",
        "reserves_change_13w_usd_mn",
        "reserves_52w_high_usd_mn",
        "qt_runoff_4w_usd_mn",
        "qt_runoff_13w_usd_mn",
        "total_assets_change_4w_usd_mn",
        "net_liquidity_usd_mn",
    )
    daily_v = _visible_daily(daily, t.iorb_lookback_days).select(
        "visible_at",
        pl.col("date").alias("rates_date"),
        "sofr_pct",
        "sofr_p99_pct",
        "effr_pct",
        "iorb_pct",
        "iorb_change_bp",
        "target_lower_pct",
        "target_upper_pct",
        "sofr_minus_iorb_bp",
        "sofr_minus_target_upper_bp",
    )
    asof = dict(left_on="cutoff", right_on="visible_at", strategy="backward", allow_exact_matches=False)
    frame = frame.join_asof(weekly_v, **asof).drop("visible_at")
    frame = frame.join_asof(daily_v, **asof).drop("visible_at")
    frame = frame.join_asof(_visible_cuts(policy), **asof).drop("visible_at")
    frame = frame.with_columns(
        days_since_cut=(pl.col("date") - pl.col("last_cut_date")).dt.total_days(),
        reserves_below_52w_high_pct=((1 - pl.col("reserves_usd_mn") / pl.col("reserves_52w_high_usd_mn")) * 100).round(
            2
        ),
        sofr_p99_minus_iorb_bp=((pl.col("sofr_p99_pct") - pl.col("iorb_pct")) * 100).round(2),
    )
    has_range = pl.col("target_upper_pct").is_not_null()
    has_iorb = pl.col("iorb_change_bp").is_not_null()
    has_sofr = pl.col("sofr_minus_iorb_bp").is_not_null()
    has_weekly = pl.col("week_ending").is_not_null()
    cut_recent = pl.col("days_since_cut").is_not_null() & (pl.col("days_since_cut") <= t.cut_lookback_days)
    iorb_fell = pl.col("iorb_change_bp") <= -t.iorb_drop_bp
    frame = frame.with_columns(
        easing=_status(cut_recent.fill_null(False) | iorb_fell.fill_null(False), has_range | has_iorb),
        draining=_status(
            (pl.col("qt_runoff_13w_usd_mn") >= t.qt_runoff_13w_usd_mn).fill_null(False)
            | (pl.col("qt_runoff_4w_usd_mn") >= t.qt_runoff_4w_usd_mn).fill_null(False)
            | (pl.col("total_assets_change_4w_usd_mn") <= -t.total_assets_fall_4w_usd_mn).fill_null(False),
            has_weekly & pl.col("qt_runoff_13w_usd_mn").is_not_null(),
        ),
        stress=_status(
            (pl.col("sofr_minus_iorb_bp") >= t.sofr_minus_iorb_bp).fill_null(False)
            | (pl.col("sofr_p99_minus_iorb_bp") >= t.sofr_p99_minus_iorb_bp).fill_null(False),
            has_sofr,
        ),
        scarcity=_status(
            (pl.col("reserves_usd_mn") < t.reserves_below_usd_mn).fill_null(False)
            | (pl.col("reserves_change_13w_usd_mn") <= -t.reserves_fall_13w_usd_mn).fill_null(False)
            | (pl.col("reserves_below_52w_high_pct") >= t.reserves_below_52w_high_pct).fill_null(False),
            has_weekly,
        ),
    )
    watch = (pl.col("easing") == "on") & (pl.col("draining") == "on")
    above_range = (pl.col("sofr_minus_target_upper_bp") > 0).fill_null(False)
    frame = frame.with_columns(
        severity=pl.when(watch & above_range)
        .then(pl.lit("critical"))
        .when(watch & ((pl.col("stress") == "on") | (pl.col("scarcity") == "on")))
        .then(pl.lit("alert"))
        .when(watch)
        .then(pl.lit("watch"))
        .otherwise(pl.lit("none")),
        thresholds=pl.lit(t.to_json()),
    )
    return frame.drop("cutoff")


#: Inputs echoed with each rule in core.signals.
RULE_INPUTS = {
    "easing": [
        "last_cut_date",
        "last_cut_bp",
        "days_since_cut",
        "iorb_pct",
        "iorb_change_bp",
        "target_lower_pct",
        "target_upper_pct",
    ],
    "draining": ["week_ending", "qt_runoff_4w_usd_mn", "qt_runoff_13w_usd_mn", "total_assets_change_4w_usd_mn"],
    "stress": [
        "rates_date",
        "sofr_pct",
        "iorb_pct",
        "sofr_minus_iorb_bp",
        "sofr_p99_minus_iorb_bp",
        "sofr_minus_target_upper_bp",
    ],
    "scarcity": ["week_ending", "reserves_usd_mn", "reserves_change_13w_usd_mn", "reserves_below_52w_high_pct"],
}


def signals_long(evaluated: pl.DataFrame) -> pl.DataFrame:
    """``core.signals`` rows: one per date and rule, with status, the day's severity, inputs and thresholds."""
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
                "thresholds",
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
