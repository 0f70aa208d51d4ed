"""After the publish: deliver, Data Docs, the delivery state's own small publish, the export, the run's page.

The data are published by then, so nothing here fails the run: each failure becomes a
redacted warning in the summary (``liquidity-watch run`` exits 3: "published; docs failed: ...")
and one ops notification. Slack is called only here, after the swap, step by durable step
(``alerts.journal``); ``publish_delivery_state`` then mirrors the journal into ``meta.outbox``
with a second, small swap of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch import failpoints
from liquidity_watch.alerts.dispatch import DeliveryReport
from liquidity_watch.alerts.dispatch import deliver as send
from liquidity_watch.alerts.journal import Journal
from liquidity_watch.alerts.ops import notify_ops
from liquidity_watch.alerts.outbox import OutboxRow, mirror
from liquidity_watch.alerts.redaction import describe
from liquidity_watch.domain import freshness
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.expectations.gate import Validator
from liquidity_watch.stages.context import RunContext
from liquidity_watch.stages.steps import Evaluated, Queued
from liquidity_watch.stages.summary import AlertOutcome, RunSummary, cannot_judge_news
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.runs import RunRecord, record_run
from liquidity_watch.warehouse.store import working_copy

#: ``deliver(ctx, rows, tables, found, end)``: the deliver stage (a Prefect task under the shell)
Deliver = Callable[[RunContext, list[OutboxRow], dict[str, pl.DataFrame], pl.DataFrame, dt.date], DeliveryReport]


@dataclass(frozen=True)
class Published:
    """What the publish put in place, and what the steps after it need."""

    run: RunRecord  # the run's row as published (completed)
    summary: RunSummary
    tables: dict[str, pl.DataFrame]
    signals: Evaluated
    queued: Queued
    validator: Validator
    stale: list[freshness.Freshness]
    warnings: list[str]  # the run's warnings before the publish


def deliver(
    ctx: RunContext, rows: list[OutboxRow], tables: dict[str, pl.DataFrame], found: pl.DataFrame, end: dt.date
) -> DeliveryReport:
    """Deliver every undelivered message, recording each step in the journal. Never raises."""

    def chart() -> bytes:
        from liquidity_watch.reporting.charts import liquidity_chart  # matplotlib only when a bot message needs it

        return liquidity_chart(tables["weekly_liquidity"], tables["daily_rates"], found, end)

    config, journal_file = ctx.delivery, ctx.paths.journal
    only = {d.name for d in config.destinations}
    try:
        with Journal.open(journal_file) as journal:
            report = send(rows, config, journal, ctx.run_id, chart=chart, only=only)
    except Exception as exc:  # the journal cannot be opened: nothing was sent
        report = DeliveryReport(failed=[r.message_id for r in rows if r.destination in only])
        report.errors.append(f"delivery journal {journal_file}: {describe(exc, config.secrets)}")
    if report.printed:
        ctx.log.info("%d alert(s) printed in the run summary: %s", len(report.printed), report.printed)
    return report


def publish_delivery_state(ctx: RunContext, run: RunRecord, summary: RunSummary) -> None:
    """The second, small publish: ``meta.outbox`` mirrors the journal, and the run's row gets its final summary."""
    with Journal.open(ctx.paths.journal) as journal:
        states = journal.states()
    with working_copy(ctx.paths.published) as work, connection(work) as con:
        mirror(con, states)
        record_run(con, dataclasses.replace(run, summary=summary.to_json()))


def export_parquet(ctx: RunContext, folder: Path) -> None:
    """Every core table and view of the published file as Parquet in ``folder``, for readers on other machines."""
    from liquidity_watch.reporting.export import ExportFormat, export_warehouse

    export_warehouse(ctx.paths.published, folder, ExportFormat.PARQUET)
    ctx.log.info("exported the published warehouse as Parquet to %s", folder)


def after_publish(ctx: RunContext, published: Published, deliver_step: Deliver = deliver) -> RunSummary:
    """Deliver, build Data Docs, publish the delivery state, export: each failure is a warning, never an error."""
    timer, warnings, secrets = ctx.timer, [*published.warnings], ctx.slack.secrets
    failpoints.reached("after-publish")
    evaluated, queued = published.signals, published.queued
    with timer("deliver"):
        report = deliver_step(ctx, queued.rows, published.tables, evaluated.found, evaluated.end)
    failpoints.reached("after-delivery")
    warnings += report.notes
    if report.failed:
        warnings.append(f"alerts not delivered: {'; '.join(report.errors)}")
    with timer("docs"):
        try:
            published.validator.build_docs(ctx.paths.data_docs)
        except Exception as exc:
            warnings.append(f"docs failed: {describe(exc, secrets)}")
    alerts = AlertOutcome(
        queued=queued.queued,
        sent=report.sent,
        printed=report.printed,
        failed=report.failed,
        printed_text=report.printed_text,
        found=report.found,
        errors=report.errors,
        to_slack=ctx.to_slack,
    )
    summary = dataclasses.replace(published.summary, alerts=alerts, warnings=warnings)
    with timer("outbox"):
        try:
            publish_delivery_state(ctx, published.run, summary)
        except Exception as exc:
            warnings.append(f"outbox state not published (the journal has it): {describe(exc, secrets)}")
    if ctx.export_to is not None:  # still holding the writer: the export is of this run's publish
        with timer("export"):
            try:
                export_parquet(ctx, ctx.export_to)
            except Exception as exc:
                warnings.append(f"export to {ctx.export_to} failed: {describe(exc, secrets)}")
    return summary


def notify_news(ctx: RunContext, published: Published, summary: RunSummary) -> None:
    """One ops message for a live run: the day that cannot be judged (once per stretch), then the stale series."""
    stale = published.stale if ctx.source is not SourceKind.SNAPSHOT else []
    news = cannot_judge_news(published.signals.unknown_before, summary.signal) if ctx.live else None
    if not (stale or news):
        return
    parts = [news] if news else []
    if stale:
        parts.append(
            "data stale: "
            + ", ".join(f"{f.series_id} (latest {f.latest}, next due by {f.due_by:%Y-%m-%d %H:%M} UTC)" for f in stale)
        )
    notify_ops("; ".join(parts), ctx.slack)


def finish(ctx: RunContext, published: Published, summary: RunSummary) -> RunSummary:
    """After the writer is released: ops news, the final timings, the run's page, and its warnings told once."""
    warnings = summary.warnings  # the artifact's failure, if any, joins them
    notify_news(ctx, published, summary)
    summary = dataclasses.replace(
        summary, seconds=round(time.perf_counter() - ctx.started, 2), stage_seconds=dict(ctx.timer.seconds)
    )
    try:
        ctx.artifact(summary.markdown(), f"run {ctx.run_id}")
    except Exception as exc:
        warnings.append(f"artifact failed: {describe(exc, ctx.slack.secrets)}")
    for warning in warnings:
        ctx.log.warning("published; %s", warning)
    if warnings:
        notify_ops(f"run {ctx.run_id} published with warnings: " + " | ".join(warnings), ctx.slack)
    ctx.log.info("run %s completed in %.2f s; data docs: %s", ctx.run_id, summary.seconds, summary.data_docs)
    return summary
