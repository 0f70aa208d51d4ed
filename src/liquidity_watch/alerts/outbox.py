"""The outbox: a signal is queued once per (episode, severity, destination) and stays until delivered.

Queueing happens in the same working copy (and so the same atomic publish) as the signals
that caused it. Delivery marks a row ``sent`` only after Slack accepted it; a row that
could not be delivered stays ``pending`` and is tried again on the next run.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb

from liquidity_watch.alerts.config import Destination
from liquidity_watch.domain.delivery import OutboxStatus


@dataclass(frozen=True)
class OutboxRow:
    message_id: str
    kind: str
    destination: str
    severity: str | None
    payload: dict


def signal_message_id(episode_start: dt.date | str, severity: str, destination: Destination) -> str:
    return f"signal:{episode_start}:{severity}:{destination.name}"


def enqueue(
    con: duckdb.DuckDBPyConnection,
    *,
    message_id: str,
    kind: str,
    destination: Destination,
    payload: dict,
    run_id: str,
    episode_start: dt.date | None = None,
    severity: str | None = None,
) -> bool:
    """Queue a message unless its id is already in the outbox; return whether it was new."""
    before = con.execute("SELECT count(*) FROM meta.outbox WHERE message_id = ?", [message_id]).fetchone()[0]
    if before:
        return False
    con.execute(
        "INSERT INTO meta.outbox (message_id, kind, destination, episode_start, severity, created_run_id, created_at,"
        " payload, status)"
        " VALUES (?, ?, ?, ?, ?, ?, now(), ?, ?)",
        [
            message_id,
            kind,
            destination.name,
            episode_start,
            severity,
            run_id,
            json.dumps(payload),
            OutboxStatus.PENDING,
        ],
    )
    return True


def pending(con: duckdb.DuckDBPyConnection) -> list[OutboxRow]:
    rows = con.execute(
        "SELECT message_id, kind, destination, severity, payload FROM meta.outbox"
        " WHERE status = ? ORDER BY created_at, message_id",
        [OutboxStatus.PENDING],
    ).fetchall()
    return [OutboxRow(m, k, d, s, json.loads(p)) for m, k, d, s, p in rows]


def mark_delivered(con: duckdb.DuckDBPyConnection, message_id: str, status: OutboxStatus, run_id: str) -> None:
    con.execute(
        "UPDATE meta.outbox SET status = ?, attempts = attempts + 1, last_error = NULL, sent_at = now(),"
        " sent_run_id = ? WHERE message_id = ?",
        [status, run_id, message_id],
    )


def mark_failed(con: duckdb.DuckDBPyConnection, message_id: str, error: str) -> None:
    con.execute(
        "UPDATE meta.outbox SET attempts = attempts + 1, last_error = ? WHERE message_id = ?", [error, message_id]
    )
