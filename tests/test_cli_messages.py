"""Every command turns a warehouse it cannot read into one line, and prints values as written (no rich markup)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app

runner = CliRunner()

COMMANDS = [["status"], ["backtest"], ["report", "--out", "{tmp}/report"], ["query", "select 1"]]


def unreadable(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "w.duckdb"
    if kind == "not a database":
        path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    elif kind == "a database without our schema":
        duckdb.connect(str(path)).close()
    elif kind == "a folder":
        path.mkdir()
    return path


CASES = [
    (kind, command)
    for kind in ("not a database", "a database without our schema", "a folder")
    for command in COMMANDS
    if not (kind == "a database without our schema" and command[0] == "query")  # 'select 1' needs no tables
]


@pytest.mark.parametrize(("kind", "command"), CASES, ids=lambda v: v if isinstance(v, str) else v[0])
def test_an_unreadable_warehouse_is_one_line_and_exit_1_for_every_command(tmp_path, kind, command):
    path = unreadable(tmp_path, kind)
    args = [a.format(tmp=tmp_path) for a in command]
    result = runner.invoke(app, [*args, "--warehouse", str(path)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot read the warehouse {path}"), lines
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_a_warehouse_held_by_another_writer_is_one_line(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = duckdb.connect(str(path))  # same process, read-write: a read-only open conflicts
    try:
        result = runner.invoke(app, ["status", "--warehouse", str(path)])
    finally:
        holder.close()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error: cannot read the warehouse")
