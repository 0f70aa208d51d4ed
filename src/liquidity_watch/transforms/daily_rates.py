"""``core.daily_rates``: the price of money, one row per business day with a fixing."""

from __future__ import annotations

import polars as pl

from liquidity_watch.domain.pressure_days import pressure_day_frame
from liquidity_watch.domain.tables.core import DAILY_RATES
from liquidity_watch.transforms.observations import calendar_wide

DAILY_SERIES = {
    "SOFR": "sofr_pct",
    "SOFR1": "sofr_p1_pct",
    "SOFR25": "sofr_p25_pct",
    "SOFR75": "sofr_p75_pct",
    "SOFR99": "sofr_p99_pct",
    "SOFRVOL": "sofr_volume_usd_bn",
    "TGCRRATE": "tgcr_pct",
    "BGCRRATE": "bgcr_pct",
    "RPONTSYD": "repo_ops_takeup_usd_bn",
    "RRPONTSYAWARD": "rrp_award_pct",
    "EFFR": "effr_pct",
    "IORB": "iorb_only_pct",
    "IOER": "ioer_pct",
    "DFEDTARL": "target_lower_pct",
    "DFEDTARU": "target_upper_pct",
}
#: The table's columns in order, from its spec (``domain.tables``).
COLUMNS = DAILY_RATES.column_names


def spread_bp(a: str, b: str) -> pl.Expr:
    """``(a - b) x 100`` in basis points, rounded to 0.01 bp to drop float noise."""
    return ((pl.col(a) - pl.col(b)) * 100).round(2)


def daily_rates(observations: pl.DataFrame) -> pl.DataFrame:
    """Money-market rates against the policy rates, one row per business day.

    A business day is a date with an EFFR or a SOFR fixing: holidays of both calendars
    drop out, and a day that only one rate observes (Good Friday has EFFR, no SOFR) keeps
    a row with the other rate null. ``iorb_pct`` is IORB where it exists, else IOER (the
    rate it replaced on 2021-07-29); ``iorb_series`` says which. ``repo_ops_takeup_usd_mn``
    is the Fed's overnight repo operations (the Standing Repo Facility from 2021-07-29),
    Treasury leg, null on a day without an operation. ``pressure_day`` names the known
    pressure day a date is (``domain.pressure_days``), null on ordinary days.

    Examples
    --------
    >>> import datetime as dt
    >>> d = dt.date(2019, 9, 17)
    >>> obs = pl.DataFrame({"series_id": ["SOFR", "EFFR", "IOER", "DFEDTARU", "DFEDTARL"],
    ...                     "date": [d] * 5, "value": [5.25, 2.30, 2.10, 2.25, 2.00]})
    >>> columns = ["iorb_series", "sofr_minus_iorb_bp", "sofr_minus_target_upper_bp", "pressure_day"]
    >>> daily_rates(obs).select(columns).rows()
    [('IOER', 315.0, 300.0, 'tax_date')]
    """
    return daily_rates_plan(calendar_wide(observations, DAILY_SERIES).lazy()).collect(engine="in-memory")


def daily_rates_plan(days: pl.LazyFrame) -> pl.LazyFrame:
    """``daily_rates`` as a lazy plan over ``calendar_wide`` days holding ``DAILY_SERIES`` (see there)."""
    frame = days.filter(pl.col("effr_pct").is_not_null() | pl.col("sofr_pct").is_not_null())
    frame = frame.with_columns(
        iorb_pct=pl.coalesce("iorb_only_pct", "ioer_pct"),
        iorb_series=pl.when(pl.col("iorb_only_pct").is_not_null())
        .then(pl.lit("IORB"))
        .when(pl.col("ioer_pct").is_not_null())
        .then(pl.lit("IOER"))
        .otherwise(None),
    )
    frame = frame.with_columns(
        sofr_minus_iorb_bp=spread_bp("sofr_pct", "iorb_pct"),
        sofr_minus_target_upper_bp=spread_bp("sofr_pct", "target_upper_pct"),
        effr_minus_iorb_bp=spread_bp("effr_pct", "iorb_pct"),
        tgcr_minus_iorb_bp=spread_bp("tgcr_pct", "iorb_pct"),
        repo_ops_takeup_usd_mn=(pl.col("repo_ops_takeup_usd_bn") * 1000.0).round(3),
    )
    frame = frame.join(pressure_day_frame().lazy(), on="date", how="left")
    return frame.select(COLUMNS)
