"""One writer per warehouse across hosts: a Prefect global concurrency limit of 1, named after the warehouse.

The write lock in ``warehouse.store`` is an ``flock``: it serialises the runs of one host,
and nothing else (two workers on two machines, or on a network file system, would both
write). When the flow runs against a Prefect server that other processes share (one named
by ``PREFECT_API_URL``: ``ops/server.sh``, a worker's flow runs, a test session's server),
a run also takes one slot of that server's global concurrency limit for the warehouse, and
holds it from before the working copy to after the last publish. The ``flock`` stays as the
embedded default and as a second guard on one host.

The temporary server that ``liquidity-watch run`` starts for itself when no API is
configured is not shared with anything: a limit there would guard nothing, so such a run
takes the ``flock`` alone.

Prefect skips a limit that does not exist (with a warning) unless asked to be strict, so the
run creates a missing limit (limit 1) before taking it; ``ops/deploy.sh`` creates the one of
the default warehouse up front, where ``prefect gcl ls`` shows it. The slot is a lease of
60 s (the server's shortest) that Prefect renews in the background: a holder that is
killed frees it within a minute, or at once for the next run on its own host, which sees
that its process is gone. If renewing fails, the run stops rather than publish without
the slot (``strict``). The holder (flow run, host, pid, lease) is recorded in a Prefect
variable beside the limit while it holds the slot, so that a run that gives up can name it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liquidity_watch.warehouse.paths import resolved
from liquidity_watch.warehouse.store import WriteAccess, write_lock

PREFIX = "liquidity-watch-writer"
#: The shortest lease Prefect's server grants; renewed every 45 s while the run holds the slot.
LEASE_S = 60.0


class WriterSlotBusy(RuntimeError):
    """Another flow run holds the warehouse's global concurrency limit."""


class WriterSlotUnavailable(RuntimeError):
    """The Prefect server could not give the slot (it refused, or could not be reached)."""


@dataclass(frozen=True)
class Slot:
    """What the run took: the limit's name (``None``: no shared server, the ``flock`` alone) and how long it waited."""

    limit: str | None
    waited_s: float


def limit_name(published: Path | str) -> str:
    """The global concurrency limit of a warehouse: its file's stem and a hash of its resolved path.

    >>> limit_name("/srv/lw/liquidity.duckdb")
    'liquidity-watch-writer-liquidity-26ba7c8dd67d'
    """
    target = resolved(published)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", target.stem)[:40] or "warehouse"
    return f"{PREFIX}-{stem}-{hashlib.sha256(str(target).encode()).hexdigest()[:12]}"


def holder_variable(limit: str) -> str:
    """The Prefect variable naming the flow run that took the slot last (letters, digits, ``_`` and ``-`` only)."""
    return re.sub(r"[^a-z0-9_-]", "_", limit.lower())


def shared_api_url() -> str | None:
    """The configured Prefect API that other processes share, or ``None`` (none, or this run's own temporary one)."""
    from prefect.settings import get_current_settings

    from liquidity_watch.flows.local_run import own_temporary_server

    url = get_current_settings().api.url
    return url if url and url != own_temporary_server() else None


def ensure_limit(name: str) -> bool:
    """Create the global concurrency limit ``name`` with limit 1 if it does not exist; True if it was created.

    An existing limit is left as it is (an operator may have deactivated it on purpose).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_global_concurrency_limit_by_name(name)
            return False
        except ObjectNotFound:
            pass
        try:
            client.create_global_concurrency_limit(GlobalConcurrencyLimitCreate(name=name, limit=1))
        except ObjectAlreadyExists:  # another run created it in between
            return False
    return True


def _record_holder(limit: str, flow_run_id: uuid.UUID | None, lease_id: uuid.UUID | None) -> None:
    from prefect.variables import Variable

    record = {
        "flow_run_id": str(flow_run_id) if flow_run_id else None,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "lease_id": str(lease_id) if lease_id else None,
    }
    Variable.set(holder_variable(limit), record, overwrite=True)


def _forget_holder(limit: str) -> None:
    from prefect.variables import Variable

    Variable.unset(holder_variable(limit))


def _holder(limit: str) -> dict[str, Any] | None:
    from prefect.variables import Variable

    recorded = Variable.get(holder_variable(limit))
    return recorded if isinstance(recorded, dict) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def release_dead_holder(limit: str) -> str | None:
    """Free the slot of a holder that died on this host (SIGKILL, out of memory); say whose it was, or ``None``.

    A holder that is killed cannot release its lease, and the server frees it only when the lease
    runs out (``LEASE_S``). On the holder's own host its death is certain once its process is gone,
    as the ``flock`` already knows, so the next run there need not wait. Releasing a lease that was
    released already changes nothing on the server; a holder on another host is left to its lease.
    """
    from prefect.client.orchestration import get_client

    record = _holder(limit)
    if not record or record.get("host") != socket.gethostname() or not record.get("lease_id"):
        return None
    pid = int(record.get("pid") or 0)
    if pid <= 0 or pid == os.getpid() or _alive(pid):
        return None
    with get_client(sync_client=True) as client:
        client.release_concurrency_slots_with_lease(uuid.UUID(record["lease_id"]))
    _forget_holder(limit)
    return f"flow run {record.get('flow_run_id')} (pid {pid} on this host, no longer running)"


def describe_holder(limit: str) -> str:
    """``flow run 'calm-otter' (<id>, Running; pid 123 on host-a)``: the slot's last taker, as the server knows it."""
    from prefect.client.orchestration import get_client

    try:
        record = _holder(limit)
        if not record or not record.get("flow_run_id"):
            where = f"pid {record['pid']} on {record['host']}" if record else "no record of it"
            return f"a run outside any flow run ({where})"
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(uuid.UUID(record["flow_run_id"]))
        state = run.state.name if run.state else "no state"
        return f"flow run {run.name!r} ({run.id}, {state}; pid {record['pid']} on {record['host']})"
    except Exception:  # naming the holder is a courtesy: never the reason a run fails
        return "a flow run the server does not name"


def _locked(exc: BaseException) -> bool:
    import httpx

    cause = exc.__cause__
    return isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code == 423


@contextlib.contextmanager
def writer_slot(published: Path, wait_s: float, flow_run_id: uuid.UUID | None = None) -> Iterator[Slot]:
    """Hold the warehouse's global concurrency limit while the block runs, waiting up to ``wait_s`` seconds for it.

    Without a shared Prefect API this yields at once (``Slot(None, 0.0)``).

    Raises
    ------
    WriterSlotBusy
        If another flow run still holds the slot after ``wait_s``; the message names it.
    WriterSlotUnavailable
        If the server refuses the slot for another reason, or cannot be reached.
    """
    if shared_api_url() is None:
        yield Slot(None, 0.0)
        return
    from prefect.client.schemas.objects import ConcurrencyLeaseHolder
    from prefect.concurrency._asyncio import AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError
    from prefect.concurrency.context import ConcurrencyContext
    from prefect.concurrency.sync import concurrency
    from prefect.logging import get_logger

    name = limit_name(published)
    holder = ConcurrencyLeaseHolder(type="flow_run", id=flow_run_id) if flow_run_id else None
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        # the lease's id, which the holder record keeps so that a dead holder's slot can be freed
        leases = stack.enter_context(ConcurrencyContext()).cleanup_lease_ids
        try:
            ensure_limit(name)
            freed = release_dead_holder(name)
            if freed:
                get_logger("liquidity_watch").warning("freed the global concurrency limit %s of %s", name, freed)
            stack.enter_context(
                concurrency(
                    name,
                    occupy=1,
                    # a timeout of 0 would cancel the first request itself: no wait means one attempt
                    timeout_seconds=wait_s if wait_s > 0 else None,
                    max_retries=None if wait_s > 0 else 0,
                    lease_duration=LEASE_S,
                    strict=True,
                    holder=holder,
                )
            )
        except (AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError) as exc:
            if isinstance(exc, AcquireConcurrencySlotTimeoutError) or _locked(exc):
                raise WriterSlotBusy(
                    f"another run is writing {published}: the global concurrency limit {name} is held by "
                    f"{describe_holder(name)}; try again when it ends, or set LW_LOCK_WAIT_S to wait"
                ) from None
            raise WriterSlotUnavailable(
                f"cannot take the global concurrency limit {name} for {published}: {exc}"
            ) from None
        except Exception as exc:  # the server is down or refused the limit itself
            raise WriterSlotUnavailable(
                f"cannot take the global concurrency limit {name} for {published}: {type(exc).__name__}: {exc}"
            ) from None
        waited = round(time.monotonic() - started, 3)
        with contextlib.suppress(Exception):  # the record helps a waiter; it guards nothing
            _record_holder(name, flow_run_id, leases[-1] if leases else None)
        try:
            yield Slot(name, waited)
        finally:
            with contextlib.suppress(Exception):  # before the release: the next holder's record is never erased
                _forget_holder(name)


@contextlib.contextmanager
def exclusive_writer(published: Path, wait_s: float, flow_run_id: uuid.UUID | None = None) -> Iterator[WriteAccess]:
    """The global limit (when a shared server is configured), then the ``flock``, within ``wait_s`` seconds in all."""
    with writer_slot(published, wait_s, flow_run_id) as slot:
        started = time.monotonic()
        with write_lock(published, max(0.0, wait_s - slot.waited_s)):
            yield WriteAccess(slot.limit, slot.waited_s, round(time.monotonic() - started, 3))


def main(argv: list[str]) -> int:
    """``python -m liquidity_watch.flows.writer_slot [WAREHOUSE]``: create the limit of a warehouse (ops/deploy.sh)."""
    from liquidity_watch.bootstrap import bootstrap
    from liquidity_watch.settings import Settings

    bootstrap()
    published = Path(argv[0]) if argv else Settings().warehouse
    name = limit_name(published)
    created = ensure_limit(name)
    print(f"global concurrency limit {name!r} for {resolved(published)} {'created' if created else 'already exists'}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised by ops/deploy.sh
    import sys

    raise SystemExit(main(sys.argv[1:]))
