"""The pipeline flow: extract -> audit raw -> land -> transform -> audit core -> publish -> record.

Write, audit, publish: everything a run writes goes to a private working copy of the
warehouse (``warehouse.store``), the Great Expectations suites gate it, and only a run
whose every suite passes replaces the published file, in one ``os.replace``. A failed run
publishes nothing; it only appends its ``meta.runs`` row and validation results.
Tasks are thin wrappers over plain functions in ``sources``, ``warehouse``,
``transforms`` and ``expectations``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from liquidity_watch.alerts.config import SlackSettings, subscriber_destinations
from liquidity_watch.alerts.dispatch import deliver_pending, queue_signal_alerts
from liquidity_watch.alerts.ops import notify_ops, on_flow_failure
from liquidity_watch.alerts.slack import SlackSender
from liquidity_watch.bootstrap import bootstrap, startup_objects_frozen
from liquidity_watch.domain import freshness
from liquidity_watch.domain.calendars import business_days, end_of_day, today_new_york
from liquidity_watch.domain.freshness import stale_required
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.expectations import gate as quality
from liquidity_watch.expectations.staging import stage_daily, stage_policy, stage_raw, stage_weekly
from liquidity_watch.expectations.suites import (
    daily_rates_suite,
    policy_changes_suite,
    raw_observations_suite,
    weekly_liquidity_suite,
)
from liquidity_watch.settings import Settings
from liquidity_watch.signals.rules import RULES, SIGNALS_START, episodes, evaluate, signals_long
from liquidity_watch.signals.thresholds import Thresholds, load_thresholds
from liquidity_watch.sources.errors import FetchError
from liquidity_watch.sources.extract import extract
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.core import CORE_TABLES, publish_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import (
    LandResult,
    fresh_payloads,
    incoming_frame,
    land,
    last_dates,
    observations_as_of,
    stored_values,
)
from liquidity_watch.warehouse.runs import RunRecord, record_failed_run, record_run, record_validation_results
from liquidity_watch.warehouse.signals import publish_signals
from liquidity_watch.warehouse.store import remove_stale_work_files, working_copy, write_lock


def retry_only_transport_errors(task: object, task_run: object, state: object) -> bool:
    """Retry the extract task when a source could not be reached, never when its content was bad."""
    try:
        state.result()  # re-raises the task's exception
    except FetchError:
        return True
    except Exception:
        return False
    return False


def extract_cache_key(context: object, parameters: dict) -> str | None:
    """Cache live fetches within one flow run only: when that run is retried (an operator
    presses Retry after fixing, say, a full disk) it reuses what it already fetched instead of
    hitting the upstreams again. Never across runs: a new run must see newly published data.
    Snapshots are local files and are never cached."""
    if parameters["source"] == "snapshot":
        return None
    flow_run_id = getattr(getattr(context, "task_run", None), "flow_run_id", None)
    if flow_run_id is None:
        return None
    stored = hashlib.sha256(repr(sorted(parameters["last_stored"].items())).encode()).hexdigest()[:16]
    return f"extract-{flow_run_id}-{parameters['source']}-{parameters['end']}-{stored}"


@task(
    name="extract",
    retries=2,
    retry_delay_seconds=[10, 60],
    retry_condition_fn=retry_only_transport_errors,
    cache_key_fn=extract_cache_key,
    cache_expiration=dt.timedelta(minutes=30),
    persist_result=True,
)
def extract_task(
    source: str, settings: Settings, last_stored: dict[str, dt.date], snapshot_dir: Path | None, end: dt.date | None
) -> list[Payload]:
    logger = get_run_logger()

    def progress(message: str, done: int, total: int) -> None:
        logger.info("[%d/%d] %s", done, total, message)

    return extract(source, settings, last_stored, snapshot_dir=snapshot_dir, end=end, progress=progress)


@task(name="audit-raw", cache_policy=NO_CACHE)
def audit_raw_task(gate: quality.Gate, work: Path, payloads: list[Payload]) -> int:
    """Validate this run's fresh observations before they touch ``raw``; return how many."""
    incoming, stored = incoming_and_stored(work, payloads)
    today = today_new_york()
    staged = stage_raw(incoming, stored, today)
    gate.validate(raw_observations_suite(today, present=set(staged["series_id"])), staged, ["series_id", "day"])
    gate.raise_if_failed()
    return incoming.height


@task(name="land-raw", cache_policy=NO_CACHE)
def land_task(work: Path, payloads: list[Payload], run_id: str) -> LandResult:
    with connection(work) as con:
        return land(con, payloads, run_id)


@task(name="transform", cache_policy=NO_CACHE)
def transform_task(work: Path, as_of: dt.date | None) -> dict[str, pl.DataFrame]:
    with connection(work) as con:
        observations = observations_as_of(con, end_of_day(as_of) if as_of else None)
    return build_core_tables(observations)


@task(name="audit-core", cache_policy=NO_CACHE)
def audit_core_task(gate: quality.Gate, tables: dict[str, pl.DataFrame]) -> None:
    gate.validate(weekly_liquidity_suite(), stage_weekly(tables["weekly_liquidity"]), ["day"])
    gate.validate(daily_rates_suite(), stage_daily(tables["daily_rates"]), ["day"])
    gate.validate(policy_changes_suite(), stage_policy(tables["policy_changes"]), ["day"])
    gate.raise_if_failed()


@task(name="publish-core", cache_policy=NO_CACHE)
def publish_task(
    work: Path, tables: dict[str, pl.DataFrame], validation_rows: list[dict], landed: LandResult, as_of: dt.date | None
) -> dict:
    """Replace the core tables and store the validation results, in the working copy."""
    with connection(work) as con:
        counts = publish_core(con, tables)
        record_validation_results(con, validation_rows)
        return summarize(con, landed, counts, as_of)


@task(name="signals", cache_policy=NO_CACHE)
def signals_task(
    work: Path, tables: dict[str, pl.DataFrame], thresholds: Thresholds, end: dt.date, run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Evaluate the rules for every business day up to ``end``; publish core.signals and episodes."""
    evaluated = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(SIGNALS_START, end),
        thresholds,
    )
    found = episodes(evaluated)
    # one thread: a backfill writes ~24,000 small rows, and each extra DuckDB thread keeps
    # its own insert buffers (~17 MB at the run's peak of memory); the time is the same
    with connection(work, threads=1) as con:
        publish_signals(con, signals_long(evaluated), found, run_id)
    return evaluated, found


@task(name="alerts", cache_policy=NO_CACHE)
def alerts_task(
    work: Path, tables: dict[str, pl.DataFrame], evaluated: pl.DataFrame, found: pl.DataFrame, end: dt.date, run_id: str
) -> dict:
    """Queue today's signal once per (episode, severity, destination), then drain the outbox."""
    slack = SlackSettings()
    destinations = subscriber_destinations(slack)
    printed: list[str] = []

    def chart() -> bytes:
        from liquidity_watch.reporting.charts import (
            liquidity_chart,
        )  # matplotlib is only loaded when a bot message needs the image

        return liquidity_chart(tables["weekly_liquidity"], tables["daily_rates"], found, end)

    def echo(text: str) -> None:
        printed.append(text)
        get_run_logger().warning("%s", text)

    with connection(work) as con:
        queued = queue_signal_alerts(con, evaluated, found, destinations, run_id)
        delivered = deliver_pending(con, SlackSender(slack), destinations, run_id, chart=chart, echo=echo)
    return {"queued": queued, **delivered, "printed_text": printed}


@task(name="record-run", cache_policy=NO_CACHE)
def record_task(work: Path, run: RunRecord) -> None:
    with connection(work) as con:
        record_run(con, run)


def incoming_and_stored(work: Path, payloads: list[Payload]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """This run's fresh rows, and what ``raw`` already holds for their series."""
    with connection(work) as con:
        incoming = incoming_frame(fresh_payloads(con, payloads))
        return incoming, stored_values(con, sorted(incoming["series_id"].unique().to_list()))


def run_markdown(run: RunRecord, summary: dict | None, error: str | None = None) -> str:
    """The Prefect artifact of a run: what was new, the gate, the signal, the alerts."""
    lines = [
        f"# liquidity-watch run `{run.run_id}`",
        "",
        f"source **{run.source}**, as of **{run.as_of or 'now'}**",
        "",
    ]
    if error:
        return "\n".join([*lines, "**Failed, nothing was published.**", "", "```", error[:3000], "```"])
    inserted, changed = summary["observations_inserted"], summary["observations_changed"]
    lines += ["| series | new | changed |", "|---|---:|---:|"]
    lines += [
        f"| {sid} | {inserted.get(sid, 0):,} | {changed.get(sid, 0):,} |"
        for sid in sorted(set(inserted) | set(changed))
    ]
    if not inserted and not changed:
        lines.append("| (none) | 0 | 0 |")
    signal, alerts = summary.get("signal", {}), summary.get("alerts", {})
    lines += [
        "",
        f"**Quality gate:** {summary['validation']['expectations']} expectations passed.",
        f"**Signal on {signal.get('date')}:** {signal.get('severity')} "
        f"({', '.join(f'{rule} {signal.get(rule)}' for rule in RULES)}).",
        f"**Alerts:** {len(alerts.get('queued', []))} queued, {len(alerts.get('sent', []))} sent, "
        f"{len(alerts.get('printed', []))} printed, {len(alerts.get('failed', []))} kept in the outbox.",
        f"**Stale series:** {', '.join(summary.get('stale', [])) or 'none'}.",
        "",
        "| core table | rows | latest |",
        "|---|---:|---|",
    ]
    lines += [f"| core.{name} | {info['rows']:,} | {info['latest']} |" for name, info in summary["tables"].items()]
    return "\n".join(lines)


def last_stored_dates(work: Path) -> dict[str, dt.date]:
    with connection(work) as con:
        return last_dates(con)


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


def summarize(
    con: duckdb.DuckDBPyConnection, landed: LandResult, counts: dict[str, int], as_of: dt.date | None
) -> dict:
    latest = {
        name: str(con.execute(f"SELECT max({col}) FROM core.{name}").fetchone()[0]) for name, col in CORE_TABLES.items()
    }
    return {
        "tables": {name: {"rows": counts[name], "latest": latest[name]} for name in CORE_TABLES},
        "observations_fetched": landed.rows_in,
        "observations_inserted": landed.inserted,
        "observations_changed": landed.changed,
        "payloads_unchanged": landed.payloads_skipped,
        "as_of": str(as_of) if as_of else None,
    }


@flow(name="liquidity-watch", log_prints=True, on_failure=[on_flow_failure])
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
    if source not in set(SourceKind):
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(SourceKind)}")
    bootstrap(pipeline=True)
    with startup_objects_frozen():
        return _run(source, snapshot_dir, warehouse, as_of)


def _run(source: str, snapshot_dir: str | None, warehouse: str | None, as_of: dt.date | None) -> dict:
    """The body of ``pipeline``, inside its flow run."""
    settings = Settings()
    thresholds = load_thresholds(settings.thresholds_file)
    published = Path(warehouse) if warehouse else settings.warehouse
    docs_dir = settings.resolved_data_docs_dir(published)
    started = time.perf_counter()
    timer = StageTimer()
    run = RunRecord.start(source, as_of, str(flow_run.id) if flow_run.id else None)
    logger = get_run_logger()
    logger.info("run %s: source=%s warehouse=%s as_of=%s", run.run_id, source, published, as_of)
    for note in thresholds.notes:  # keys a user's older thresholds file lacks take their documented default
        logger.warning("%s", note)
    gate: quality.Gate | None = None
    with write_lock(published, settings.lock_wait_s):
        leftovers = remove_stale_work_files(published)
        if leftovers:
            logger.warning(
                "removed %d working file(s) left by a run that died: %s", len(leftovers), [p.name for p in leftovers]
            )
        try:
            with working_copy(published) as work:
                with timer("extract"):
                    payloads = extract_task(
                        source, settings, last_stored_dates(work), Path(snapshot_dir) if snapshot_dir else None, as_of
                    )
                with timer("validate"):
                    gate = quality.Gate(run.run_id)
                    audit_raw_task(gate, work, payloads)
                with timer("load"):
                    landed = land_task(work, payloads, run.run_id)
                with timer("transform"):
                    tables = transform_task(work, as_of)
                with timer("validate"):
                    audit_core_task(gate, tables)
                with timer("publish"):
                    summary = publish_task(work, tables, gate.rows, landed, as_of)
                with timer("signals"):
                    end = as_of or today_new_york()
                    evaluated, found = signals_task(work, tables, thresholds, end, run.run_id)
                    latest = evaluated.sort("date").row(-1, named=True) if evaluated.height else {}
                    summary["signal"] = {
                        "date": str(latest.get("date")),
                        "severity": latest.get("severity", "none"),
                        **{rule: latest.get(rule) for rule in RULES},
                    }
                    summary["episodes"] = found.height
                    summary["thresholds_notes"] = list(thresholds.notes)
                with timer("alerts"):
                    summary["alerts"] = alerts_task(work, tables, evaluated, found, end, run.run_id)
                stale = stale_required(freshness.check(last_stored_dates(work), dt.datetime.now(dt.UTC)))
                summary["stale"] = [f.series_id for f in stale]
                run = run.finish("completed", rows_in=landed.rows_in, rows_out=landed.rows_out, summary=summary)
                record_task(work, run)
        except Exception as exc:
            create_markdown_artifact(run_markdown(run, None, f"{type(exc).__name__}: {exc}"), key="liquidity-watch-run")
            rows = gate.rows if gate else []
            record_failed_run(published, run.finish("failed", error=f"{type(exc).__name__}: {exc}"), rows)
            if gate is not None:
                gate.build_docs(docs_dir)
            raise  # the flow's on_failure hook raises the ops notification
    with timer("docs"):
        gate.build_docs(docs_dir)
    if stale and source != "snapshot":  # a snapshot is history by design; live data must keep up
        notify_ops(
            "data stale: "
            + ", ".join(f"{f.series_id} (latest {f.latest}, next due by {f.due_by:%Y-%m-%d %H:%M} UTC)" for f in stale)
        )
    summary.update(
        run_id=run.run_id,
        warehouse=str(published),
        data_docs=str(docs_dir / "index.html"),
        validation={"expectations": len(gate.rows), "failed": 0},
        seconds=round(time.perf_counter() - started, 2),
        stage_seconds=timer.seconds,
    )
    create_markdown_artifact(run_markdown(run, summary), key="liquidity-watch-run", description=f"run {run.run_id}")
    logger.info("run %s completed in %.2f s; data docs: %s", run.run_id, summary["seconds"], summary["data_docs"])
    return summary
