"""The Prefect shell of the pipeline: one flow, and one task per stage of ``stages``.

The run itself (its order, what it writes, when it publishes, what it does after) is
``stages.run``; each task below is one plain stage function made a task and nothing else, so
that Prefect records the stage, its state and its logs. The flow adds what only Prefect has: the
run logger (a task's own inside each task), the run's markdown artifact, the flow run's id,
and a slot of the server's global concurrency limit before the ``flock`` (``writer_slot``).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from prefect import Task, flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liquidity_watch.alerts.ops import on_flow_failure
from liquidity_watch.bootstrap import bootstrap, startup_objects_frozen
from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.revisions import parse_acceptances
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.flows.writer_slot import exclusive_writer
from liquidity_watch.stages import after_publish, steps
from liquidity_watch.stages.context import open_run
from liquidity_watch.stages.replay import as_of_problem, delivers
from liquidity_watch.stages.run import Steps, run
from liquidity_watch.stages.summary import RunSummary

P = ParamSpec("P")
R = TypeVar("R")

ARTIFACT_KEY = "liquidity-watch-run"


def as_task(stage: Callable[P, R], name: str) -> Task[P, R]:
    """One stage as a Prefect task named ``name``: Prefect records its state and its logs, and nothing else.

    No retries: the HTTP client already retries what is worth retrying (timeouts, 429, 5xx),
    and a second layer would multiply the attempts and the waits. No cached or persisted
    result either: raw data live in the warehouse only, never in Prefect's result storage.
    """
    return task(name=name, cache_policy=NO_CACHE)(stage)


TASKS = Steps(
    extract=as_task(steps.extract, "extract"),
    audit_raw=as_task(steps.audit_raw, "audit-raw"),
    land=as_task(steps.land, "land-raw"),
    transform=as_task(steps.transform, "transform"),
    audit_core=as_task(steps.audit_core, "audit-core"),
    write_core=as_task(steps.write_core, "write-core"),
    signals=as_task(steps.signals, "signals"),
    queue=as_task(steps.queue, "queue-alerts"),
    record=as_task(steps.record, "record-run"),
    deliver=as_task(after_publish.deliver, "deliver-alerts"),
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
