"""``liquidity-watch query`` for people: values by unit, and a layout that never cuts a header."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.warehouse.db import connection

LATEST_STATE_COLUMNS = [
    "week_ending",
    "total_assets_usd_mn",
    "securities_usd_mn",
    "reserves_usd_mn",
    "reserves_change_13w_usd_mn",
    "tga_usd_mn",
    "rrp_usd_mn",
    "net_liquidity_usd_mn",
    "qt_runoff_13w_usd_mn",
    "rates_date",
    "sofr_pct",
    "effr_pct",
    "iorb_pct",
    "target_lower_pct",
    "target_upper_pct",
    "sofr_minus_iorb_bp",
    "sofr_minus_target_upper_bp",
    "signal_date",
    "severity",
    "rules_on",
    "cannot_judge_since",
    "cannot_judge_why",
]


@pytest.fixture
def warehouse(empty_warehouse: Path) -> Path:
    """The latest week and fixing of the bundled snapshot, as the pipeline publishes them."""
    with connection(empty_warehouse) as con:
        con.execute(
            "INSERT INTO core.weekly_liquidity (week_ending, total_assets_usd_mn, reserves_usd_mn, tga_usd_mn,"
            " rrp_usd_mn, net_liquidity_usd_mn) VALUES"
            " (DATE '2026-08-26', 6748567.0, 2924936.0, 930012.0, 702.0, 5817853.0),"
            " (DATE '2026-09-02', 6737204.0, 2894531.0, 944364.0, 525.0, 5792315.0)"
        )
        con.execute(
            "INSERT INTO core.daily_rates (date, sofr_pct, effr_pct, iorb_pct, sofr_minus_iorb_bp)"
            " VALUES (DATE '2026-09-03', 3.66, 3.63, 3.65, 1.0000000000000009)"
        )
    return empty_warehouse


def query(warehouse: Path, sql: str, *extra: str, columns: int = 80):
    env = {"COLUMNS": str(columns)}
    return CliRunner().invoke(app, ["query", sql, "--warehouse", str(warehouse), *extra], env=env)


def blocks(text: str) -> dict[str, str]:
    """The ``column | value`` lines of one expanded record."""
    pairs = (line.split(" |", 1) for line in text.splitlines() if " |" in line and not line.startswith("-["))
    return {name.strip(): value.strip() for name, value in pairs}


@pytest.mark.parametrize("columns", [80, 200])
def test_latest_state_prints_one_block_with_every_header_whole_and_money_with_separators(warehouse, columns):
    result = query(warehouse, "select * from core.latest_state", columns=columns)
    assert result.exit_code == 0, result.stderr
    record = blocks(result.stdout)
    assert list(record) == LATEST_STATE_COLUMNS
    assert record["reserves_usd_mn"] == "2,894,531"
    assert record["total_assets_usd_mn"] == "6,737,204"
    assert record["reserves_change_13w_usd_mn"] == ""  # NULL: 13 weeks of history are not there
    assert record["rrp_usd_mn"] == "525"
    assert record["sofr_pct"] == "3.66" and record["sofr_minus_iorb_bp"] == "+1"
    assert record["week_ending"] == "2026-09-02" and record["rates_date"] == "2026-09-03"
    assert max(len(line) for line in result.stdout.splitlines()) <= columns
    assert result.stdout.splitlines()[0].startswith("-[ RECORD 1 ]")


def test_a_result_that_fits_prints_as_a_table_with_numbers_by_unit(warehouse):
    sql = "select week_ending, reserves_usd_mn, sofr_minus_iorb_bp from core.latest_state"
    result = query(warehouse, sql, columns=80)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "┃ week_ending ┃ reserves_usd_mn ┃ sofr_minus_iorb_bp ┃" in lines
    assert "│ 2026-09-02  │       2,894,531 │                 +1 │" in lines
    assert lines[-1] == "1 row(s)"


def test_format_line_prints_one_block_per_record_even_when_a_table_would_fit(warehouse):
    sql = "select week_ending, rrp_usd_mn from core.weekly_liquidity order by week_ending"
    result = query(warehouse, sql, "--format", "line")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "-[ RECORD 1 ]+-----------",
        "week_ending | 2026-08-26",
        "rrp_usd_mn  | 702",
        "-[ RECORD 2 ]+-----------",
        "week_ending | 2026-09-02",
        "rrp_usd_mn  | 525",
        "2 row(s)",
    ]


def test_a_long_value_wraps_inside_its_block_to_the_terminal_width(warehouse):
    result = query(warehouse, "select repeat('word ', 40) as note", "--format", "line", columns=60)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()[1:-1]
    assert len(lines) > 1 and all(len(line) <= 60 for line in lines)
    assert " ".join(line.split(" | ", 1)[1] for line in lines).split() == ["word"] * 40


def test_csv_and_json_stay_exact(warehouse):
    sql = "select reserves_usd_mn, sofr_minus_iorb_bp from core.latest_state"
    assert query(warehouse, sql, "--format", "csv").stdout.splitlines() == [
        "reserves_usd_mn,sofr_minus_iorb_bp",
        "2894531.0,1.0000000000000009",
    ]
    assert json.loads(query(warehouse, sql, "--format", "json").stdout) == [
        {"reserves_usd_mn": 2894531.0, "sofr_minus_iorb_bp": 1.0000000000000009}
    ]
