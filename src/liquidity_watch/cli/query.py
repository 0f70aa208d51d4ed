"""``liquidity-watch query``: SQL on the published warehouse, read-only, started fast (no polars, no pydantic)."""

from __future__ import annotations

from typing import Annotated

import typer

from liquidity_watch.cli.app import (
    FormatOption,
    OutputFormat,
    WarehouseOption,
    app,
    check_format,
    fail,
    print_rows,
    published_warehouse,
    say,
)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run read-only on the published warehouse.")],
    format: FormatOption = OutputFormat.TABLE,
    warehouse: WarehouseOption = None,
) -> None:
    """Run SQL read-only on the published warehouse (never blocked by, and never blocking, a run).

    \b
    Example:
        liquidity-watch query "select * from core.latest_state" --format json
    """
    import duckdb

    from liquidity_watch.warehouse.db import OFFLINE_CONFIG

    output = check_format(format)
    path = published_warehouse(warehouse)
    try:
        con = duckdb.connect(str(path), read_only=True, config=dict(OFFLINE_CONFIG))
        try:
            result = con.execute(sql)
            if result.description is None:
                fail("the statement returned no rows to show (only queries that return a result are supported)")
            columns = [d[0] for d in result.description]
            rows = result.fetchall()
        finally:
            con.close()
    except duckdb.Error as exc:
        fail(f"query failed: {str(exc).splitlines()[0]}")
    print_rows(columns, rows, output, width=160, wrap=columns)
    if output is OutputFormat.TABLE:
        say(f"{len(rows):,} row(s)")
