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

Checked statement by statement in ``tests/test_query_sandbox.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

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


def connect(path: Path, allow_read: Sequence[Path] = ()) -> duckdb.DuckDBPyConnection:
    """Open ``path`` read-only with every setting above fixed and locked before it is returned."""
    con = duckdb.connect(str(path), read_only=True, config=dict(CONNECT_CONFIG))
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
    return first
