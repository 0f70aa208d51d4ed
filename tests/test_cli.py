"""The ``liquidity-watch`` command: arguments, output and exit codes in-process (CliRunner), and as a
user runs it in a process of its own only where that process's exit and terminal are the point."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.warehouse.core import CORE_TABLES, read_core
from liquidity_watch.warehouse.db import connect

EXE = Path(sys.executable).with_name("liquidity-watch")
COMMANDS = ("run", "query", "backtest", "report", "status", "docs", "export", "revisions", "sources")


def invoke(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, list(args), env=env)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--as-of", "18/09/2019"], "error: --as-of expects a date as YYYY-MM-DD, got '18/09/2019'"),
        (["run", "--source", "bloomberg"], "error: --source must be live, fred or snapshot, not 'bloomberg'"),
        (["run", "--snapshot-dir", "/nonexistent/folder"], "error: --snapshot-dir /nonexistent/folder is not a folder"),
        (["backtest", "--from", "2019-13-01"], "error: --from expects a date as YYYY-MM-DD, got '2019-13-01'"),
        (["query", "select 1", "--format", "xml"], "error: --format must be table, line, csv or json, not 'xml'"),
    ],
)
def test_bad_arguments_exit_1_with_one_error_line_and_no_traceback(args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert one_line(result.stderr) == message
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["query", "backtest", "report", "status"])
def test_read_commands_without_a_warehouse_say_how_to_build_one(command, tmp_path):
    args = [command, "select 1"] if command == "query" else [command]
    result = invoke(*args, "--warehouse", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 1
    assert one_line(result.stderr) == (
        f"error: no warehouse at {tmp_path / 'none.duckdb'}; build it first with:"
        f" liquidity-watch run --warehouse {tmp_path / 'none.duckdb'}"
    )


def test_the_warehouse_defaults_to_lw_warehouse_from_the_environment(tmp_path):
    result = invoke("status", env={"LW_WAREHOUSE": str(tmp_path / "from-env.duckdb")})
    assert result.exit_code == 1
    # the hint needs no --warehouse: the run it names reads the same environment
    assert one_line(result.stderr) == (
        f"error: no warehouse at {tmp_path / 'from-env.duckdb'}; build it first with: liquidity-watch run"
    )


def test_help_lists_every_command_with_its_summary():
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:\n", 1)[1]
    listed = dict(re.findall(r"^  (\w[\w-]*)\s+(\S.*)$", commands, flags=re.M))
    assert set(COMMANDS) <= set(listed)
    assert listed["query"] == "Run read-only SQL in a sandbox on the published warehouse."
    assert listed["run"] == "Run the pipeline once and print what it published."


def test_every_command_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    missing = [command for command in COMMANDS if f"liquidity-watch {command}" not in readme]
    assert missing == []


def test_docs_check_fails_on_a_stale_file_and_passes_after_writing_it(tmp_path):
    target = tmp_path / "warehouse.md"
    target.write_text("# stale\n")
    stale = invoke("docs", "--check", "--out", str(target))
    assert stale.exit_code == 1
    assert one_line(stale.stderr) == f"error: {target} is out of date; run: liquidity-watch docs"
    assert invoke("docs", "--out", str(target)).exit_code == 0
    fresh = invoke("docs", "--check", "--out", str(target))
    assert fresh.exit_code == 0 and one_line(fresh.stdout) == f"{target} matches the schema"


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
def test_run_twice_on_the_snapshot_prints_a_summary_and_leaves_identical_core_tables(
    tmp_path, prefect_server, short_snapshot
):
    """The second run also meets a corrupt delivery journal: it sets it aside, publishes, and says so (exit 3)."""
    warehouse = tmp_path / "w.duckdb"
    args = ["run", "--source", "snapshot", "--snapshot-dir", str(short_snapshot), "--as-of", "2019-09-18"]
    first = invoke(*args, "--warehouse", str(warehouse))
    assert first.exit_code == 0, first.output
    assert "core.weekly_liquidity │   89 │ 2019-09-11" in first.stdout
    assert "8,738 new" in first.stdout
    tables = core_snapshot(warehouse)
    journal = tmp_path / "w.duckdb.delivery.sqlite3"
    journal.write_bytes(b"not a database any more\n" * 100)
    second = invoke(*args, "--warehouse", str(warehouse))
    assert second.exit_code == 3, second.output
    assert "0 new, 0 changed, 23 payload(s) unchanged" in one_line(second.stdout)
    assert f"warning: published; the delivery journal {journal} could not be read (file is not a database)" in (
        one_line(second.stderr)
    )
    [aside] = tmp_path.glob("w.duckdb.delivery.sqlite3.unreadable-*")
    assert aside.read_bytes() == b"not a database any more\n" * 100
    again = core_snapshot(warehouse)
    assert all(again[name].equals(tables[name]) for name in CORE_TABLES)


@pytest.mark.integration
def test_a_corrupt_snapshot_exits_1_naming_the_series_and_date(tmp_path, prefect_server, snapshot_dir):
    bad = tmp_path / "bad"
    bad.mkdir()
    for source in snapshot_dir.glob("*.csv"):
        (bad / source.name).write_bytes(source.read_bytes())
    (bad / "SOFR.csv").write_text("observation_date,SOFR\n2019-09-17,5.25\n2019-09-18,2,55\n")
    result = invoke("run", "--snapshot-dir", str(bad), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1
    assert "error: run failed: snapshot: SOFR line 3: 3 fields, header has 2" in one_line(result.stderr)


READ_COMMANDS_IN_ONE_PROCESS = """
import json, sys
from typer.testing import CliRunner
from liquidity_watch.cli import app
warehouse, out = sys.argv[1], sys.argv[2]
loaded = {}
for args in (["query", "select 1"], ["status"], ["backtest", "--from", "2019-01-01", "--to", "2019-12-31"],
             ["report", "--out", out], ["docs", "--check", "--out", out + "/warehouse.md"]):
    extra = [] if args[0] == "docs" else ["--warehouse", warehouse]
    code = CliRunner().invoke(app, args + extra).exit_code
    heavy = sorted({m.split(".")[0] for m in sys.modules} & {"prefect", "great_expectations", "polars", "pydantic_settings"})
    loaded[args[0]] = [code, heavy]
print(json.dumps(loaded))
"""


@pytest.mark.integration
def test_a_run_the_gate_stops_ends_with_its_error_and_no_leak_report_from_duckdb(tmp_path, server_env, short_snapshot):
    bad = tmp_path / "snapshot"
    shutil.copytree(short_snapshot, bad)
    sofr = bad / "SOFR.csv"
    lines = sofr.read_text().splitlines()
    # SOFR written in basis points from August 2019: every value 100 times too large
    scaled = [
        f"{d},{float(v) * 100}" if d >= "2019-08-01" and v not in ("", ".") else f"{d},{v}"
        for d, v in (line.split(",") for line in lines[1:])
    ]
    sofr.write_text("\n".join([lines[0], *scaled]) + "\n")
    args = ["run", "--snapshot-dir", str(bad), "--as-of", "2019-09-18", "--warehouse", str(tmp_path / "w.duckdb")]
    result = run_cli(*args, env=server_env)
    assert result.returncode == 1
    assert "error: run failed: quality gate failed, nothing was published:" in result.stderr
    assert "SOFR" in result.stderr
    # a connection left alive in a failed frame was reported by DuckDB's bindings at exit, 40 lines of it
    assert "nanobind" not in result.stderr and "leaked" not in result.stderr


@pytest.mark.integration
def test_read_commands_load_neither_prefect_nor_great_expectations_and_query_not_even_polars(
    snapshot_warehouse, tmp_path
):
    result = subprocess.run(
        [sys.executable, "-c", READ_COMMANDS_IN_ONE_PROCESS, str(snapshot_warehouse[0]), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["query"] == [0, []]
    assert loaded["status"][0] == 0 and loaded["backtest"][0] == 0 and loaded["report"][0] == 0
    assert loaded["docs"][0] == 1  # no docs/warehouse.md in tmp_path: --check says it is out of date
    assert all("prefect" not in heavy and "great_expectations" not in heavy for _, heavy in loaded.values())


@pytest.mark.integration
def test_a_value_with_rich_markup_comes_back_verbatim_in_the_one_line_error(tmp_path, prefect_server, snapshot_dir):
    bad = tmp_path / "bad"
    shutil.copytree(snapshot_dir, bad)
    (bad / "WRESBAL.csv").write_text("observation_date,WRESBAL\n2019-09-18,[/bold red]x[link=y]\n")
    result = invoke("run", "--snapshot-dir", str(bad), "--warehouse", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 1
    assert (
        "error: run failed: snapshot: WRESBAL line 2 (2019-09-18): value '[/bold red]x[link=y]' is not a number"
        in " ".join(result.stderr.split())
    )
    assert "MarkupError" not in result.stderr


def test_table_output_prints_values_with_rich_markup_as_text(empty_warehouse):
    from typer.testing import CliRunner

    from liquidity_watch.cli import app

    result = CliRunner().invoke(
        app, ["query", "select '[/bold red]x[link=y]' as v", "--warehouse", str(empty_warehouse)]
    )
    assert result.exit_code == 0, result.output
    assert "[/bold red]x[link=y]" in result.stdout


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
    env["PREFECT_LOGGING_LEVEL"] = "INFO"  # as a user's terminal gets it
    warehouse = tmp_path / "w.duckdb"
    result = run_cli("run", "--source", "live", "--warehouse", str(warehouse), env=env, timeout=180)
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    # each error once: Prefect's records of the same failure (task, flow, ops notification) stay in its log
    assert "required series unavailable from every source" not in output
    assert "Finished in state" not in output
    assert output.count("View at http") == 1  # this server outlives the run: its link stays useful
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
    quick = {"LW_HTTP_BACKOFF_INITIAL_S": "0.01", "LW_HTTP_BACKOFF_MAX_S": "0.05"}  # the retries are not the point
    result = invoke(
        "run", "--source", "live", "--debug", "--warehouse", str(tmp_path / "w.duckdb"), env={**env, **quick}
    )
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "SourcesUnavailable" in result.stderr
