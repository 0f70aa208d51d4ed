"""The outbox in the warehouse: a signal is queued once per (episode, severity, destination) and stays until delivered.

Queueing happens in the same working copy (and so the same atomic publish) as the signals
that caused it: a run that fails queues nothing. Delivery happens after the publish and is
recorded in the delivery journal (``alerts.journal``); ``mirror`` copies the journal's
state into ``meta.outbox`` in every working copy, so the published file shows where each
message stands as of the last publish.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import duckdb

from liquidity_watch.alerts.config import Destination
from liquidity_watch.alerts.journal import DeliveryState
from liquidity_watch.domain.delivery import OutboxStatus


@dataclass(frozen=True)
class OutboxRow:
    """One queued message, with the delivery state the warehouse last recorded for it."""

    message_id: str
    kind: str
    destination: str
    severity: str | None
    payload: dict[str, Any]
    created_at: dt.datetime
    mirrored: DeliveryState

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))


def signal_message_id(episode_start: dt.date | str, severity: str, destination: Destination) -> str:
    return f"signal:{episode_start}:{severity}:{destination.name}"


def enqueue(
    con: duckdb.DuckDBPyConnection,
    *,
    message_id: str,
    kind: str,
    destination: Destination,
    payload: dict[str, Any],
    run_id: str,
    episode_start: dt.date | None = None,
    severity: str | None = None,
) -> bool:
    """Queue a message unless its id is already in the outbox; return whether it was new."""
    before = con.execute("SELECT count(*) FROM meta.outbox WHERE message_id = ?", [message_id]).fetchone()
    if before and before[0]:
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


_COLUMNS = (
    "message_id, kind, destination, severity, payload, created_at, status, attempts, epoch(first_attempt_at),"
    " epoch(last_attempt_at), uncertain, last_error, delivery_ref, reconciled, epoch(sent_at), sent_run_id"
)


def undelivered(con: duckdb.DuckDBPyConnection) -> list[OutboxRow]:
    """Every message not yet sent or printed according to the warehouse, oldest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM meta.outbox WHERE status NOT IN (?, ?) ORDER BY created_at, message_id",
        [OutboxStatus.SENT, OutboxStatus.PRINTED],
    ).fetchall()
    out = []
    for m, kind, d, sev, payload, created, status, attempts, first, last, unc, err, ref, rec, sent, sent_run in rows:
        state = DeliveryState(m, d, OutboxStatus(status), attempts, first, last, unc, err, ref, rec, sent, sent_run)
        out.append(OutboxRow(m, kind, d, sev, json.loads(payload), created, state))
    return out


def mirror(con: duckdb.DuckDBPyConnection, states: dict[str, DeliveryState]) -> int:
    """Copy the journal's state of each message into ``meta.outbox``; return how many rows changed."""
    if not states:
        return 0
    before = con.execute("SELECT count(*) FROM meta.outbox").fetchone()
    con.execute(
        "CREATE TEMP TABLE journal_state (message_id VARCHAR, status VARCHAR, attempts INTEGER,"
        " first_attempt_at DOUBLE, last_attempt_at DOUBLE, uncertain BOOLEAN, last_error VARCHAR,"
        " delivery_ref VARCHAR, reconciled BOOLEAN, sent_at DOUBLE, sent_run_id VARCHAR)"
    )
    try:
        con.executemany(
            "INSERT INTO journal_state VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    s.message_id,
                    s.status,
                    s.attempts,
                    s.first_attempt_at,
                    s.last_attempt_at,
                    s.uncertain,
                    s.last_error,
                    s.ref,
                    s.reconciled,
                    s.sent_at,
                    s.sent_run_id,
                ]
                for s in states.values()
            ],
        )
        changed = con.execute(
            "UPDATE meta.outbox o SET status = j.status, attempts = j.attempts,"
            " first_attempt_at = to_timestamp(j.first_attempt_at), last_attempt_at = to_timestamp(j.last_attempt_at),"
            " uncertain = j.uncertain, last_error = j.last_error, delivery_ref = j.delivery_ref,"
            " reconciled = j.reconciled, sent_at = to_timestamp(j.sent_at), sent_run_id = j.sent_run_id"
            " FROM journal_state j WHERE o.message_id = j.message_id AND (o.status IS DISTINCT FROM j.status"
            " OR o.attempts IS DISTINCT FROM j.attempts OR o.last_error IS DISTINCT FROM j.last_error"
            " OR o.delivery_ref IS DISTINCT FROM j.delivery_ref)"
        ).fetchone()
    finally:
        con.execute("DROP TABLE journal_state")
    assert before is not None
    return int(changed[0]) if changed else 0
