"""``liquidity-watch query``: SQL on the published warehouse in a read-only sandbox, started fast (no polars).

What the sandbox allows and refuses is in ``warehouse.sandbox`` and docs/query.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from liquidity_watch.cli.app import (
    OutputFormat,
    WarehouseOption,
    app,
    fail,
    fail_lines,
    first_line,
    one_of,
    print_rows,
    published_warehouse,
    say,
    stdout_console,
)
from liquidity_watch.domain.limits import QUERY_MEMORY_LIMIT, QUERY_TIME_LIMIT_S
from liquidity_watch.locations import setting_value


class QueryFormat(StrEnum):
    """How ``query`` prints a result: for people (a table, or one block per record) or exact (csv, json)."""

    TABLE = "table"
    LINE = "line"
    CSV = "csv"
    JSON = "json"

    @property
    def for_people(self) -> bool:
        return self in {QueryFormat.TABLE, QueryFormat.LINE}


@app.command(short_help="Run read-only SQL in a sandbox on the published warehouse.")
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run read-only on the published warehouse.")],
    format: Annotated[
        str,
        typer.Option(
            help="table (one block per record when wider than the terminal), line (always one block per "
            "record), csv or json (exact values)."
        ),
    ] = QueryFormat.TABLE,
    warehouse: WarehouseOption = None,
    allow_read: Annotated[
        list[Path] | None,
        typer.Option(
            "--allow-read",
            help="Let the SQL read local files in this folder (or this file); repeatable. Off by default.",
        ),
    ] = None,
    time_limit_s: Annotated[
        str | None,
        typer.Option(
            "--time-limit-s",
            help=f"Stop each statement after this many seconds (LW_QUERY_TIME_LIMIT_S; {QUERY_TIME_LIMIT_S:g}).",
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            help=f"DuckDB's memory limit, e.g. 512MB (LW_QUERY_MEMORY_LIMIT; {QUERY_MEMORY_LIMIT}).",
        ),
    ] = None,
) -> None:
    """Run SQL in a read-only sandbox on the published warehouse (never blocked by, and never blocking, a run).

    The SQL cannot write the warehouse or any file, attach or detach databases, install or
    load extensions, change settings or reach the network; it reads local files only
    under --allow-read. A script of several statements runs them in order and prints
    each result (table or line format only).

    Tables show values by the unit in the column's name (money with thousands separators,
    percent with two decimals, basis points signed, NULL empty); csv and json stay exact.

    \b
    Example:
        liquidity-watch query "select * from core.latest_state" --format json
        liquidity-watch query "select * from read_csv('x/my.csv')" --allow-read x
    """
    run_query(sql, format, warehouse, list(allow_read or []), time_limit_s, memory_limit)


def run_query(
    sql: str,
    format: str,
    warehouse: Path | None,
    allow_read: list[Path],
    time_limit_s: str | None = None,
    memory_limit: str | None = None,
) -> None:
    """The body of ``query`` (a limit not given comes from the settings, else its default)."""
    import duckdb

    from liquidity_watch.warehouse import sandbox

    try:
        output = QueryFormat(format)
    except ValueError:
        fail(f"--format must be {one_of(QueryFormat)}, not {format!r}")
    seconds = _time_limit(time_limit_s)
    memory = memory_limit or setting_value("query_memory_limit") or QUERY_MEMORY_LIMIT
    path = published_warehouse(warehouse)
    for item in allow_read:
        if not item.exists():
            fail(f"--allow-read {item} does not exist")
    try:
        script = sandbox.parse(sql)
    except sandbox.QueryRefused as refused:
        fail_lines(refused.lines)
    except (duckdb.Error, ValueError) as exc:
        fail(f"query failed: {first_line(exc)}")
    if len(script) > 1 and not output.for_people:
        fail(
            f"--format {output} prints one result and this SQL holds {len(script)} statements; "
            "run them one at a time, or use --format table to see each result"
        )
    results: list[tuple[list[str], list[tuple[object, ...]]]] = []
    try:
        con = sandbox.connect(path, allow_read, memory)
    except ValueError as exc:
        fail(str(exc))
    except duckdb.Error as exc:
        fail(f"cannot read the warehouse {path}: {sandbox.explain_error(exc)}")
    try:
        for index, statement in enumerate(script.statements):
            where = f"{script.label(index)}: " if len(script) > 1 else ""
            try:
                columns, rows = sandbox.run_bounded(con, statement, time_limit_s=seconds)
            except duckdb.Error as exc:
                fail(f"query failed: {where}{sandbox.explain_error(exc)}")
            except sandbox.QueryStopped as exc:
                fail(f"query stopped: {where}{exc}")
            if columns is None:
                fail(f"{where}the statement returned no rows to show (only queries that return a result are run)")
            results.append((columns, rows))
    finally:
        con.close()
    for index, (columns, rows) in enumerate(results):
        if len(script) > 1:
            say(f"{script.label(index)}:")
        if output.for_people:
            print_for_people(columns, rows, expanded=output is QueryFormat.LINE)
            say(f"{len(rows):,} row(s)")
        else:
            print_rows(columns, rows, OutputFormat(output.value))


def print_for_people(columns: Sequence[str], rows: Sequence[Sequence[object]], *, expanded: bool) -> None:
    """A table when it fits the terminal, else (or when asked) one block per record: no header is ever cut."""
    from liquidity_watch.cli import query_output

    console = stdout_console()
    texts = query_output.cells(columns, rows)
    if expanded or query_output.table_width(columns, texts) > console.width:
        if rows:
            say(query_output.records(columns, texts, console.width))
        return
    console.print(query_output.table(columns, rows, texts))


def _time_limit(flag: str | None) -> float:
    """The time limit: the flag, else ``LW_QUERY_TIME_LIMIT_S``, else the default; one line if not a number."""
    text, where = (flag, "--time-limit-s") if flag else (setting_value("query_time_limit_s"), "LW_QUERY_TIME_LIMIT_S")
    if not text:
        return QUERY_TIME_LIMIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not (0 < seconds < float("inf")):
        fail(f"{where} must be a number of seconds above 0, not {text!r}")
    return seconds
