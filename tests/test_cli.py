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


@pytest.mark.integration
def test_a_value_with_rich_markup_comes_back_verbatim_in_the_one_line_error(tmp_path, server_env, snapshot_dir):
    bad = tmp_path / "bad"
    shutil.copytree(snapshot_dir, bad)
    (bad / "WRESBAL.csv").write_text("observation_date,WRESBAL\n2019-09-18,[/bold red]x[link=y]\n")
    result = run_cli("run", "--snapshot-dir", str(bad), "--warehouse", str(tmp_path / "w.duckdb"), env=server_env)
    assert result.returncode == 1
    assert (
        "error: run failed: snapshot: WRESBAL line 2 (2019-09-18): value '[/bold red]x[link=y]' is not a number"
        in " ".join(result.stderr.split())
    )
    assert "MarkupError" not in result.stderr


def test_table_output_prints_values_with_rich_markup_as_text(tmp_path):
    from typer.testing import CliRunner

    from liquidity_watch.cli import app

    connect(tmp_path / "w.duckdb").close()
    result = CliRunner().invoke(
        app, ["query", "select '[/bold red]x[link=y]' as v", "--warehouse", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 0, result.output
    assert "[/bold red]x[link=y]" in result.stdout
