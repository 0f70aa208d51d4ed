"""Writing the analyst tables: replace every ``core`` table's rows in one transaction.

A run writes them into its working copy; they reach readers only with the publish (the swap).
"""

from __future__ import annotations

import duckdb
import polars as pl

from liquidity_watch.domain.tables.core import BUILT
from liquidity_watch.warehouse.db import transaction

#: core table -> the column its rows are ordered by: its key (one column: the grain is a day or a week).
CORE_TABLES = {table.name: table.key[0] for table in BUILT}


def replace_core(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    """Replace the rows of each core table with ``tables[name]``; all or nothing.

    Columns are matched by name against the table's schema in the warehouse, so a
    transform that drops or renames a column fails here instead of writing it.
    """
    missing = sorted(set(CORE_TABLES) - set(tables))
    if missing:
        raise ValueError(f"core tables missing from this run: {missing}")
    counts: dict[str, int] = {}
    with transaction(con):
        for name, order in CORE_TABLES.items():
            frame = tables[name]
            declared = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns()"
                    " WHERE schema_name = 'core' AND table_name = ? ORDER BY column_index",
                    [name],
                ).fetchall()
            ]
            if sorted(declared) != sorted(frame.columns):
                raise ValueError(
                    f"core.{name}: columns {sorted(frame.columns)} differ from the schema {sorted(declared)}"
                )
            con.register("core_frame", frame.select(declared).sort(order))
            con.execute(f"DELETE FROM core.{name}")
            con.execute(f"INSERT INTO core.{name} SELECT * FROM core_frame")
            con.unregister("core_frame")
            counts[name] = frame.height
    return counts


def latest_dates(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The latest date (as text, ``None`` when empty) of each core table's grain column."""
    return {
        name: str(row[0]) if (row := con.execute(f"SELECT max({column}) FROM core.{name}").fetchone()) else "None"
        for name, column in CORE_TABLES.items()
    }


def read_core(con: duckdb.DuckDBPyConnection, name: str) -> pl.DataFrame:
    """A core table as polars, in grain order."""
    if name not in CORE_TABLES:
        raise ValueError(f"unknown core table {name!r}")
    frame: pl.DataFrame = con.sql(f"SELECT * FROM core.{name} ORDER BY {CORE_TABLES[name]}").pl()
    return frame
