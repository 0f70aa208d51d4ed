"""Publishing ``core.signals`` and ``core.signal_episodes`` (keeping the run that first saw each signal)."""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.db import transaction

# Only rows that are new or whose evaluation changed are rewritten (a run normally adds one
# day); a changed row keeps the run that first saw it.
CHANGED = """
    CREATE OR REPLACE TEMP TABLE changed_signals AS
    SELECT n.date, n.rule, n.status, n.severity, n.inputs::JSON AS inputs, n.thresholds::JSON AS thresholds,
           coalesce(o.first_seen_run_id, ?) AS first_seen_run_id
    FROM new_signals n LEFT JOIN core.signals o USING (date, rule)
    WHERE o.date IS NULL OR o.status <> n.status OR o.severity <> n.severity
       OR o.inputs::VARCHAR <> n.inputs OR o.thresholds::VARCHAR <> n.thresholds
"""
EPISODE_COLUMNS = 'start, "end", days, peak_severity, peak_date, escalated_on, triggers, is_open'


def publish_signals(con: duckdb.DuckDBPyConnection, signals: pl.DataFrame, episodes: pl.DataFrame, run_id: str) -> int:
    """Replace both tables in one transaction; ``first_seen_run_id`` survives for (date, rule) rows seen before."""
    con.register("new_signals", signals)
    con.register("new_episodes", episodes)
    try:
        with transaction(con):
            con.execute(CHANGED, [run_id])
            con.execute("DELETE FROM core.signals o WHERE NOT EXISTS (SELECT 1 FROM new_signals n WHERE n.date = o.date AND n.rule = o.rule)")
            con.execute("DELETE FROM core.signals o USING changed_signals c WHERE o.date = c.date AND o.rule = c.rule")
            con.execute("INSERT INTO core.signals SELECT * FROM changed_signals ORDER BY date, rule")
            con.execute("DELETE FROM core.signal_episodes")
            if episodes.height:
                con.execute(f"INSERT INTO core.signal_episodes SELECT {EPISODE_COLUMNS} FROM new_episodes")
            con.execute("DROP TABLE changed_signals")
    finally:
        con.unregister("new_signals")
        con.unregister("new_episodes")
    return signals.height
