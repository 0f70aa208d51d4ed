"""Known pressure days of the repo market: dates on which funding rates pop for calendar reasons.

A pop on one of these days is information, not a crisis: dealers shrink their balance
sheets over month-ends (most at quarter-ends and the year-end), and Treasury coupon
settlements and tax payments drain cash mid-month. The signal rules read rates on these
days differently (``docs/signals.md``: critical needs stress *off* these days, or a break
larger than they ordinarily show); the Slack chart marks them.

The days are on the SIFMA calendar (``calendars.sifma_holidays``), the calendar of the
repo market and of Treasury settlement. For a SIFMA business day D:

=====================  ========================================================================
kind                   D is ...
=====================  ========================================================================
``year_end``           the last business day of December
``quarter_end``        the last business day of March, June or September
``month_end``          the last business day of any other month
``after_month_end``    one of the first two business days after a month-end (the turn unwinds)
``tax_date``           a mid-month day (below) in January, April, June, September or December,
                       when estimated corporate and individual taxes fall due on the 15th
``mid_month``          the first business day on or after the 15th (Treasury coupon
                       settlement) or the business day after it
=====================  ========================================================================

A day that fits two kinds gets the first in this table. Why these days and no others
(``signals.calibration.pressure_day_profile``, SOFR fixings 2018-04-02..2026-09-03): the
95th percentile of SOFR - IORB is 5 bp on the other days and 10 to 60 bp on each kind
above; the third business day after a month-end and the day after the two mid-month days
are back near ordinary (7 bp). Tax dates that were moved (2020: July 15) are not followed.

Examples
--------
>>> import datetime as dt
>>> pressure_kind(dt.date(2019, 9, 16)), pressure_kind(dt.date(2019, 9, 17)), pressure_kind(dt.date(2019, 9, 18))
(<PressureKind.TAX_DATE: 'tax_date'>, <PressureKind.TAX_DATE: 'tax_date'>, None)
>>> pressure_kind(dt.date(2019, 9, 30)), pressure_kind(dt.date(2019, 10, 1)), pressure_kind(dt.date(2019, 10, 3))
(<PressureKind.QUARTER_END: 'quarter_end'>, <PressureKind.AFTER_MONTH_END: 'after_month_end'>, None)
>>> pressure_kind(dt.date(2024, 3, 28))  # Good Friday 2024-03-29 had no repo market
<PressureKind.QUARTER_END: 'quarter_end'>
"""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum
from functools import lru_cache

import polars as pl

from liquidity_watch.domain.calendars import CALENDAR_YEARS, holidays_of
from liquidity_watch.domain.catalog import Calendar

#: The calendar pressure days are counted on.
PRESSURE_CALENDAR = Calendar.SIFMA
#: Months whose mid-month dates are also tax dates (estimated taxes due on the 15th).
TAX_MONTHS = frozenset({1, 4, 6, 9, 12})
#: Business days after a month-end that still carry the turn.
DAYS_AFTER_MONTH_END = 2
#: Business days from the mid-month settlement date on (the date itself and the next one).
MID_MONTH_DAYS = 2


class PressureKind(StrEnum):
    """Why a day is a known pressure day (in the order a day that fits two kinds is labelled)."""

    YEAR_END = "year_end"
    QUARTER_END = "quarter_end"
    MONTH_END = "month_end"
    AFTER_MONTH_END = "after_month_end"
    TAX_DATE = "tax_date"
    MID_MONTH = "mid_month"


def _business_days_of_month(year: int, month: int) -> list[dt.date]:
    closed = holidays_of(PRESSURE_CALENDAR)
    days = (dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1))
    return [d for d in days if d.weekday() < 5 and d not in closed]


@lru_cache(maxsize=1)
def pressure_days() -> dict[dt.date, PressureKind]:
    """Every known pressure day of 2000-2040 and its kind."""
    rank = {kind: i for i, kind in enumerate(PressureKind)}
    out: dict[dt.date, PressureKind] = {}

    def mark(day: dt.date, kind: PressureKind) -> None:
        if day not in out or rank[kind] < rank[out[day]]:
            out[day] = kind

    months = [(y, m) for y in CALENDAR_YEARS for m in range(1, 13)]
    by_month = {ym: _business_days_of_month(*ym) for ym in months}
    for i, (year, month) in enumerate(months):
        days = by_month[(year, month)]
        end_kind = (
            PressureKind.YEAR_END
            if month == 12
            else PressureKind.QUARTER_END
            if month % 3 == 0
            else PressureKind.MONTH_END
        )
        mark(days[-1], end_kind)
        if i + 1 < len(months):
            for day in by_month[months[i + 1]][:DAYS_AFTER_MONTH_END]:
                mark(day, PressureKind.AFTER_MONTH_END)
        mid = [d for d in days if d.day >= 15][:MID_MONTH_DAYS]
        for day in mid:
            mark(day, PressureKind.TAX_DATE if month in TAX_MONTHS else PressureKind.MID_MONTH)
    return out


def pressure_kind(day: dt.date) -> PressureKind | None:
    """The kind of pressure day ``day`` is, or ``None`` for an ordinary day (or a SIFMA holiday)."""
    return pressure_days().get(day)


@lru_cache(maxsize=1)
def pressure_day_frame() -> pl.DataFrame:
    """``date, pressure_day`` for every known pressure day (to join on a table's dates)."""
    days = pressure_days()
    return pl.DataFrame(
        {"date": list(days), "pressure_day": [k.value for k in days.values()]},
        schema={"date": pl.Date, "pressure_day": pl.String},
    )


def pressure_day_series(dates: pl.Series) -> pl.Series:
    """``pressure_kind`` for a column of dates: the kind's name, null on ordinary days.

    >>> pressure_day_series(pl.Series([dt.date(2025, 12, 31), dt.date(2025, 12, 30)])).to_list()
    ['year_end', None]
    """
    frame = pl.DataFrame({"date": dates.cast(pl.Date)}).with_row_index("row")
    return frame.join(pressure_day_frame(), on="date", how="left").sort("row")["pressure_day"]
