"""The delivery journal: every step of every message from queued to sent, durable before the next network call.

A small SQLite file next to the warehouse (``<warehouse>.delivery.sqlite3``), written only
by a run holding the warehouse's write lock, after the data are published. Each step is
one transaction committed with ``synchronous=FULL`` (fsync) before the run goes on:

    start_attempt (status sending)  ->  Slack  ->  record_sent | record_failed

so a run that dies leaves at worst one message in ``sending``: the next run looks for it
in the channel's history (bot) before sending again, or sends it again (webhook: at
least once). Readers of the warehouse never open this file; ``meta.outbox`` mirrors it
at every publish. Why here and not in the warehouse: docs/alerts.md.

A journal SQLite cannot read (``file is not a database``, a failed integrity check) is
delivery's problem, never the data's: ``set_aside_if_unreadable`` moves it (and SQLite's
side files) aside, kept for inspection, a new journal starts, and the run reconciles every
message not known to be delivered as after a crash (``dispatch.assume_may_have_arrived``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquidity_watch.domain.delivery import OutboxStatus
from liquidity_watch.warehouse.store import WarehouseNotWritable, open_own

#: the files SQLite keeps beside the journal while it writes
SIDE_FILES = ("-journal", "-wal", "-shm")

SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery (
    message_id        TEXT PRIMARY KEY,
    destination       TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    first_attempt_at  REAL,
    last_attempt_at   REAL,
    uncertain         INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    ref               TEXT,
    reconciled        INTEGER NOT NULL DEFAULT 0,
    sent_at           REAL,
    sent_run_id       TEXT
);
CREATE TABLE IF NOT EXISTS event (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          REAL NOT NULL,
    run_id      TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    step        TEXT NOT NULL,
    detail      TEXT
);
"""


@dataclass(frozen=True)
class DeliveryState:
    """Where one message stands."""

    message_id: str
    destination: str
    status: OutboxStatus
    attempts: int = 0
    first_attempt_at: float | None = None
    last_attempt_at: float | None = None
    uncertain: bool = False
    last_error: str | None = None
    ref: str | None = None
    reconciled: bool = False
    sent_at: float | None = None
    sent_run_id: str | None = None

    @property
    def may_have_arrived(self) -> bool:
        """An earlier attempt may have reached Slack without us knowing (died mid-send, timeout, 5xx)."""
        return self.status is OutboxStatus.SENDING or (self.status is OutboxStatus.FAILED and self.uncertain)


class Journal:
    def __init__(self, con: sqlite3.Connection):
        self.con = con

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path) -> Iterator[Journal]:
        """Open (or create) the journal; a symbolic link in its place, or in a side file's, is refused."""
        refuse_links(path)
        con = sqlite3.connect(path, isolation_level=None, timeout=30)
        try:
            con.execute("PRAGMA synchronous = FULL")
            con.executescript(SCHEMA)
            yield cls(con)
        finally:
            con.close()

    def get(self, message_id: str) -> DeliveryState | None:
        row = self.con.execute(
            "SELECT message_id, destination, status, attempts, first_attempt_at, last_attempt_at, uncertain,"
            " last_error, ref, reconciled, sent_at, sent_run_id FROM delivery WHERE message_id = ?",
            [message_id],
        ).fetchone()
        return _state(row) if row else None

    def states(self) -> dict[str, DeliveryState]:
        rows = self.con.execute(
            "SELECT message_id, destination, status, attempts, first_attempt_at, last_attempt_at, uncertain,"
            " last_error, ref, reconciled, sent_at, sent_run_id FROM delivery"
        ).fetchall()
        return {row[0]: _state(row) for row in rows}

    def adopt(self, state: DeliveryState, step: str = "adopted from meta.outbox") -> None:
        """Take a state known only from the warehouse's mirror (a journal lost or copied without it)."""
        with self._step(state.message_id, step, state.status, ""):
            self.con.execute(
                "INSERT OR IGNORE INTO delivery VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    state.message_id,
                    state.destination,
                    state.status,
                    state.attempts,
                    state.first_attempt_at,
                    state.last_attempt_at,
                    int(state.uncertain),
                    state.last_error,
                    state.ref,
                    int(state.reconciled),
                    state.sent_at,
                    state.sent_run_id,
                ],
            )

    def start_attempt(self, message_id: str, destination: str, run_id: str) -> None:
        """Durably mark an attempt as started, before anything is sent."""
        now = time.time()
        with self._step(message_id, "sending", OutboxStatus.SENDING, run_id):
            self.con.execute(
                "INSERT INTO delivery (message_id, destination, status, attempts, first_attempt_at, last_attempt_at)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (message_id) DO UPDATE SET status = excluded.status,"
                " attempts = delivery.attempts + 1, first_attempt_at = coalesce(delivery.first_attempt_at, ?),"
                " last_attempt_at = ?",
                [message_id, destination, OutboxStatus.SENDING, now, now, now, now],
            )

    def record_sent(
        self, message_id: str, destination: str, run_id: str, ref: str | None, *, reconciled: bool = False
    ) -> None:
        self._finish(message_id, destination, run_id, OutboxStatus.SENT, ref=ref, reconciled=reconciled)

    def record_printed(self, message_id: str, destination: str, run_id: str) -> None:
        self._finish(message_id, destination, run_id, OutboxStatus.PRINTED)

    def record_failed(self, message_id: str, destination: str, run_id: str, error: str, *, uncertain: bool) -> None:
        """The attempt failed (or could not be made); ``uncertain`` if it may have reached Slack all the same."""
        with self._step(message_id, "failed", OutboxStatus.FAILED, run_id, error):
            self.con.execute(
                "INSERT INTO delivery (message_id, destination, status, uncertain, last_error) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (message_id) DO UPDATE SET status = excluded.status,"
                " uncertain = CASE WHEN delivery.status = 'sending' OR excluded.uncertain = 1"
                "             THEN excluded.uncertain ELSE delivery.uncertain END,"
                " last_error = excluded.last_error",
                [message_id, destination, OutboxStatus.FAILED, int(uncertain), error],
            )

    def _finish(
        self,
        message_id: str,
        destination: str,
        run_id: str,
        status: OutboxStatus,
        *,
        ref: str | None = None,
        reconciled: bool = False,
    ) -> None:
        now = time.time()
        detail = f"found in the channel history (ts {ref})" if reconciled else (ref or "")
        with self._step(message_id, status, status, run_id, detail):
            self.con.execute(
                "INSERT INTO delivery (message_id, destination, status, ref, reconciled, sent_at, sent_run_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO UPDATE SET status = excluded.status,"
                " uncertain = 0, last_error = NULL, ref = excluded.ref, reconciled = excluded.reconciled,"
                " sent_at = excluded.sent_at, sent_run_id = excluded.sent_run_id",
                [message_id, destination, status, ref, int(reconciled), now, run_id],
            )

    @contextlib.contextmanager
    def _step(self, message_id: str, step: str, status: str, run_id: str, detail: str = "") -> Iterator[None]:
        """One step: the state change and its event commit together, with fsync, or not at all."""
        self.con.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.con.execute(
                "INSERT INTO event (at, run_id, message_id, step, detail) VALUES (?, ?, ?, ?, ?)",
                [time.time(), run_id, message_id, str(step), detail],
            )
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


@dataclass(frozen=True)
class JournalSetAside:
    """A journal that could not be read, and where it was moved."""

    path: Path
    aside: Path
    reason: str

    def line(self) -> str:
        """What the run summary and ops are told."""
        return (
            f"the delivery journal {self.path} could not be read ({self.reason}); it is kept as {self.aside.name}"
            " and a new journal was started; the data are published, and every message not known to be delivered is "
            "reconciled as after a crash (bot: looked up in the channel history before any resend; webhook: sent "
            "again, at least once)"
        )


def set_aside_if_unreadable(path: Path, now: float | None = None) -> JournalSetAside | None:
    """Move the journal aside if SQLite cannot read it whole; ``None`` when it reads (or does not exist).

    Read-only and without following a link: the file is opened through a ``file:`` URI in
    ``mode=ro``, checked with ``PRAGMA quick_check`` and read. A journal that is busy, or that a
    killed run left mid-write (a hot ``-journal``), is left in place: SQLite's ``OperationalError``
    is not damage. The journal and its side files
    (``-journal``, ``-wal``, ``-shm``) become ``<name>.unreadable-<UTC time>[-journal...]``.
    """
    if not path.exists() or path.is_symlink():
        return None  # nothing to check; a link is refused with its own line when the journal is opened
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            problems = [row[0] for row in con.execute("PRAGMA quick_check").fetchall()]
            if problems != ["ok"]:
                raise sqlite3.DatabaseError("integrity check: " + "; ".join(map(str, problems[:3])))
            tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            for table in {"delivery", "event"} & tables:
                con.execute(f"SELECT * FROM {table}").fetchall()  # one of the two fixed names above
        finally:
            con.close()
    except sqlite3.OperationalError:
        # busy, or a hot journal left by a run killed mid-write, which a read-only connection
        # cannot roll back: not damage. Opening the journal to write rolls it back (or says why not).
        return None
    except sqlite3.DatabaseError as exc:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        aside = path.with_name(f"{path.name}.unreadable-{stamp}")
        for suffix in ("", *SIDE_FILES):
            source = path.with_name(path.name + suffix)
            if source.exists() and not source.is_symlink():
                os.replace(source, aside.with_name(aside.name + suffix))
        return JournalSetAside(path, aside, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return None


def refuse_links(path: Path) -> None:
    """Make sure the journal and SQLite's side files are the project's own, before SQLite opens them.

    SQLite follows symbolic links and Python's ``sqlite3`` cannot ask it not to, so the journal is
    created here first (``O_CREAT | O_NOFOLLOW``: an existing file is kept, a link refused), and
    a link in place of a side file is refused before SQLite would write through it.
    """
    os.close(open_own(path, os.O_RDWR | os.O_CREAT, "the delivery journal"))
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.is_symlink():
            raise WarehouseNotWritable(f"the delivery journal's {side} is a symbolic link; refused (remove it)")


def _state(row: tuple[Any, ...]) -> DeliveryState:
    message_id, destination, status, attempts, first, last, uncertain, error, ref, reconciled, sent_at, sent_run = row
    return DeliveryState(
        message_id,
        destination,
        OutboxStatus(status),
        attempts,
        first,
        last,
        bool(uncertain),
        error,
        ref,
        bool(reconciled),
        sent_at,
        sent_run,
    )
