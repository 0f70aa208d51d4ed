"""Shape each dataset for validation: plain polars in, pandas out (GX has no polars backend).

The columns added here are facts the expectations test, computed once and visibly:
the weekday, the ISO day, the series' calendar, whether a row rewrites old history beyond
its series' revision guard, how far it stands from its neighbours (unit slips), how much of
a rate's spike the same day's other rates leave uncorroborated, the cross-series
identities, and the week-on-week and day-on-day moves of the core tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import polars as pl

from liquidity_watch.domain.calendars import holidays_of
from liquidity_watch.domain.catalog import SERIES, Calendar
from liquidity_watch.domain.revisions import RevisionAcceptance
from liquidity_watch.expectations.bounds import (
    CALENDAR_EXCEPTIONS,
    MAX_HISTORY_REVISION_SHARE,
    REVISION_AGE_DAYS,
    WEEKLY_JUMP_LIMIT_USD_MN,
)
from liquidity_watch.expectations.identities import IDENTITY_COLUMNS, identity_columns
from liquidity_watch.expectations.neighbours import context_frame, slip_factors, uncorroborated_spikes


def _day_columns(column: str) -> list[pl.Expr]:
    return [
        pl.col(column).dt.strftime("%Y-%m-%d").alias("day"),
        pl.col(column).dt.weekday().alias("weekday"),  # 1 = Monday ... 7 = Sunday
    ]


def stage_raw(
    incoming: pl.DataFrame,
    stored: pl.DataFrame,
    today: dt.date,
    accepted: Sequence[RevisionAcceptance] = (),
) -> pd.DataFrame:
    """This run's fresh observations (before de-duplication) with what the checks need.

    Parameters
    ----------
    incoming : ``series_id, date, value`` (+ provenance) of every fresh payload row.
    stored : ``series_id, date, value`` already in ``raw.observations`` (current values), at
        least for the incoming series and the series their neighbour and identity checks
        read (``CORROBORATING_RATES``, ``identities.IDENTITY_SERIES``); all series is simplest.
    today : the run's date; rows older than ``REVISION_AGE_DAYS`` before it are "history".
    accepted : revision ranges an operator accepted for this run.
    """
    meta = pl.DataFrame(
        {
            "series_id": list(SERIES),
            "frequency": [s.frequency.value for s in SERIES.values()],
            "calendar": [s.calendar.value for s in SERIES.values()],
        }
    )
    frame = incoming.select("series_id", "date", "value").join(meta, on="series_id", how="left")
    frame = with_revision_guard(frame, stored, today, accepted)
    context = context_frame(stored, incoming)
    frame = (
        frame.join(slip_factors(context), on=["series_id", "date"], how="left")
        .join(
            uncorroborated_spikes(context).drop("spike_bp"),
            on=["series_id", "date"],
            how="left",
        )
        .join(identity_columns(context), on=["series_id", "date"], how="left")
        .with_columns(pl.col(c).cast(pl.Float64) for c in IDENTITY_COLUMNS)
    )
    frame = frame.with_columns(*_day_columns("date"))
    frame = frame.with_columns(on_calendar=on_calendar(frame), gap_days=weekly_gap_days(frame))
    return _to_pandas(frame)


def with_revision_guard(
    frame: pl.DataFrame, stored: pl.DataFrame, today: dt.date, accepted: Sequence[RevisionAcceptance] = ()
) -> pl.DataFrame:
    """Add ``revises_history``, ``revision_accepted`` and ``breaks_revision_guard`` to incoming rows.

    ``revises_history``: the row changes a stored value dated more than ``REVISION_AGE_DAYS``
    before ``today``. ``revision_accepted``: an operator's acceptance covers its series and
    date. ``breaks_revision_guard``: it revises history, is not accepted, and its series
    rewrites more than ``MAX_HISTORY_REVISION_SHARE`` of that series' own rows in this run
    (rows of other series never dilute the share).
    """
    frame = frame.join(stored.select("series_id", "date", stored_value="value"), on=["series_id", "date"], how="left")
    cutoff = today - dt.timedelta(days=REVISION_AGE_DAYS)
    covered = pl.lit(False)
    for acceptance in accepted:
        covered = covered | (
            (pl.col("series_id") == acceptance.series_id) & pl.col("date").is_between(acceptance.start, acceptance.end)
        )
    frame = frame.with_columns(
        revises_history=(
            pl.col("stored_value").is_not_null()
            & (pl.col("stored_value") != pl.col("value"))
            & (pl.col("date") < cutoff)
        ),
        revision_accepted=covered,
    ).drop("stored_value")
    unaccepted = pl.col("revises_history") & ~pl.col("revision_accepted")
    share = unaccepted.cast(pl.Float64).mean().over("series_id")
    return frame.with_columns(breaks_revision_guard=unaccepted & (share > MAX_HISTORY_REVISION_SHARE))


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


def week_on_week_column(column: str) -> str:
    """The staged column of ``column``'s week-on-week move: ``tga_usd_mn`` -> ``tga_change_1w_usd_mn``."""
    return f"{column.removesuffix('_usd_mn')}_change_1w_usd_mn"


def stage_weekly(weekly: pl.DataFrame) -> pd.DataFrame:
    """``core.weekly_liquidity`` plus the gap to the previous week, the identity residual and the
    week-on-week move of each column ``WEEKLY_JUMP_LIMIT_USD_MN`` bounds."""
    frame = weekly.sort("week_ending").with_columns(
        *_day_columns("week_ending"),
        days_since_previous=pl.col("week_ending").diff().dt.total_days(),
        net_liquidity_residual_usd_mn=pl.col("net_liquidity_usd_mn")
        - (pl.col("total_assets_usd_mn") - pl.col("tga_usd_mn") - pl.col("rrp_usd_mn")),
        **{week_on_week_column(column): pl.col(column).diff() for column in WEEKLY_JUMP_LIMIT_USD_MN},
    )
    return _to_pandas(frame)


#: core.daily_rates' rates whose day-on-day change the gate bounds (``day_on_day_column`` names it).
DAY_ON_DAY_PCT = ("sofr_pct", "effr_pct")


def day_on_day_column(rate: str) -> str:
    """The staged column of ``rate``'s day-on-day move in basis points: ``sofr_pct`` -> ``sofr_change_1d_bp``."""
    return f"{rate.removesuffix('_pct')}_change_1d_bp"


def stage_daily(daily: pl.DataFrame) -> pd.DataFrame:
    """``core.daily_rates`` plus the day-on-day move of each rate in ``DAY_ON_DAY_PCT`` (bp)."""
    frame = daily.sort("date").with_columns(
        *_day_columns("date"),
        **{day_on_day_column(rate): (pl.col(rate).diff() * 100).round(2) for rate in DAY_ON_DAY_PCT},
    )
    return _to_pandas(frame)


def stage_policy(changes: pl.DataFrame) -> pd.DataFrame:
    return _to_pandas(changes.with_columns(*_day_columns("date")))


def _to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """Dates become pandas timestamps (GX compares them); everything else converts as is."""
    return frame.with_columns(pl.col(pl.Date).cast(pl.Datetime("us"))).to_pandas()
