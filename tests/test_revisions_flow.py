"""Revisions end to end: nothing lost, the report shows them, and --as-of reproduces the past.

The revising runs go through the run's stages as plain functions (``tests/gate.py``: extract, the
gate, landing) and ``--as-of`` through the same reading and transforms the flow uses; one replay runs
through the real flow, for what only the flow does (the replay's own warehouse).

A revision landed by a live or snapshot run is visible in the revision report, the old value is
still there, and ``--as-of`` a date before the revision reproduces the old core rows exactly. The
revision guard is judged per series (harmless byte changes in other files do not dilute it), with
explicit acceptances above it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.revisions import parse_acceptances
from liquidity_watch.expectations.gate import QualityGateFailed
from liquidity_watch.warehouse.core import CORE_TABLES, read_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.revisions import revision_report
from tests.conftest import copy_of
from tests.fakes import FakeFed
from tests.flow import pipeline
from tests.gate import core_as_of, gate

pytestmark = pytest.mark.integration
D = dt.date
YESTERDAY = today_new_york() - dt.timedelta(days=1)


def core(path: Path) -> dict[str, pl.DataFrame]:
    with connection(path, read_only=True) as con:
        return {name: read_core(con, name) for name in CORE_TABLES}


def query(path: Path, sql: str) -> list[tuple]:
    with connection(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def report(path: Path, **filters) -> list[dict]:
    with connection(path, read_only=True) as con:
        columns, rows = revision_report(con, **filters)
    return [dict(zip(columns, row, strict=True)) for row in rows]


def _rewrite(path: Path, values: dict[str, str], blank_tail: bool = False) -> None:
    lines = path.read_text().splitlines()
    out = [
        f"{line.split(',')[0]},{values[line.split(',')[0]]}" if line.split(",")[0] in values else line for line in lines
    ]
    path.write_text("\n".join(out) + "\n" + ("\n" if blank_tail else ""))


def _assert_same_core(before: dict[str, pl.DataFrame], after: dict[str, pl.DataFrame]) -> None:
    for name in CORE_TABLES:
        assert after[name].equals(before[name]), name


def test_a_snapshot_revision_keeps_the_old_value_shows_in_the_report_and_as_of_reproduces_the_old_core(
    snapshot_warehouse, snapshot_dir, tmp_path
):
    warehouse = copy_of(snapshot_warehouse[0], tmp_path, "w.duckdb")
    before = core_as_of(warehouse, YESTERDAY)

    folder = tmp_path / "revised"
    shutil.copytree(snapshot_dir, folder)
    revised = {"2019-09-04": "1480000", "2019-09-11": "1450000", "2019-09-18": "1400000"}
    _rewrite(folder / "WRESBAL.csv", revised)
    gated = gate(warehouse, folder, run_id="revising-run")
    assert gated.landed.changed == {"WRESBAL": 3}
    weekly = gated.tables["weekly_liquidity"].filter(pl.col("week_ending") == D(2019, 9, 18))
    assert weekly["reserves_usd_mn"].to_list() == [1_400_000.0]

    rows = report(warehouse, series="WRESBAL")
    assert [(r["date"], r["previous_value"], r["value"]) for r in sorted(rows, key=lambda r: r["date"])] == [
        (D(2019, 9, 4), 1_487_555.0, 1_480_000.0),
        (D(2019, 9, 11), 1_456_796.0, 1_450_000.0),
        (D(2019, 9, 18), 1_394_122.0, 1_400_000.0),
    ]
    assert {r["run_id"] for r in rows} == {"revising-run"} and {r["source"] for r in rows} == {"snapshot"}
    assert query(
        warehouse,
        "SELECT version, value FROM raw.observation_versions WHERE series_id = 'WRESBAL' AND date = '2019-09-18'"
        " ORDER BY version",
    ) == [(1, 1_394_122.0), (2, 1_400_000.0)]
    _assert_same_core(before, core_as_of(warehouse, YESTERDAY))


def test_a_replay_that_names_no_warehouse_writes_its_own_from_the_published_one_with_the_old_core(
    prefect_server, snapshot_warehouse, snapshot_dir, tmp_path, monkeypatch
):
    """The flow's --as-of guarantee, once: the replay starts from a copy of the published file (every
    version it landed) and builds what was known then; the published file is left alone."""
    warehouse = copy_of(snapshot_warehouse[0], tmp_path, "w.duckdb")
    before = core_as_of(warehouse, YESTERDAY)
    folder = tmp_path / "revised"
    shutil.copytree(snapshot_dir, folder)
    _rewrite(folder / "WRESBAL.csv", {"2019-09-18": "1400000"})
    gate(warehouse, folder)
    published = warehouse.read_bytes()

    monkeypatch.setenv("LW_WAREHOUSE", str(warehouse))
    summary = pipeline(source="snapshot", snapshot_dir=str(folder), as_of=YESTERDAY)
    replay = tmp_path / f"w.as-of-{YESTERDAY}.duckdb"
    assert summary.warehouse == str(replay)
    _assert_same_core(before, core(replay))
    assert warehouse.read_bytes() == published


def test_twenty_revisions_of_one_series_are_refused_alone_and_with_other_files_touched_until_accepted(
    snapshot_warehouse, snapshot_dir, tmp_path
):
    warehouse = copy_of(snapshot_warehouse[0], tmp_path, "w.duckdb")
    folder = tmp_path / "revised"
    shutil.copytree(snapshot_dir, folder)
    lines = (folder / "WALCL.csv").read_text().splitlines()
    weeks = [line.split(",") for line in lines[1:] if line.startswith(("2010", "2011"))][:20]
    _rewrite(folder / "WALCL.csv", {day: str(int(value) + 100) for day, value in weeks})

    with pytest.raises(QualityGateFailed, match=r"failed on 20 row\(s\): WALCL 2010-01-06"):
        gate(warehouse, folder)
    for other in folder.glob("*.csv"):  # other files gain a trailing blank line: fresh, but no revision
        if other.name != "WALCL.csv":
            _rewrite(other, {}, blank_tail=True)
    with pytest.raises(QualityGateFailed, match=r"failed on 20 row\(s\): WALCL 2010-01-06"):
        gate(warehouse, folder)

    gated = gate(warehouse, folder, parse_acceptances(["WALCL:2010-01-01:2012-12-31"]), run_id="accepting-run")
    assert gated.landed.changed == {"WALCL": 20}
    assert query(
        warehouse, "SELECT run_id, series_id, start_date, end_date, revisions FROM meta.revision_acceptances"
    ) == [("accepting-run", "WALCL", D(2010, 1, 1), D(2012, 12, 31), 20)]
    rows = report(warehouse, series="WALCL")
    assert len(rows) == 20 and {r["accepted_as"] for r in rows} == {"WALCL:2010-01-01:2012-12-31"}
    assert {r["change"] for r in rows} == {100.0}


def test_a_live_revision_is_reported_and_as_of_before_it_reproduces_the_old_core(
    httpserver: HTTPServer, snapshot_observations, empty_warehouse, monkeypatch
):
    fake = FakeFed(httpserver, snapshot_observations)
    for key in ("NYFED", "DDP", "FRED"):
        monkeypatch.setenv(f"LW_{key}_BASE_URL", fake.base_url)
    monkeypatch.setenv("LW_REQUESTS_PER_SECOND", "0")
    warehouse = empty_warehouse
    gate(warehouse, source="live")
    before = core_as_of(warehouse, YESTERDAY)

    fake.by_series["SOFR"][D(2026, 8, 20)] = 3.66  # the NY Fed restates a fixing inside the overlap window
    # older than 35 days here, and 1 of SOFR's ~10 re-fetched rows: above the guard until accepted
    with pytest.raises(QualityGateFailed, match=r"failed on 1 row\(s\): SOFR 2026-08-20"):
        gate(warehouse, source="live")
    gated = gate(warehouse, accepted=parse_acceptances(["SOFR:2026-08-20:2026-08-20"]), source="live")
    assert gated.landed.changed == {"SOFR": 1}
    [row] = report(warehouse)
    assert (row["series_id"], row["date"], row["value"], row["source"], row["accepted_as"]) == (
        "SOFR",
        D(2026, 8, 20),
        3.66,
        "nyfed",
        "SOFR:2026-08-20:2026-08-20",
    )
    assert row["previous_value"] != 3.66
    daily = gated.tables["daily_rates"].filter(pl.col("date") == D(2026, 8, 20))
    assert daily["sofr_pct"].to_list() == [3.66]
    _assert_same_core(before, core_as_of(warehouse, YESTERDAY))
