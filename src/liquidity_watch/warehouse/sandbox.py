"""A sandboxed, read-only DuckDB connection for ``liquidity-watch query``: SQL from anyone, harm to nothing.

Two layers, both DuckDB's own:

1. **Settings**, fixed before any user SQL runs and then locked (``lock_configuration``:
   every later ``SET``/``RESET``/``PRAGMA`` of a setting is refused by DuckDB):
   the file is opened ``read_only``; ``enable_external_access=false`` stops reading or
   writing files, installing or loading extensions and any network access; by default
   ``disabled_filesystems='LocalFileSystem'`` also stops attaching the warehouse again
   read-write (DuckDB keeps the database's own path allowed); autoinstall and autoload
   are off; nothing spills to a temporary directory; no Python objects are scanned.
   With ``allow_read`` (the ``--allow-read`` opt-in), those folders or files become
   ``allowed_directories``/``allowed_paths`` and may be read.
2. **Statement types**, from DuckDB's parser (``duckdb.extract_statements``): only
   statements that read (``SELECT``, ``EXPLAIN``, ``CALL`` of a table function, ``PIVOT``)
   run. ``ATTACH``/``DETACH`` (which the settings alone do not stop for in-memory
   databases), ``COPY``, ``EXPORT``, ``INSTALL``/``LOAD``, ``SET``/``USE``, ``PRAGMA``
   (``IMPORT DATABASE`` is one, and runs the SQL files it reads), writes and DDL are
   refused before anything runs, each with a one-line reason.

Bounds: every statement runs under a time limit (``QUERY_TIME_LIMIT_S``; the query's
``--time-limit-s``, ``LW_QUERY_TIME_LIMIT_S``) and a memory limit (DuckDB's ``memory_limit``,
``QUERY_MEMORY_LIMIT``; ``--memory-limit``, ``LW_QUERY_MEMORY_LIMIT``), and returns at most
``QUERY_MAX_ROWS`` rows. The statement runs in a worker thread while the calling thread waits, so
that the time limit, Ctrl-C and SIGTERM can interrupt DuckDB (``interrupt()``) instead of
waiting for it: DuckDB does not look at Python's signals while it works.

Checked statement by statement in ``tests/test_query_sandbox.py``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from liquidity_watch.domain.limits import QUERY_MAX_ROWS, QUERY_MEMORY_LIMIT, QUERY_TIME_LIMIT_S

#: Settings given at connect time.
CONNECT_CONFIG: dict[str, str | bool] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_persistent_secrets": False,
    "python_enable_replacements": False,  # no scans of Python variables by name
    "temp_directory": "",  # nothing spills to disk
}

_T = duckdb.StatementType

#: Statement types that only read.
ALLOWED: frozenset[duckdb.StatementType] = frozenset({_T.SELECT, _T.EXPLAIN, _T.CALL})
#: DuckDB parses any statement holding a PIVOT as MULTI (the PIVOT expands to several statements),
#: whatever wraps it - ``CREATE TABLE ... AS PIVOT`` and ``COPY (PIVOT ...) TO`` too. A MULTI
#: statement runs only when it starts as a query does.
QUERY_KEYWORDS = frozenset({"SELECT", "WITH", "FROM", "PIVOT", "UNPIVOT", "VALUES", "TABLE"})

#: Why each other kind of statement is refused (one line each).
REASONS: dict[duckdb.StatementType, str] = {
    _T.ATTACH: "attaching databases is not allowed",
    _T.DETACH: "detaching databases is not allowed",
    _T.COPY: "COPY is not allowed: query writes no files and reads only with --allow-read",
    _T.COPY_DATABASE: "COPY FROM DATABASE is not allowed",
    _T.EXPORT: "EXPORT DATABASE is not allowed: query writes no files",
    _T.LOAD: "installing or loading extensions is not allowed",
    _T.EXTENSION: "installing or loading extensions is not allowed",
    _T.SET: "changing settings (SET, RESET, USE) is not allowed",
    _T.VARIABLE_SET: "SET VARIABLE is not allowed",
    _T.PRAGMA: "PRAGMA is not allowed (IMPORT DATABASE is one); use SELECT * FROM pragma_<name>(), SHOW or DESCRIBE",
    _T.PREPARE: "prepared statements are not allowed",
    _T.EXECUTE: "prepared statements are not allowed",
    _T.TRANSACTION: "transactions are not needed: the warehouse is read-only",
}


class QueryRefused(ValueError):
    """One or more statements of a script were refused; ``lines`` holds one line per refused statement."""

    def __init__(self, lines: list[str]):
        super().__init__("; ".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Script:
    """The statements of one SQL script, each with its position (1-based) and its text on one line."""

    statements: list[duckdb.Statement]

    def __len__(self) -> int:
        return len(self.statements)

    def label(self, index: int) -> str:
        """``statement 2 (ATTACH ':memory:' AS m)``: which one, in a line."""
        return f"statement {index + 1} ({one_line(self.statements[index].query)})"


def one_line(sql: str, width: int = 60) -> str:
    """A statement on one line, shortened to ``width`` characters.

    >>> one_line("select *\\n  from t;  ")
    'select * from t'
    """
    text = " ".join(sql.split()).rstrip("; ")
    return text if len(text) <= width else text[: width - 3] + "..."


def first_keyword(sql: str) -> str:
    """The statement's first word, upper case, past comments, blanks and opening parentheses.

    >>> first_keyword("( select 1)"), first_keyword("/* x */ create temp table t as pivot t on k")
    ('SELECT', 'CREATE')
    """
    text = sql
    while True:
        text = text.lstrip().lstrip("(").lstrip()
        if text.startswith("--"):
            text = text.split("\n", 1)[1] if "\n" in text else ""
        elif text.startswith("/*"):
            text = text.split("*/", 1)[1] if "*/" in text else ""
        else:
            break
    word = text.split(None, 1)[0] if text.split() else ""
    return "".join(ch for ch in word if ch.isalpha()).upper()


def refusal(statement: duckdb.Statement) -> str | None:
    """Why ``statement`` may not run in the sandbox, or None if it only reads."""
    if statement.type in ALLOWED:
        return None
    if statement.type is _T.MULTI:
        first = first_keyword(statement.query)
        if first in QUERY_KEYWORDS:
            return None
        return f"the warehouse is read-only: {first or 'this statement'} is not allowed"
    return REASONS.get(
        statement.type, f"the warehouse is read-only: {statement.type.name.replace('_', ' ')} is not allowed"
    )


def parse(sql: str) -> Script:
    """Split ``sql`` into statements with DuckDB's parser and refuse the script if any statement may not run.

    Raises
    ------
    duckdb.ParserException
        The SQL does not parse.
    QueryRefused
        One line per refused statement; nothing has run.
    ValueError
        The script holds no statement.
    """
    statements = list(duckdb.extract_statements(sql))
    if not statements:
        raise ValueError("the SQL holds no statement")
    script = Script(statements)
    refused = [
        f"{script.label(i)} refused: {reason}"
        for i, statement in enumerate(statements)
        if (reason := refusal(statement)) is not None
    ]
    if refused:
        raise QueryRefused(refused)
    return script


#: a size DuckDB's ``memory_limit`` reads
_SIZE = re.compile(r"[0-9]+(\.[0-9]+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


class QueryStopped(RuntimeError):
    """A statement passed a bound (time, rows) and was stopped; the message names the bound and how to change it."""


def connect(
    path: Path, allow_read: Sequence[Path] = (), memory_limit: str = QUERY_MEMORY_LIMIT
) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only with every setting above fixed and locked before it is returned.

    Raises
    ------
    ValueError
        ``memory_limit`` is not a size DuckDB reads (``2GB``, ``512MB``).
    """
    if not _SIZE.fullmatch(memory_limit.strip()):
        raise ValueError(f"the memory limit {memory_limit!r} is not a size such as 2GB or 512MB")
    config: dict[str, str | bool] = {**CONNECT_CONFIG, "memory_limit": memory_limit.strip()}
    con = duckdb.connect(str(path), read_only=True, config=config)  # type: ignore[arg-type]  # str | bool values
    try:
        folders = [str(p.resolve()).rstrip("/") + "/" for p in allow_read if p.is_dir()]
        files = [str(p.resolve()) for p in allow_read if not p.is_dir()]
        if folders:
            con.execute("SET allowed_directories = ?", [folders])
        if files:
            con.execute("SET allowed_paths = ?", [files])
        con.execute("SET enable_external_access = false")
        if not allow_read:
            con.execute("SET disabled_filesystems = 'LocalFileSystem'")
        con.execute("SET lock_configuration = true")
    except BaseException:
        con.close()
        raise
    return con


def run_bounded(
    con: duckdb.DuckDBPyConnection,
    statement: duckdb.Statement,
    *,
    time_limit_s: float = QUERY_TIME_LIMIT_S,
    max_rows: int = QUERY_MAX_ROWS,
) -> tuple[list[str] | None, list[tuple[object, ...]]]:
    """Run one statement and fetch its rows within the bounds: ``(columns, rows)``; columns ``None`` if it returns none.

    Raises
    ------
    QueryStopped
        The time limit passed, or the result has more than ``max_rows`` rows.
    duckdb.Error
        What DuckDB said (a memory limit hit is an ``OutOfMemoryException``).
    KeyboardInterrupt, or whatever a signal handler raises
        After the statement was interrupted and its thread has ended.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def work() -> None:
        try:
            result = con.execute(statement)
            if result.description is None:
                outcome["columns"] = None
                return
            rows: list[tuple[object, ...]] = []
            while chunk := result.fetchmany(10_000):
                rows += chunk
                if len(rows) > max_rows:
                    outcome["too_many"] = True
                    return
            outcome["columns"], outcome["rows"] = [d[0] for d in result.description], rows
        except BaseException as exc:  # handed to the waiting thread, which raises it
            outcome["error"] = exc
        finally:
            done.set()

    # waited on through an Event, not Thread.join: a join that a signal interrupts can leave
    # the thread marked as ended while it still runs (CPython before 3.13)
    threading.Thread(target=work, name="liquidity-watch-query", daemon=True).start()
    deadline = time.monotonic() + time_limit_s
    try:
        while not done.wait(min(max(deadline - time.monotonic(), 0.0), 0.5)):
            if time.monotonic() >= deadline:
                _stop_statement(con, done, None)
                how = "raise it with --time-limit-s or LW_QUERY_TIME_LIMIT_S"
                raise QueryStopped(f"it ran {time_limit_s:g} s, the time limit ({how})")
    except BaseException:
        _stop_statement(con, done, 10.0)  # a signal interrupts the wait, not DuckDB: stop the statement too
        raise
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if outcome.get("too_many"):
        raise QueryStopped(f"the result has more than {max_rows:,} rows; add a LIMIT, or use liquidity-watch export")
    return outcome.get("columns"), outcome.get("rows", [])  # type: ignore[return-value]


def _stop_statement(con: duckdb.DuckDBPyConnection, done: threading.Event, max_s: float | None) -> None:
    """Interrupt ``con`` until the statement's thread ends (or ``max_s`` passes).

    ``interrupt()`` stops only a statement already running: one sent while the thread is still
    starting it is lost, so it is sent again until the thread says it is done.
    """
    deadline = None if max_s is None else time.monotonic() + max_s
    con.interrupt()
    while not done.wait(0.1):
        if deadline is not None and time.monotonic() >= deadline:
            return
        con.interrupt()


def explain_error(exc: duckdb.Error) -> str:
    """DuckDB's message on one line, with the way out when the sandbox itself said no."""
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.PermissionException):
        if "LocalFileSystem has been disabled" in first or "file system operations are disabled" in first:
            return f"{first} (reading local files is off; allow a folder or file with --allow-read PATH)"
        if "extensions is disabled" in first:
            return f"{first} (extensions cannot be loaded from query)"
    if "configuration has been locked" in first:
        return f"{first} (settings are fixed in query)"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return f"{first} (the memory limit; raise it with --memory-limit or LW_QUERY_MEMORY_LIMIT)"
    return first
