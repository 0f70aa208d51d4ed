"""One Prefect server for the whole test session, shared by every xdist worker.

The first process of a session (the xdist controller, or the only process with ``-n 0``) makes a
folder and names it in ``SHARED_SERVER_ENV``, which the workers inherit. The first worker that needs
Prefect starts the server there, under a file lock, the way Prefect starts its temporary server
(uvicorn with Prefect's app, SQLite in that folder); the others find its URL in the folder. The
process that made the folder stops the server when it exits, after every worker is done.

One server instead of one per worker saves a server start (~10 s on a quiet 2-core machine) and
the import of Prefect's server package in each worker; every test names its own warehouse, flow
runs and limits, so nothing a test reads is shared with a test on the other worker.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

#: Not ``LW_``: the snapshot warehouse's cache key hashes every ``LW_`` variable.
SHARED_SERVER_ENV = "LIQUIDITY_WATCH_TESTS_PREFECT_SERVER"
#: A slow start on a 2-core machine shared with other heavy jobs takes minutes.
STARTUP_TIMEOUT_S = 300
#: The server this process started, kept referenced while the process lives.
_started: list[subprocess.Popen[bytes]] = []


def make_session_folder() -> Path | None:
    """The session's server folder, made here if no parent process made it; ``None`` if one did."""
    if os.environ.get(SHARED_SERVER_ENV):
        return None
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="lw-prefect-server-"))
    os.environ[SHARED_SERVER_ENV] = str(folder)
    return folder


def stop(folder: Path) -> None:
    """Stop the server started in ``folder`` (if any) and remove the folder."""
    pid_file = folder / "pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)  # the server this session started, nothing else
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(folder, ignore_errors=True)


def database_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'prefect.db'}"


def api_url() -> str:
    """The shared server's API URL, starting the server if no process of the session has yet."""
    folder = Path(os.environ[SHARED_SERVER_ENV])
    url_file = folder / "api_url"
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not url_file.exists():
            url, pid = _start(folder)
            (folder / "pid").write_text(str(pid))
            url_file.write_text(url)
    return url_file.read_text()


def _start(folder: Path) -> tuple[str, int]:
    import prefect
    from prefect.settings import get_current_settings

    from liquidity_watch.flows.local_run import PORT_TAKEN, SERVER_ENVIRONMENT

    environment = {
        **os.environ,
        **SERVER_ENVIRONMENT,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": database_url(folder),
        "PREFECT_HOME": str(folder / "home"),
    }
    environment.pop("PREFECT_API_URL", None)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", "--app-dir", str(Path(prefect.__file__).parent.parent)]
        command += ["--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--log-level", "error", "--lifespan", "on"]
        # a session of its own, so a Ctrl-C reaches only pytest, whose first process stops it on the way out
        process = subprocess.Popen(command, env=environment, start_new_session=True)
        _started.append(process)
        url = f"http://127.0.0.1:{port}/api"
        while not _healthy(url):
            code = process.poll()
            if code is not None and code != PORT_TAKEN:
                raise RuntimeError(f"the tests' Prefect server exited with code {code} while starting")
            if code == PORT_TAKEN:
                break  # another process took the port in the meantime: try another
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the tests' Prefect server did not answer within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.1)
        else:
            return url, process.pid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
