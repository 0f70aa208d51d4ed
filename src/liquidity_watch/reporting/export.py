"""``liquidity-watch export``: the published warehouse for tools that cannot open a DuckDB 2.0 file.

Every core table and view is written as Parquet (types kept; each column's comment and unit
as Arrow field metadata, the table's comment and the run as file metadata) or CSV, with a
``manifest.json`` naming each file's table, rows, columns (type, unit, comment) and the run
the data came from. ``duckdb`` writes the whole warehouse (every schema, comments included)
as a DuckDB file in the storage format of DuckDB 1.0, which DuckDB 1.0 and newer open.

Each export is one folder that holds that export alone (by default ``var/export/<format>``,
so formats never mix), and its manifest names exactly the files beside it. Everything is read
in one read-only transaction of the published file (a run never changes it in place), written
to a staging folder beside ``out`` and swapped in whole: a reader never sees a half-written
export or files of an older one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb

from liquidity_watch.domain.columns import UNITS, column_unit
from liquidity_watch.warehouse.db import OFFLINE_CONFIG, connection
from liquidity_watch.warehouse.store import require_published

SCHEMA = "core"
MANIFEST = "manifest.json"
#: Where each format's export goes unless ``--out`` says otherwise: ``var/export/<format>``.
DEFAULT_ROOT = Path("var") / "export"
#: The oldest storage format DuckDB 2.0 writes; DuckDB 1.0.0 and every later version read it.
DUCKDB_STORAGE_VERSION = "v1.0.0"


class ExportFormat(StrEnum):
    """What ``export`` writes."""

    PARQUET = "parquet"
    CSV = "csv"
    DUCKDB = "duckdb"


@dataclass(frozen=True)
class ExportedColumn:
    name: str
    type: str
    unit: str | None
    comment: str | None


@dataclass(frozen=True)
class ExportedTable:
    table: str
    kind: str
    file: str
    rows: int
    comment: str | None
    columns: list[ExportedColumn]


def default_folder(export_format: ExportFormat | str) -> Path:
    """The folder an export of ``export_format`` replaces by default.

    >>> default_folder("parquet").as_posix(), default_folder(ExportFormat.DUCKDB).as_posix()
    ('var/export/parquet', 'var/export/duckdb')
    """
    return DEFAULT_ROOT / str(ExportFormat(export_format))


def _replaceable(out: Path, warehouse: Path) -> None:
    """Refuse an ``out`` that holds the warehouse or anything but one earlier export (it is replaced whole)."""
    target = out.resolve()
    if warehouse.resolve().is_relative_to(target):
        raise ValueError(f"--out {out} would replace the warehouse {warehouse} itself; choose another folder")
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    present = {p.name for p in out.iterdir()}
    known: set[str] = set()
    if MANIFEST in present:
        try:
            earlier = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
            # an export written before manifests listed "files" names its files per table
            named = earlier.get("files") or [table["file"] for table in earlier.get("tables", [])]
            known = {MANIFEST, *named}
        except (ValueError, AttributeError, KeyError, TypeError):
            known = set()
    strangers = sorted(present - known)
    if strangers:
        shown = ", ".join(strangers[:3]) + (", ..." if len(strangers) > 3 else "")
        raise ValueError(
            f"--out {out} holds files that are not one export ({shown}) and an export replaces its folder whole; "
            "choose an empty or new folder"
        )


def _swap_in(staging: Path, out: Path) -> None:
    """Put the finished ``staging`` folder where ``out`` is, the older export removed after the swap."""
    if not out.exists():
        os.replace(staging, out)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.replace(out, retired / out.name)
    try:
        os.replace(staging, out)
    except OSError:
        os.replace(retired / out.name, out)  # the older export stays whole rather than none at all
        raise
    finally:
        shutil.rmtree(retired, ignore_errors=True)


def _objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    """``(name, kind, comment)`` of every core table and view, tables first, by name."""
    return [
        (name, kind, comment)
        for name, kind, comment in con.execute(
            "SELECT table_name, 'table', comment FROM duckdb_tables()"
            " WHERE database_name = current_database() AND schema_name = ?"
            " UNION ALL SELECT view_name, 'view', comment FROM duckdb_views()"
            " WHERE database_name = current_database() AND schema_name = ? AND NOT internal"
            " ORDER BY 2, 1",
            [SCHEMA, SCHEMA],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[ExportedColumn]:
    rows = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns()"
        " WHERE database_name = current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [SCHEMA, name],
    ).fetchall()
    return [ExportedColumn(column, dtype, column_unit(column), comment) for column, dtype, comment in rows]


def _last_run(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The completed run that published what is exported (the latest one)."""
    row = con.execute(
        "SELECT run_id, started_at, ended_at, source, as_of FROM meta.runs"
        " WHERE status = 'completed' ORDER BY ended_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    run_id, started, ended, source, as_of = row
    return {
        "run_id": run_id,
        "started_at": started.isoformat() if started else None,
        "ended_at": ended.isoformat() if ended else None,
        "source": source,
        "as_of": as_of.isoformat() if as_of else None,
    }


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _write_parquet(
    con: duckdb.DuckDBPyConnection, name: str, table: ExportedTable, run: dict[str, Any] | None, path: Path
) -> None:
    """The table as Parquet via Arrow: types kept; comments and units as field metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = con.sql(f'SELECT * FROM {SCHEMA}."{name}"').to_arrow_table()
    fields = []
    for field, column in zip(data.schema, table.columns, strict=True):
        metadata = {"comment": column.comment or ""}
        if column.unit:
            metadata["unit"] = column.unit
        fields.append(field.with_metadata(metadata))
    file_metadata = {
        "table": table.table,
        "comment": table.comment or "",
        "run_id": (run or {}).get("run_id") or "",
        "liquidity_watch": json.dumps({"table": table.table, "run": run}),
    }
    pq.write_table(data.cast(pa.schema(fields, metadata=file_metadata)), path)


def export_warehouse(
    warehouse: Path, out: Path | None = None, export_format: ExportFormat | str = ExportFormat.PARQUET
) -> dict[str, Any]:
    """Export the published ``warehouse`` as folder ``out`` (default ``var/export/<format>``), replaced whole.

    Returns the manifest, which is also written as ``manifest.json`` and names exactly the other files.
    """
    export_format = ExportFormat(export_format)
    out = out if out is not None else default_folder(export_format)
    require_published(warehouse)
    _replaceable(out, warehouse)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.export-", dir=out.parent))
    try:
        if export_format is ExportFormat.DUCKDB:
            run, tables = _export_duckdb(warehouse, staging / warehouse.with_suffix(".duckdb").name)
        else:
            run, tables = _export_files(warehouse, staging, export_format)
        manifest = {
            "warehouse": str(warehouse),
            "exported_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "format": str(export_format),
            "liquidity_watch": version("liquidity-watch"),
            "duckdb_storage_version": DUCKDB_STORAGE_VERSION if export_format is ExportFormat.DUCKDB else None,
            "run": run,
            "units": UNITS,
            "files": sorted(p.name for p in staging.iterdir()),
            "tables": [asdict(t) for t in tables],
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; an export is for other tools and people
        _swap_in(staging, out)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_files(
    warehouse: Path, staging: Path, export_format: ExportFormat
) -> tuple[dict[str, Any] | None, list[ExportedTable]]:
    """One Parquet or CSV file per core table and view, all from one read-only snapshot."""
    tables = []
    with connection(warehouse, read_only=True) as con:
        con.execute("BEGIN TRANSACTION")  # one snapshot for every table and the run
        run = _last_run(con)
        for name, kind, comment in _objects(con):
            [(rows,)] = con.execute(f'SELECT count(*) FROM {SCHEMA}."{name}"').fetchall()
            file = f"{SCHEMA}.{name}.{export_format}"
            table = ExportedTable(f"{SCHEMA}.{name}", kind, file, rows, comment, _columns(con, name))
            if export_format is ExportFormat.PARQUET:
                _write_parquet(con, name, table, run, staging / file)
            else:
                con.execute(f'COPY (SELECT * FROM {SCHEMA}."{name}") TO {_quoted(staging / file)} (FORMAT csv, HEADER)')
            tables.append(table)
        con.execute("COMMIT")
    return run, tables


def _export_duckdb(warehouse: Path, target: Path) -> tuple[dict[str, Any] | None, list[ExportedTable]]:
    """Every schema of the warehouse, copied into a new file in DuckDB 1.0's storage format.

    The manifest describes the copy itself (rows counted in the new file).
    """
    con = duckdb.connect(config=dict(OFFLINE_CONFIG))
    try:
        con.execute(f"ATTACH {_quoted(warehouse)} AS lw_source (READ_ONLY)")
        con.execute(f"ATTACH {_quoted(target)} AS lw_export (STORAGE_VERSION '{DUCKDB_STORAGE_VERSION}')")
        con.execute("COPY FROM DATABASE lw_source TO lw_export")
        con.execute("USE lw_export")
        run = _last_run(con)
        tables = []
        for name, kind, comment in _objects(con):
            [(rows,)] = con.execute(f'SELECT count(*) FROM {SCHEMA}."{name}"').fetchall()
            tables.append(ExportedTable(f"{SCHEMA}.{name}", kind, target.name, rows, comment, _columns(con, name)))
        con.execute("USE memory")
        con.execute("DETACH lw_export")
        return run, tables
    finally:
        con.close()
