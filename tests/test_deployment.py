"""The run book end to end: a real Prefect server on 127.0.0.1, the work pool, prefect.yaml, a worker."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from liquidity_watch.warehouse.db import connection

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    env.pop("PREFECT_SERVER_DATABASE_CONNECTION_URL", None)
    log = open(home / "server.log", "w")  # noqa: SIM115 - the server writes to it until the fixture ends
    process = subprocess.Popen([str(REPO / "ops" / "server.sh")], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, (home / "server.log").read_text()[-3000:]
        time.sleep(0.5)
    yield api, env, home
    process.terminate()  # the server we started, nothing else
    process.wait(timeout=30)
    log.close()


def _run(command: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def test_deploy_from_prefect_yaml_trigger_a_snapshot_run_and_a_worker_completes_it(server, tmp_path, short_snapshot):
    api, env, home = server
    assert (
        f"Prefect server database: SQLite: sqlite+aiosqlite:///{home}/prefect.db" in (home / "server.log").read_text()
    )
    deploy = _run([str(REPO / "ops" / "deploy.sh")], env)
    assert "work pool 'liquidity-watch' created" in deploy.stdout
    assert re.search(
        r"global concurrency limit 'liquidity-watch-writer-liquidity-[0-9a-f]{12}' for \S+ created", deploy.stdout
    )

    inspect = _run([str(BIN / "prefect"), "deployment", "inspect", "liquidity-watch/h41"], env)
    assert "0 17 * * 4" in inspect.stdout and "0 10 * * 5" in inspect.stdout
    assert inspect.stdout.count("America/New_York") >= 2

    warehouse = tmp_path / "deployed.duckdb"
    trigger = _run(
        [
            str(BIN / "prefect"),
            "deployment",
            "run",
            "liquidity-watch/nightly",
            "--param",
            "source=snapshot",
            "--param",
            f"warehouse={warehouse}",
            # a day of the short snapshot: the deployment and the worker are the point, not the backfill
            "--param",
            f"snapshot_dir={short_snapshot}",
            "--param",
            "as_of=2019-09-18",
        ],
        env,
    )
    assert "Created flow run" in trigger.stdout
    [run_id] = re.findall(r"UUID: ([0-9a-f-]{36})", trigger.stdout)

    worker = _run([str(REPO / "ops" / "worker.sh"), "--run-once"], env, timeout=600)

    run = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()
    assert run["state_type"] == "COMPLETED", worker.stdout[-3000:] + worker.stderr[-3000:]
    assert run["parameters"]["source"] == "snapshot" and run["parameters"]["as_of"] == "2019-09-18"
    with connection(warehouse, read_only=True) as con:
        assert con.execute("SELECT status, source FROM meta.runs").fetchall() == [("completed", "snapshot")]
        # as of the 18th, the H.4.1 of that Wednesday (out on the 19th) is not known yet
        assert con.execute(
            "SELECT week_ending, reserves_usd_mn FROM core.weekly_liquidity ORDER BY week_ending DESC LIMIT 1"
        ).fetchone() == (dt.date(2019, 9, 11), 1456796.0)


def test_the_deployed_schedules_produce_scheduled_runs(server):
    api, _, _ = server
    deadline = time.monotonic() + 60
    while True:
        body = {"limit": 50, "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}
        scheduled = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=10).json()
        if scheduled or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert scheduled, "the scheduler created no runs from the cron schedules"


def test_one_sigterm_stops_a_worker_started_with_sigint_ignored(server):
    """A background job of a non-interactive shell starts with SIGINT ignored; Prefect's worker
    turns SIGTERM into a SIGINT to itself, so ops/worker.sh must reset SIGINT for one SIGTERM to stop it."""
    import signal

    _, env, _ = server
    worker = subprocess.Popen(
        [str(REPO / "ops" / "worker.sh")],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `ops/worker.sh &` in a script
    )
    try:
        lines = []
        for line in worker.stdout:  # until it polls
            lines.append(line)
            if "started!" in line:
                break
        assert "started!" in "".join(lines), "".join(lines)[-3000:]
        worker.send_signal(signal.SIGTERM)  # one, to the worker we started
        output, _ = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
    assert "stopped!" in output, "".join(lines) + output
    assert "SIGKILL" not in output
    assert worker.returncode in (0, 1)
