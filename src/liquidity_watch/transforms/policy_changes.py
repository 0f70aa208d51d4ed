"""``core.policy_changes``: one row per change of the FOMC target range."""

from __future__ import annotations

import polars as pl

from liquidity_watch.domain.tables.core import POLICY_CHANGES
from liquidity_watch.transforms.observations import calendar_wide

SERIES = {"DFEDTARL": "target_lower_pct", "DFEDTARU": "target_upper_pct"}
#: The table's columns in order, from its spec.
COLUMNS = POLICY_CHANGES.column_names


def policy_changes(observations: pl.DataFrame) -> pl.DataFrame:
    """Days on which the target range differs from the previous observed day.

    Uses the dates where both bounds are observed (daily from FRED, business days from
    the NY Fed's EFFR records); the first observed range is a start, not a change.

    Examples
    --------
    >>> import datetime as dt
    >>> d = [dt.date(2019, 7, 31), dt.date(2019, 8, 1), dt.date(2019, 8, 2)]
    >>> obs = pl.DataFrame({"series_id": ["DFEDTARU"] * 3 + ["DFEDTARL"] * 3, "date": d * 2,
    ...                     "value": [2.50, 2.25, 2.25, 2.25, 2.00, 2.00]})
    >>> policy_changes(obs).rows()
    [(datetime.date(2019, 8, 1), 2.25, 2.5, 2.0, 2.25, -25.0)]
    """
    return policy_changes_plan(calendar_wide(observations, SERIES).lazy()).collect(engine="in-memory")


def policy_changes_plan(days: pl.LazyFrame) -> pl.LazyFrame:
    """``policy_changes`` as a lazy plan over ``calendar_wide`` days holding ``SERIES`` (see there)."""
    frame = days.select("date", new_lower_pct="target_lower_pct", new_upper_pct="target_upper_pct")
    frame = frame.drop_nulls(["new_lower_pct", "new_upper_pct"])
    frame = frame.with_columns(
        old_lower_pct=pl.col("new_lower_pct").shift(1),
        old_upper_pct=pl.col("new_upper_pct").shift(1),
    )
    changed = (pl.col("new_lower_pct") != pl.col("old_lower_pct")) | (
        pl.col("new_upper_pct") != pl.col("old_upper_pct")
    )
    frame = frame.filter(changed).with_columns(
        change_bp=((pl.col("new_upper_pct") - pl.col("old_upper_pct")) * 100).round(2)
    )
    return frame.select(COLUMNS)
