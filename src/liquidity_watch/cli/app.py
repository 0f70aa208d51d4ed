"""The typer application and what every command shares: consoles, errors, the warehouse, output."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.locations import warehouse_location

app = typer.Typer(
    help="Watch the Fed's policy rate and balance sheet together; warn when rates fall while liquidity shrinks.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Watch the Fed's policy rate and balance sheet together; warn when rates fall while liquidity shrinks."""


class OutputFormat(StrEnum):
    """How a command prints rows."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


#: ``--warehouse``, shared by every command that reads or writes the warehouse.
WarehouseOption = Annotated[
    Path | None,
    typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb)."),
]
FormatOption = Annotated[str, typer.Option(help="table, csv or json.")]


def stdout_console(width: int | None = None) -> Any:
    """A rich console on stdout, at least ``width`` wide (imported on first use: rich costs 0.15 s)."""
    from rich.console import Console

    console = Console()
    return Console(width=max(console.width, width)) if width else console


def say(message: str) -> None:
    """Print one plain line (no markup, no highlighting) on stdout."""
    stdout_console().print(message, highlight=False, markup=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print ``error: <message>`` on stderr (one line; the message is never read as markup)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True).print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit 1."""
    print_error(message)
    exit_failed()


def exit_failed() -> NoReturn:
    """Exit 1 (after the error lines are printed)."""
    gc.collect()  # free DuckDB objects held by a failed run's traceback before exit
    raise typer.Exit(1)


def one_of(choices: Iterable[str]) -> str:
    """``a, b or c``.

    >>> one_of(OutputFormat)
    'table, csv or json'
    """
    *head, last = [str(c) for c in choices]
    return f"{', '.join(head)} or {last}" if head else last


def check_format(value: str) -> OutputFormat:
    try:
        return OutputFormat(value)
    except ValueError:
        fail(f"--format must be {one_of(OutputFormat)}, not {value!r}")


def parse_date(value: str, flag: str) -> dt.date:
    from liquidity_watch.sources.values import parse_iso_date  # YYYY-MM-DD only, as every input

    try:
        return parse_iso_date(value)
    except ValueError:
        fail(f"{flag} expects a date as YYYY-MM-DD, got {value!r}")


def published_warehouse(flag: Path | None) -> Path:
    """The published warehouse (the flag, else ``$LW_WAREHOUSE``), or exit 1 saying how to build it."""
    path = flag or warehouse_location()
    if not path.exists():
        fail(f"no warehouse at {path}; build it first with: liquidity-watch run")
    return path


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    output: OutputFormat,
    *,
    title: str | None = None,
    width: int = 132,
    wrap: Sequence[str] = (),
) -> None:
    """Rows as csv, json (a list of objects) or a rich table (columns in ``wrap`` may fold)."""
    if output is OutputFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return
    if output is OutputFormat.JSON:
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, default=str) + "\n")
        return
    from rich.table import Table
    from rich.text import Text

    # values and titles as Text: rich would read "[...]" in them as markup
    table = Table(title=Text(title) if title else None, title_justify="left")
    for column in columns:
        table.add_column(Text(column), no_wrap=column not in wrap, overflow="fold")
    for row in rows:
        table.add_row(*[Text("" if v is None else str(v)) for v in row])
    stdout_console(width).print(table)


def main() -> None:
    """The ``liquidity-watch`` entry point."""
    bootstrap()
    app(prog_name="liquidity-watch")
