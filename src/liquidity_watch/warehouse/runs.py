"""``meta.runs``: one row per pipeline run, written by the run itself, success or failure."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import working_copy


def new_run_id(now: dt.datetime | None = None) -> str:
    """Sortable and unique: ``20261125T075100Z-1a2b3c``."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    source: str
    started_at: dt.datetime
    as_of: dt.date | None = None
    flow_run_id: str | None = None
    ended_at: dt.datetime | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    status: str = "running"
    error: str | None = None
    summary: str | None = None  # the run's summary as JSON (flows.summary.RunSummary.to_json)

    @classmethod
    def start(cls, source: str, as_of: dt.date | None, flow_run_id: str | None) -> RunRecord:
        now = dt.datetime.now(dt.UTC)
        return cls(new_run_id(now), source, now, as_of, flow_run_id)

    def finish(self, status: str, **changes: Any) -> RunRecord:
        return replace(self, status=status, ended_at=dt.datetime.now(dt.UTC), **changes)


def record_run(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """Insert (or overwrite) the run's row."""
    con.execute(
        "INSERT OR REPLACE INTO meta.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.run_id,
            run.flow_run_id,
            run.started_at,
            run.ended_at,
            run.source,
            run.as_of,
            run.rows_in,
            run.rows_out,
            run.status,
            run.error,
            run.summary,
        ],
    )


def record_validation_results(con: duckdb.DuckDBPyConnection, rows: list[dict[str, object]]) -> None:
    """Append the gate's rows (one per expectation) to ``meta.validation_results``."""
    if not rows:
        return
    import polars as pl

    frame = pl.DataFrame(rows, schema_overrides={"element_count": pl.Int64, "unexpected_count": pl.Int64})
    columns = [
        r[0]
        for r in con.execute(
            "SELECT column_name FROM duckdb_columns()"
            " WHERE schema_name = 'meta' AND table_name = 'validation_results' ORDER BY column_index"
        ).fetchall()
    ]
    con.register("validation_rows", frame.select(columns))
    try:
        con.execute("INSERT INTO meta.validation_results SELECT * FROM validation_rows")
    finally:
        con.unregister("validation_rows")


def record_failed_run(published: Path, run: RunRecord, validation_rows: list[dict[str, object]] | None = None) -> None:
    """Add a failed run's row (and its validation results) to the published warehouse, touching nothing else.

    Goes through the same working-copy swap as a normal run, so readers are never blocked
    and the raw and core tables keep exactly their rows and values. The caller holds the
    write lock.
    """
    with working_copy(published) as work, connection(work) as con:
        record_run(con, run)
        record_validation_results(con, validation_rows or [])
