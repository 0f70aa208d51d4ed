"""Is each series as fresh as its release calendar says it should be?

For each series: the latest stored observation, the next one the calendar expects, when
that one should be public (``calendars.published_at``), and a grace period after which
its absence means the source is stale (for example no H.4.1 by Friday).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.calendars import next_business_day, next_business_day_series, published_at_series
from liquidity_watch.domain.catalog import SERIES, Frequency, Release

#: How late a release may be before it counts as stale.
GRACE = {
    Release.H41: dt.timedelta(hours=18),  # Thursday 16:30 + 18 h: Friday 10:30 ET, the catch-up run
    Release.SOFR: dt.timedelta(hours=6),
    Release.EFFR: dt.timedelta(hours=6),
    Release.RRP: dt.timedelta(hours=6),
    Release.REPO: dt.timedelta(hours=6),
    Release.H8: dt.timedelta(hours=18),  # Friday 16:15 + 18 h: Saturday morning
    Release.POLICY: dt.timedelta(days=7),  # FRED copies the daily policy rates with a lag
}


@dataclass(frozen=True)
class Freshness:
    series_id: str
    required: bool
    latest: dt.date | None
    next_expected: dt.date | None
    due_by: dt.datetime | None
    status: str  # fresh, stale, missing or discontinued

    @property
    def stale(self) -> bool:
        return self.status in ("stale", "missing")


def next_observation(series_id: str, latest: dt.date) -> dt.date:
    series = SERIES[series_id]
    if series.frequency is Frequency.WEEKLY_WEDNESDAY:
        return latest + dt.timedelta(days=7)
    if series.frequency is Frequency.BUSINESS_DAILY:
        return next_business_day(latest, series.calendar)
    return latest + dt.timedelta(days=1)


def next_observations(series_id: str, latest: pl.Series) -> pl.Series:
    """``next_observation`` for a column of last dates, vectorised."""
    series = SERIES[series_id]
    latest = latest.cast(pl.Date)
    if series.frequency is Frequency.WEEKLY_WEDNESDAY:
        return latest + dt.timedelta(days=7)
    if series.frequency is Frequency.BUSINESS_DAILY:
        return next_business_day_series(latest, series.calendar)
    return latest + dt.timedelta(days=1)


def due_by_series(series_id: str, latest: pl.Series) -> pl.Series:
    """For each last date of ``series_id``: the instant (UTC) after which the next observation is late.

    The staleness limit of every rule input and of ``status`` alike: the next observation's
    publication (``calendars.published_at``) plus its release's grace period.

    >>> due_by_series("SOFR", pl.Series([dt.date(2026, 9, 3)])).to_list()
    [datetime.datetime(2026, 9, 8, 18, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))]
    """
    release = SERIES[series_id].release
    due = published_at_series(release.value, next_observations(series_id, latest)) + GRACE[release]
    return due.alias("due_by")


def check(last_dates: dict[str, dt.date], now: dt.datetime) -> list[Freshness]:
    """Freshness of every known series at ``now`` (UTC), given the last stored date of each."""
    out = []
    for sid, series in SERIES.items():
        latest = last_dates.get(sid)
        if series.discontinued is not None:
            out.append(Freshness(sid, series.required, latest, None, None, "discontinued"))
            continue
        if latest is None:
            out.append(Freshness(sid, series.required, None, None, None, "missing"))
            continue
        expected = next_observation(sid, latest)
        due = due_by_series(sid, pl.Series([latest])).item()
        out.append(Freshness(sid, series.required, latest, expected, due, "stale" if now > due else "fresh"))
    return out


def stale_required(report: list[Freshness]) -> list[Freshness]:
    return [f for f in report if f.required and f.stale]
