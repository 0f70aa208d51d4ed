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
from liquidity_watch.warehouse.db import connect, connection
from liquidity_watch.warehouse.store import working_copy, write_lock
from tests.browser import needs_chromium, probe

REPO = Path(__file__).resolve().parents[1]
EXE = str(Path(sys.executable).with_name("liquidity-watch"))


def cli(*args: str) -> subprocess.CompletedProcess:
    """The command in a process of its own: for a reader beside a writer of this process."""
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120, env=os.environ.copy())


def invoke(*args: str) -> subprocess.CompletedProcess:
    """The command in this process (CliRunner), with what a user sees: exit code, stdout, stderr."""
    from typer.testing import CliRunner

    from liquidity_watch.cli import app

    result = CliRunner().invoke(app, list(args))
    return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def warehouse(snapshot_warehouse) -> Path:
    return snapshot_warehouse[0]


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
    result = invoke(
        "query",
        "select count(*) as weeks from core.weekly_liquidity",
        "--format",
        "json",
        "--warehouse",
        str(warehouse),
    )
    assert result.returncode == 0 and json.loads(result.stdout) == [{"weeks": 1238}]
    bad = invoke("query", "select * from core.nope", "--warehouse", str(warehouse))
    assert bad.returncode == 1
    assert "query failed: Catalog Error: Table with name nope does not exist!" in " ".join(bad.stderr.split())
    assert "Traceback" not in bad.stderr
    write = invoke("query", "delete from core.daily_rates", "--warehouse", str(warehouse))
    assert write.returncode == 1 and "refused: the warehouse is read-only: DELETE is not allowed" in write.stderr


def test_docs_warehouse_md_matches_the_live_schema():
    assert (REPO / "docs" / "warehouse.md").read_text() == render_fresh(), (
        "docs/warehouse.md is out of date: run `liquidity-watch docs`"
    )


def test_every_table_view_and_column_of_core_raw_and_meta_has_a_comment(migrated_template):
    from liquidity_watch.reporting.warehouse_docs import SCHEMAS

    con = connect(migrated_template, read_only=True)
    objects = con.execute(
        "SELECT schema_name, table_name, comment FROM duckdb_tables() UNION ALL"
        " SELECT schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal"
    ).fetchall()
    columns = con.execute("SELECT schema_name, table_name, column_name, comment FROM duckdb_columns()").fetchall()
    con.close()
    objects = [(s, t, c) for s, t, c in objects if s in SCHEMAS]
    columns = [(s, t, n, c) for s, t, n, c in columns if s in SCHEMAS]
    assert len(objects) >= 14 and len(columns) >= 149
    assert [f"{s}.{t}" for s, t, comment in objects if not (comment or "").strip()] == []
    assert [f"{s}.{t}.{n}" for s, t, n, comment in columns if not (comment or "").strip()] == []
    assert [f"{s}.{t}" for s, t, comment in objects if s == "core" and "Grain:" not in comment] == []


@pytest.mark.integration
def test_report_writes_pngs_and_a_self_contained_html_page(warehouse, tmp_path):
    out = tmp_path / "report"
    result = invoke("report", "--out", str(out), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["balance_sheet.png", "last_two_years.png", "qt_runoff.png", "sofr_minus_iorb.png"]
    assert all((out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pngs)
    page = (out / "index.html").read_text()
    assert not re.search(r'(src|href)="https?://', page)  # opens offline: no CDN, images inline
    assert page.count('src="data:image/png;base64,') == 4
    assert "2019-07-31" in page  # the episode table
    assert "reserves_usd_mn" in page
    assert "$1,394bn" in page and "+315 bp" in page  # 2019: lowest reserves, widest SOFR - IORB, with units
    assert "series ends 2026-06-17 in this snapshot" in page  # why securities_usd_mn is blank
    assert "6730912" not in page  # no raw floats


REPORT_LAYOUT_PROBE = """
window.addEventListener('load', function () {
  var boxes = Array.prototype.map.call(document.querySelectorAll('.scroll'), function (box) {
    return {box: box.clientWidth, table: box.querySelector('table').scrollWidth};
  });
  var images = Array.prototype.map.call(document.images, function (img) {
    return img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().right <= window.innerWidth;
  });
  document.body.setAttribute('data-probe', JSON.stringify({
    page: document.documentElement.scrollWidth, window: window.innerWidth, boxes: boxes, images: images}));
});
"""


@pytest.mark.integration
@needs_chromium
def test_the_report_fits_a_1400_pixel_window_in_a_browser(warehouse, tmp_path):
    out = tmp_path / "report"
    assert invoke("report", "--out", str(out), "--warehouse", str(warehouse)).returncode == 0
    seen = probe(out / "index.html", REPORT_LAYOUT_PROBE, width=1400)
    assert seen["page"] <= seen["window"] == 1400  # nothing sticks out of the page
    assert len(seen["boxes"]) == 2 and all(b["table"] <= b["box"] for b in seen["boxes"])  # both tables fit
    assert seen["images"] == [True] * 4  # every chart loaded (inline) and inside the window


@pytest.mark.integration
def test_the_parquet_export_of_a_real_run_loads_in_pandas_with_the_warehouses_row_counts(warehouse, tmp_path):
    import pandas as pd

    out = tmp_path / "export"
    result = invoke("export", "--out", str(out), "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    with connection(warehouse, read_only=True) as con:
        expected = {
            t["table"]: con.execute(f"SELECT count(*) FROM {t['table']}").fetchone()[0] for t in manifest["tables"]
        }
    loaded = {t["table"]: len(pd.read_parquet(out / t["file"])) for t in manifest["tables"]}
    assert loaded == expected == {t["table"]: t["rows"] for t in manifest["tables"]}
    assert loaded["core.weekly_liquidity"] == 1238 and loaded["core.daily_rates"] == 6572
    assert len(loaded) == 8  # 5 tables, 3 views
