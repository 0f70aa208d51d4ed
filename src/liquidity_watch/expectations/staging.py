"""Shape each dataset for validation: plain polars in, pandas out (GX has no polars backend).

The columns added here are facts the expectations test, computed once and visibly:
the weekday, the ISO day, the series' calendar, whether a row rewrites old history, and
the week-on-week and day-on-day moves of the core tables.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import polars as pl

from liquidity_watch.domain.calendars import holidays_of
from liquidity_watch.domain.catalog import SERIES, Calendar
from liquidity_watch.expectations.bounds import CALENDAR_EXCEPTIONS, REVISION_AGE_DAYS


def _day_columns(column: str) -> list[pl.Expr]:
    return [
        pl.col(column).dt.strftime("%Y-%m-%d").alias("day"),
        pl.col(column).dt.weekday().alias("weekday"),  # 1 = Monday ... 7 = Sunday
    ]


def stage_raw(incoming: pl.DataFrame, stored: pl.DataFrame, today: dt.date) -> pd.DataFrame:
    """This run's fresh observations (before de-duplication) with what the checks need.

    Parameters
    ----------
    incoming : ``series_id, date, value`` (+ provenance) of every fresh payload row.
    stored : ``series_id, date, value`` already in ``raw.observations``.
    today : the run's date; rows older than ``REVISION_AGE_DAYS`` before it are "history".
    """
    meta = pl.DataFrame(
        {
            "series_id": list(SERIES),
            "frequency": [s.frequency.value for s in SERIES.values()],
            "calendar": [s.calendar.value for s in SERIES.values()],
        }
    )
    frame = incoming.select("series_id", "date", "value").join(meta, on="series_id", how="left")
    frame = frame.join(stored.rename({"value": "stored_value"}), on=["series_id", "date"], how="left")
    cutoff = today - dt.timedelta(days=REVISION_AGE_DAYS)
    frame = frame.with_columns(
        *_day_columns("date"),
        revises_history=(
            pl.col("stored_value").is_not_null()
            & (pl.col("stored_value") != pl.col("value"))
            & (pl.col("date") < cutoff)
        ),
    ).drop("stored_value")
    frame = frame.with_columns(on_calendar=on_calendar(frame), gap_days=weekly_gap_days(frame))
    return _to_pandas(frame)


def weekly_gap_days(frame: pl.DataFrame) -> pl.Series:
    """Days since the same weekly series' previous row in this batch (null for other series).

    A weekly payload must be a run of consecutive Wednesdays: 7 everywhere, null first.
    """
    ordered = frame.select("series_id", "date", "frequency").with_row_index("row").sort("series_id", "date")
    gaps = ordered.with_columns(
        gap_days=pl.when(pl.col("frequency") == "weekly_wednesday")
        .then(pl.col("date").diff().over("series_id").dt.total_days())
        .otherwise(None)
    ).sort("row")
    return gaps["gap_days"]


def on_calendar(frame: pl.DataFrame) -> pl.Series:
    """Whether each row's date is on its series' calendar.

    Weekly H.4.1 series: a Wednesday. Business-day series: a weekday that is not a
    holiday of its calendar (Fed or SIFMA), save the documented exceptions in
    ``expectations.bounds.CALENDAR_EXCEPTIONS``. Daily series: any day.
    """
    holidays = pl.DataFrame(
        [(cal.value, day) for cal in Calendar for day in holidays_of(cal)],
        schema={"calendar": pl.String, "date": pl.Date},
        orient="row",
    ).with_columns(holiday=pl.lit(True))
    exceptions = pl.DataFrame(
        [(sid, day) for sid, days in CALENDAR_EXCEPTIONS.items() for day in days],
        schema={"series_id": pl.String, "date": pl.Date},
        orient="row",
    ).with_columns(exception=pl.lit(True))
    flagged = (
        frame.select("series_id", "date", "frequency", "calendar")
        .with_row_index("row")
        .join(holidays, on=["calendar", "date"], how="left")
        .join(exceptions, on=["series_id", "date"], how="left")
        .sort("row")
    )
    weekday = flagged["date"].dt.weekday()
    ok = (
        pl.when(flagged["calendar"] == Calendar.WEDNESDAYS)
        .then(weekday == 3)
        .when(flagged["calendar"].is_in([Calendar.FED, Calendar.SIFMA]))
        .then((weekday <= 5) & (flagged["holiday"].is_null() | flagged["exception"].fill_null(False)))
        .otherwise(True)
    )
    return flagged.select(on_calendar=ok)["on_calendar"]


def stage_weekly(weekly: pl.DataFrame) -> pd.DataFrame:
    """``core.weekly_liquidity`` plus the gap to the previous week and the identity residual."""
    frame = weekly.sort("week_ending").with_columns(
        *_day_columns("week_ending"),
        days_since_previous=pl.col("week_ending").diff().dt.total_days(),
        net_liquidity_residual_usd_mn=pl.col("net_liquidity_usd_mn")
        - (pl.col("total_assets_usd_mn") - pl.col("tga_usd_mn") - pl.col("rrp_usd_mn")),
        **{
            f"{column.removesuffix('_usd_mn')}_change_1w_usd_mn": pl.col(column).diff()
            for column in ("total_assets_usd_mn", "securities_usd_mn", "reserves_usd_mn", "tga_usd_mn", "rrp_usd_mn")
        },
    )
    return _to_pandas(frame)


def stage_daily(daily: pl.DataFrame) -> pd.DataFrame:
    """``core.daily_rates`` plus day-on-day moves of SOFR and EFFR (bp)."""
    frame = daily.sort("date").with_columns(
        *_day_columns("date"),
        sofr_change_1d_bp=(pl.col("sofr_pct").diff() * 100).round(2),
        effr_change_1d_bp=(pl.col("effr_pct").diff() * 100).round(2),
    )
    return _to_pandas(frame)


def stage_policy(changes: pl.DataFrame) -> pd.DataFrame:
    return _to_pandas(changes.with_columns(*_day_columns("date")))


def _to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Dates become pandas timestamps (GX compares them); everything else converts as is."""
    return frame.with_columns(pl.col(pl.Date).cast(pl.Datetime("us"))).to_pandas()
