"""``liquidity-watch export``: every core table and view for tools that cannot open a DuckDB 2.0 file."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.reporting.export import DUCKDB_STORAGE_VERSION, export_warehouse
from liquidity_watch.warehouse.db import connection
from tests.conftest import copy_of

CORE = [
    "core.daily_rates",
    "core.policy_changes",
    "core.signal_episodes",
    "core.signals",
    "core.weekly_liquidity",
    "core.latest_state",
    "core.monthly_summary",
    "core.signal_episode_details",
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, migrated_template) -> Path:
    """A small published warehouse: two weeks, three days of rates, one completed run (read, never changed)."""
    path = copy_of(migrated_template, tmp_path_factory.mktemp("export"), "w.duckdb")
    with connection(path) as con:
        con.execute(
            "INSERT INTO core.weekly_liquidity (week_ending, total_assets_usd_mn, reserves_usd_mn, tga_usd_mn, rrp_usd_mn,"
            " net_liquidity_usd_mn) VALUES ('2019-09-11', 3769060, 1461906, 357000, 0, 3412060),"
            " ('2019-09-18', 3846437, 1394122, 388000, 0, 3458437)"
        )
        con.execute(
            "INSERT INTO core.daily_rates (date, sofr_pct, effr_pct, iorb_pct, iorb_series, target_upper_pct,"
            " sofr_minus_iorb_bp) VALUES ('2019-09-16', 2.43, 2.25, 2.1, 'IOER', 2.25, 33),"
            " ('2019-09-17', 5.25, 2.30, 2.1, 'IOER', 2.25, 315), ('2019-09-18', 2.55, 2.30, 2.1, 'IOER', 2.25, 45)"
        )
        con.execute(
            "INSERT INTO core.signals VALUES ('2019-09-17', 'stress', 'on', 'alert', '{\"sofr_minus_iorb_bp\": 315}',"
            " '{\"stress_bp\": 15}', 'r1')"
        )
        con.execute(
            "INSERT INTO meta.runs (run_id, started_at, ended_at, source, status) VALUES"
            " ('20191001T000000Z-aaaaaa', '2019-10-01 00:00+00', '2019-10-01 00:01+00', 'snapshot', 'completed'),"
            " ('20191002T000000Z-bbbbbb', '2019-10-02 00:00+00', '2019-10-02 00:01+00', 'live', 'failed')"
        )
    return path


def counts(path: Path) -> dict[str, int]:
    with connection(path, read_only=True) as con:
        return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in CORE}


def test_parquet_keeps_types_rows_and_each_columns_comment_and_unit(warehouse, tmp_path):
    out = tmp_path / "export"
    manifest = export_warehouse(warehouse, out, "parquet")
    expected = counts(warehouse)
    assert [t["table"] for t in manifest["tables"]] == CORE
    assert {t["table"]: len(pd.read_parquet(out / t["file"])) for t in manifest["tables"]} == expected
    assert expected["core.daily_rates"] == 3 and expected["core.latest_state"] == 1

    weekly = pq.read_table(out / "core.weekly_liquidity.parquet")
    assert str(weekly.schema.field("week_ending").type) == "date32[day]"
    assert str(weekly.schema.field("reserves_usd_mn").type) == "double"
    assert weekly.schema.field("reserves_usd_mn").metadata == {
        b"comment": b"Reserve balances with Federal Reserve Banks, week average (WRESBAL, RESH4R_XAW_N.WW).",
        b"unit": b"usd_mn",
    }
    assert weekly.schema.metadata[b"run_id"] == b"20191001T000000Z-aaaaaa"  # the completed run, not the failed one
    assert weekly.schema.metadata[b"comment"].startswith(b"Grain: one row per H.4.1 week")
    frame = pd.read_parquet(out / "core.weekly_liquidity.parquet")
    assert frame.loc[frame.week_ending == dt.date(2019, 9, 18), "reserves_usd_mn"].item() == 1394122.0
    view = pq.read_table(out / "core.latest_state.parquet").schema
    assert view.field("sofr_minus_iorb_bp").metadata[b"unit"] == b"bp"
    assert view.field("rates_date").metadata[b"comment"].startswith(b"The latest day with a SOFR or EFFR fixing")


def test_the_manifest_names_tables_rows_columns_units_and_the_run(warehouse, tmp_path):
    export_warehouse(warehouse, tmp_path / "export", "parquet")
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["run"] == {
        "run_id": "20191001T000000Z-aaaaaa",
        "started_at": "2019-10-01T00:00:00+00:00",
        "ended_at": "2019-10-01T00:01:00+00:00",
        "source": "snapshot",
        "as_of": None,
    }
    daily = next(t for t in manifest["tables"] if t["table"] == "core.daily_rates")
    assert (daily["kind"], daily["file"], daily["rows"]) == ("table", "core.daily_rates.parquet", 3)
    assert daily["comment"].startswith("Grain: one row per business day")
    assert daily["columns"][1] == {
        "name": "sofr_pct",
        "type": "DOUBLE",
        "unit": "pct",
        "comment": "SOFR (from 2018-04-02; null before and on SIFMA holidays such as Good Friday).",
    }
    assert manifest["units"]["usd_mn"] == "millions of US dollars"
    assert sorted(p.name for p in (tmp_path / "export").iterdir()) == sorted(
        [*(f"{name}.parquet" for name in CORE), "manifest.json"]
    )  # no staging folder left behind


def test_csv_has_a_header_and_every_row(warehouse, tmp_path):
    manifest = export_warehouse(warehouse, tmp_path / "csv", "csv")
    expected = counts(warehouse)
    for table in manifest["tables"]:
        with (tmp_path / "csv" / table["file"]).open(newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == [c["name"] for c in table["columns"]]
        assert len(rows) - 1 == expected[table["table"]] == table["rows"]


def test_the_duckdb_export_is_a_file_in_duckdb_1_0_storage_with_comments(warehouse, tmp_path):
    manifest = export_warehouse(warehouse, tmp_path / "old", "duckdb")
    assert manifest["duckdb_storage_version"] == DUCKDB_STORAGE_VERSION == "v1.0.0"
    copy = tmp_path / "old" / "w.duckdb"
    con = duckdb.connect(str(copy), read_only=True)
    try:
        [(tags,)] = con.execute("SELECT tags FROM duckdb_databases() WHERE database_name = 'w'").fetchall()
        assert tags["storage_version"].startswith("v1.0.0")
        assert {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in CORE} == counts(warehouse)
        [(comment,)] = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE table_name = 'latest_state' AND column_name = 'severity'"
        ).fetchall()
        assert comment.startswith("That day's severity")
        assert con.execute("SELECT count(*) FROM meta.runs").fetchone()[0] == 2  # every schema, not only core
    finally:
        con.close()


def test_the_duckdb_export_refuses_to_replace_the_warehouse_itself(warehouse):
    with pytest.raises(ValueError, match="would replace the warehouse"):
        export_warehouse(warehouse, warehouse.parent, "duckdb")
    assert counts(warehouse)["core.daily_rates"] == 3


def test_the_export_command_prints_tables_rows_and_the_manifest(warehouse, tmp_path):
    out = tmp_path / "cli"
    result = CliRunner().invoke(app, ["export", "--out", str(out), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "core.daily_rates" in result.output and "core.signal_episode_details" in result.output
    assert "from run 20191001T000000Z-aaaaaa (snapshot" in result.output
    assert f"manifest: {out / 'manifest.json'}" in " ".join(result.output.split())
    bad = CliRunner().invoke(app, ["export", "--format", "xlsx", "--warehouse", str(warehouse)])
    assert bad.exit_code == 1 and "--format must be parquet, csv or duckdb, not 'xlsx'" in bad.output
    missing = CliRunner().invoke(app, ["export", "--warehouse", str(tmp_path / "none.duckdb")])
    assert missing.exit_code == 1 and "build it first with: liquidity-watch run" in " ".join(missing.output.split())


def files_and_manifest(folder: Path) -> tuple[set[str], set[str]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    return {p.name for p in folder.iterdir()} - {"manifest.json"}, set(manifest["files"])


def test_parquet_then_duckdb_to_the_default_place_leave_two_folders_each_naming_exactly_its_files(
    warehouse, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for export_format in ("parquet", "duckdb"):
        result = CliRunner().invoke(app, ["export", "--format", export_format, "--warehouse", str(warehouse)])
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "var" / "export").iterdir()) == ["duckdb", "parquet"]
    present, named = files_and_manifest(tmp_path / "var" / "export" / "parquet")
    assert present == named == {f"{table}.parquet" for table in CORE}
    present, named = files_and_manifest(tmp_path / "var" / "export" / "duckdb")
    assert present == named == {"w.duckdb"}
    assert json.loads((tmp_path / "var/export/duckdb/manifest.json").read_text())["format"] == "duckdb"


def test_a_second_export_replaces_the_folder_whole(warehouse, tmp_path):
    out = tmp_path / "export"
    export_warehouse(warehouse, out, "csv")
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "core.daily_rates.csv").unlink()  # an earlier export that named a file no longer there
    (out / "manifest.json").write_text(json.dumps({**manifest, "files": [*manifest["files"], "core.gone.csv"]}))
    (out / "core.gone.csv").write_text("a file only the older export had\n")
    export_warehouse(warehouse, out, "csv")
    present, named = files_and_manifest(out)
    assert present == named == {f"{table}.csv" for table in CORE}
    assert [p.name for p in tmp_path.iterdir()] == ["export"]  # no staging or retired folder left beside it


def test_an_export_refuses_a_folder_holding_other_files_and_leaves_them(warehouse, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(ValueError, match=r"holds files that are not one export \(notes.txt\)"):
        export_warehouse(warehouse, out, "parquet")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_an_export_replaces_one_written_before_manifests_listed_their_files(warehouse, tmp_path):
    out = tmp_path / "export"
    export_warehouse(warehouse, out, "csv")
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["files"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    export_warehouse(warehouse, out, "parquet")
    present, named = files_and_manifest(out)
    assert present == named == {f"{table}.parquet" for table in CORE}
