"""The series this project knows: one canonical id each, with its unit, calendar and release.

Canonical ids are FRED's ids, so FRED (and a folder of FRED-format CSVs) can stand in
for every primary source without a mapping table. The primary sources map their own
identifiers onto these (see ``sources.ddp.H41_IDENTIFIERS`` and ``sources.nyfed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["usd_mn", "usd_bn", "pct"]
Frequency = Literal["weekly_wednesday", "business_daily", "daily"]
Release = Literal["h41", "sofr", "effr", "rrp", "policy"]


@dataclass(frozen=True)
class Series:
    """One canonical series.

    Attributes
    ----------
    series_id : FRED id, used as the key in ``raw.observations``.
    title : what it is, in words.
    unit : the unit every stored value is in.
    frequency : the observation calendar.
    release : which publication calendar gives its ``published_at``.
    required : the pipeline fails when a required series is absent from a source.
    """

    series_id: str
    title: str
    unit: Unit
    frequency: Frequency
    release: Release
    required: bool = True


SERIES: dict[str, Series] = {
    s.series_id: s
    for s in [
        Series("WALCL", "Fed total assets (less eliminations), Wednesday level", "usd_mn", "weekly_wednesday", "h41"),
        Series(
            "WSHOSHO", "Securities held outright, Wednesday level", "usd_mn", "weekly_wednesday", "h41", required=False
        ),
        Series(
            "TREAST", "U.S. Treasury securities held outright, Wednesday level", "usd_mn", "weekly_wednesday", "h41"
        ),
        Series(
            "WSHOMCB", "Mortgage-backed securities held outright, Wednesday level", "usd_mn", "weekly_wednesday", "h41"
        ),
        Series(
            "WRESBAL", "Reserve balances with Federal Reserve Banks, week average", "usd_mn", "weekly_wednesday", "h41"
        ),
        Series(
            "WRBWFRBL",
            "Reserve balances with Federal Reserve Banks, Wednesday level",
            "usd_mn",
            "weekly_wednesday",
            "h41",
            required=False,
        ),
        Series("WDTGAL", "Treasury General Account, Wednesday level", "usd_mn", "weekly_wednesday", "h41"),
        Series(
            "WTREGEN", "Treasury General Account, week average", "usd_mn", "weekly_wednesday", "h41", required=False
        ),
        Series(
            "WLRRAL",
            "Reverse repurchase agreements (all counterparties), Wednesday level",
            "usd_mn",
            "weekly_wednesday",
            "h41",
            required=False,
        ),
        Series("RRPONTSYD", "Overnight reverse repos (ON RRP), daily total", "usd_bn", "business_daily", "rrp"),
        Series("SOFR", "Secured Overnight Financing Rate", "pct", "business_daily", "sofr"),
        Series("SOFR1", "SOFR 1st percentile", "pct", "business_daily", "sofr", required=False),
        Series("SOFR25", "SOFR 25th percentile", "pct", "business_daily", "sofr", required=False),
        Series("SOFR75", "SOFR 75th percentile", "pct", "business_daily", "sofr", required=False),
        Series("SOFR99", "SOFR 99th percentile", "pct", "business_daily", "sofr", required=False),
        Series("SOFRVOL", "SOFR volume", "usd_bn", "business_daily", "sofr", required=False),
        Series("EFFR", "Effective federal funds rate", "pct", "business_daily", "effr"),
        Series("DFEDTARU", "FOMC target range, upper bound", "pct", "daily", "policy"),
        Series("DFEDTARL", "FOMC target range, lower bound", "pct", "daily", "policy"),
        Series("IORB", "Interest on reserve balances (from 2021-07-29)", "pct", "daily", "policy"),
        Series("IOER", "Interest on excess reserves (to 2021-07-28)", "pct", "daily", "policy"),
    ]
}

#: Where the warehouse's history starts (first H.4.1 week in the FRED vintages we use).
HISTORY_START = "2002-12-18"
