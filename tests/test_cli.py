"""The ``liquidity-watch`` command as a user runs it (real subprocesses)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liquidity_watch.warehouse.core import CORE_TABLES, read_core
from liquidity_watch.warehouse.db import connect

EXE = Path(sys.executable).with_name("liquidity-watch")


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, env=env or os.environ.copy(), timeout=timeout
    )


@pytest.fixture(scope="module")
def server_env(prefect_server) -> dict[str, str]:
    """Environment pointing the CLI at the session's Prefect server instead of a new ephemeral one."""
    from prefect.settings import PREFECT_API_URL

    env = os.environ.copy()
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return env


def core_snapshot(path: Path) -> dict:
    con = connect(path, read_only=True)
    try:
        return {name: read_core(con, name) for name in CORE_TABLES}
    finally:
        con.close()


@pytest.mark.integration
def test_run_twice_on_the_snapshot_prints_a_summary_and_leaves_identical_core_tables(tmp_path, server_env):
    warehouse = tmp_path / "w.duckdb"
    first = run_cli("run", "--source", "snapshot", "--warehouse", str(warehouse), env=server_env)
    assert first.returncode == 0, first.stderr
    assert "core.weekly_liquidity │ 1,237 │ 2026-08-26" in first.stdout
    assert "38,683 new" in first.stdout
    tables = core_snapshot(warehouse)
    second = run_cli("run", "--source", "snapshot", "--warehouse", str(warehouse), env=server_env)
    assert second.returncode == 0, second.stderr
    assert "0 new, 0 changed, 13 payload(s) unchanged" in " ".join(second.stdout.split())
    again = core_snapshot(warehouse)
    assert all(again[name].equals(tables[name]) for name in CORE_TABLES)


@pytest.mark.integration
def test_a_corrupt_snapshot_exits_non_zero_naming_the_series_and_date(tmp_path, server_env, snapshot_dir):
    bad = tmp_path / "bad"
    shutil.copytree(snapshot_dir, bad)
    (bad / "SOFR.csv").write_text("observation_date,SOFR\n2019-09-17,5.25\n2019-09-18,2,55\n")
    result = run_cli("run", "--snapshot-dir", str(bad), "--warehouse", str(tmp_path / "w.duckdb"), env=server_env)
    assert result.returncode == 1
    assert "error: run failed: snapshot: SOFR line 3: 3 fields, header has 2" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--as-of", "18/09/2019"], "--as-of expects a date as YYYY-MM-DD, got '18/09/2019'"),
        (["run", "--source", "bloomberg"], "--source must be live, fred or snapshot, not 'bloomberg'"),
        (["run", "--snapshot-dir", "/nonexistent/folder"], "--snapshot-dir /nonexistent/folder is not a folder"),
    ],
)
def test_bad_arguments_exit_1_with_a_message_and_no_traceback(args, message):
    result = run_cli(*args, timeout=60)
    assert result.returncode == 1
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_help_lists_the_run_command():
    result = run_cli("--help", timeout=60)
    assert result.returncode == 0
    assert "run" in result.stdout


def _no_network_env(server_env: dict[str, str]) -> tuple[dict[str, str], int]:
    """Every upstream unreachable: two names that do not resolve, and a closed local port."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **server_env,
        "LW_NYFED_BASE_URL": "https://markets.newyorkfed.invalid",
        "LW_DDP_BASE_URL": f"http://127.0.0.1:{port}",
        "LW_FRED_BASE_URL": "https://fred.stlouisfed.invalid",
    }
    return env, port


@pytest.mark.integration
def test_with_no_network_a_live_run_stops_with_one_error_per_source_no_traceback_and_nothing_published(
    tmp_path, server_env
):
    env, port = _no_network_env(server_env)
    warehouse = tmp_path / "w.duckdb"
    result = run_cli("run", "--source", "live", "--warehouse", str(warehouse), env=env, timeout=180)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert [e.split(":")[1].strip() for e in errors] == ["nyfed", "fred", "ddp"]
    assert errors[0].startswith("error: nyfed: DNS lookup failed for markets.newyorkfed.invalid (")
    assert errors[1].startswith("error: fred: DNS lookup failed for fred.stlouisfed.invalid (")
    assert errors[2].startswith(f"error: ddp: connection refused by 127.0.0.1:{port} after 2 attempts (")
    # two attempts per unreachable host, then none: one retry line per source, and nothing else tried again
    retries = [line for line in result.stderr.splitlines() if "; attempt " in line]
    assert len(retries) == 3 and all("attempt 1 of 2, retrying in" in line for line in retries)
    assert "run failed, nothing published: no source for SOFR" in result.stderr
    con = connect(warehouse, read_only=True)
    try:  # only the failed run's own row: no observation, no core row
        assert con.execute("SELECT count(*) FROM raw.observations").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM core.weekly_liquidity").fetchone() == (0,)
        assert con.execute("SELECT status FROM meta.runs").fetchall() == [("failed",)]
    finally:
        con.close()


@pytest.mark.integration
def test_debug_shows_the_tracebacks(tmp_path, server_env):
    env, _ = _no_network_env(server_env)
    result = run_cli("run", "--source", "live", "--debug", "--warehouse", str(tmp_path / "w.duckdb"), env=env)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "SourcesUnavailable" in result.stderr
