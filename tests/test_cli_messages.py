"""Every command turns a warehouse it cannot read into one line, and prints values as written (no rich markup)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app

runner = CliRunner()

COMMANDS = [
    ["status"],
    ["backtest"],
    ["backtest", "--evaluate"],
    ["report", "--out", "{tmp}/report"],
    ["query", "select 1"],
    ["export", "--out", "{tmp}/export"],
    ["revisions"],
]


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
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], lines
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


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2099-12-31", "error: --as-of 2099-12-31 is in the future (today is "),
        ("1995-01-01", "error: --as-of 1995-01-01 is before the data start: signals begin 2003-01-02"),
    ],
)
def test_an_as_of_outside_the_data_is_refused_in_one_line_before_anything_runs(tmp_path, as_of, message):
    result = runner.invoke(app, ["run", "--as-of", as_of, "--warehouse", str(tmp_path / "w.duckdb")])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_a_replay_writes_a_warehouse_of_its_own_beside_the_published_one_unless_one_is_named():
    import datetime as dt

    from liquidity_watch.stages.replay import delivers
    from liquidity_watch.warehouse.paths import target_warehouse

    published = Path("var/liquidity.duckdb")
    day = dt.date(2019, 9, 18)
    assert target_warehouse(None, published, day) == Path("var/liquidity.as-of-2019-09-18.duckdb")
    assert target_warehouse(None, published, None) == published
    assert target_warehouse(published, published, day) == published  # named: the user chose it
    assert (delivers(None, None), delivers(day, None), delivers(day, True), delivers(None, False)) == (
        True,
        False,
        True,
        False,
    )
