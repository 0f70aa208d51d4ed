"""Turning today's signal into outbox rows, and delivering queued rows after the publish, step by durable step.

``queue_signal_alerts`` runs in the working copy, with the signals. ``deliver`` runs after
the publish, under the write lock, and for each undelivered message:

1. skips it if the journal (or, without a journal, the warehouse's mirror) says it is sent;
2. fails it with a redacted reason if its destination is gone or its setting cannot work;
3. for a bot message an earlier attempt may have delivered (the run died mid-send, a
   timeout, a 5xx), looks for its key in the channel's history first, and records it as
   sent if it is there, or leaves it failed if the history cannot be read;
4. records ``sending`` (fsync), posts, records ``sent`` (fsync), then uploads the chart.

No exception leaves ``deliver``: each message's failure is recorded, redacted, and the
next message goes on; the data run never fails because of Slack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import duckdb
import polars as pl

from liquidity_watch import failpoints
from liquidity_watch.alerts.config import DeliveryConfig, Destination
from liquidity_watch.alerts.journal import DeliveryState, Journal
from liquidity_watch.alerts.messages import signal_message
from liquidity_watch.alerts.outbox import OutboxRow, enqueue, signal_message_id
from liquidity_watch.alerts.redaction import describe
from liquidity_watch.alerts.slack import DeliveryError, SlackSender
from liquidity_watch.alerts.terminal import terminal_lines
from liquidity_watch.domain.delivery import DestinationKind, MessageKind, OutboxStatus
from liquidity_watch.domain.severity import Severity

logger = logging.getLogger("liquidity_watch.alerts")

#: How far before its first attempt the channel history is read (clock differences with Slack).
HISTORY_MARGIN_S = 300.0


def queue_signal_alerts(
    con: duckdb.DuckDBPyConnection,
    evaluated: pl.DataFrame,
    episodes: pl.DataFrame,
    destinations: list[Destination],
    run_id: str,
) -> list[str]:
    """Queue the latest day's signal for each destination that wants its severity.

    Only an episode still open on the last evaluated day is alerted: a backfill of history
    does not page anyone about 2019. Each (episode, severity, destination) is queued once,
    so a rerun queues nothing and an escalation queues once more. A day that cannot be
    judged (``unknown``) queues nothing for subscribers (ops hear of it instead), and since it
    neither ends nor extends an episode, the episode that goes on when its source comes back
    keeps its key: no second message for the same severity.
    """
    if evaluated.is_empty():
        return []
    latest = evaluated.sort("date").row(-1, named=True)
    severity = latest["severity"]
    open_episodes = episodes.filter(pl.col("is_open")) if episodes.height else episodes
    if severity in (Severity.NONE, Severity.UNKNOWN) or open_episodes.is_empty():
        return []
    start = cast(dt.date, open_episodes["start"].max())
    queued = []
    for destination in destinations:
        if destination.wants(severity):
            message_id = signal_message_id(start, severity, destination)
            previous = last_signal_state(con, destination.name)
            payload = signal_message(latest, str(start), latest["thresholds"], previous)
            if enqueue(
                con,
                message_id=message_id,
                kind=MessageKind.SIGNAL,
                destination=destination,
                payload=payload,
                run_id=run_id,
                episode_start=start,
                severity=severity,
            ):
                queued.append(message_id)
    return queued


def last_signal_state(con: duckdb.DuckDBPyConnection, destination: str) -> dict[str, Any] | None:
    """The ``state`` of the last signal message queued for ``destination`` (to say what changed since)."""
    row = con.execute(
        "SELECT payload FROM meta.outbox WHERE kind = 'signal' AND destination = ?"
        " ORDER BY created_at DESC, message_id DESC LIMIT 1",
        [destination],
    ).fetchone()
    return json.loads(row[0]).get("state") if row else None


@dataclass
class DeliveryReport:
    """What one delivery pass did: message ids per outcome, printed texts, and redacted problems."""

    sent: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # sent by an earlier attempt, found in the channel history
    printed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    printed_text: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "<message id>: <redacted reason>" per failed message
    notes: list[str] = field(default_factory=list)  # delivered, but something around it failed (the chart)


def deliver(
    rows: list[OutboxRow],
    config: DeliveryConfig,
    journal: Journal,
    run_id: str,
    *,
    sender: SlackSender | None = None,
    chart: Callable[[], bytes | None] = lambda: None,
    only: set[str] | None = None,
) -> DeliveryReport:
    """Deliver every row not yet delivered, to its destination in ``config``; never raises.

    ``only``: the destinations this pass may touch (a replay without ``--deliver`` passes
    the terminal alone, and leaves Slack rows queued as they are).
    """
    report = DeliveryReport()
    sender = sender or SlackSender(config.settings)
    destinations = config.by_name()
    chart_png: list[bytes | None] = []  # rendered once, on first need
    for row in rows:
        if only is not None and row.destination not in only:
            continue
        try:
            destination = destinations.get(row.destination)
            _deliver_one(row, destination, config, journal, run_id, sender, chart, chart_png, report)
        except Exception as exc:  # the journal itself (disk full...): record nothing more, go on
            reason = describe(exc, config.secrets)
            logger.warning("could not deliver %s: %s", row.message_id, reason)
            report.failed.append(row.message_id)
            report.errors.append(f"{row.message_id}: {reason}")
    return report


def assume_may_have_arrived(journal: Journal, rows: list[OutboxRow], queued_now: set[str]) -> list[str]:
    """After the journal was lost: record every undelivered message of an earlier run as one that may have arrived.

    The lost journal may have known of a send that ``meta.outbox`` (mirrored at the end of each
    run) does not yet show, so each such message is treated as after a crash: a bot message is
    looked up in the channel's history before any resend, a webhook message is sent again (at
    least once, as documented). Messages queued by this run cannot have been sent. Returns
    the message ids so marked.
    """
    marked = []
    for row in rows:
        if row.message_id in queued_now or journal.get(row.message_id) is not None:
            continue
        state = dataclasses.replace(row.mirrored, status=OutboxStatus.FAILED, uncertain=True)
        journal.adopt(state, step="adopted after the journal was set aside")
        marked.append(row.message_id)
    return marked


def _deliver_one(
    row: OutboxRow,
    destination: Destination | None,
    config: DeliveryConfig,
    journal: Journal,
    run_id: str,
    sender: SlackSender,
    chart: Callable[[], bytes | None],
    chart_png: list[bytes | None],
    report: DeliveryReport,
) -> None:
    state = journal.get(row.message_id)
    if state is None and row.mirrored.status is not OutboxStatus.PENDING:  # journal lost, or warehouse copied alone
        journal.adopt(row.mirrored)
        state = row.mirrored
    if state is not None and state.status.done:
        return

    def failed(reason: str, *, uncertain: bool) -> None:
        journal.record_failed(row.message_id, row.destination, run_id, reason, uncertain=uncertain)
        logger.warning("could not deliver %s to %s: %s (stays in the outbox)", row.message_id, row.destination, reason)
        report.failed.append(row.message_id)
        report.errors.append(f"{row.message_id}: {reason}")

    maybe_arrived = state.may_have_arrived if state else False
    if destination is None:
        failed(f"destination {row.destination} is no longer configured", uncertain=maybe_arrived)
        return
    if destination.name in config.broken:
        failed(config.broken[destination.name], uncertain=maybe_arrived)
        return
    if destination.kind is DestinationKind.TERMINAL:
        first, *rest = terminal_lines(row.payload)  # reads like the Slack message: title, signs, facts
        report.printed_text.append("\n".join([f"[liquidity-watch {row.severity or row.kind}] {first}", *rest]))
        journal.record_printed(row.message_id, row.destination, run_id)
        report.printed.append(row.message_id)
        return
    may_be_there = destination.kind is DestinationKind.BOT and state is not None and state.may_have_arrived
    if may_be_there and _found_in_history(row, destination, state, journal, run_id, sender, report, failed):
        return
    journal.start_attempt(row.message_id, row.destination, run_id)
    failpoints.reached("after-sending-recorded", row.destination)
    try:
        receipt = sender.send(destination, row.payload, key=row.message_id)
    except DeliveryError as exc:
        failed(str(exc), uncertain=exc.uncertain)
        return
    failpoints.reached("after-slack-accepted", row.destination)
    journal.record_sent(row.message_id, row.destination, run_id, receipt.ref)
    failpoints.reached("after-sent-recorded", row.destination)
    report.sent.append(row.message_id)
    if destination.kind is DestinationKind.BOT:
        if not chart_png:
            chart_png.append(_render(chart, config))
        if chart_png[0]:
            try:
                sender.upload_chart(receipt, chart_png[0])
            except DeliveryError as exc:
                logger.warning("%s was delivered without its chart: %s", row.message_id, exc)
                report.notes.append(f"{row.message_id} was delivered without its chart: {exc}")


def _found_in_history(
    row: OutboxRow,
    destination: Destination,
    state: DeliveryState | None,
    journal: Journal,
    run_id: str,
    sender: SlackSender,
    report: DeliveryReport,
    failed: Callable[..., None],
) -> bool:
    """Whether an earlier attempt of ``row`` is in the channel (then it is recorded as sent); False to send it."""
    first = state.first_attempt_at if state else None
    since = (first or row.created_at.timestamp()) - HISTORY_MARGIN_S
    channel = destination.channel or ""
    try:
        ts = sender.find_posted(channel, row.message_id, since)
    except DeliveryError as exc:
        failed(f"not sent again: an earlier attempt may have arrived and {exc}", uncertain=True)
        return True
    if ts is None:
        return False
    journal.record_sent(row.message_id, row.destination, run_id, ts, reconciled=True)
    logger.info("%s was already in %s (ts %s): not sent again", row.message_id, channel, ts)
    report.found.append(row.message_id)
    return True


def _render(chart: Callable[[], bytes | None], config: DeliveryConfig) -> bytes | None:
    try:
        return chart()
    except Exception as exc:
        logger.warning("the chart could not be drawn: %s", describe(exc, config.secrets))
        return None
