"""All core tables from one set of point-in-time observations."""

from __future__ import annotations

import polars as pl

from liquidity_watch.domain.catalog import HISTORY_START
from liquidity_watch.transforms import daily_rates, policy_changes, weekly_liquidity
from liquidity_watch.transforms.observations import calendar_wide


def _all_series() -> dict[str, str]:
    """Every series a core table reads -> its column in the shared wide frame (one name each)."""
    merged: dict[str, str] = {}
    for series in (weekly_liquidity.SERIES, daily_rates.DAILY_SERIES, policy_changes.SERIES):
        for sid, column in series.items():
            if merged.setdefault(sid, column) != column:
                raise ValueError(f"series {sid} is read as both {merged[sid]} and {column}")
    return merged


ALL_SERIES = _all_series()
#: Series whose history starts long before the warehouse's (H.8 bank assets: 1973) are read
#: from its first week on: older rows would only widen the calendar grid, not any table.
FROM_HISTORY_START = ("TLAACBW027SBOG",)


def build_core_tables(observations: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """``{table name: frame}`` for every table in the ``core`` schema.

    The observations are laid on the calendar once (``calendar_wide``); the three tables
    are planned on those days and computed together.
    """
    old = pl.col("series_id").is_in(FROM_HISTORY_START) & (pl.col("date") < HISTORY_START)
    days = calendar_wide(observations.filter(~old), ALL_SERIES).lazy()
    plans = {
        "weekly_liquidity": weekly_liquidity.weekly_liquidity_plan(days),
        "daily_rates": daily_rates.daily_rates_plan(days),
        "policy_changes": policy_changes.policy_changes_plan(days),
    }
    return dict(zip(plans, pl.collect_all(plans.values(), engine="in-memory"), strict=True))
