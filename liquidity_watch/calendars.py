"""Business-day calendars and the publication calendar: when each observation became public.

This is the one place that knows publication lags. ``--as-of``, the backtest and the
signals all filter on ``published_at`` computed here, so none of them can look ahead.

Rules (times are America/New_York):

====================  =====================================================  ==========
release               an observation dated D is published                    source
====================  =====================================================  ==========
``h41``               Thursday D+1 at 16:30; if that Thursday is a Federal   spec 2.6
                      Reserve holiday, the next Fed business day at 16:30
``sofr``              the next SIFMA business day after D at 08:00            spec 1.7
``effr``              the next Fed business day after D at 09:00              spec 1.7
``rrp``               D at 13:30 (results follow the 13:15 close)             spec 1.8
``policy``            D-1 at 14:00: a target range or IORB rate taking       FOMC
                      effect on D is announced in the 14:00 statement of     statement
                      the day before (intermeeting moves: within hours)
====================  =====================================================  ==========

The Fed calendar is the U.S. federal holidays, moved from Sunday to Monday but not from
Saturday to Friday (the Fed stays open on that Friday). The SIFMA calendar is
``holidays``' ``XSIF`` plus Good Friday in every year: the NY Fed publishes no SOFR on
Good Friday even in the years SIFMA recommended only an early close (2021, 2023, 2026),
as the recorded SOFR history shows.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import polars as pl
from dateutil.easter import easter

from liquidity_watch.catalog import SERIES

NEW_YORK = ZoneInfo("America/New_York")
_YEARS = range(2000, 2041)  # the data start in 2000 (EFFR); extend when 2040 nears


@lru_cache(maxsize=1)
def fed_holidays() -> frozenset[dt.date]:
    """Weekdays on which the Federal Reserve is closed (EFFR and H.4.1 calendar)."""
    out: set[dt.date] = set()
    for day in holidays.US(years=_YEARS, observed=False):
        if day.weekday() == 6:
            out.add(day + dt.timedelta(days=1))
        elif day.weekday() < 5:
            out.add(day)
    return frozenset(out)


@lru_cache(maxsize=1)
def sifma_holidays() -> frozenset[dt.date]:
    """Weekdays with no SOFR: SIFMA full closes plus every Good Friday."""
    out = {d for d in holidays.financial_holidays("XSIF", years=_YEARS) if d.weekday() < 5}
    out.update(easter(y) - dt.timedelta(days=2) for y in _YEARS)
    return frozenset(out)


def is_business_day(day: dt.date, calendar: str = "fed") -> bool:
    """Whether ``day`` is a business day on the ``fed`` or ``sifma`` calendar."""
    closed = fed_holidays() if calendar == "fed" else sifma_holidays()
    return day.weekday() < 5 and day not in closed


def next_business_day(day: dt.date, calendar: str = "fed") -> dt.date:
    """The first business day strictly after ``day``."""
    nxt = day + dt.timedelta(days=1)
    while not is_business_day(nxt, calendar):
        nxt += dt.timedelta(days=1)
    return nxt


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK).astimezone(dt.UTC)


def published_at(release: str, day: dt.date) -> dt.datetime:
    """When an observation of ``release`` dated ``day`` became public (UTC).

    Examples
    --------
    >>> published_at("sofr", dt.date(2019, 9, 17)).isoformat()
    '2019-09-18T12:00:00+00:00'
    >>> published_at("h41", dt.date(2019, 9, 18)).isoformat()
    '2019-09-19T20:30:00+00:00'
    """
    if release == "h41":
        thursday = day + dt.timedelta(days=(3 - day.weekday()) % 7 or 7)
        release_day = thursday if is_business_day(thursday, "fed") else next_business_day(thursday, "fed")
        return _at(release_day, 16, 30)
    if release == "sofr":
        return _at(next_business_day(day, "sifma"), 8)
    if release == "effr":
        return _at(next_business_day(day, "fed"), 9)
    if release == "rrp":
        return _at(day, 13, 30)
    if release == "policy":
        return _at(day - dt.timedelta(days=1), 14)
    raise ValueError(f"unknown release {release!r}")


def today_new_york() -> dt.date:
    """Today's date in New York, where every release is dated."""
    return dt.datetime.now(NEW_YORK).date()


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant a New York calendar day ends (UTC): ``--as-of D`` sees what was public before it."""
    return _at(day + dt.timedelta(days=1), 0)


def with_published_at(observations: pl.DataFrame) -> pl.DataFrame:
    """Add ``published_at`` (UTC) to a frame with ``series_id`` and ``date`` columns.

    Computed once per distinct (release, date), then joined, so a full history costs a
    few thousand calendar look-ups rather than one per row.
    """
    releases = pl.DataFrame(
        {"series_id": list(SERIES), "release": [s.release for s in SERIES.values()]}
    )
    frame = observations.join(releases, on="series_id", how="left")
    unknown = frame.filter(pl.col("release").is_null())["series_id"].unique().to_list()
    if unknown:
        raise ValueError(f"no publication calendar for series {sorted(unknown)}")
    keys = frame.select("release", "date").unique()
    keys = keys.with_columns(
        pl.Series(
            "published_at",
            [published_at(r, d) for r, d in keys.iter_rows()],
            dtype=pl.Datetime("us", "UTC"),
        )
    )
    return frame.join(keys, on=["release", "date"], how="left").drop("release")


def published_at_series(release: str, dates: pl.Series) -> pl.Series:
    """``published_at`` for a column of dates of one release (computed once per distinct date)."""
    unique = dates.unique().drop_nulls().to_list()
    mapping = {day: published_at(release, day) for day in unique}
    return pl.Series(f"{release}_published_at", [mapping.get(d) for d in dates.to_list()], dtype=pl.Datetime("us", "UTC"))


def business_days(start: dt.date, end: dt.date, calendar: str = "fed") -> list[dt.date]:
    """Every business day from ``start`` to ``end`` inclusive."""
    days, day = [], start
    while day <= end:
        if is_business_day(day, calendar):
            days.append(day)
        day += dt.timedelta(days=1)
    return days
