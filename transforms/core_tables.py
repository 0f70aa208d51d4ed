"""All core tables from one set of point-in-time observations."""

from __future__ import annotations

import polars as pl

from transforms.daily_rates import daily_rates
from transforms.policy_changes import policy_changes
from transforms.weekly_liquidity import weekly_liquidity


def build_core_tables(observations: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """``{table name: frame}`` for every table in the ``core`` schema."""
    return {
        "weekly_liquidity": weekly_liquidity(observations),
        "daily_rates": daily_rates(observations),
        "policy_changes": policy_changes(observations),
    }
