"""Opening the warehouse: versioned SQL migrations, applied in order on a writable connect."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

from liquidity_watch.resources import migrations_dir
from liquidity_watch.warehouse.spec import comment_statements, comments_current, record_comments

_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

# Offline by design: never try to download an extension (DuckDB 2.0 has none on PyPI).
OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All statements in the block commit together or not at all.

    DuckDB 2.0 runs a multi-statement batch in auto-commit mode, so every step that must be
    atomic says so explicitly.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def migrations() -> list[tuple[int, str, str]]:
    """``(version, file name, sql)`` for every migration file, in version order."""
    found = []
    folder = migrations_dir()
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise RuntimeError(f"migration file {path.name} is not named NNN_name.sql")
        found.append((int(match.group(1)), path.name, path.read_text()))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {folder}: {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; return their names.

    Then the table specs' comments, where they differ, in one transaction: the migrations keep
    the DDL's history, the specs (``domain.tables``) say what each table and column means. A file
    that already carries the current specs' comments is not compared again (one lookup).
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS meta")
    con.execute(
        "CREATE TABLE IF NOT EXISTS meta.schema_migrations"
        " (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    applied = {row[0] for row in con.execute("SELECT version FROM meta.schema_migrations").fetchall()}
    done = []
    for version, name, sql in migrations():
        if version in applied:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO meta.schema_migrations (version, name) VALUES (?, ?)", [version, name])
        done.append(name)
    if done or not comments_current(con):
        with transaction(con):
            for statement in comment_statements(con):
                con.execute(statement)
            record_comments(con)
    return done


def connect(path: Path | str, *, read_only: bool = False, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; a writable connection is migrated to the newest schema first.

    ``threads`` caps DuckDB's worker threads for this connection (default: one per core).
    """
    config: dict[str, str | bool | int | float | list[str]] = dict(OFFLINE_CONFIG)
    if threads is not None:
        config["threads"] = threads
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    if not read_only:
        migrate(con)
    return con


@contextlib.contextmanager
def connection(
    path: Path | str, *, read_only: bool = False, threads: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """``connect`` as a context manager that always closes (closing checkpoints a writer)."""
    con = connect(path, read_only=read_only, threads=threads)
    try:
        yield con
    finally:
        con.close()
