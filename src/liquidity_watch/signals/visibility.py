"""What was known when: each core row with the instant its release made it public, and a day's inputs as of its end.

Every frame here is sorted by ``visible_at`` (``domain.calendars``), so that a day joins
"as of" its end (New York) only the rows published before it, never a later one.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from liquidity_watch.domain.calendars import end_of_day_series, published_at_series
from liquidity_watch.domain.catalog import Release
from liquidity_watch.signals.measures import iorb_change, rate_measures, takeup_measures
from liquidity_watch.signals.thresholds import Thresholds

#: The weekly inputs (``core.weekly_liquidity``, public with H.4.1) a day sees.
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
#: The daily inputs (``core.daily_rates`` and its measures, public with SOFR and EFFR) a day sees.
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


def visible(frame: pl.DataFrame, release: Release, on: str) -> pl.DataFrame:
    """``frame`` with ``visible_at``, when ``release`` published the row dated ``on``, sorted by it."""
    frame = frame.sort(on)
    return frame.with_columns(visible_at=published_at_series(release, frame[on])).sort("visible_at")


def visible_weekly(weekly: pl.DataFrame) -> pl.DataFrame:
    """``core.weekly_liquidity``, public with H.4.1."""
    return visible(weekly, Release.H41, "week_ending")


def visible_bank_assets(weekly: pl.DataFrame) -> pl.DataFrame:
    """H.8 bank assets with the instant each week's figure came out (about nine days after H.4.1's)."""
    frame = weekly.select("week_ending", "bank_assets_usd_mn").drop_nulls()
    return visible(frame, Release.H8, "week_ending").rename({"week_ending": "bank_week_ending"})


def visible_rates(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """``core.daily_rates`` and its measures, public once both the day's SOFR (if any) and EFFR are."""
    frame = iorb_change(rate_measures(daily, t), t)
    sofr_at = published_at_series(Release.SOFR, frame["date"])
    effr_at = published_at_series(Release.EFFR, frame["date"])
    both = pl.max_horizontal(sofr_at, effr_at)
    return frame.with_columns(visible_at=pl.when(pl.col("sofr_pct").is_not_null()).then(both).otherwise(effr_at)).sort(
        "visible_at"
    )


def visible_takeup(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """Repo operation take-up, public the afternoon of its day (not a day later with the rates)."""
    return visible(takeup_measures(daily, t), Release.REPO, "takeup_date")


def visible_changes(policy: pl.DataFrame) -> pl.DataFrame:
    """The last change of the target range, cut or hike (the message's "last policy action")."""
    return _visible_policy(
        policy, "last_change_date", "last_change_bp", "last_change_lower_pct", "last_change_upper_pct"
    )


def visible_cuts(policy: pl.DataFrame) -> pl.DataFrame:
    """The last cut of the target range."""
    cuts = policy.filter(pl.col("change_bp") < 0)
    return _visible_policy(cuts, "last_cut_date", "last_cut_bp", "cut_new_lower_pct", "cut_new_upper_pct")


def _visible_policy(changes: pl.DataFrame, date: str, bp: str, lower: str, upper: str) -> pl.DataFrame:
    """Policy changes under the given column names, each with when it became public."""
    frame = changes.select(
        pl.col("date").alias(date),
        pl.col("change_bp").alias(bp),
        pl.col("new_lower_pct").alias(lower),
        pl.col("new_upper_pct").alias(upper),
    )
    return visible(frame, Release.POLICY, date)


def as_of(
    weekly: pl.DataFrame, daily: pl.DataFrame, policy: pl.DataFrame, days: list[dt.date], t: Thresholds
) -> pl.DataFrame:
    """One row per day (sorted): its ``cutoff`` (the end of the day) and every input published before it.

    The rates row a day sees is ``rates_date`` (with its ``rates_pressure_day``); the H.8
    week ``bank_week_ending``; the take-up day ``takeup_date``; the last cut and the last
    change of the target range with their dates.
    """
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date}).sort("date")
    frame = frame.with_columns(cutoff=end_of_day_series(frame["date"]))
    rates = visible_rates(daily, t).select(
        "visible_at",
        pl.col("date").alias("rates_date"),
        pl.col("pressure_day").alias("rates_pressure_day"),
        *DAILY_INPUTS,
    )
    for seen in (
        visible_weekly(weekly).select("visible_at", *WEEKLY_INPUTS),
        visible_bank_assets(weekly),
        rates,
        visible_takeup(daily, t),
        visible_cuts(policy),
        visible_changes(policy),
    ):
        frame = frame.join_asof(
            seen, left_on="cutoff", right_on="visible_at", strategy="backward", allow_exact_matches=False
        ).drop("visible_at")
    return frame.with_columns(
        days_since_cut=(pl.col("date") - pl.col("last_cut_date")).dt.total_days(),
        reserves_to_bank_assets_pct=(pl.col("reserves_usd_mn") / pl.col("bank_assets_usd_mn") * 100).round(3),
    )
