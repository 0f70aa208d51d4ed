"""``core.weekly_liquidity``: the quantity of money, one row per H.4.1 Wednesday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from functools import lru_cache

import polars as pl

from liquidity_watch.domain.calendars import fed_holidays
from liquidity_watch.domain.tables.core import WEEKLY_LIQUIDITY
from liquidity_watch.transforms.observations import calendar_wide

WEEKLY_SERIES = {
    "WALCL": "total_assets_usd_mn",
    "WSHOSHO": "held_outright_usd_mn",
    "TREAST": "treasuries_usd_mn",
    "WSHOMCB": "mbs_usd_mn",
    "WRESBAL": "reserves_usd_mn",
    "WRBWFRBL": "reserves_wednesday_usd_mn",
    "WDTGAL": "tga_usd_mn",
}
SERIES = {**WEEKLY_SERIES, "RRPONTSYD": "rrp_usd_bn", "TLAACBW027SBOG": "bank_assets_usd_bn"}
#: Weeks of the "52-week high" of reserves (the week itself and the 51 before it).
HIGH_WEEKS = 52
#: The table's columns in order, from its spec (``domain.tables``).
COLUMNS = WEEKLY_LIQUIDITY.column_names


def weekly_liquidity(observations: pl.DataFrame, holidays: Collection[dt.date] | None = None) -> pl.DataFrame:
    """Weekly balance-sheet and liquidity table, one row per Wednesday with total assets.

    Parameters
    ----------
    observations : long ``series_id, date, value`` frame (point in time already applied).
    holidays : Fed holidays for the ON RRP rule; default: the Fed calendar.

    Returns
    -------
    pl.DataFrame
        The columns of ``core.weekly_liquidity`` (see ``COLUMNS``), sorted by week.
        Changes and runoff are taken against the row exactly N weeks earlier (by date,
        not by row position), so a missing week gives a null rather than a wrong window.
        Runoff is only computed between weeks whose securities share one basis.

        ON RRP outstanding (``rrp_usd_mn``; RRPONTSYD is in $bn) is the operation of the
        week's reference day: the Wednesday itself, or, when it is a Fed holiday, the last
        business day before it (that operation matures after the Wednesday). A business
        day without an RRPONTSYD value had no operation: 0. A reference day before the
        first or after the last RRPONTSYD observation is unknown: null.

    Examples
    --------
    >>> d = [dt.date(2019, 9, 11), dt.date(2019, 9, 18)]
    >>> obs = pl.DataFrame({
    ...     "series_id": ["WALCL", "WALCL", "WSHOSHO", "WSHOSHO", "WDTGAL", "WDTGAL", "RRPONTSYD", "RRPONTSYD"],
    ...     "date": d * 4, "value": [100.0, 98.0, 80.0, 77.0, 10.0, 12.0, 0.001, 0.002]})
    >>> weekly_liquidity(obs, holidays=set()).select("net_liquidity_usd_mn", "qt_runoff_1w_usd_mn").rows()
    [(89.0, None), (84.0, 3.0)]
    """
    return weekly_liquidity_plan(calendar_wide(observations, SERIES).lazy(), holidays).collect(engine="in-memory")


def weekly_liquidity_plan(days: pl.LazyFrame, holidays: Collection[dt.date] | None = None) -> pl.LazyFrame:
    """``weekly_liquidity`` as one lazy plan over ``calendar_wide`` days holding ``SERIES`` (see there)."""
    closed = _fed_holidays_series() if holidays is None else pl.Series(sorted(holidays), dtype=pl.Date)
    business_day = (pl.col("date").dt.weekday() <= 5) & ~pl.col("date").is_in(closed.implode())
    rrp_observed = pl.col("date").filter(pl.col("rrp_usd_bn").is_not_null())
    reference_day = pl.when(business_day).then(pl.col("date")).forward_fill()
    rrp_on_reference_day = pl.when(business_day).then(pl.col("rrp_usd_bn").fill_null(0.0)).forward_fill()
    frame = days.with_columns(
        rrp_usd_mn=pl.when(reference_day.is_between(rrp_observed.min(), rrp_observed.max()))
        .then((rrp_on_reference_day * 1000.0).round(3))
        .otherwise(None),
        securities_usd_mn=pl.coalesce(
            pl.col("held_outright_usd_mn"), pl.col("treasuries_usd_mn") + pl.col("mbs_usd_mn")
        ),
        securities_basis=pl.when(pl.col("held_outright_usd_mn").is_not_null())
        .then(pl.lit("held_outright"))
        .when(pl.col("treasuries_usd_mn").is_not_null() & pl.col("mbs_usd_mn").is_not_null())
        .then(pl.lit("treasuries_plus_mbs"))
        .otherwise(None),
    )
    frame = frame.with_columns(
        net_liquidity_usd_mn=pl.col("total_assets_usd_mn") - pl.col("tga_usd_mn") - pl.col("rrp_usd_mn"),
        bank_assets_usd_mn=(pl.col("bank_assets_usd_bn") * 1000.0).round(1),
        # 52 Wednesdays span 358 calendar days; the rows between them are null and skipped
        reserves_52w_high_usd_mn=pl.col("reserves_usd_mn").rolling_max(
            window_size=7 * (HIGH_WEEKS - 1) + 1, min_samples=1
        ),
        **CHANGES,
    )
    frame = frame.with_columns(
        reserves_to_bank_assets_pct=(pl.col("reserves_usd_mn") / pl.col("bank_assets_usd_mn") * 100).round(3),
        reserves_below_52w_high_pct=((1 - pl.col("reserves_usd_mn") / pl.col("reserves_52w_high_usd_mn")) * 100).round(
            2
        ),
    )
    return frame.filter(pl.col("total_assets_usd_mn").is_not_null()).rename({"date": "week_ending"}).select(COLUMNS)


@lru_cache(maxsize=1)
def _fed_holidays_series() -> pl.Series:
    return pl.Series(sorted(fed_holidays()), dtype=pl.Date)


def _changes() -> dict[str, pl.Expr]:
    """Runoff and changes against the calendar day exactly N weeks earlier."""

    def past(column: str, weeks: int) -> pl.Expr:
        return pl.col(column).shift(7 * weeks)

    out: dict[str, pl.Expr] = {}
    for weeks in (1, 4, 13):
        same_basis = past("securities_basis", weeks) == pl.col("securities_basis")
        out[f"qt_runoff_{weeks}w_usd_mn"] = pl.when(same_basis).then(
            past("securities_usd_mn", weeks) - pl.col("securities_usd_mn")
        )
    out["total_assets_change_4w_usd_mn"] = pl.col("total_assets_usd_mn") - past("total_assets_usd_mn", 4)
    for weeks in (4, 13):
        out[f"reserves_change_{weeks}w_usd_mn"] = pl.col("reserves_usd_mn") - past("reserves_usd_mn", weeks)
    return out


CHANGES = _changes()
