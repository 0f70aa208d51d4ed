"""Shared input shaping: long ``series_id, date, value`` observations laid on a calendar, one column per series."""

from __future__ import annotations

import numpy as np
import polars as pl


def calendar_wide(observations: pl.DataFrame, series: dict[str, str]) -> pl.DataFrame:
    """One row per calendar day from the first to the last date any of ``series`` observed.

    Each series becomes one column, null on the days it did not observe. Laying the
    values on every calendar day makes "N weeks earlier" a shift by 7N rows and "the
    last business day before" a forward fill: exact by date, without self-joins.

    Parameters
    ----------
    observations : long frame with ``series_id``, ``date``, ``value``; at most one value
        per series and date (``raw.observations``' primary key). A NaN value counts as missing.
    series : series id -> output column name; a series with no rows gives an all-null column.

    Raises
    ------
    ValueError
        A series with two values for one date, naming the series and the date.

    Examples
    --------
    >>> import datetime as dt
    >>> obs = pl.DataFrame({"series_id": ["A", "B", "A"], "value": [1.0, 2.0, 3.0],
    ...                     "date": [dt.date(2019, 9, 18), dt.date(2019, 9, 18), dt.date(2019, 9, 20)]})
    >>> calendar_wide(obs, {"A": "a_pct", "B": "b_pct", "C": "c_pct"}).rows()  # doctest: +NORMALIZE_WHITESPACE
    [(datetime.date(2019, 9, 18), 1.0, 2.0, None), (datetime.date(2019, 9, 19), None, None, None),
     (datetime.date(2019, 9, 20), 3.0, None, None)]
    """
    ids = list(series)
    # one code per requested series, the rest (null) left out: a scatter into a (series x day)
    # matrix pivots in one pass, whatever the history's length
    code = observations["series_id"].cast(pl.Enum(ids), strict=False).to_physical().fill_null(len(ids)).to_numpy()
    keep = code < len(ids)
    if not keep.any():
        return pl.DataFrame(schema={"date": pl.Date, **dict.fromkeys(series.values(), pl.Float64)})
    code = code[keep]
    day = observations["date"].to_physical().to_numpy()[keep]
    first = int(day.min())
    offset = day - first
    n_days = int(offset.max()) + 1
    cell = code.astype(np.int64) * n_days + offset
    if np.bincount(cell, minlength=len(ids) * n_days).max() > 1:
        rows = observations.filter(pl.col("series_id").is_in(ids))
        twice = rows.filter(pl.struct("series_id", "date").is_duplicated()).row(0, named=True)
        raise ValueError(f"series {twice['series_id']} has more than one value for {twice['date']}")
    grid = np.full((len(ids), n_days), np.nan)
    grid.flat[cell] = observations["value"].to_numpy()[keep]
    columns = {"date": pl.Series("date", np.arange(first, first + n_days, dtype=np.int32)).cast(pl.Date)}
    for i, column in enumerate(series.values()):
        columns[column] = pl.Series(column, grid[i], nan_to_null=True)
    return pl.DataFrame(columns)
