"""How ``liquidity-watch run`` runs the flow in its own process."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

#: What Prefect gives its temporary server's process (``prefect.server.api.server.SubprocessASGIServer``).
SERVER_ENVIRONMENT = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
#: uvicorn's exit code when the port was taken in the meantime: try another.
PORT_TAKEN = 3
#: The API URL of the temporary server this process started for itself, while it runs.
_OWN_SERVER: contextvars.ContextVar[str | None] = contextvars.ContextVar("own_temporary_server", default=None)


def own_temporary_server() -> str | None:
    """The API URL of the temporary server ``local_prefect`` started, or ``None`` (a configured server, or none)."""
    return _OWN_SERVER.get()


@contextlib.contextmanager
def local_prefect() -> Iterator[None]:
    """The Prefect API that ``liquidity-watch run`` runs the flow on.

    With ``PREFECT_API_URL`` set (a real server), that server, as configured. Otherwise a
    temporary server of this run's own (``temporary_server``), with flow-run heartbeats off:
    heartbeats let a long-lived server mark a run whose process died as crashed, nothing
    outlives this process to read them, and Prefect 3.8's heartbeat thread sleeps in whole
    seconds, so the flow waits up to 1 s (0.5 s on average) for it at the end of every run.
    """
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    settings = get_current_settings()
    if settings.api.url:
        check_answers(settings.api.url, settings.api.request_timeout)
    if settings.api.url or not settings.server.ephemeral.enabled:
        yield  # a real server; or none allowed, and Prefect says so in its own words
        return
    with (
        temporary_server() as api_url,
        temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        interrupted = False
        token = _OWN_SERVER.set(api_url)
        try:
            yield
        except KeyboardInterrupt:
            interrupted = True  # the server got the same Ctrl-C: nothing is left to send to
            raise
        finally:
            _OWN_SERVER.reset(token)
            if not interrupted:
                _send_what_is_queued()


def _send_what_is_queued() -> None:
    """Hand the run's queued logs and events to the server before it stops (Prefect does this at exit)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=5)


@contextlib.contextmanager
def temporary_server() -> Iterator[str]:
    """Start Prefect's temporary server in a child process, yield its API URL, stop it at the end.

    The same command, environment and health check as Prefect's own temporary server, which
    it would start when a flow runs with no ``PREFECT_API_URL``; but Prefect imports its
    whole server package (FastAPI app, database models: ~76 MB) into the flow's process
    just to start that child, and this does not, so a run's peak memory is that much lower.
    """
    import prefect
    from prefect.logging import get_logger
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    timeout_s = settings.server.ephemeral.startup_timeout_seconds
    environment = {**os.environ, **SERVER_ENVIRONMENT, **settings.to_environment_variables(exclude_unset=True)}

    def start() -> tuple[subprocess.Popen[bytes], str]:
        port = _free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--app-dir",
            str(Path(prefect.__file__).parent.parent),
            "--factory",
            "prefect.server.api.server:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "error",
            "--lifespan",
            "on",
        ]
        return subprocess.Popen(command, env=environment), f"http://127.0.0.1:{port}/api"

    process, api_url = start()
    try:
        deadline = time.monotonic() + timeout_s
        while not _healthy(api_url):
            code = process.poll()
            if code == PORT_TAKEN:
                process, api_url = start()
            elif code is not None:
                raise RuntimeError(f"Prefect's temporary server exited with code {code} while starting")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"Prefect's temporary server did not answer within {timeout_s:.0f} s "
                    "(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS)"
                )
            time.sleep(0.1)
        get_logger("liquidity_watch").info("Started temporary server on %s", api_url.removesuffix("/api"))
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrefectApiSilent(RuntimeError):
    """A configured Prefect API did not answer its health check in time."""


def check_answers(api_url: str, timeout_s: float) -> None:
    """Ask a configured Prefect API for its health once, within ``timeout_s`` (``PREFECT_API_REQUEST_TIMEOUT``).

    A server that accepts connections and never answers would otherwise hold every client call
    for the request timeout times Prefect's retries; this says so in one line before anything
    runs. Later calls are bounded by the same settings (``bootstrap.OFFLINE_ENVIRONMENT``).

    Raises
    ------
    PrefectApiSilent
        No answer, or not a 200, naming the URL and the bound.
    """
    import httpx

    try:
        status = httpx.get(f"{api_url.rstrip('/')}/health", timeout=timeout_s).status_code
    except httpx.TimeoutException:
        raise PrefectApiSilent(
            f"the Prefect API at {api_url} did not answer within {timeout_s:g} s (PREFECT_API_REQUEST_TIMEOUT);"
            " nothing was run"
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL is no HTTPError
        raise PrefectApiSilent(f"the Prefect API at {api_url} cannot be reached: {exc}; nothing was run") from None
    if status != 200:
        raise PrefectApiSilent(f"the Prefect API at {api_url} answered its health check with HTTP {status}")


def _healthy(api_url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


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
