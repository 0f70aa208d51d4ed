"""Writing ``core.signals`` and ``core.signal_episodes`` (keeping the run that first saw each signal)."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from liquidity_watch.domain.tables.core import SIGNAL_EPISODES
from liquidity_watch.warehouse.db import transaction

# Only rows that are new or whose evaluation changed are written (a run normally adds one
# day). A changed row is updated in place, so it keeps the run that first saw it. Three
# statements and no temporary table: a backfill's ~24,000 rows (now ~42,000) cost DuckDB ~25 MB less.
REMOVED = """
    DELETE FROM core.signals o
    WHERE NOT EXISTS (SELECT 1 FROM new_signals n WHERE n.date = o.date AND n.rule = o.rule)
"""
CHANGED = """
    UPDATE core.signals o
    SET status = n.status, severity = n.severity, inputs = n.inputs::JSON, thresholds = n.thresholds::JSON
    FROM new_signals n
    WHERE o.date = n.date AND o.rule = n.rule
      AND (o.status <> n.status OR o.severity <> n.severity
           OR o.inputs::VARCHAR <> n.inputs OR o.thresholds::VARCHAR <> n.thresholds)
"""
NEW = """
    INSERT INTO core.signals
    SELECT n.date, n.rule, n.status, n.severity, n.inputs::JSON, n.thresholds::JSON, ? AS first_seen_run_id
    FROM new_signals n
    WHERE NOT EXISTS (SELECT 1 FROM core.signals o WHERE o.date = n.date AND o.rule = n.rule)
    ORDER BY n.date, n.rule
"""
#: core.signal_episodes' columns in table order, from its spec ("end" is a keyword: every name is quoted).
EPISODE_COLUMNS = ", ".join(f'"{name}"' for name in SIGNAL_EPISODES.column_names)


def replace_signals(con: duckdb.DuckDBPyConnection, signals: pl.DataFrame, episodes: pl.DataFrame, run_id: str) -> int:
    """Replace both tables in one transaction; ``first_seen_run_id`` survives for (date, rule) rows seen before."""
    con.register("new_signals", signals)
    con.register("new_episodes", episodes)
    try:
        with transaction(con):
            con.execute(REMOVED)
            con.execute(CHANGED)
            con.execute(NEW, [run_id])
            con.execute("DELETE FROM core.signal_episodes")
            if episodes.height:
                con.execute(f"INSERT INTO core.signal_episodes SELECT {EPISODE_COLUMNS} FROM new_episodes")
    finally:
        con.unregister("new_signals")
        con.unregister("new_episodes")
    return signals.height


def unknown_since_published(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The first day of the run of ``unknown`` days that ends at the last day of ``core.signals``;
    None when that day has a grade (or there are no signals yet)."""
    row = con.execute(
        "SELECT min(date) FROM core.signals WHERE date > coalesce("
        "(SELECT max(date) FROM core.signals WHERE severity <> 'unknown'), DATE '0001-01-01')"
        " AND (SELECT severity FROM core.signals ORDER BY date DESC LIMIT 1) = 'unknown'"
    ).fetchone()
    return row[0] if row else None
