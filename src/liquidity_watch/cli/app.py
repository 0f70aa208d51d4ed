"""The typer application and what every command shares: consoles, errors, the warehouse, output."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import json
import logging
import signal
import sys
from collections.abc import Iterable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.locations import run_command, warehouse_location

app = typer.Typer(
    help="Watch the Fed's policy rate and balance sheet together; warn when rates fall while liquidity shrinks.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    # click's own help: it rewraps paragraphs to the terminal (at most 80 columns) and never cuts an
    # option or a word, where rich's panels squeeze option help into a narrow column and cut it with "…"
    rich_markup_mode=None,
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


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: <message>`` on stderr and exit ``code`` (1 unless told)."""
    fail_lines([message], code)


def fail_lines(messages: Sequence[str], code: int = 1) -> NoReturn:
    """Print one ``error: <message>`` line per message on stderr and exit ``code``."""
    for message in messages:
        print_error(message)
    exit_failed(code)


def exit_failed(code: int = 1) -> NoReturn:
    """Exit ``code`` (after the error lines are printed; ``main`` frees what the failure left)."""
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``warning: <message>`` on stderr (plain text, never markup)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True).print(Text.assemble(("warning:", "bold yellow"), " ", message), soft_wrap=True)


def first_line(exc: BaseException) -> str:
    """An exception's message on one line (its type when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextlib.contextmanager
def reading_warehouse(path: Path) -> Iterator[None]:
    """Turn a warehouse DuckDB cannot read (not a DuckDB file, locked, an older or foreign schema) into one line."""
    import duckdb

    try:
        yield
    except duckdb.Error as exc:
        fail(f"cannot read the warehouse {path}: {first_line(exc)}")
    except IsADirectoryError:
        fail(f"cannot read the warehouse {path}: it is a folder, not a DuckDB file")
    except PermissionError as exc:
        fail(f"cannot read the warehouse {path}: {exc.strerror or first_line(exc)}")


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
        fail(f"no warehouse at {path}; build it first with: {run_command(path)}")
    if path.is_dir():
        fail(f"cannot read the warehouse {path}: it is a folder, not a DuckDB file")
    from liquidity_watch.warehouse.store import NotARegularFile, check_regular

    try:
        check_regular(path)  # a device or a FIFO would never end, or never answer
    except NotARegularFile as exc:
        fail(str(exc))
    return path


def cell(value: object) -> str:
    """One value as text: lists, structs and maps as JSON (dates and decimals as their text), None as empty.

    >>> cell([dt.date(2019, 9, 17), None]), cell({"a": 1}), cell(None), cell(2.5)
    ('["2019-09-17", null]', '{"a": 1}', '', '2.5')
    """
    if value is None:
        return ""
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    return str(value)


def plain(text: str) -> Any:
    """``text`` as a rich ``Text``: shown as written, never read as markup (``[/]`` in a value is just text)."""
    from rich.text import Text

    return Text(text)


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
        writer.writerows([cell(v) for v in row] for row in rows)
        return
    if output is OutputFormat.JSON:
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, default=str) + "\n")
        return
    from rich.table import Table

    table = Table(title=plain(title) if title else None, title_justify="left")
    for column in columns:
        table.add_column(plain(column), no_wrap=column not in wrap, overflow="fold")
    for row in rows:
        table.add_row(*[plain(cell(v)) for v in row])
    stdout_console(width).print(table)


#: the signals a command stops on, with how the line names them; the exit status is 128 + the number
STOP_SIGNALS = {signal.SIGINT: "interrupted (Ctrl-C)", signal.SIGTERM: "terminated (SIGTERM)"}


class _Stop:
    """Which stop signal came, if any: each one raises ``KeyboardInterrupt``, so every ``finally`` and
    every handler that cleans up on Ctrl-C (a run's working copy, Prefect's temporary server, a
    query's DuckDB statement) does so for SIGTERM too."""

    received: int | None = None

    @classmethod
    def handler(cls, signum: int, frame: object) -> None:
        cls.received = signum
        # from here on the command is ending: Prefect's log worker may find the run's temporary
        # server gone (Ctrl-C reaches it too), and its failures must not print around the one line
        logging.raiseExceptions = False
        raise KeyboardInterrupt


def stop_requested() -> bool:
    """Whether Ctrl-C or SIGTERM came: the command ends with that line alone (``main`` prints it)."""
    return _Stop.received is not None


def stopped_line(signum: int) -> str:
    """The one line a stopped command ends with.

    >>> stopped_line(signal.SIGTERM)
    'terminated (SIGTERM): the command stopped; a run publishes nothing it had not finished'
    """
    return f"{STOP_SIGNALS[signal.Signals(signum)]}: the command stopped; a run publishes nothing it had not finished"


def main() -> None:
    """The ``liquidity-watch`` entry point: one line and exit 130 on Ctrl-C, 143 on SIGTERM, never a traceback."""
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:  # a job started with Ctrl-C ignored keeps ignoring it
            signal.signal(signum, _Stop.handler)
    code: int | str | None
    try:
        bootstrap()
        app(prog_name="liquidity-watch")
        code = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:  # outside typer's own handling (while it starts, or while a result prints)
        code = 130
    except Exception:
        if _Stop.received is None:
            raise
        code = 1  # the signal's own doing: DuckDB, for one, turns it into "Query interrupted"; the one line follows
    if _Stop.received is not None or code == 130:
        logging.raiseExceptions = False  # as in the handler: nothing prints after the one line
        number = int(_Stop.received or signal.SIGINT)
        with contextlib.suppress(Exception):
            print_error(stopped_line(number))
        code = 128 + number
    if code not in (None, 0):
        # free DuckDB objects held in a failed command's traceback cycles before the
        # interpreter shuts down (DuckDB's bindings report objects alive at exit as leaks)
        gc.collect()
    raise SystemExit(code)
