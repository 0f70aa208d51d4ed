"""Shared input shaping: long ``series_id, date, value`` observations to one column per series."""

from __future__ import annotations

import polars as pl


def wide(observations: pl.DataFrame, series: dict[str, str]) -> pl.DataFrame:
    """One row per date that any of ``series`` observed, one column per series.

    Parameters
    ----------
    observations : long frame with ``series_id``, ``date``, ``value``.
    series : series id -> output column name; a series with no rows gives an all-null column.

    Examples
    --------
    >>> import datetime as dt
    >>> obs = pl.DataFrame({"series_id": ["A", "B"], "date": [dt.date(2019, 9, 18)] * 2, "value": [1.0, 2.0]})
    >>> wide(obs, {"A": "a_pct", "B": "b_pct", "C": "c_pct"}).rows()
    [(datetime.date(2019, 9, 18), 1.0, 2.0, None)]
    """
    return (
        observations.lazy()
        .filter(pl.col("series_id").is_in(list(series)))
        .group_by("date")
        .agg([pl.col("value").filter(pl.col("series_id") == sid).last().alias(column) for sid, column in series.items()])
        .sort("date")
        .collect(engine="in-memory")
    )
