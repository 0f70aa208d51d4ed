"""The Prefect shell of the pipeline: one flow, and one task per stage of ``stages``.

The run itself (its order, what it writes, when it publishes, what it does after) is
``stages.run``; each task below calls one plain stage function and nothing else, so that
Prefect records the stage, its state and its logs. The flow adds what only Prefect has: the
run logger (a task's own inside each task), the run's markdown artifact, the flow run's id,
and a slot of the server's global concurrency limit before the ``flock`` (``writer_slot``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liquidity_watch.alerts.dispatch import DeliveryReport
from liquidity_watch.alerts.ops import on_flow_failure
from liquidity_watch.alerts.outbox import OutboxRow
from liquidity_watch.bootstrap import bootstrap, startup_objects_frozen
from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.revisions import parse_acceptances
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.expectations.gate import SuiteResult, Validator
from liquidity_watch.flows.writer_slot import exclusive_writer
from liquidity_watch.sources.extract import Extraction
from liquidity_watch.stages import after_publish, steps
from liquidity_watch.stages.context import RunContext as Ctx
from liquidity_watch.stages.context import open_run
from liquidity_watch.stages.replay import as_of_problem, delivers
from liquidity_watch.stages.run import Steps, run
from liquidity_watch.stages.summary import RunSummary, TableCount
from liquidity_watch.warehouse.raw import LandResult
from liquidity_watch.warehouse.runs import RunRecord

ARTIFACT_KEY = "liquidity-watch-run"
Tables = dict[str, pl.DataFrame]


# No task retries: the HTTP client already retries what is worth retrying (timeouts, 429, 5xx),
# and a second layer would multiply the attempts and the waits. No cached or persisted
# result either: raw data live in the warehouse only, never in Prefect's result storage.
@task(name="extract", cache_policy=NO_CACHE)
def extract_task(ctx: Ctx, work: Path) -> Extraction:
    return steps.extract(ctx, work)


@task(name="audit-raw", cache_policy=NO_CACHE)
def audit_raw_task(ctx: Ctx, validator: Validator, work: Path, fresh: list[Payload]) -> SuiteResult:
    return steps.audit_raw(ctx, validator, work, fresh)


@task(name="land-raw", cache_policy=NO_CACHE)
def land_task(ctx: Ctx, work: Path, fresh: list[Payload]) -> LandResult:
    return steps.land(ctx, work, fresh)


@task(name="transform", cache_policy=NO_CACHE)
def transform_task(ctx: Ctx, work: Path) -> Tables:
    return steps.transform(ctx, work)


@task(name="audit-core", cache_policy=NO_CACHE)
def audit_core_task(validator: Validator, tables: Tables, before: list[SuiteResult]) -> list[SuiteResult]:
    return steps.audit_core(validator, tables, before)


@task(name="write-core", cache_policy=NO_CACHE)
def write_core_task(work: Path, tables: Tables, results: list[SuiteResult]) -> dict[str, TableCount]:
    return steps.write_core(work, tables, results)


@task(name="signals", cache_policy=NO_CACHE)
def signals_task(ctx: Ctx, work: Path, tables: Tables) -> steps.Evaluated:
    return steps.signals(ctx, work, tables)


@task(name="queue-alerts", cache_policy=NO_CACHE)
def queue_alerts_task(ctx: Ctx, work: Path, evaluated: pl.DataFrame, found: pl.DataFrame) -> steps.Queued:
    return steps.queue(ctx, work, evaluated, found)


@task(name="record-run", cache_policy=NO_CACHE)
def record_task(work: Path, run: RunRecord) -> None:
    return steps.record(work, run)


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_task(ctx: Ctx, rows: list[OutboxRow], tables: Tables, found: pl.DataFrame, end: dt.date) -> DeliveryReport:
    return after_publish.deliver(ctx, rows, tables, found, end)


TASKS = Steps(
    extract=extract_task,
    audit_raw=audit_raw_task,
    land=land_task,
    transform=transform_task,
    audit_core=audit_core_task,
    write_core=write_core_task,
    signals=signals_task,
    queue=queue_alerts_task,
    record=record_task,
    deliver=deliver_task,
)


class RunLogger(logging.LoggerAdapter[logging.Logger]):
    """The logger of the Prefect run in progress, looked up at each line.

    Inside a task it is the task run's, so Prefect files a stage's lines (the extract's progress
    and retries, the landed revisions, the printed alerts) under its task; elsewhere the flow run's.
    """

    def __init__(self) -> None:
        super().__init__(logging.getLogger("prefect.flow_runs"))

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        get_run_logger().log(level, msg, *args, **kwargs)

    def isEnabledFor(self, level: int) -> bool:
        return get_run_logger().isEnabledFor(level)


def artifact(markdown: str, description: str | None) -> None:
    """The run's page in Prefect's UI: one markdown artifact under the same key for every run."""
    create_markdown_artifact(markdown, key=ARTIFACT_KEY, description=description)


@flow(name="liquidity-watch", log_prints=True, on_failure=[on_flow_failure])
def pipeline(
    source: str = SourceKind.SNAPSHOT,
    snapshot_dir: str | None = None,
    warehouse: str | None = None,
    as_of: dt.date | None = None,
    accept_revisions: list[str] | None = None,
    strict_sources: bool | None = None,
    deliver: bool | None = None,
    export_parquet_to: str | None = None,
) -> RunSummary:
    """Run the pipeline once and return its summary.

    Parameters
    ----------
    source : ``live`` (NY Fed + Board + FRED), ``fred`` (FRED only) or ``snapshot``.
    snapshot_dir : folder of FRED-format CSVs for ``source=snapshot``; default: bundled.
    warehouse : DuckDB file to write; default: ``LW_WAREHOUSE`` or ``var/liquidity.duckdb``, and for an
        ``as_of`` run a warehouse of its own beside it (``liquidity.as-of-<day>.duckdb``).
    as_of : build the core tables from what had been known by the end of this day (2003-01-02 to today).
    accept_revisions : ``SERIES:START:END`` ranges whose revisions this run may land above
        the revision guard (recorded in ``meta.revision_acceptances``).
    strict_sources : primary sources or nothing (no failover to FRED); default: ``LW_STRICT_SOURCES``.
    deliver : send alerts to Slack; default: yes for a run of today, no for an ``as_of`` replay (printed instead).
    export_parquet_to : after the publish, write every core table and view as Parquet into this folder
        (``liquidity-watch export --format parquet``) for readers on other machines; a failure is a warning.
    """
    if source not in set(SourceKind):
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SourceKind)}")
    problem = as_of_problem(as_of, today_new_york())
    if problem:
        raise ValueError(problem)
    accepted = parse_acceptances(accept_revisions)
    bootstrap(pipeline=True)
    with startup_objects_frozen():
        ctx = open_run(
            SourceKind(source),
            snapshot_dir=Path(snapshot_dir) if snapshot_dir else None,
            warehouse=Path(warehouse) if warehouse else None,
            as_of=as_of,
            strict_sources=strict_sources,
            accepted=accepted,
            to_slack=delivers(as_of, deliver),
            export_to=Path(export_parquet_to) if export_parquet_to else None,
            flow_run_id=str(flow_run.id) if flow_run.id else None,
            log=RunLogger(),
            artifact=artifact,
        )
        flow_run_id = uuid.UUID(flow_run.id) if flow_run.id else None
        # the server's global limit (several hosts), then the flock (this host): both released after the last publish
        return run(ctx, TASKS, lambda: exclusive_writer(ctx.paths.published, ctx.settings.lock_wait_s, flow_run_id))
