"""The warehouse against its table specs: what differs, and the comments applied from them.

The migrations create and alter tables (DDL history, immutable once released); the specs in
``domain.tables`` say what each table and column means. ``db.migrate`` writes the specs'
comments (``comment_statements``) after the migrations, so a comment changes in one place, and
``differences`` lists every way a schema departs from the specs (a test holds a freshly migrated
warehouse to none).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache

import duckdb

from liquidity_watch.domain.tables import SCHEMAS, TABLES, Table

#: (schema, table) -> [(column, type, nullable, comment)] in column order.
_Columns = dict[tuple[str, str], list[tuple[str, str, bool, str | None]]]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _read(con: duckdb.DuckDBPyConnection) -> tuple[dict[tuple[str, str], str | None], _Columns]:
    """Every base table of the spec'd schemas with its comment, and its columns."""
    marks = ", ".join("?" * len(SCHEMAS))
    tables = {
        (schema, name): comment
        for schema, name, comment in con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables()"
            f" WHERE database_name = current_database() AND schema_name IN ({marks})",
            list(SCHEMAS),
        ).fetchall()
    }
    columns: _Columns = {}
    for schema, name, column, dtype, nullable, comment in con.execute(
        "SELECT schema_name, table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns()"
        f" WHERE database_name = current_database() AND schema_name IN ({marks}) ORDER BY column_index",
        list(SCHEMAS),
    ).fetchall():
        if (schema, name) in tables:
            columns.setdefault((schema, name), []).append((column, dtype, nullable, comment))
    return tables, columns


def _keys(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, ...]]:
    rows = con.execute(
        "SELECT schema_name, table_name, constraint_column_names FROM duckdb_constraints()"
        " WHERE database_name = current_database() AND constraint_type = 'PRIMARY KEY'"
    ).fetchall()
    return {(schema, name): tuple(key) for schema, name, key in rows}


def differences(con: duckdb.DuckDBPyConnection, specs: Iterable[Table] | None = None) -> list[str]:
    """One line per way the schema departs from ``specs`` (default: every table spec).

    A line names the table (and column) first: a table or column only one side has, the
    column order, a type, a nullability, a primary key or a comment that differ. With the
    default specs, a table of the core, raw or meta schema without a spec is one too.
    """
    every = specs is None
    specs = list(TABLES.values() if specs is None else specs)
    tables, columns = _read(con)
    keys = _keys(con)
    out: list[str] = []
    if every:
        spec_names = {(t.schema, t.name) for t in specs}
        out += [f"{s}.{n}: in the schema, but no table spec declares it" for s, n in sorted(set(tables) - spec_names)]
    for spec in specs:
        where = (spec.schema, spec.name)
        if where not in tables:
            out.append(f"{spec.qualified}: declared by its spec, but not in the schema")
            continue
        if tables[where] != spec.comment:
            out.append(f"{spec.qualified}: comment is {tables[where]!r} in the schema, {spec.comment!r} in the spec")
        if keys.get(where, ()) != spec.key:
            out.append(f"{spec.qualified}: primary key {keys.get(where, ())} in the schema, {spec.key} in the spec")
        out += _column_differences(spec, columns.get(where, []))
    return out


def _column_differences(spec: Table, actual: list[tuple[str, str, bool, str | None]]) -> list[str]:
    out = []
    declared = {column.name: column for column in spec.columns}
    present = [name for name, *_ in actual]
    out += [f"{spec.qualified}.{name}: in the schema, not in the spec" for name in present if name not in declared]
    out += [f"{spec.qualified}.{name}: in the spec, not in the schema" for name in declared if name not in present]
    common = [name for name in present if name in declared]
    if common != [name for name in declared if name in present]:
        out.append(f"{spec.qualified}: columns in the order {present} in the schema, {list(declared)} in the spec")
    for name, dtype, nullable, comment in actual:
        column = declared.get(name)
        if column is None:
            continue
        if dtype != column.type:
            out.append(f"{spec.qualified}.{name}: type {dtype} in the schema, {column.type} in the spec")
        if nullable != column.nullable:
            said = {True: "nullable", False: "NOT NULL"}
            out.append(f"{spec.qualified}.{name}: {said[nullable]} in the schema, {said[column.nullable]} in the spec")
        if comment != column.comment:
            out.append(f"{spec.qualified}.{name}: comment is {comment!r} in the schema, {column.comment!r} in the spec")
    return out


def comment_statements(con: duckdb.DuckDBPyConnection, specs: Iterable[Table] | None = None) -> list[str]:
    """``COMMENT ON`` for every table and column whose comment differs from its spec (none when equal).

    Only objects that exist are commented: a spec ahead of the migrations is ``differences``' to report.
    """
    tables, columns = _read(con)
    out = []
    for spec in TABLES.values() if specs is None else specs:
        where = (spec.schema, spec.name)
        if where not in tables:
            continue
        target = f"{_quoted(spec.schema)}.{_quoted(spec.name)}"
        if tables[where] != spec.comment:
            out.append(f"COMMENT ON TABLE {target} IS {_literal(spec.comment)}")
        declared = {column.name: column.comment for column in spec.columns}
        for name, _, _, comment in columns.get(where, []):
            if name in declared and comment != declared[name]:
                out.append(f"COMMENT ON COLUMN {target}.{_quoted(name)} IS {_literal(declared[name])}")
    return out


@cache
def fingerprint() -> str:
    """SHA-256 of what ``comment_statements`` writes: every spec'd table's name, comment and column comments."""
    digest = hashlib.sha256()
    for spec in TABLES.values():
        for part in (spec.qualified, spec.comment, *(f"{c.name}={c.comment}" for c in spec.columns)):
            digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def comments_current(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the file says it carries the current specs' comments (``meta.table_specs``)."""
    return con.execute("SELECT fingerprint FROM meta.table_specs").fetchall() == [(fingerprint(),)]


def record_comments(con: duckdb.DuckDBPyConnection) -> None:
    """Remember that the file carries the current specs' comments (inside the caller's transaction)."""
    con.execute("DELETE FROM meta.table_specs")
    con.execute("INSERT INTO meta.table_specs (fingerprint) VALUES (?)", [fingerprint()])
