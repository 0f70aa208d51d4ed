"""Cross-series identities of the raw observations, on the days where every series of an identity exists.

* SOFR is the volume-weighted median of the same trades as its percentiles, so it lies
  between its own 25th and 75th percentiles (``sofr_outside_iqr_bp`` is how far outside).
* ON RRP (RRPONTSYD, $bn) is part of the H.4.1 reverse repurchase agreements line (WLRRAL,
  $mn); the rest is the foreign official pool, so on a Wednesday the difference
  (``h41_reverse_repos_less_on_rrp_usd_mn``) is the foreign pool: never negative, and never
  far above what that pool has held.

The balance-sheet identities of the core table (securities, reserves, TGA and reverse repos
each at most total assets) are checked on ``core.weekly_liquidity`` (``suites``).
"""

from __future__ import annotations

import polars as pl

#: series -> the identity columns its rows carry
IDENTITY_SERIES: dict[str, tuple[str, ...]] = {
    "SOFR": ("sofr_outside_iqr_bp",),
    "SOFR25": ("sofr_outside_iqr_bp",),
    "SOFR75": ("sofr_outside_iqr_bp",),
    "WLRRAL": ("h41_reverse_repos_less_on_rrp_usd_mn",),
    "RRPONTSYD": ("h41_reverse_repos_less_on_rrp_usd_mn",),
}
IDENTITY_COLUMNS = ("sofr_outside_iqr_bp", "h41_reverse_repos_less_on_rrp_usd_mn")


def _wide(context: pl.DataFrame, series: list[str]) -> pl.DataFrame:
    frame = context.filter(pl.col("series_id").is_in(series))
    wide = frame.pivot(on="series_id", index="date", values="value") if frame.height else pl.DataFrame()
    for sid in series:
        if sid not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(sid))
    if "date" not in wide.columns:
        wide = wide.with_columns(pl.lit(None, dtype=pl.Date).alias("date"))
    return wide


def identity_columns(context: pl.DataFrame) -> pl.DataFrame:
    """``series_id, date`` and the identity columns for rows of ``IDENTITY_SERIES`` (null where not applicable)."""
    sofr = _wide(context, ["SOFR", "SOFR25", "SOFR75"]).select(
        "date",
        sofr_outside_iqr_bp=(
            pl.max_horizontal(pl.col("SOFR25") - pl.col("SOFR"), pl.col("SOFR") - pl.col("SOFR75"), pl.lit(0.0)) * 100
        ).round(2),
    )
    repo = (
        _wide(context, ["WLRRAL", "RRPONTSYD"])
        .filter(pl.col("date").dt.weekday() == 3)
        .select("date", h41_reverse_repos_less_on_rrp_usd_mn=(pl.col("WLRRAL") - pl.col("RRPONTSYD") * 1000).round(3))
    )
    rows = context.filter(pl.col("series_id").is_in(list(IDENTITY_SERIES))).select("series_id", "date")
    rows = rows.join(sofr, on="date", how="left").join(repo, on="date", how="left")
    keep = {sid: set(cols) for sid, cols in IDENTITY_SERIES.items()}
    return rows.with_columns(
        [
            pl.when(pl.col("series_id").is_in([s for s, cols in keep.items() if column in cols]))
            .then(pl.col(column))
            .otherwise(None)
            .alias(column)
            for column in IDENTITY_COLUMNS
        ]
    )
