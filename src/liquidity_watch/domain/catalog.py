"""The series this project knows: one canonical id each, with its unit, frequency, calendar and release.

Canonical ids are FRED's ids, so FRED (and a folder of FRED-format CSVs) can stand in
for every primary source without a mapping table. The primary sources map their own
identifiers onto these (see ``sources.ddp.H41_IDENTIFIERS`` and ``sources.nyfed``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """The unit every stored value of a series is in (``raw.observations.unit``)."""

    USD_MN = "usd_mn"
    USD_BN = "usd_bn"
    PCT = "pct"


class Frequency(StrEnum):
    """How often a series observes."""

    WEEKLY_WEDNESDAY = "weekly_wednesday"  # H.4.1: one value per Wednesday, holidays included
    BUSINESS_DAILY = "business_daily"  # one value per business day of its calendar
    DAILY = "daily"  # every calendar day (FRED's 7-day policy series)


class Calendar(StrEnum):
    """Which days a series may be dated: checked by the quality gate and used for freshness."""

    WEDNESDAYS = "wednesdays"
    FED = "fed"  # weekdays outside Federal Reserve holidays (EFFR, ON RRP)
    SIFMA = "sifma"  # weekdays outside SIFMA closes, and no Good Friday (SOFR)
    EVERY_DAY = "every_day"


class Release(StrEnum):
    """Which publication calendar gives a series' ``published_at`` (``domain.calendars``)."""

    H41 = "h41"
    SOFR = "sofr"
    EFFR = "effr"
    RRP = "rrp"
    REPO = "repo"
    H8 = "h8"
    POLICY = "policy"


@dataclass(frozen=True)
class Series:
    """One canonical series.

    Attributes
    ----------
    series_id : FRED id, used as the key in ``raw.observations``.
    title : what it is, in words.
    unit : the unit every stored value is in.
    frequency : how often it observes.
    calendar : the days it may be dated.
    release : which publication calendar gives its ``published_at``.
    required : the pipeline fails when a required series is absent from a source.
    discontinued : the last date of a series that has ended (never stale after it).
    """

    series_id: str
    title: str
    unit: Unit
    frequency: Frequency
    calendar: Calendar
    release: Release
    required: bool = True
    discontinued: dt.date | None = None


def _h41(series_id: str, title: str, *, required: bool = True) -> Series:
    return Series(series_id, title, Unit.USD_MN, Frequency.WEEKLY_WEDNESDAY, Calendar.WEDNESDAYS, Release.H41, required)


def _sofr(series_id: str, title: str, unit: Unit = Unit.PCT, *, required: bool = False) -> Series:
    return Series(series_id, title, unit, Frequency.BUSINESS_DAILY, Calendar.SIFMA, Release.SOFR, required)


def _policy(series_id: str, title: str, discontinued: dt.date | None = None) -> Series:
    return Series(series_id, title, Unit.PCT, Frequency.DAILY, Calendar.EVERY_DAY, Release.POLICY, True, discontinued)


SERIES: dict[str, Series] = {
    s.series_id: s
    for s in [
        _h41("WALCL", "Fed total assets (less eliminations), Wednesday level"),
        _h41("WSHOSHO", "Securities held outright, Wednesday level", required=False),
        _h41("TREAST", "U.S. Treasury securities held outright, Wednesday level"),
        _h41("WSHOMCB", "Mortgage-backed securities held outright, Wednesday level"),
        _h41("WRESBAL", "Reserve balances with Federal Reserve Banks, week average"),
        _h41("WRBWFRBL", "Reserve balances with Federal Reserve Banks, Wednesday level", required=False),
        _h41("WDTGAL", "Treasury General Account, Wednesday level"),
        _h41("WTREGEN", "Treasury General Account, week average", required=False),
        _h41("WLRRAL", "Reverse repurchase agreements (all counterparties), Wednesday level", required=False),
        Series(
            "RRPONTSYD",
            "Overnight reverse repos (ON RRP), daily total",
            Unit.USD_BN,
            Frequency.BUSINESS_DAILY,
            Calendar.FED,
            Release.RRP,
        ),
        Series(
            "RRPONTSYAWARD",
            "ON RRP award rate (Treasury securities sold in overnight reverse repos)",
            Unit.PCT,
            Frequency.BUSINESS_DAILY,
            Calendar.FED,
            Release.RRP,
            required=False,
        ),
        Series(
            "RPONTSYD",
            "Overnight repos (repo operations and the Standing Repo Facility), Treasury take-up, daily total",
            Unit.USD_BN,
            Frequency.BUSINESS_DAILY,
            Calendar.FED,
            Release.REPO,
            required=False,
        ),
        _sofr("SOFR", "Secured Overnight Financing Rate", required=True),
        _sofr("SOFR1", "SOFR 1st percentile"),
        _sofr("SOFR25", "SOFR 25th percentile"),
        _sofr("SOFR75", "SOFR 75th percentile"),
        _sofr("SOFR99", "SOFR 99th percentile"),
        _sofr("SOFRVOL", "SOFR volume", Unit.USD_BN),
        _sofr("TGCRRATE", "Tri-Party General Collateral Rate (TGCR)"),
        _sofr("BGCRRATE", "Broad General Collateral Rate (BGCR)"),
        Series("EFFR", "Effective federal funds rate", Unit.PCT, Frequency.BUSINESS_DAILY, Calendar.FED, Release.EFFR),
        Series(
            "TLAACBW027SBOG",
            "Total assets, all commercial banks (H.8), seasonally adjusted, Wednesday level",
            Unit.USD_BN,
            Frequency.WEEKLY_WEDNESDAY,
            Calendar.WEDNESDAYS,
            Release.H8,
            required=False,
        ),
        _policy("DFEDTARU", "FOMC target range, upper bound"),
        _policy("DFEDTARL", "FOMC target range, lower bound"),
        _policy("IORB", "Interest on reserve balances (from 2021-07-29)"),
        _policy("IOER", "Interest on excess reserves (to 2021-07-28)", discontinued=dt.date(2021, 7, 28)),
    ]
}

#: Where the warehouse's history starts (first H.4.1 week in the FRED vintages we use).
HISTORY_START = dt.date(2002, 12, 18)
#: The first day of SOFR, TGCR and BGCR (the NY Fed's secured reference rates).
SOFR_START = dt.date(2018, 4, 2)
#: The first day signals are evaluated (and the first day a run can be ``--as-of``): the first
#: business day of 2003, the first H.4.1 week having been published the day before it.
SIGNALS_START = dt.date(2003, 1, 2)
