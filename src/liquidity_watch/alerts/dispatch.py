"""Turning today's signal into outbox rows, and draining the outbox to its destinations."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import duckdb
import polars as pl

from liquidity_watch.alerts.config import Destination
from liquidity_watch.alerts.messages import signal_message
from liquidity_watch.alerts.outbox import enqueue, mark_delivered, mark_failed, pending, signal_message_id
from liquidity_watch.alerts.slack import DeliveryError, SlackSender
from liquidity_watch.domain.delivery import DestinationKind, OutboxStatus
from liquidity_watch.domain.severity import Severity

logger = logging.getLogger("liquidity_watch.alerts")


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
    so a rerun queues nothing and an escalation queues once more.
    """
    if evaluated.is_empty():
        return []
    latest = evaluated.sort("date").row(-1, named=True)
    severity = latest["severity"]
    open_episodes = episodes.filter(pl.col("is_open")) if episodes.height else episodes
    if severity == Severity.NONE or open_episodes.is_empty():
        return []
    start = open_episodes["start"].max()
    queued = []
    for destination in destinations:
        if destination.wants(severity):
            message_id = signal_message_id(start, severity, destination)
            previous = last_signal_state(con, destination.name)
            payload = signal_message(latest, str(start), latest["thresholds"], previous)
            if enqueue(
                con,
                message_id=message_id,
                kind="signal",
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


def deliver_pending(
    con: duckdb.DuckDBPyConnection,
    sender: SlackSender,
    destinations: list[Destination],
    run_id: str,
    chart: Callable[[], bytes | None] = lambda: None,
    echo: Callable[[str], None] = print,
) -> dict[str, list[str]]:
    """Send every pending message; mark it sent (or printed) only when delivered."""
    by_name = {d.name: d for d in destinations}
    result: dict[str, list[str]] = {"sent": [], "printed": [], "failed": []}
    chart_png: bytes | None = None
    for row in pending(con):
        destination = by_name.get(row.destination)
        if destination is None:
            mark_failed(con, row.message_id, f"destination {row.destination} is no longer configured")
            result["failed"].append(row.message_id)
            continue
        if destination.kind is DestinationKind.TERMINAL:
            echo(f"[liquidity-watch {row.severity or row.kind}] {row.payload['text']}")
            mark_delivered(con, row.message_id, OutboxStatus.PRINTED, run_id)
            result["printed"].append(row.message_id)
            continue
        if destination.kind is DestinationKind.BOT and chart_png is None:
            chart_png = chart()
        try:
            sender.send(destination, row.payload, chart_png if destination.kind is DestinationKind.BOT else None)
        except DeliveryError as exc:
            logger.warning("could not deliver %s to %s: %s (stays in the outbox)", row.message_id, row.destination, exc)
            mark_failed(con, row.message_id, str(exc))
            result["failed"].append(row.message_id)
            continue
        mark_delivered(con, row.message_id, OutboxStatus.SENT, run_id)
        result["sent"].append(row.message_id)
    return result
