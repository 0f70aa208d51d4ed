"""Rolling measures behind the rules: each uses its row and the rows before it only.

A measure is therefore public when its row is (``signals.visibility`` says when that is),
and the rules read it as it stood at the end of a day, never later.
"""

from __future__ import annotations

import polars as pl

from liquidity_watch.signals.thresholds import Thresholds


def min_samples(window: int) -> int:
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
    >>> import datetime as dt
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
    need = min_samples(window)
    frame = daily.sort("date")
    sofr = frame.filter(pl.col("sofr_minus_iorb_bp").is_not_null()).select(
        "date",
        sofr_above_iorb_share_pct=_share_above_zero("sofr_minus_iorb_bp", window, need),
        tgcr_above_iorb_share_pct=_share_above_zero("tgcr_minus_iorb_bp", window, need),
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


def _share_above_zero(spread: str, window: int, need: int) -> pl.Expr:
    """The share of the window's fixings with ``spread`` above zero, in percent."""
    return ((pl.col(spread) > 0).cast(pl.Float64) * 100).rolling_mean(window, min_samples=need).round(1)


def iorb_change(rates: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """``rates`` (sorted by date) with ``iorb_change_bp``: IORB against its value ``iorb_lookback_days`` earlier."""
    past = rates.select(pl.col("date").alias("past_date"), pl.col("iorb_pct").alias("iorb_past_pct")).drop_nulls()
    frame = rates.with_columns(lookup=pl.col("date") - pl.duration(days=t.iorb_lookback_days)).join_asof(
        past, left_on="lookup", right_on="past_date", strategy="backward"
    )
    frame = frame.with_columns(iorb_change_bp=((pl.col("iorb_pct") - pl.col("iorb_past_pct")) * 100).round(2))
    return frame.drop("lookup", "past_date")


def takeup_measures(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """Repo operation take-up per day (``takeup_date``) with its counts over the last ``window_days`` rows."""
    frame = daily.select("date", "repo_ops_takeup_usd_mn").sort("date")
    takeup = pl.col("repo_ops_takeup_usd_mn")
    return frame.select(
        pl.col("date").alias("takeup_date"),
        "repo_ops_takeup_usd_mn",
        takeup_material_days=(takeup >= t.takeup_floor_usd_mn)
        .fill_null(False)
        .cast(pl.Int32)
        .rolling_sum(t.window_days),
        takeup_max_usd_mn=takeup.rolling_max(t.window_days, min_samples=1),
        takeup_seen_days=takeup.is_not_null().cast(pl.Int32).rolling_sum(t.window_days),
    )
