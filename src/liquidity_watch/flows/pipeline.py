"""The pipeline flow: extract -> audit raw -> land -> transform -> audit core -> signals -> queue -> publish -> deliver.

Write, audit, publish: everything a run writes goes to a private working copy of the
warehouse (``warehouse.store``), the Great Expectations suites gate it, and only a run
whose every suite passes replaces the published file, in one ``os.replace``. A failed run
publishes nothing; it only appends its ``meta.runs`` row and validation results.

Slack is called only after the publish: the outbox rows are queued in the working copy
with the signals that caused them, delivered after the swap step by durable step
(``alerts.journal``), and a second, small publish mirrors their state into
``meta.outbox``. Nothing after the first publish can fail the run: a failure there (a
message not delivered, Data Docs not written, the artifact) is a redacted warning in
the summary, and ``liquidity-watch run`` exits 3 ("published; docs failed: ...").
Tasks are thin wrappers over plain functions in ``sources``, ``warehouse``,
``transforms``, ``signals`` and ``expectations``; they pass values (the one shared object is the run's
Great Expectations context, which only GX writes, for Data Docs).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liquidity_watch import failpoints
from liquidity_watch.alerts.config import DeliveryConfig, delivery_config
from liquidity_watch.alerts.dispatch import DeliveryReport, assume_may_have_arrived, deliver, queue_signal_alerts
from liquidity_watch.alerts.journal import Journal, JournalSetAside, journal_path, set_aside_if_unreadable
from liquidity_watch.alerts.ops import notify_ops, on_flow_failure
from liquidity_watch.alerts.outbox import OutboxRow, mirror, undelivered
from liquidity_watch.alerts.redaction import describe
from liquidity_watch.bootstrap import bootstrap, startup_objects_frozen
from liquidity_watch.domain import freshness
from liquidity_watch.domain.calendars import business_days, end_of_day, today_new_york
from liquidity_watch.domain.catalog import SERIES, SIGNALS_START
from liquidity_watch.domain.payload import Payload, Validators
from liquidity_watch.domain.revisions import RevisionAcceptance, parse_acceptances
from liquidity_watch.domain.rules import Rule
from liquidity_watch.domain.sources import IorbBasis, SourceKind, UseStatus
from liquidity_watch.expectations.gate import QualityGateFailed, SuiteResult, Validator, raise_if_failed
from liquidity_watch.expectations.gate import validation_rows as rows_of
from liquidity_watch.expectations.staging import stage_daily, stage_policy, stage_raw, stage_weekly
from liquidity_watch.expectations.suites import (
    daily_rates_suite,
    policy_changes_suite,
    raw_observations_suite,
    weekly_liquidity_suite,
)
from liquidity_watch.flows.replay import as_of_problem, delivers, seed_replay, target_warehouse
from liquidity_watch.flows.summary import (
    AlertOutcome,
    RunSummary,
    SignalOfTheDay,
    TableCount,
    cannot_judge_news,
    failure_markdown,
)
from liquidity_watch.flows.writer_slot import exclusive_writer
from liquidity_watch.settings import Settings
from liquidity_watch.signals.episodes import episodes, unknown_since
from liquidity_watch.signals.rules import evaluate, signals_long
from liquidity_watch.signals.thresholds import Thresholds, load_thresholds
from liquidity_watch.sources.errors import SourcesUnavailable
from liquidity_watch.sources.extract import Extraction, extract
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.core import CORE_TABLES, latest_dates, publish_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import (
    LandResult,
    fresh_payloads,
    incoming_frame,
    iorb_basis,
    land,
    last_dates,
    observations_as_of,
    stored_values,
)
from liquidity_watch.warehouse.revisions import record_acceptances
from liquidity_watch.warehouse.runs import RunRecord, record_failed_run, record_run, record_validation_results
from liquidity_watch.warehouse.signals import publish_signals, unknown_since_published
from liquidity_watch.warehouse.store import remove_stale_work_files, working_copy
from liquidity_watch.warehouse.validators import store_validators, stored_validators

ARTIFACT_KEY = "liquidity-watch-run"


# No task retries: the HTTP client already retries what is worth retrying (timeouts, 429, 5xx),
# and a second layer would multiply the attempts and the waits. No cached or persisted
# result either: raw data live in the warehouse only, never in Prefect's result storage.
@task(name="extract", cache_policy=NO_CACHE)
def extract_task(
    source: str,
    settings: Settings,
    last_stored: dict[str, dt.date],
    snapshot_dir: Path | None,
    end: dt.date | None,
    validators: dict[str, Validators],
    strict: bool,
    basis: IorbBasis | None = None,
) -> Extraction:
    logger = get_run_logger()

    def progress(message: str, done: int, total: int) -> None:
        logger.info("[%d/%d] %s", done, total, message)

    return extract(
        source,
        settings,
        last_stored,
        snapshot_dir=snapshot_dir,
        end=end,
        progress=progress,
        validators=validators,
        strict=strict,
        log=logger.warning,
        iorb_basis=basis,
    )


def failure_text(exc: Exception) -> str:
    """What a failed run stores and shows: for unavailable sources, one line per source."""
    if isinstance(exc, SourcesUnavailable):
        return "\n".join([f"SourcesUnavailable: required series unavailable: {', '.join(exc.missing)}", *exc.lines()])
    return f"{type(exc).__name__}: {exc}"


def report_sources(extraction: Extraction, logger: Any) -> None:
    """Log where each group of series came from; tell ops about every failover and unavailable series."""
    for use in extraction.uses:
        logger.info("source: %s", use.describe())
    trouble = [u for u in extraction.uses if u.status in (UseStatus.FAILOVER, UseStatus.UNAVAILABLE)]
    if trouble:
        notify_ops("sources: " + "; ".join(u.describe() for u in trouble))


@task(name="audit-raw", cache_policy=NO_CACHE)
def audit_raw_task(
    validator: Validator, work: Path, fresh: list[Payload], accepted: tuple[RevisionAcceptance, ...] = ()
) -> SuiteResult:
    """Validate this run's fresh observations, against the stored ones around them, before they touch ``raw``."""
    incoming = incoming_frame(fresh)
    stored = stored_state_values(work)
    today = today_new_york()
    staged = stage_raw(incoming, stored, today, accepted)
    suite = raw_observations_suite(today, present=set(staged["series_id"]))
    result = validator.validate(suite, staged, ["series_id", "day"])
    raise_if_failed([result])
    return result


@task(name="land-raw", cache_policy=NO_CACHE)
def land_task(
    work: Path,
    fresh: list[Payload],
    run_id: str,
    accepted: tuple[RevisionAcceptance, ...] = (),
    started_at: dt.datetime | None = None,
) -> LandResult:
    """Add the fresh observations as new versions, and record the revisions the operator accepted."""
    with connection(work, threads=1) as con:  # as for signals: less memory at the backfill's peak, same time
        landed = land(con, fresh, run_id)
        counts = record_acceptances(con, run_id, started_at or dt.datetime.now(dt.UTC), accepted)
    for spec, n in counts.items():
        get_run_logger().info("accepted revisions %s: %d landed", spec, n)
    return landed


@task(name="transform", cache_policy=NO_CACHE)
def transform_task(work: Path, as_of: dt.date | None) -> dict[str, pl.DataFrame]:
    with connection(work) as con:
        observations = observations_as_of(con, end_of_day(as_of) if as_of else None)
    return build_core_tables(observations)


@task(name="audit-core", cache_policy=NO_CACHE)
def audit_core_task(
    validator: Validator, tables: dict[str, pl.DataFrame], before: list[SuiteResult]
) -> list[SuiteResult]:
    """Validate the core tables; raise (carrying every result so far) if any suite failed."""
    results = [
        validator.validate(weekly_liquidity_suite(), stage_weekly(tables["weekly_liquidity"]), ["day"]),
        validator.validate(daily_rates_suite(), stage_daily(tables["daily_rates"]), ["day"]),
        validator.validate(policy_changes_suite(), stage_policy(tables["policy_changes"]), ["day"]),
    ]
    raise_if_failed([*before, *results])
    return results


@task(name="publish-core", cache_policy=NO_CACHE)
def publish_task(work: Path, tables: dict[str, pl.DataFrame], results: list[SuiteResult]) -> dict[str, TableCount]:
    """Replace the core tables and store the validation results, in the working copy."""
    with connection(work) as con:
        counts = publish_core(con, tables)
        record_validation_results(con, rows_of(results))
        latest = latest_dates(con)
    return {name: TableCount(counts[name], latest[name]) for name in CORE_TABLES}


@task(name="signals", cache_policy=NO_CACHE)
def signals_task(
    work: Path,
    tables: dict[str, pl.DataFrame],
    thresholds: Thresholds,
    end: dt.date,
    run_id: str,
    now: dt.datetime | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evaluate the rules for every business day up to ``end``; publish core.signals and episodes.

    ``now``: for a run of today, the instant it runs (today's inputs are not late before their due time).
    """
    evaluated = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(SIGNALS_START, end),
        thresholds,
        now,
    )
    found = episodes(evaluated)
    # one thread: a backfill writes ~42,000 small rows, and each extra DuckDB thread keeps
    # its own insert buffers (~17 MB at the run's peak of memory); the time is the same
    with connection(work, threads=1) as con:
        publish_signals(con, signals_long(evaluated), found, run_id)
    return evaluated, found


@task(name="queue-alerts", cache_policy=NO_CACHE)
def queue_alerts_task(
    work: Path, evaluated: pl.DataFrame, found: pl.DataFrame, config: DeliveryConfig, journal_file: Path, run_id: str
) -> tuple[list[str], list[OutboxRow], JournalSetAside | None]:
    """In the working copy: mirror the journal into ``meta.outbox``, queue today's signal, list what is undelivered.

    A journal SQLite cannot read is set aside (kept) and a new one started: the data are
    published all the same, and every message an earlier run left undelivered is reconciled
    as after a crash. What was set aside comes back for the summary and ops.
    """
    lost = set_aside_if_unreadable(journal_file)
    with Journal.open(journal_file) as journal:
        states = journal.states()
    with connection(work) as con:
        mirror(con, states)
        queued = queue_signal_alerts(con, evaluated, found, config.destinations, run_id)
        rows = undelivered(con)
    if lost is not None:
        with Journal.open(journal_file) as journal:
            assume_may_have_arrived(journal, rows, set(queued))
    return queued, rows, lost


@task(name="deliver-alerts", cache_policy=NO_CACHE)
def deliver_task(
    rows: list[OutboxRow],
    config: DeliveryConfig,
    journal_file: Path,
    run_id: str,
    tables: dict[str, pl.DataFrame],
    found: pl.DataFrame,
    end: dt.date,
) -> DeliveryReport:
    """After the publish: deliver every undelivered message, recording each step in the journal. Never raises."""

    def chart() -> bytes:
        from liquidity_watch.reporting.charts import liquidity_chart  # matplotlib only when a bot message needs it

        return liquidity_chart(tables["weekly_liquidity"], tables["daily_rates"], found, end)

    only = {d.name for d in config.destinations}
    try:
        with Journal.open(journal_file) as journal:
            report = deliver(rows, config, journal, run_id, chart=chart, only=only)
    except Exception as exc:  # the journal cannot be opened: nothing was sent
        report = DeliveryReport(failed=[r.message_id for r in rows if r.destination in only])
        report.errors.append(f"delivery journal {journal_file}: {describe(exc, config.secrets)}")
    if report.printed:
        get_run_logger().info("%d alert(s) printed in the run summary: %s", len(report.printed), report.printed)
    return report


@task(name="record-run", cache_policy=NO_CACHE)
def record_task(work: Path, run: RunRecord) -> None:
    with connection(work) as con:
        record_run(con, run)


def signal_of_the_day(evaluated: pl.DataFrame) -> SignalOfTheDay | None:
    """The last evaluated day's severity, rule statuses and reason, and since when it cannot be judged."""
    if evaluated.is_empty():
        return None
    latest = evaluated.sort("date").row(-1, named=True)
    unknown = unknown_since(evaluated)
    return SignalOfTheDay(
        str(latest["date"]),
        latest["severity"],
        {rule: latest[rule] for rule in Rule},
        latest["grade_why"] or "",
        str(unknown[0]) if unknown else None,
    )


def previous_unknown_since(work: Path) -> dt.date | None:
    """In the warehouse before this run's signals: the first day of the unknown stretch its last day is in."""
    with connection(work) as con:
        return unknown_since_published(con)


def last_stored_dates(work: Path) -> dict[str, dt.date]:
    with connection(work) as con:
        return last_dates(con)


# The gate raises from the frames that call these: a connection opened in such a frame would
# stay alive with its traceback until the interpreter's shutdown (which DuckDB reports as leaks).
def fresh_of(work: Path, payloads: list[Payload]) -> list[Payload]:
    """The payloads whose SHA-256 is not yet in ``raw.payloads``."""
    with connection(work) as con:
        return fresh_payloads(con, payloads)


def stored_state_values(work: Path) -> pl.DataFrame:
    """Every stored current value: neighbours, corroborating rates and identities read other series."""
    with connection(work) as con:
        return stored_values(con, list(SERIES))


def stored_state(work: Path) -> tuple[dict[str, dt.date], dict[str, Validators], IorbBasis | None]:
    """What the extract needs from the warehouse: the last date per series, the validators per URL,
    and what carrying IORB forward would rest on."""
    with connection(work) as con:
        return last_dates(con), stored_validators(con), iorb_basis(con)


def keep_validators(work: Path, extraction: Extraction, run_id: str) -> None:
    """Store this run's validators in the working copy: they are published only with the data they describe."""
    if extraction.validators:
        with connection(work) as con:
            store_validators(con, extraction.validators, run_id)


class StageTimer:
    """Wall time per pipeline stage, reported in the run summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 3)


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
        return _run(
            SourceKind(source),
            snapshot_dir,
            warehouse,
            as_of,
            strict_sources,
            accepted,
            delivers(as_of, deliver),
            Path(export_parquet_to) if export_parquet_to else None,
        )


def _run(
    source: SourceKind,
    snapshot_dir: str | None,
    warehouse: str | None,
    as_of: dt.date | None,
    strict_sources: bool | None,
    accepted: tuple[RevisionAcceptance, ...],
    to_slack: bool,
    export_to: Path | None = None,
) -> RunSummary:
    """The body of ``pipeline``, inside its flow run."""
    settings = Settings()
    strict = settings.strict_sources if strict_sources is None else strict_sources
    thresholds = load_thresholds(settings.thresholds_file)
    published = target_warehouse(Path(warehouse) if warehouse else None, settings.warehouse, as_of)
    docs_dir = settings.resolved_data_docs_dir(published)
    slack = delivery_config()  # checked now, never raises: a bad setting is a warning, never a failed run
    config = slack if to_slack else slack.terminal_only()
    journal_file = journal_path(published)
    started = time.perf_counter()
    timer = StageTimer()
    run = RunRecord.start(source, as_of, str(flow_run.id) if flow_run.id else None)
    logger = get_run_logger()
    logger.info("run %s: source=%s warehouse=%s as_of=%s", run.run_id, source, published, as_of)
    for note in thresholds.notes:  # keys a user's older thresholds file lacks take their documented default
        logger.warning("%s", note)
    for change in thresholds.changes:
        logger.info("threshold differs from the packaged default: %s", change)
    for problem in slack.problems:
        logger.warning("Slack setting: %s (that destination is skipped; the run goes on)", problem)
    # a replay without --deliver sends nothing to Slack: its settings cannot spoil it
    warnings = [f"Slack setting: {problem}" for problem in slack.problems] if to_slack else []
    validator: Validator | None = None
    results: list[SuiteResult] = []
    # the server's global limit (several hosts), then the flock (this host): both released after the last publish
    with exclusive_writer(published, settings.lock_wait_s, uuid.UUID(flow_run.id) if flow_run.id else None) as access:
        if access.limit:
            logger.info(
                "writer: global concurrency limit %s after %.2f s, flock after %.2f s",
                access.limit,
                access.limit_wait_s,
                access.flock_wait_s,
            )
        if as_of is not None and seed_replay(published, settings.warehouse):
            logger.info(
                "replay warehouse %s starts as a copy of %s (every version it landed)", published, settings.warehouse
            )
        leftovers = remove_stale_work_files(published)
        if leftovers:
            logger.warning("removed %d working file(s) left by a run that died: %s", len(leftovers), leftovers)
        try:
            with working_copy(published) as work:
                with timer("extract"):
                    folder = Path(snapshot_dir) if snapshot_dir else None
                    last_stored, known, basis = stored_state(work)
                    extraction = extract_task(source, settings, last_stored, folder, as_of, known, strict, basis)
                    payloads = extraction.payloads
                    report_sources(extraction, logger)
                    keep_validators(work, extraction, run.run_id)
                with timer("validate"):
                    validator = Validator(run.run_id)
                    fresh = fresh_of(work, payloads)
                    results.append(audit_raw_task(validator, work, fresh, accepted))
                with timer("load"):
                    landed = land_task(work, fresh, run.run_id, accepted, run.started_at)
                with timer("transform"):
                    tables = transform_task(work, as_of)
                with timer("validate"):
                    results += audit_core_task(validator, tables, results)
                with timer("publish"):
                    counts = publish_task(work, tables, results)
                with timer("signals"):
                    end = as_of or today_new_york()
                    unknown_before = previous_unknown_since(work)
                    now = None if as_of else dt.datetime.now(dt.UTC)
                    evaluated, found = signals_task(work, tables, thresholds, end, run.run_id, now)
                with timer("alerts"):
                    queued, rows, lost = queue_alerts_task(work, evaluated, found, config, journal_file, run.run_id)
                    if lost is not None:
                        logger.warning("%s", lost.line())
                        warnings.append(lost.line())
                # freshness is today's question: a replay of the past is as fresh as its day
                now = dt.datetime.now(dt.UTC)
                stale = [] if as_of else freshness.stale_required(freshness.check(last_stored_dates(work), now))
                summary = RunSummary(
                    run_id=run.run_id,
                    source=source,
                    warehouse=str(published),
                    as_of=as_of,
                    tables=counts,
                    observations_fetched=sum(p.observations.height for p in payloads),
                    observations_inserted=landed.inserted,
                    observations_changed=landed.changed,
                    payloads_unchanged=len(payloads) - len(fresh),
                    expectations=sum(len(result.rows) for result in results),
                    data_docs=str(docs_dir / "index.html"),
                    signal=signal_of_the_day(evaluated),
                    episodes=found.height,
                    alerts=AlertOutcome(queued=queued, to_slack=to_slack),
                    stale=[f.series_id for f in stale],
                    thresholds_notes=list(thresholds.notes),
                    thresholds_changed=list(thresholds.changes),
                    sources=list(extraction.uses),
                    seconds=round(time.perf_counter() - started, 2),
                    stage_seconds=dict(timer.seconds),
                    writer_limit=access.limit,
                    writer_waits_s={"global_limit": access.limit_wait_s, "flock": access.flock_wait_s},
                )
                run = run.finish(
                    "completed",
                    rows_in=summary.observations_fetched,
                    rows_out=landed.rows_out,
                    summary=summary.to_json(),
                )
                record_task(work, run)
                failpoints.reached("before-publish")
        except Exception as exc:
            error = failure_text(exc)
            if isinstance(exc, QualityGateFailed):
                results = list(exc.results)
            # the run's row first: nothing that follows (artifact, docs) may lose the failure or replace its message
            record_failed_run(published, run.finish("failed", error=error), rows_of(results))
            try:
                create_markdown_artifact(failure_markdown(run.run_id, source, as_of, error), key=ARTIFACT_KEY)
                if validator is not None:
                    validator.build_docs(docs_dir)
            except Exception as after:
                logger.warning("after the failure, %s", describe(after, slack.secrets))
            raise  # the flow's on_failure hook raises the ops notification
        # published: from here on nothing fails the run; each failure is a warning
        failpoints.reached("after-publish")
        with timer("deliver"):
            report = deliver_task(rows, config, journal_file, run.run_id, tables, found, end)
        failpoints.reached("after-delivery")
        warnings += report.notes
        if report.failed:
            warnings.append(f"alerts not delivered: {'; '.join(report.errors)}")
        with timer("docs"):
            try:
                validator.build_docs(docs_dir)
            except Exception as exc:
                warnings.append(f"docs failed: {describe(exc, slack.secrets)}")
        alerts = AlertOutcome(
            queued=queued,
            sent=report.sent,
            printed=report.printed,
            failed=report.failed,
            printed_text=report.printed_text,
            found=report.found,
            errors=report.errors,
            to_slack=to_slack,
        )
        summary = dataclasses.replace(summary, alerts=alerts, warnings=warnings)
        with timer("outbox"):
            try:
                publish_delivery_state(published, journal_file, run, summary)
            except Exception as exc:
                warnings.append(f"outbox state not published (the journal has it): {describe(exc, slack.secrets)}")
        if export_to is not None:  # still holding the writer: the export is of this run's publish
            with timer("export"):
                try:
                    export_parquet(published, export_to)
                except Exception as exc:
                    warnings.append(f"export to {export_to} failed: {describe(exc, slack.secrets)}")
    # a snapshot is history by design and a replay is of the past: only a live run's gaps are news
    live = source is not SourceKind.SNAPSHOT and as_of is None
    news = cannot_judge_news(unknown_before, summary.signal) if live else None
    if (stale and source is not SourceKind.SNAPSHOT) or news:
        # one message: the day that cannot be judged (once per stretch), then the stale series behind it
        parts = [news] if news else []
        if stale and source is not SourceKind.SNAPSHOT:
            parts.append(
                "data stale: "
                + ", ".join(
                    f"{f.series_id} (latest {f.latest}, next due by {f.due_by:%Y-%m-%d %H:%M} UTC)" for f in stale
                )
            )
        notify_ops("; ".join(parts), slack)
    summary = dataclasses.replace(
        summary, seconds=round(time.perf_counter() - started, 2), stage_seconds=dict(timer.seconds), warnings=warnings
    )
    try:
        create_markdown_artifact(summary.markdown(), key=ARTIFACT_KEY, description=f"run {run.run_id}")
    except Exception as exc:
        warnings.append(f"artifact failed: {describe(exc, slack.secrets)}")
    for warning in warnings:
        logger.warning("published; %s", warning)
    if warnings:
        notify_ops(f"run {run.run_id} published with warnings: " + " | ".join(warnings), slack)
    logger.info("run %s completed in %.2f s; data docs: %s", run.run_id, summary.seconds, summary.data_docs)
    return summary


def export_parquet(published: Path, folder: Path) -> None:
    """Every core table and view of the published file as Parquet in ``folder``, for readers on other machines."""
    from liquidity_watch.reporting.export import ExportFormat, export_warehouse

    export_warehouse(published, folder, ExportFormat.PARQUET)
    get_run_logger().info("exported the published warehouse as Parquet to %s", folder)


def publish_delivery_state(published: Path, journal_file: Path, run: RunRecord, summary: RunSummary) -> None:
    """The second, small publish: ``meta.outbox`` mirrors the journal, and the run's row gets its final summary."""
    with Journal.open(journal_file) as journal:
        states = journal.states()
    with working_copy(published) as work, connection(work) as con:
        mirror(con, states)
        record_run(con, dataclasses.replace(run, summary=summary.to_json()))
