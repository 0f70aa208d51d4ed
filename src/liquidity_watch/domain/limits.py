"""The bounds of ``liquidity-watch query``, defined once: the sandbox applies them, the command names them."""

from __future__ import annotations

#: A statement stops after this many seconds unless told otherwise: the warehouse is tens of
#: megabytes and its largest documented queries read it in about a second.
QUERY_TIME_LIMIT_S = 120.0
#: DuckDB's memory limit for a query (nothing spills to disk, so a query over it stops).
QUERY_MEMORY_LIMIT = "2GB"
#: Rows a statement may return: more is an export, not a query (``liquidity-watch export``).
QUERY_MAX_ROWS = 1_000_000
