"""How ``liquidity-watch run`` runs the flow in its own process."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def local_run_settings() -> Iterator[None]:
    """Turn off flow-run heartbeats when the run has only Prefect's temporary server.

    Heartbeats let a long-lived server mark a run whose process died as crashed. A
    temporary server lives and dies with this process, so nothing can read them, and
    Prefect 3.8's heartbeat thread sleeps in whole seconds: the flow waits up to 1 s
    (0.5 s on average) for it at the end of every run. With ``PREFECT_API_URL`` set (a
    real server), the configured frequency is kept.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings

    if get_current_settings().api.url:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield
