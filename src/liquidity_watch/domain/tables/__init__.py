"""Every table of the warehouse declared once: name, grain, key, columns with types and comments.

``core`` holds what analysts read, ``raw`` what was landed, ``meta`` what the runs did. The
migrations create and alter the tables; the comments, the transforms' column lists, the quality
gate's structural expectations and docs/warehouse.md come from these declarations, and a test
fails when a freshly migrated warehouse differs from them.
"""

from __future__ import annotations

from liquidity_watch.domain.tables import core, meta, raw
from liquidity_watch.domain.tables.spec import Column, Table

#: Every declared table, keyed ``schema.name``, in the order docs/warehouse.md lists them.
TABLES: dict[str, Table] = {table.qualified: table for table in (*core.TABLES, *raw.TABLES, *meta.TABLES)}
#: The schemas the specs cover; a table in one of them without a spec fails the schema test.
SCHEMAS = ("core", "raw", "meta")

__all__ = ["SCHEMAS", "TABLES", "Column", "Table", "table"]


def table(qualified: str) -> Table:
    """The spec of ``schema.name``; a clear error naming it when there is none."""
    try:
        return TABLES[qualified]
    except KeyError:
        raise KeyError(f"no table spec for {qualified!r} (known: {', '.join(TABLES)})") from None
