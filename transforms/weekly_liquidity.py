"""``core.weekly_liquidity``: the quantity of money, one row per H.4.1 Wednesday."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import polars as pl

from liquidity_watch.calendars import fed_holidays
from transforms.observations import wide

WEEKLY_SERIES = {
    "WALCL": "total_assets_usd_mn",
    "WSHOSHO": "held_outright_usd_mn",
    "TREAST": "treasuries_usd_mn",
    "WSHOMCB": "mbs_usd_mn",
    "WRESBAL": "reserves_usd_mn",
    "WRBWFRBL": "reserves_wednesday_usd_mn",
    "WDTGAL": "tga_usd_mn",
}
COLUMNS = [
    "week_ending",
    "total_assets_usd_mn",
    "securities_usd_mn",
    "securities_basis",
    "treasuries_usd_mn",
    "mbs_usd_mn",
    "reserves_usd_mn",
    "reserves_wednesday_usd_mn",
    "tga_usd_mn",
    "rrp_usd_mn",
    "net_liquidity_usd_mn",
    "qt_runoff_1w_usd_mn",
    "qt_runoff_4w_usd_mn",
    "qt_runoff_13w_usd_mn",
    "total_assets_change_4w_usd_mn",
    "reserves_change_4w_usd_mn",
    "reserves_change_13w_usd_mn",
]


def rrp_on_wednesdays(
    observations: pl.DataFrame, wednesdays: pl.Series, holidays: Collection[dt.date] | None = None
) -> pl.DataFrame:
    """ON RRP outstanding on each Wednesday, in $mn (RRPONTSYD is in $bn).

    A business day without an RRPONTSYD value had no operation: 0. A Wednesday that is a
    Fed holiday carries the previous business day's operation, which matures after it.
    Wednesdays whose reference business day lies before the first or after the last
    observation are unknown (null).

    Examples
    --------
    >>> obs = pl.DataFrame({"series_id": ["RRPONTSYD"], "date": [dt.date(2019, 12, 24)], "value": [0.5]})
    >>> days = pl.Series([dt.date(2019, 12, 18), dt.date(2019, 12, 25)])
    >>> rrp_on_wednesdays(obs, days, holidays={dt.date(2019, 12, 25)}).rows()
    [(datetime.date(2019, 12, 18), None), (datetime.date(2019, 12, 25), 500.0)]
    """
    closed = fed_holidays() if holidays is None else holidays
    rrp = observations.filter(pl.col("series_id") == "RRPONTSYD").select("date", "value").sort("date")
    if rrp.height == 0:
        return pl.DataFrame({"week_ending": wednesdays, "rrp_usd_mn": pl.Series([None] * len(wednesdays), dtype=pl.Float64)})
    first, last = rrp["date"].min(), rrp["date"].max()

    # the reference day: the Wednesday itself, or the last Fed business day before it
    span = pl.date_range(wednesdays.min() - dt.timedelta(days=10), wednesdays.max(), "1d", eager=True).alias("day")
    open_days = (
        pl.DataFrame({"day": span})
        .filter((pl.col("day").dt.weekday() <= 5) & ~pl.col("day").is_in(list(closed)))
        .with_columns(ref=pl.col("day"))
    )
    frame = (
        pl.DataFrame({"week_ending": wednesdays})
        .sort("week_ending")
        .join_asof(open_days, left_on="week_ending", right_on="day", strategy="backward")
        .drop("day")
    )
    frame = frame.join(rrp, left_on="ref", right_on="date", how="left")
    known = pl.col("ref").is_between(first, last)
    return frame.select(
        "week_ending",
        rrp_usd_mn=pl.when(known).then((pl.col("value").fill_null(0.0) * 1000.0).round(3)).otherwise(None),
    )


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

    Examples
    --------
    >>> d = [dt.date(2019, 9, 11), dt.date(2019, 9, 18)]
    >>> obs = pl.DataFrame({
    ...     "series_id": ["WALCL", "WALCL", "WSHOSHO", "WSHOSHO", "WDTGAL", "WDTGAL", "RRPONTSYD", "RRPONTSYD"],
    ...     "date": d * 4, "value": [100.0, 98.0, 80.0, 77.0, 10.0, 12.0, 0.001, 0.002]})
    >>> weekly_liquidity(obs, holidays=set()).select("net_liquidity_usd_mn", "qt_runoff_1w_usd_mn").rows()
    [(89.0, None), (84.0, 3.0)]
    """
    frame = wide(observations, WEEKLY_SERIES).rename({"date": "week_ending"})
    frame = frame.filter(pl.col("total_assets_usd_mn").is_not_null())
    frame = frame.join(rrp_on_wednesdays(observations, frame["week_ending"], holidays), on="week_ending", how="left")
    frame = frame.with_columns(
        securities_usd_mn=pl.coalesce(
            pl.col("held_outright_usd_mn"), pl.col("treasuries_usd_mn") + pl.col("mbs_usd_mn")
        ),
        securities_basis=pl.when(pl.col("held_outright_usd_mn").is_not_null())
        .then(pl.lit("held_outright"))
        .when(pl.col("treasuries_usd_mn").is_not_null() & pl.col("mbs_usd_mn").is_not_null())
        .then(pl.lit("treasuries_plus_mbs"))
        .otherwise(None),
        net_liquidity_usd_mn=pl.col("total_assets_usd_mn") - pl.col("tga_usd_mn") - pl.col("rrp_usd_mn"),
    )
    frame = _add_changes(frame)
    return frame.select(COLUMNS).sort("week_ending")


def _add_changes(frame: pl.DataFrame) -> pl.DataFrame:
    """Runoff and changes against the same table N weeks earlier, joined on the date."""
    for weeks in (1, 4, 13):
        past = frame.select(
            (pl.col("week_ending") + pl.duration(weeks=weeks)).alias("week_ending"),
            pl.col("securities_usd_mn").alias("sec_past"),
            pl.col("securities_basis").alias("basis_past"),
            pl.col("total_assets_usd_mn").alias("ta_past"),
            pl.col("reserves_usd_mn").alias("res_past"),
        )
        frame = frame.join(past, on="week_ending", how="left")
        same_basis = pl.col("basis_past") == pl.col("securities_basis")
        new = {f"qt_runoff_{weeks}w_usd_mn": pl.when(same_basis).then(pl.col("sec_past") - pl.col("securities_usd_mn"))}
        if weeks in (4, 13):
            new[f"reserves_change_{weeks}w_usd_mn"] = pl.col("reserves_usd_mn") - pl.col("res_past")
        if weeks == 4:
            new["total_assets_change_4w_usd_mn"] = pl.col("total_assets_usd_mn") - pl.col("ta_past")
        frame = frame.with_columns(**new).drop("sec_past", "basis_past", "ta_past", "res_past")
    return frame
