"""How ``liquidity-watch run`` runs the flow in its own process."""

from __future__ import annotations

import contextlib
import logging
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


class WithoutTraceback(logging.Formatter):
    """A console formatter's output without the exception's traceback or stack (the message stays)."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


@contextlib.contextmanager
def console_without_tracebacks() -> Iterator[None]:
    """Keep tracebacks out of the terminal while ``liquidity-watch run`` runs the flow.

    Prefect logs a failed task and a failed flow with their tracebacks. Only the handlers
    that write to this process's terminal change, and only for the duration: the log records
    keep their exception, so Prefect's API handler still sends the traceback to the server
    (the run's logs in the UI), and a worker running a deployment is not touched at all.
    ``liquidity-watch run --debug`` does not use this.
    """
    consoles = {
        handler
        for name in (None, "prefect", "prefect.flow_runs", "prefect.task_runs")
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
    }
    saved = {handler: handler.formatter for handler in consoles}
    for handler in consoles:
        handler.setFormatter(WithoutTraceback(handler.formatter or logging.Formatter()))
    try:
        yield
    finally:
        for handler, formatter in saved.items():
            handler.setFormatter(formatter)
