"""Every version kept: landing revisions, as-of on known_at, the upgrade of old warehouses, the revision
report, the per-series revision guard and operator acceptances."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.domain.payload import Payload, observations_frame, sha256
from liquidity_watch.domain.revisions import RevisionAcceptance, parse_acceptance, parse_acceptances
from liquidity_watch.expectations.staging import with_revision_guard
from liquidity_watch.warehouse.db import connect, migrate, migrations, transaction
from liquidity_watch.warehouse.raw import land, last_dates, observations_as_of, stored_values
from liquidity_watch.warehouse.revisions import record_acceptances, revision_report
from tests.conftest import copy_of

D = dt.date
JAN = dt.datetime(2026, 1, 10, 15, tzinfo=dt.UTC)
FEB = dt.datetime(2026, 2, 10, 15, tzinfo=dt.UTC)


def _payload(rows: list[tuple[str, dt.date, float]], tag: str, when: dt.datetime, source: str = "snapshot") -> Payload:
    return Payload(source, f"file:///{tag}", when, sha256(repr(rows).encode() + tag.encode()), observations_frame(rows))


@pytest.fixture(scope="module")
def revised_template(tmp_path_factory, migrated_template: Path) -> Path:
    """WALCL 2019-09-18 landed as 100 in January, revised to 101 by a FRED fetch in February."""
    path = copy_of(migrated_template, tmp_path_factory.mktemp("revised"), "template.duckdb")
    con = connect(path)
    land(con, [_payload([("WALCL", D(2019, 9, 18), 100.0), ("WALCL", D(2019, 9, 25), 200.0)], "v1", JAN)], "run1")
    land(
        con, [_payload([("WALCL", D(2019, 9, 18), 101.0), ("WALCL", D(2019, 9, 25), 200.0)], "v2", FEB, "fred")], "run2"
    )
    con.close()
    return path


@pytest.fixture
def revised(revised_template: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    """A private copy of the template, open read-write."""
    path = tmp_path / "w.duckdb"
    shutil.copyfile(revised_template, path)
    con = connect(path)
    yield con
    con.close()


def test_a_revision_is_a_new_version_and_the_old_value_is_kept(revised):
    rows = revised.execute(
        "SELECT date, version, value, source, run_id, first_run_id FROM raw.observation_versions ORDER BY date, version"
    ).fetchall()
    assert rows == [
        (D(2019, 9, 18), 1, 100.0, "snapshot", "run1", "run1"),
        (D(2019, 9, 18), 2, 101.0, "fred", "run2", "run1"),
        (D(2019, 9, 25), 1, 200.0, "snapshot", "run1", "run1"),
    ]
    current = revised.execute(
        "SELECT date, value, version, changed_run_id FROM raw.observations ORDER BY date"
    ).fetchall()
    assert current == [(D(2019, 9, 18), 101.0, 2, "run2"), (D(2019, 9, 25), 200.0, 1, "run1")]


def test_the_first_version_counts_as_known_at_publication_and_a_revision_when_we_retrieved_it(revised):
    known = dict(
        ((version, str(d)), k)
        for d, version, k in revised.execute("SELECT date, version, known_at FROM raw.observation_versions").fetchall()
    )
    # H.4.1 of Wednesday 2019-09-18 was published Thursday 2019-09-19 at 16:30 New York
    assert known[(1, "2019-09-18")].astimezone(dt.UTC) == dt.datetime(2019, 9, 19, 20, 30, tzinfo=dt.UTC)
    assert known[(2, "2019-09-18")].astimezone(dt.UTC) == FEB


def test_as_of_before_the_revision_sees_the_old_value_and_after_it_the_new_one(revised):
    def value_as_of(when: dt.datetime) -> list[float]:
        frame = observations_as_of(revised, when)
        return frame.filter(pl.col("date") == D(2019, 9, 18))["value"].to_list()

    assert value_as_of(dt.datetime(2019, 9, 19, 4, tzinfo=dt.UTC)) == []  # not yet published
    assert value_as_of(dt.datetime(2019, 9, 20, 4, tzinfo=dt.UTC)) == [100.0]
    assert value_as_of(FEB - dt.timedelta(seconds=1)) == [100.0]
    assert value_as_of(FEB + dt.timedelta(seconds=1)) == [101.0]
    assert observations_as_of(revised, None).filter(pl.col("date") == D(2019, 9, 18))["value"].to_list() == [101.0]


def test_landing_the_same_revision_again_adds_nothing_and_a_reverted_value_is_a_third_version(revised):
    again = land(revised, [_payload([("WALCL", D(2019, 9, 18), 101.0)], "v2-again", FEB)], "run3")
    assert again.rows_out == 0
    back = land(revised, [_payload([("WALCL", D(2019, 9, 18), 100.0)], "v3", FEB + dt.timedelta(days=1))], "run4")
    assert back.changed == {"WALCL": 1}
    assert revised.execute("SELECT max(version) FROM raw.observation_versions").fetchone() == (3,)


def test_the_readers_keep_their_contracts(revised):
    assert last_dates(revised) == {"WALCL": D(2019, 9, 25)}
    assert stored_values(revised, ["WALCL"]).sort("date").rows() == [
        ("WALCL", D(2019, 9, 18), 101.0),
        ("WALCL", D(2019, 9, 25), 200.0),
    ]


def test_the_revision_view_says_what_changed_when_and_by_how_much(revised):
    columns, rows = revision_report(revised)
    [row] = [dict(zip(columns, r, strict=True)) for r in rows]
    assert {k: row[k] for k in ("series_id", "date", "version", "previous_value", "value", "change", "unit")} == {
        "series_id": "WALCL",
        "date": D(2019, 9, 18),
        "version": 2,
        "previous_value": 100.0,
        "value": 101.0,
        "change": 1.0,
        "unit": "usd_mn",
    }
    assert row["change_pct"] == 1.0 and row["source"] == "fred" and row["run_id"] == "run2"
    assert row["age_days"] == (D(2026, 2, 10) - D(2019, 9, 18)).days and row["accepted_as"] is None
    assert revision_report(revised, series="SOFR")[1] == []
    assert revision_report(revised, since=D(2026, 2, 11))[1] == []
    assert len(revision_report(revised, since=D(2026, 2, 10))[1]) == 1


def test_an_acceptance_is_recorded_with_the_revisions_it_covered_and_named_in_the_report(revised):
    accepted = (
        RevisionAcceptance("WALCL", D(2019, 1, 1), D(2019, 12, 31)),
        parse_acceptance("SOFR:2019-01-01:2019-12-31"),
    )
    with transaction(revised):
        counts = record_acceptances(revised, "run2", FEB, accepted)
    assert counts == {"WALCL:2019-01-01:2019-12-31": 1, "SOFR:2019-01-01:2019-12-31": 0}
    assert revised.execute(
        "SELECT series_id, start_date, end_date, revisions FROM meta.revision_acceptances ORDER BY series_id"
    ).fetchall() == [("SOFR", D(2019, 1, 1), D(2019, 12, 31), 0), ("WALCL", D(2019, 1, 1), D(2019, 12, 31), 1)]
    columns, rows = revision_report(revised)
    assert dict(zip(columns, rows[0], strict=True))["accepted_as"] == "WALCL:2019-01-01:2019-12-31"


def _earlier_release(path: Path) -> duckdb.DuckDBPyConnection:
    """A warehouse as an earlier release left it: every migration before 008 applied, raw.observations a table."""
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    for version, name, sql in migrations():
        if version < 8:
            con.execute(sql)
            con.execute("INSERT INTO meta.schema_migrations (version, name) VALUES (?, ?)", [version, name])
    old_rows = [
        ("WALCL", D(2019, 9, 18), 101.0, "usd_mn", "ddp", "https://board/x", FEB, "h2", JAN, "run1", "run2"),
        ("SOFR", D(2019, 9, 17), 5.25, "pct", "snapshot", "file:///SOFR.csv", JAN, "h1", JAN, "run1", "run1"),
    ]
    con.executemany("INSERT INTO raw.observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", old_rows)
    return con


def test_a_warehouse_of_an_earlier_version_moves_its_rows_into_versions_with_their_provenance(tmp_path: Path):
    con = _earlier_release(tmp_path / "old.duckdb")
    before = con.execute("SELECT * FROM raw.observations ORDER BY series_id").fetchall()
    assert migrate(con) == [name for version, name, _ in migrations() if version >= 8]
    after = con.execute(
        "SELECT series_id, date, value, unit, source, url, retrieved_at, payload_sha256, published_at, first_run_id,"
        " changed_run_id FROM raw.observations ORDER BY series_id"
    ).fetchall()
    assert after == before
    versions = con.execute(
        "SELECT series_id, version, run_id, first_run_id, known_at = published_at FROM raw.observation_versions"
        " ORDER BY series_id"
    ).fetchall()
    assert versions == [("SOFR", 1, "run1", "run1", True), ("WALCL", 1, "run2", "run1", True)]
    con.close()


def test_read_only_commands_on_a_warehouse_not_yet_upgraded_still_read_or_say_what_to_do(tmp_path: Path):
    path = tmp_path / "old.duckdb"
    _earlier_release(path).close()
    con = duckdb.connect(str(path), read_only=True)  # read-only connections never migrate
    assert last_dates(con) == {"SOFR": D(2019, 9, 17), "WALCL": D(2019, 9, 18)}
    assert observations_as_of(con, None).height == 2
    con.close()
    result = CliRunner().invoke(app, ["revisions", "--warehouse", str(path)])
    assert result.exit_code == 1
    assert f"predates revision tracking; a run upgrades it: liquidity-watch run --warehouse {path}" in " ".join(
        result.output.split()
    )


# --- the revision guard, per series -----------------------------------------------------------------


FIRST_WEEK = D(2010, 1, 6)


def _weekly(series: str, n: int, scale: float = 1.0, start: dt.date = FIRST_WEEK) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "series_id": [series] * n,
            "date": [start + dt.timedelta(weeks=i) for i in range(n)],
            "value": [1_000_000.0 * scale + i for i in range(n)],
        }
    )


def _guard(incoming: pl.DataFrame, stored: pl.DataFrame, accepted=()) -> pl.DataFrame:
    return with_revision_guard(incoming, stored, D(2026, 9, 1), accepted)


def test_twenty_revisions_of_one_series_break_its_guard_whatever_other_series_bring():
    stored = _weekly("WALCL", 1000)
    revised = stored.with_columns(
        value=pl.when(pl.int_range(pl.len()) < 20).then(pl.col("value") + 5).otherwise(pl.col("value"))
    )
    alone = _guard(revised, stored)
    assert alone["breaks_revision_guard"].sum() == 20
    # other files re-read unchanged (a trailing blank line changes their hash, not their values) no longer dilute it
    others = pl.concat([_weekly(sid, 1000) for sid in ("WRESBAL", "WDTGAL", "TREAST", "WSHOMCB")])
    diluted = _guard(pl.concat([revised, others]), pl.concat([stored, others]))
    assert diluted["breaks_revision_guard"].sum() == 20
    assert diluted.filter(pl.col("breaks_revision_guard"))["series_id"].unique().to_list() == ["WALCL"]


def test_revisions_under_the_guard_share_pass_and_accepted_ones_do_not_count():
    stored = _weekly("WALCL", 1000)
    few = stored.with_columns(
        value=pl.when(pl.int_range(pl.len()) < 10).then(pl.col("value") + 5).otherwise(pl.col("value"))
    )
    assert _guard(few, stored)["breaks_revision_guard"].sum() == 0  # 10 of 1,000 = 1 %
    many = stored.with_columns(value=pl.col("value") + 5)
    accepted = parse_acceptances(["WALCL:2010-01-01:2012-12-31"])
    guarded = _guard(many, stored, accepted)
    in_range = pl.col("date").is_between(D(2010, 1, 1), D(2012, 12, 31))
    assert guarded.filter(in_range)["revision_accepted"].all()
    assert guarded.filter(in_range)["breaks_revision_guard"].sum() == 0
    assert guarded.filter(~in_range & pl.col("revises_history"))["breaks_revision_guard"].all()
    assert guarded.filter(~in_range)["revises_history"].sum() > 0


def test_recent_revisions_are_not_history():
    stored = _weekly("WALCL", 4, start=D(2026, 8, 5))
    assert _guard(stored.with_columns(value=pl.col("value") + 1), stored)["breaks_revision_guard"].sum() == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("WALCL:2012", "is not SERIES:START:END"),
        ("NOPE:2010-01-01:2012-12-31", "unknown series 'NOPE'"),
        ("WALCL:2012-12-31:2010-01-01", "the range starts after it ends"),
        ("WALCL:2010-02-30:2012-12-31", "day is out of range for month"),
    ],
)
def test_an_acceptance_must_name_a_known_series_and_a_real_range(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_acceptance(text)


def test_acceptances_may_be_repeated_or_comma_separated_and_duplicates_collapse():
    assert [
        str(a)
        for a in parse_acceptances(
            ["WALCL:2010-01-01:2012-12-31,SOFR:2019-01-01:2019-12-31", "WALCL:2010-01-01:2012-12-31"]
        )
    ] == [
        "WALCL:2010-01-01:2012-12-31",
        "SOFR:2019-01-01:2019-12-31",
    ]


# --- the CLI ------------------------------------------------------------------------------------------


def test_the_revisions_command_prints_the_report_as_json_and_filters_by_series_and_day(revised, tmp_path: Path):
    path = tmp_path / "w.duckdb"
    revised.close()
    runner = CliRunner()
    result = runner.invoke(app, ["revisions", "--warehouse", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["series_id"], row["date"], row["previous_value"], row["value"], row["change"]) == (
        "WALCL",
        "2019-09-18",
        100.0,
        101.0,
        1.0,
    )
    table = runner.invoke(app, ["revisions", "--warehouse", str(path), "--series", "WALCL"])
    assert table.exit_code == 0 and "WALCL" in table.stdout and "2019-09-18" in table.stdout
    none = runner.invoke(app, ["revisions", "--warehouse", str(path), "--since", "2026-03-01"])
    assert none.exit_code == 0 and "no revisions learned since 2026-03-01" in " ".join(none.stdout.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revisions", "--series", "NOPE"], "--series 'NOPE' is not a known series"),
        (["revisions", "--since", "2026-W01-1"], "--since expects a date as YYYY-MM-DD"),
        (["run", "--accept-revisions", "WALCL:2012"], "--accept-revisions 'WALCL:2012' is not SERIES:START:END"),
    ],
)
def test_bad_revision_arguments_exit_1_with_one_line(args: list[str], message: str, tmp_path: Path):
    result = CliRunner().invoke(app, [*args, "--warehouse", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output
