"""What analysts touch: read-only queries at any moment, self-describing tables, docs, the report."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from liquidity_watch.reporting.warehouse_docs import render_fresh
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import working_copy, write_lock

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("liquidity-watch"))


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=os.environ.copy())


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server) -> Path:
    from liquidity_watch.flows.pipeline import pipeline

    path = tmp_path_factory.mktemp("analysts") / "w.duckdb"
    pipeline(source="snapshot", warehouse=str(path))
    return path


@pytest.mark.integration
def test_a_query_succeeds_while_a_run_writes(warehouse, tmp_path):
    shared = tmp_path / "shared.duckdb"
    shutil.copyfile(warehouse, shared)
    # a run in the middle of writing: it holds the lock and a read-write connection on its working copy
    with write_lock(shared), working_copy(shared) as work, connection(work) as writer:
        writer.execute("DELETE FROM core.daily_rates")
        result = cli(
            "query",
            "select reserves_usd_mn from core.weekly_liquidity where week_ending = '2019-09-18'",
            "--format",
            "csv",
            "--warehouse",
            str(shared),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["reserves_usd_mn", "1394122.0"]
        assert writer.execute("select count(*) from core.daily_rates").fetchone() == (
            0,
        )  # the writer really was mid-change


@pytest.mark.integration
def test_query_prints_json_and_reports_sql_errors_in_one_line(warehouse):
    result = cli(
        "query",
        "select count(*) as weeks from core.weekly_liquidity",
        "--format",
        "json",
        "--warehouse",
        str(warehouse),
    )
    assert result.returncode == 0 and json.loads(result.stdout) == [{"weeks": 1237}]
    bad = cli("query", "select * from core.nope", "--warehouse", str(warehouse))
    assert bad.returncode == 1
    assert "query failed: Catalog Error: Table with name nope does not exist!" in " ".join(bad.stderr.split())
    assert "Traceback" not in bad.stderr
    write = cli("query", "delete from core.daily_rates", "--warehouse", str(warehouse))
    assert write.returncode == 1 and "refused: the warehouse is read-only: DELETE is not allowed" in write.stderr


def test_query_without_a_warehouse_says_how_to_build_one(tmp_path):
    result = cli("query", "select 1", "--warehouse", str(tmp_path / "none.duckdb"))
    assert result.returncode == 1 and "build it first with: liquidity-watch run" in " ".join(result.stderr.split())


def test_docs_warehouse_md_matches_the_live_schema():
    assert (REPO / "docs" / "warehouse.md").read_text() == render_fresh(), (
        "docs/warehouse.md is out of date: run `liquidity-watch docs`"
    )


def test_every_core_table_and_column_has_a_comment():
    import duckdb

    from liquidity_watch.warehouse.db import migrate

    con = duckdb.connect(":memory:")
    migrate(con)
    tables = con.execute("SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'core'").fetchall()
    columns = con.execute(
        "SELECT c.table_name, c.column_name, c.comment FROM duckdb_columns() c JOIN duckdb_tables() t "
        "ON t.schema_name = c.schema_name AND t.table_name = c.table_name WHERE c.schema_name = 'core'"
    ).fetchall()
    con.close()
    assert len(tables) >= 5
    assert [name for name, comment in tables if not comment] == []
    assert [f"{t}.{c}" for t, c, comment in columns if not comment] == []
    assert all("Grain:" in comment for _, comment in tables)


@pytest.mark.integration
def test_report_writes_pngs_and_a_self_contained_html_page(warehouse, tmp_path):
    out = tmp_path / "report"
    result = cli("report", "--out", str(out), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["balance_sheet.png", "last_two_years.png", "qt_runoff.png", "sofr_minus_iorb.png"]
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pngs)
    page = (out / "index.html").read_text()
    assert not re.search(r'(src|href)="https?://', page)  # opens offline: no CDN, images inline
    assert page.count('src="data:image/png;base64,') == 4
    assert "2019-07-31" in page  # the episode table
    assert "reserves_usd_mn" in page
