"""The pipeline flow: extract -> land raw -> transform -> publish core -> record the run.

Tasks are thin wrappers over plain functions in ``sources``, ``warehouse`` and
``transforms``; everything a run writes goes to a private working copy of the warehouse,
which replaces the published file in one ``os.replace`` at the end (``warehouse.store``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liquidity_watch.calendars import end_of_day
from liquidity_watch.settings import Settings
from sources.errors import FetchError
from sources.extract import SOURCE_KINDS, extract
from sources.payload import Payload
from transforms.core_tables import build_core_tables
from warehouse.core import CORE_TABLES, publish_core
from warehouse.db import connect
from warehouse.raw import LandResult, land, last_dates, observations_as_of
from warehouse.runs import RunRecord, record_failed_run, record_run
from warehouse.store import remove_stale_work_files, working_copy, write_lock


def retry_only_transport_errors(task: object, task_run: object, state: object) -> bool:
    """Retry the extract task when a source could not be reached, never when its content was bad."""
    try:
        state.result()  # re-raises the task's exception
    except FetchError:
        return True
    except Exception:
        return False
    return False


@task(
    name="extract",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=retry_only_transport_errors,
    cache_policy=NO_CACHE,
)
def extract_task(
    source: str, settings: Settings, last_stored: dict[str, dt.date], snapshot_dir: Path | None, end: dt.date | None
) -> list[Payload]:
    logger = get_run_logger()

    def progress(message: str, done: int, total: int) -> None:
        logger.info("[%d/%d] %s", done, total, message)

    return extract(source, settings, last_stored, snapshot_dir=snapshot_dir, end=end, progress=progress)


@task(name="land-raw", cache_policy=NO_CACHE)
def land_task(con: duckdb.DuckDBPyConnection, payloads: list[Payload], run_id: str) -> LandResult:
    return land(con, payloads, run_id)


@task(name="transform", cache_policy=NO_CACHE)
def transform_task(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> dict[str, pl.DataFrame]:
    observations = observations_as_of(con, end_of_day(as_of) if as_of else None)
    return build_core_tables(observations)


@task(name="publish-core", cache_policy=NO_CACHE)
def publish_task(con: duckdb.DuckDBPyConnection, tables: dict[str, pl.DataFrame]) -> dict[str, int]:
    return publish_core(con, tables)


def summarize(con: duckdb.DuckDBPyConnection, landed: LandResult, counts: dict[str, int], as_of: dt.date | None) -> dict:
    latest = {
        name: str(con.execute(f"SELECT max({col}) FROM core.{name}").fetchone()[0])
        for name, col in CORE_TABLES.items()
    }
    return {
        "tables": {name: {"rows": counts[name], "latest": latest[name]} for name in CORE_TABLES},
        "observations_fetched": landed.rows_in,
        "observations_inserted": landed.inserted,
        "observations_changed": landed.changed,
        "payloads_unchanged": landed.payloads_skipped,
        "as_of": str(as_of) if as_of else None,
    }


@flow(name="liquidity-watch", log_prints=True)
def pipeline(
    source: str = "snapshot",
    snapshot_dir: str | None = None,
    warehouse: str | None = None,
    as_of: dt.date | None = None,
) -> dict:
    """Run the pipeline once and return a summary (rows and latest date per core table).

    Parameters
    ----------
    source : ``live`` (NY Fed + Board + FRED), ``fred`` (FRED only) or ``snapshot``.
    snapshot_dir : folder of FRED-format CSVs for ``source=snapshot``; default: bundled.
    warehouse : published DuckDB file; default: ``LW_WAREHOUSE`` or ``var/liquidity.duckdb``.
    as_of : build the core tables from what had been published by the end of this day.
    """
    if source not in SOURCE_KINDS:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SOURCE_KINDS)}")
    settings = Settings()
    published = Path(warehouse) if warehouse else settings.warehouse
    published.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    run = RunRecord.start(source, as_of, str(flow_run.id) if flow_run.id else None)
    logger = get_run_logger()
    logger.info("run %s: source=%s warehouse=%s as_of=%s", run.run_id, source, published, as_of)
    with write_lock(published, settings.lock_wait_s):
        stale = remove_stale_work_files(published)
        if stale:
            logger.warning("removed %d working file(s) left by a run that died: %s", len(stale), [p.name for p in stale])
        try:
            with working_copy(published) as work:
                con = connect(work)
                try:
                    payloads = extract_task(
                        source, settings, last_dates(con), Path(snapshot_dir) if snapshot_dir else None, as_of
                    )
                    landed = land_task(con, payloads, run.run_id)
                    tables = transform_task(con, as_of)
                    counts = publish_task(con, tables)
                    summary = summarize(con, landed, counts, as_of)
                    summary["run_id"] = run.run_id
                    summary["warehouse"] = str(published)
                    summary["seconds"] = round(time.perf_counter() - started, 2)
                    run = run.finish("completed", rows_in=landed.rows_in, rows_out=landed.rows_out, summary=summary)
                    record_run(con, run)
                finally:
                    con.close()
                    del con  # a failed state keeps this frame alive; let the connection go now
        except Exception as exc:
            record_failed_run(published, run.finish("failed", error=f"{type(exc).__name__}: {exc}"))
            raise
    logger.info("run %s completed in %.2f s", run.run_id, summary["seconds"])
    return summary
