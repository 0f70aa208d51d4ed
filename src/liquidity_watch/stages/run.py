"""The run's order, written once: the stages before the publish, the publish, then the steps after it.

Write, audit, publish: everything a run writes goes to a private working copy of the
warehouse (``warehouse.store``), the Great Expectations suites gate it, and only a run
whose every suite passes replaces the published file, in one ``os.replace`` (``publish``).
A failed run publishes nothing; it only appends its ``meta.runs`` row and validation results
(``record_failed_run``), leaves its page and its Data Docs, and raises.

``run`` calls each stage through ``Steps``: the plain functions by default (no Prefect, no
server), the Prefect tasks that wrap them under the flow. The writer (who may write the
warehouse) is given the same way: the ``flock`` alone by default, the flow's global
concurrency slot and then the ``flock`` under Prefect.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch import failpoints
from liquidity_watch.alerts.redaction import describe
from liquidity_watch.domain.freshness import Freshness
from liquidity_watch.domain.payload import Payload
from liquidity_watch.expectations.gate import QualityGateFailed, SuiteResult, Validator
from liquidity_watch.expectations.gate import validation_rows as rows_of
from liquidity_watch.sources.errors import SourcesUnavailable
from liquidity_watch.sources.extract import Extraction
from liquidity_watch.stages import after_publish, steps
from liquidity_watch.stages.after_publish import Deliver, Published
from liquidity_watch.stages.context import RunContext
from liquidity_watch.stages.replay import seed_replay
from liquidity_watch.stages.summary import AlertOutcome, RunSummary, TableCount, failure_markdown
from liquidity_watch.warehouse.raw import LandResult
from liquidity_watch.warehouse.runs import RunRecord, record_failed_run
from liquidity_watch.warehouse.store import (
    WriteAccess,
    discard,
    open_working_copy,
    publish,
    remove_stale_work_files,
    write_lock,
)

Tables = dict[str, pl.DataFrame]
Writer = Callable[[], AbstractContextManager[WriteAccess]]


@dataclass(frozen=True)
class Steps:
    """The stages ``run`` calls: plain functions by default; the Prefect shell passes its tasks instead."""

    extract: Callable[[RunContext, Path], Extraction] = steps.extract
    audit_raw: Callable[[RunContext, Validator, Path, list[Payload]], SuiteResult] = steps.audit_raw
    land: Callable[[RunContext, Path, list[Payload]], LandResult] = steps.land
    transform: Callable[[RunContext, Path], Tables] = steps.transform
    audit_core: Callable[[Validator, Tables, list[SuiteResult]], list[SuiteResult]] = steps.audit_core
    write_core: Callable[[Path, Tables, list[SuiteResult]], dict[str, TableCount]] = steps.write_core
    signals: Callable[[RunContext, Path, Tables], steps.Evaluated] = steps.signals
    queue: Callable[[RunContext, Path, pl.DataFrame, pl.DataFrame], steps.Queued] = steps.queue
    record: Callable[[Path, RunRecord], None] = steps.record
    deliver: Deliver = after_publish.deliver


PLAIN = Steps()


def flock(ctx: RunContext) -> Writer:
    """The writer without a Prefect server: this host's ``flock`` on the warehouse, within ``LW_LOCK_WAIT_S``."""

    @contextlib.contextmanager
    def writer() -> Iterator[WriteAccess]:
        started = time.monotonic()
        with write_lock(ctx.paths.published, ctx.settings.lock_wait_s):
            yield WriteAccess(None, 0.0, round(time.monotonic() - started, 3))

    return writer


def run(ctx: RunContext, stages: Steps = PLAIN, writer: Writer | None = None) -> RunSummary:
    """Run the pipeline once and return its summary; raise what failed it (after recording the failure)."""
    announce(ctx)
    with (writer or flock(ctx))() as access:
        published = write(ctx, stages, access)
        summary = after_publish.after_publish(ctx, published, stages.deliver)
    return after_publish.finish(ctx, published, summary)


def announce(ctx: RunContext) -> None:
    """Log what the run is about to do, and what in its settings differs from the defaults."""
    log = ctx.log
    log.info("run %s: source=%s warehouse=%s as_of=%s", ctx.run_id, ctx.source, ctx.paths.published, ctx.as_of)
    for note in ctx.thresholds.notes:  # keys a user's older thresholds file lacks take their documented default
        log.warning("%s", note)
    for change in ctx.thresholds.changes:
        log.info("threshold differs from the packaged default: %s", change)
    for problem in ctx.slack.problems:
        log.warning("Slack setting: %s (that destination is skipped; the run goes on)", problem)


def prepare(ctx: RunContext, access: WriteAccess) -> None:
    """Holding the writer: start a replay warehouse from the published one, remove a dead run's working files."""
    log, published = ctx.log, ctx.paths.published
    if access.limit:
        log.info(
            "writer: global concurrency limit %s after %.2f s, flock after %.2f s",
            access.limit,
            access.limit_wait_s,
            access.flock_wait_s,
        )
    if ctx.as_of is not None and seed_replay(published, ctx.settings.warehouse):
        log.info(
            "replay warehouse %s starts as a copy of %s (every version it landed)", published, ctx.settings.warehouse
        )
    leftovers = remove_stale_work_files(published)
    if leftovers:
        log.warning("removed %d working file(s) left by a run that died: %s", len(leftovers), leftovers)


class Audit:
    """The run's validator (made when the first audit starts) and every suite's result so far.

    A failed run records these: the results in ``meta.validation_results``, the validator's Data Docs.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.validator: Validator | None = None
        self.results: list[SuiteResult] = []

    def start(self) -> Validator:
        self.validator = Validator(self.run_id)
        return self.validator


@dataclass(frozen=True)
class Gated:
    """What passed the quality gate: the extraction, what of it was new, what landed, and the core tables."""

    extraction: Extraction
    fresh: list[Payload]
    landed: LandResult
    tables: Tables
    results: list[SuiteResult]
    validator: Validator


def through_gate(ctx: RunContext, stages: Steps, work: Path, audit: Audit) -> Gated:
    """Extract, audit raw, land, transform, audit core, in ``work``; raise at the first failing suite."""
    timer = ctx.timer
    with timer("extract"):
        extraction = stages.extract(ctx, work)
    with timer("validate"):
        validator = audit.start()
        fresh = steps.fresh_of(work, extraction.payloads)
        audit.results.append(stages.audit_raw(ctx, validator, work, fresh))
    with timer("load"):
        landed = stages.land(ctx, work, fresh)
    with timer("transform"):
        tables = stages.transform(ctx, work)
    with timer("validate"):
        audit.results += stages.audit_core(validator, tables, audit.results)
    return Gated(extraction, fresh, landed, tables, list(audit.results), validator)


def write(ctx: RunContext, stages: Steps, access: WriteAccess) -> Published:
    """Every stage before the publish, in the working copy, then the publish; a failure is recorded and raised."""
    prepare(ctx, access)
    timer = ctx.timer
    # a replay without --deliver sends nothing to Slack: its settings cannot spoil it
    warnings = [f"Slack setting: {problem}" for problem in ctx.slack.problems] if ctx.to_slack else []
    audit = Audit(ctx.run_id)
    run = ctx.run
    try:
        copy = open_working_copy(ctx.paths.published)
        try:
            work = copy.work
            gated = through_gate(ctx, stages, work, audit)
            with timer("publish"):
                counts = stages.write_core(work, gated.tables, gated.results)
            with timer("signals"):
                evaluated = stages.signals(ctx, work, gated.tables)
            with timer("alerts"):
                queued = stages.queue(ctx, work, evaluated.evaluated, evaluated.found)
                if queued.lost is not None:
                    ctx.log.warning("%s", queued.lost.line())
                    warnings.append(queued.lost.line())
            stale = steps.stale_series(ctx, work)
            summary = summarize(ctx, access, gated, counts, evaluated, queued, stale)
            run = run.finish(
                "completed",
                rows_in=summary.observations_fetched,
                rows_out=gated.landed.rows_out,
                summary=summary.to_json(),
            )
            stages.record(work, run)
            failpoints.reached("before-publish")
            publish(copy)
        finally:
            discard(copy)
    except Exception as exc:
        results = list(exc.results) if isinstance(exc, QualityGateFailed) else audit.results
        record_failure(ctx, run, exc, results, audit.validator)
        raise  # the flow's on_failure hook raises the ops notification
    return Published(run, summary, gated.tables, evaluated, queued, gated.validator, stale, warnings)


def summarize(
    ctx: RunContext,
    access: WriteAccess,
    gated: Gated,
    counts: dict[str, TableCount],
    evaluated: steps.Evaluated,
    queued: steps.Queued,
    stale: list[Freshness],
) -> RunSummary:
    """The run's summary as it is published (its alerts and warnings are completed after the publish)."""
    payloads = gated.extraction.payloads
    return RunSummary(
        run_id=ctx.run_id,
        source=ctx.source,
        warehouse=str(ctx.paths.published),
        as_of=ctx.as_of,
        tables=counts,
        observations_fetched=sum(p.observations.height for p in payloads),
        observations_inserted=gated.landed.inserted,
        observations_changed=gated.landed.changed,
        payloads_unchanged=len(payloads) - len(gated.fresh),
        expectations=sum(len(result.rows) for result in gated.results),
        data_docs=str(ctx.paths.data_docs_index),
        signal=steps.signal_of_the_day(evaluated.evaluated),
        episodes=evaluated.found.height,
        alerts=AlertOutcome(queued=queued.queued, to_slack=ctx.to_slack),
        stale=[f.series_id for f in stale],
        thresholds_notes=list(ctx.thresholds.notes),
        thresholds_changed=list(ctx.thresholds.changes),
        sources=list(gated.extraction.uses),
        seconds=round(time.perf_counter() - ctx.started, 2),
        stage_seconds=dict(ctx.timer.seconds),
        writer_limit=access.limit,
        writer_waits_s={"global_limit": access.limit_wait_s, "flock": access.flock_wait_s},
    )


def record_failure(
    ctx: RunContext, run: RunRecord, exc: Exception, results: list[SuiteResult], validator: Validator | None
) -> None:
    """The failed run's row and results, then its page and Data Docs; what follows the row never hides the failure."""
    error = failure_text(exc)
    record_failed_run(ctx.paths.published, run.finish("failed", error=error), rows_of(results))
    try:
        ctx.artifact(failure_markdown(ctx.run_id, ctx.source, ctx.as_of, error), None)
        if validator is not None:
            validator.build_docs(ctx.paths.data_docs)
    except Exception as after:
        ctx.log.warning("after the failure, %s", describe(after, ctx.slack.secrets))


def failure_text(exc: Exception) -> str:
    """What a failed run stores and shows: for unavailable sources, one line per source."""
    if isinstance(exc, SourcesUnavailable):
        return "\n".join([f"SourcesUnavailable: required series unavailable: {', '.join(exc.missing)}", *exc.lines()])
    return f"{type(exc).__name__}: {exc}"
