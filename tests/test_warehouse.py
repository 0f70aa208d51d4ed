"""The warehouse: migrations, idempotent landing, atomic publish and the write lock."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.domain.payload import Payload, observations_frame, sha256
from liquidity_watch.warehouse.db import connect, migrations
from liquidity_watch.warehouse.raw import fresh_payloads, land, last_dates, observations_as_of
from liquidity_watch.warehouse.store import WarehouseBusy, remove_stale_work_files, working_copy, write_lock

D = dt.date
NOW = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def _payload(rows: list[tuple[str, dt.date, float]], tag: str = "a") -> Payload:
    return Payload(
        "snapshot", f"file:///{tag}", NOW, sha256(repr(rows).encode() + tag.encode()), observations_frame(rows)
    )


def test_migrations_apply_once_and_record_their_versions(tmp_path: Path):
    con = connect(tmp_path / "w.duckdb")
    con.close()
    con = connect(tmp_path / "w.duckdb")
    applied = con.execute("SELECT version, name FROM meta.schema_migrations ORDER BY version").fetchall()
    assert applied == [(v, n) for v, n, _ in migrations()]
    schemas = {r[0] for r in con.execute("SELECT schema_name FROM duckdb_schemas()").fetchall()}
    assert {"raw", "stage", "core", "meta"} <= schemas
    con.close()


def test_landing_the_same_payload_twice_changes_nothing(empty_warehouse: Path):
    con = connect(empty_warehouse)
    payload = _payload([("WRESBAL", D(2019, 9, 18), 1_394_122.0), ("SOFR", D(2019, 9, 17), 5.25)])
    first = land(con, [payload], "run1")
    assert first.inserted == {"WRESBAL": 1, "SOFR": 1}
    before = con.sql("SELECT * FROM raw.observations ORDER BY series_id").fetchall()
    assert fresh_payloads(con, [payload]) == []  # a run skips the payload it already landed...
    second = land(con, [payload], "run2")  # ...and landing it anyway changes nothing
    assert second.rows_out == 0
    assert con.sql("SELECT * FROM raw.observations ORDER BY series_id").fetchall() == before
    con.close()


def test_a_revised_value_updates_the_row_and_records_the_run_that_changed_it(empty_warehouse: Path):
    con = connect(empty_warehouse)
    land(con, [_payload([("WALCL", D(2019, 9, 18), 100.0), ("WALCL", D(2019, 9, 25), 200.0)], "v1")], "run1")
    result = land(con, [_payload([("WALCL", D(2019, 9, 18), 101.0), ("WALCL", D(2019, 9, 25), 200.0)], "v2")], "run2")
    assert result.changed == {"WALCL": 1} and result.inserted == {}
    rows = con.execute(
        "SELECT date, value, first_run_id, changed_run_id FROM raw.observations ORDER BY date"
    ).fetchall()
    assert rows == [(D(2019, 9, 18), 101.0, "run1", "run2"), (D(2019, 9, 25), 200.0, "run1", "run1")]
    con.close()


def test_landing_stores_units_provenance_and_publication_time(empty_warehouse: Path):
    con = connect(empty_warehouse)
    land(con, [_payload([("RRPONTSYD", D(2019, 9, 18), 18.91)])], "run1")
    unit, source, published = con.execute("SELECT unit, source, published_at FROM raw.observations").fetchone()
    assert unit == "usd_bn" and source == "snapshot"
    assert published.astimezone(dt.UTC) == dt.datetime(2019, 9, 18, 17, 30, tzinfo=dt.UTC)
    assert con.execute("SELECT n_observations, series FROM raw.payloads").fetchone() == (1, ["RRPONTSYD"])
    con.close()


def test_each_landed_row_carries_its_own_payloads_provenance_and_the_later_payload_wins_an_overlap(
    empty_warehouse: Path,
):
    con = connect(empty_warehouse)
    older = _payload([("SOFR", D(2019, 9, 16), 2.43), ("SOFR", D(2019, 9, 17), 5.00)], "older")
    newer = _payload([("SOFR", D(2019, 9, 17), 5.25), ("RRPONTSYD", D(2019, 9, 18), 18.91)], "newer")
    result = land(con, [older, newer], "run1")
    assert result.inserted == {"SOFR": 2, "RRPONTSYD": 1}
    rows = con.execute(
        "SELECT series_id, date, value, unit, url, payload_sha256, version FROM raw.observation_versions"
        " ORDER BY series_id, date"
    ).fetchall()
    assert rows == [
        ("RRPONTSYD", D(2019, 9, 18), 18.91, "usd_bn", "file:///newer", newer.sha256, 1),
        ("SOFR", D(2019, 9, 16), 2.43, "pct", "file:///older", older.sha256, 1),
        ("SOFR", D(2019, 9, 17), 5.25, "pct", "file:///newer", newer.sha256, 1),
    ]
    con.close()


def test_as_of_returns_only_what_was_published_by_then(empty_warehouse: Path):
    con = connect(empty_warehouse)
    land(con, [_payload([("SOFR", D(2019, 9, 17), 5.25), ("WRESBAL", D(2019, 9, 18), 1_394_122.0)])], "run1")
    as_of = dt.datetime(2019, 9, 19, 4, 0, tzinfo=dt.UTC)  # end of 2019-09-18 in New York
    assert observations_as_of(con, as_of)["series_id"].to_list() == ["SOFR"]
    assert observations_as_of(con, None).height == 2
    assert last_dates(con) == {"SOFR": D(2019, 9, 17), "WRESBAL": D(2019, 9, 18)}
    con.close()


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failure_inside_the_working_copy_leaves_the_published_file_byte_for_byte(
    tmp_path: Path, empty_warehouse: Path
):
    published = empty_warehouse
    con = connect(published)
    land(con, [_payload([("SOFR", D(2019, 9, 17), 5.25)])], "run1")
    con.close()
    before = _file_hash(published)
    with pytest.raises(RuntimeError, match="boom"), working_copy(published) as work:
        con = connect(work)
        con.execute("DELETE FROM raw.observation_versions")
        con.close()
        raise RuntimeError("boom")
    assert _file_hash(published) == before
    assert list(tmp_path.glob("*.work-*")) == []


def test_a_successful_working_copy_replaces_the_published_file(empty_warehouse: Path):
    published = empty_warehouse
    with working_copy(published) as work:
        con = connect(work)
        land(con, [_payload([("SOFR", D(2019, 9, 17), 5.25)])], "run1")
        con.close()
    con = connect(published, read_only=True)
    assert con.execute("SELECT count(*) FROM raw.observations").fetchone() == (1,)
    con.close()


def test_the_swap_replaces_the_file_the_link_pointed_to_when_the_copy_was_made(tmp_path: Path):
    first, second, link = tmp_path / "first.duckdb", tmp_path / "second.duckdb", tmp_path / "w.duckdb"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    link.symlink_to(first)
    with working_copy(link) as work:
        work.write_bytes(b"the run's")
        link.unlink()
        link.symlink_to(second)  # the link moves while the run writes
    assert (first.read_bytes(), second.read_bytes()) == (b"the run's", b"second")
    assert link.is_symlink()


def test_an_open_connection_to_the_working_copy_is_refused_at_publish(empty_warehouse: Path):
    published = empty_warehouse
    before = _file_hash(published)
    with (
        pytest.raises(RuntimeError, match="connection to the working file was left open"),
        working_copy(published) as work,
    ):
        con = connect(work)
        con.execute("CREATE TABLE raw.t AS SELECT 1 AS x")
        leaked = con
    leaked.close()
    assert _file_hash(published) == before


def test_stale_working_files_of_a_killed_run_are_removed(tmp_path: Path):
    published = tmp_path / "w.duckdb"
    (tmp_path / "w.duckdb.work-deadbeef").write_bytes(b"half written")
    assert [p.name for p in remove_stale_work_files(published)] == ["w.duckdb.work-deadbeef"]


@pytest.mark.integration
def test_a_second_writer_in_another_process_is_refused_with_a_clear_message(tmp_path: Path):
    published = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from liquidity_watch.warehouse.store import write_lock
            with write_lock(Path({str(published)!r})):
                print("locked", flush=True)
                sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with (
            pytest.raises(WarehouseBusy, match=rf"another run is writing {published} .*held by pid {holder.pid}"),
            write_lock(published, wait_s=0.3),
        ):
            pass
    finally:
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    with write_lock(published):  # free again once the holder ends
        pass


@pytest.mark.integration
def test_readers_in_another_process_keep_reading_while_a_run_replaces_the_file(empty_warehouse: Path):
    published = empty_warehouse
    con = connect(published)
    land(con, [_payload([("SOFR", D(2019, 9, 17), 5.25)])], "run1")
    con.close()
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(published)!r}, read_only=True)
            print(con.execute("select count(*) from raw.observations").fetchone()[0], flush=True)
            sys.stdin.readline()
            print(con.execute("select count(*) from raw.observations").fetchone()[0], flush=True)
            con.close()
            con = duckdb.connect({str(published)!r}, read_only=True)
            print(con.execute("select count(*) from raw.observations").fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "1"
    with write_lock(published), working_copy(published) as work:  # the writer never opens the published file
        con = connect(work)
        land(con, [_payload([("SOFR", D(2019, 9, 18), 2.55)], "b")], "run2")
        con.close()
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "1"  # its open snapshot is intact
    assert reader.stdout.readline().strip() == "2"  # a new connection sees the new file
    assert reader.wait(timeout=30) == 0


def test_observation_frames_have_the_declared_schema():
    frame = observations_frame([("SOFR", D(2019, 9, 17), 5.25)])
    assert frame.schema == pl.Schema({"series_id": pl.String(), "date": pl.Date(), "value": pl.Float64()})
