"""Business-day calendars and the publication calendar: when each observation became public.

This is the one place that knows publication lags. ``--as-of``, the backtest and the
signals all filter on ``published_at`` computed here, so none of them can look ahead.

Rules (times are America/New_York):

====================  =====================================================  ==========
release               an observation dated D is published                    source
====================  =====================================================  ==========
``h41``               Thursday D+1 at 16:30; if that Thursday is a Federal   H.4.1
                      Reserve holiday, the next Fed business day at 16:30
``sofr``              the next SIFMA business day after D at 08:00            NY Fed
``effr``              the next Fed business day after D at 09:00              NY Fed
``rrp``               D at 13:30 (results follow the 13:15 close)             NY Fed
``repo``              D at 14:00 (the day's last repo operation and the       NY Fed
                      Standing Repo Facility close at 13:45)
``h8``                Friday D+9 at 16:15 (H.8 for the week ending           H.8
                      Wednesday D comes out the Friday of the next week);
                      if that Friday is a Fed holiday, the next Fed
                      business day at 16:15
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

from liquidity_watch.domain.catalog import SERIES, Calendar

NEW_YORK = ZoneInfo("America/New_York")
#: The years the calendars cover: the data start in 2000 (EFFR); extend when 2040 nears.
CALENDAR_YEARS = range(2000, 2041)


@lru_cache(maxsize=1)
def fed_holidays() -> frozenset[dt.date]:
    """Weekdays on which the Federal Reserve is closed (EFFR and H.4.1 calendar)."""
    out: set[dt.date] = set()
    for day in holidays.country_holidays("US", years=CALENDAR_YEARS, observed=False):
        if day.weekday() == 6:
            out.add(day + dt.timedelta(days=1))
        elif day.weekday() < 5:
            out.add(day)
    return frozenset(out)


@lru_cache(maxsize=1)
def sifma_holidays() -> frozenset[dt.date]:
    """Weekdays with no SOFR: SIFMA full closes plus every Good Friday."""
    out = {d for d in holidays.financial_holidays("XSIF", years=CALENDAR_YEARS) if d.weekday() < 5}
    out.update(easter(y) - dt.timedelta(days=2) for y in CALENDAR_YEARS)
    return frozenset(out)


def holidays_of(calendar: Calendar) -> frozenset[dt.date]:
    """The weekdays a business-day calendar is closed (none for Wednesdays and every day)."""
    calendar = Calendar(calendar)
    if calendar is Calendar.FED:
        return fed_holidays()
    if calendar is Calendar.SIFMA:
        return sifma_holidays()
    return frozenset()


def is_business_day(day: dt.date, calendar: Calendar = Calendar.FED) -> bool:
    """Whether ``day`` is a business day on the Fed or SIFMA calendar."""
    return day.weekday() < 5 and day not in holidays_of(calendar)


def next_business_day(day: dt.date, calendar: Calendar = Calendar.FED) -> dt.date:
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
    >>> published_at("h8", dt.date(2019, 9, 18)).isoformat()
    '2019-09-27T20:15:00+00:00'
    """
    if release == "h41":
        thursday = day + dt.timedelta(days=(3 - day.weekday()) % 7 or 7)
        release_day = thursday if is_business_day(thursday) else next_business_day(thursday)
        return _at(release_day, 16, 30)
    if release == "h8":
        friday = day + dt.timedelta(days=(4 - day.weekday()) % 7 + 7)
        release_day = friday if is_business_day(friday) else next_business_day(friday)
        return _at(release_day, 16, 15)
    if release == "sofr":
        return _at(next_business_day(day, Calendar.SIFMA), 8)
    if release == "effr":
        return _at(next_business_day(day), 9)
    if release == "rrp":
        return _at(day, 13, 30)
    if release == "repo":
        return _at(day, 14)
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

    Computed once per distinct (release, date), vectorised per release, then joined.
    """
    releases = pl.DataFrame({"series_id": list(SERIES), "release": [s.release for s in SERIES.values()]})
    frame = observations.join(releases, on="series_id", how="left")
    unknown = frame.filter(pl.col("release").is_null())["series_id"].unique().to_list()
    if unknown:
        raise ValueError(f"no publication calendar for series {sorted(unknown)}")
    keys = frame.select("release", "date").unique()
    parts = [
        group.with_columns(published_at=published_at_series(release, group["date"]))
        for (release,), group in keys.group_by("release")
    ]
    keys = pl.concat(parts) if parts else keys.with_columns(published_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")))
    return frame.join(keys, on=["release", "date"], how="left").drop("release")


#: Release -> (hour, minute) New York time of publication.
RELEASE_TIME = {
    "h41": (16, 30),
    "h8": (16, 15),
    "sofr": (8, 0),
    "effr": (9, 0),
    "rrp": (13, 30),
    "repo": (14, 0),
    "policy": (14, 0),
}


def _open_days(calendar: Calendar, start: dt.date, end: dt.date) -> pl.DataFrame:
    closed = sorted(holidays_of(calendar))
    days = pl.date_range(start, end, "1d", eager=True).alias("open_day")
    return (
        pl.DataFrame({"open_day": days})
        .filter((pl.col("open_day").dt.weekday() <= 5) & ~pl.col("open_day").is_in(pl.Series(closed, dtype=pl.Date)))
        .sort("open_day")
    )


def _first_open_on_or_after(days: pl.Series, calendar: Calendar) -> pl.Series:
    frame = pl.DataFrame({"key": days}).with_row_index("row")
    known = frame.drop_nulls("key")
    if known.is_empty():
        return pl.Series("open_day", [None] * len(days), dtype=pl.Date)
    first, last = known["key"].min(), known["key"].max()
    assert isinstance(first, dt.date) and isinstance(last, dt.date)  # a non-empty Date column
    calendar_days = _open_days(calendar, first, last + dt.timedelta(days=15))
    found = known.sort("key").join_asof(calendar_days, left_on="key", right_on="open_day", strategy="forward")
    return frame.join(found.select("row", "open_day"), on="row", how="left").sort("row")["open_day"]


def at_new_york(days: pl.Series, hour: int, minute: int = 0) -> pl.Series:
    """Each day at ``hour:minute`` New York time, as UTC instants (DST-aware)."""
    stamps = pl.DataFrame({"d": days}).select(
        pl.col("d")
        .dt.combine(pl.time(hour, minute))
        .dt.replace_time_zone("America/New_York")
        .dt.convert_time_zone("UTC")
    )["d"]
    return stamps.cast(pl.Datetime("us", "UTC"))


def published_at_series(release: str, dates: pl.Series) -> pl.Series:
    """``published_at`` for a whole column of dates of one release, vectorised.

    Same rules as ``published_at`` (a test checks them equal on every day 2000-2030).
    """
    dates = dates.cast(pl.Date)
    hour, minute = RELEASE_TIME[release]
    if release == "h41":
        weekday = dates.dt.weekday() - 1  # Monday = 0, as in Python
        offset = ((3 - weekday) % 7).replace(0, 7)
        thursday = pl.DataFrame({"d": dates, "o": offset}).select(pl.col("d") + pl.duration(days=pl.col("o")))["d"]
        day = _first_open_on_or_after(thursday, Calendar.FED)
    elif release == "h8":
        weekday = dates.dt.weekday() - 1
        offset = (4 - weekday) % 7 + 7
        friday = pl.DataFrame({"d": dates, "o": offset}).select(pl.col("d") + pl.duration(days=pl.col("o")))["d"]
        day = _first_open_on_or_after(friday, Calendar.FED)
    elif release in ("sofr", "effr"):
        day = _first_open_on_or_after(
            dates + dt.timedelta(days=1), Calendar.SIFMA if release == "sofr" else Calendar.FED
        )
    elif release in ("rrp", "repo"):
        day = dates
    elif release == "policy":
        day = dates - dt.timedelta(days=1)
    else:
        raise ValueError(f"unknown release {release!r}")
    return at_new_york(day, hour, minute).alias(f"{release}_published_at")


def next_business_day_series(days: pl.Series, calendar: Calendar = Calendar.FED) -> pl.Series:
    """``next_business_day`` for a column of dates, vectorised.

    >>> next_business_day_series(pl.Series([dt.date(2019, 9, 13), dt.date(2025, 12, 24)])).to_list()
    [datetime.date(2019, 9, 16), datetime.date(2025, 12, 26)]
    """
    return _first_open_on_or_after(days.cast(pl.Date) + dt.timedelta(days=1), calendar)


def end_of_day_series(days: pl.Series) -> pl.Series:
    """``end_of_day`` for a column of dates."""
    return at_new_york(days.cast(pl.Date) + dt.timedelta(days=1), 0).alias("cutoff")


def business_days(start: dt.date, end: dt.date, calendar: Calendar = Calendar.FED) -> list[dt.date]:
    """Every business day from ``start`` to ``end`` inclusive."""
    days, day = [], start
    while day <= end:
        if is_business_day(day, calendar):
            days.append(day)
        day += dt.timedelta(days=1)
    return days
