"""``liquidity-watch query`` is a sandbox: it reads the warehouse and nothing else, and says why it refuses."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.warehouse import sandbox
from liquidity_watch.warehouse.db import connection

runner = CliRunner()


@pytest.fixture
def warehouse(empty_warehouse: Path) -> Path:
    """A small migrated warehouse with three published rates."""
    path = empty_warehouse
    with connection(path) as con:
        con.execute(
            "INSERT INTO core.daily_rates (date, sofr_pct) VALUES"
            " (DATE '2019-09-16', 2.43), (DATE '2019-09-17', 5.25), (DATE '2019-09-18', 2.55)"
        )
    return path


def rates(path: Path) -> int:
    with connection(path, read_only=True) as con:
        return con.execute("SELECT count(*) FROM core.daily_rates").fetchone()[0]


def query(warehouse: Path, sql: str, *extra: str):
    return runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), *extra])


def one_line_errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_the_attach_detach_reattach_script_that_deleted_published_rows_is_refused_and_deletes_nothing(warehouse):
    reattach = f"ATTACH '{warehouse}' AS w2 (READ_WRITE)"
    script = f"ATTACH ':memory:' AS scratch (READ_WRITE); USE scratch; DETACH w; {reattach}; DELETE FROM w2.core.daily_rates;"
    result = query(warehouse, script)
    assert result.exit_code == 1
    assert one_line_errors(result) == [
        "error: statement 1 (ATTACH ':memory:' AS scratch (READ_WRITE)) refused: attaching databases is not allowed",
        "error: statement 2 (USE scratch) refused: changing settings (SET, RESET, USE) is not allowed",
        "error: statement 3 (DETACH w) refused: detaching databases is not allowed",
        f"error: statement 4 ({sandbox.one_line(reattach)}) refused: attaching databases is not allowed",
        "error: statement 5 (DELETE FROM w2.core.daily_rates) refused: the warehouse is read-only: DELETE is not allowed",
    ]
    assert rates(warehouse) == 3


def test_the_settings_alone_stop_the_warehouse_from_being_attached_again_read_write(warehouse):
    """Even past the statement check (DuckDB run directly), the locked settings refuse the re-attach."""
    con = sandbox.connect(warehouse)
    try:
        con.execute("ATTACH ':memory:' AS scratch (READ_WRITE)")  # in memory: only the statement check stops this
        con.execute("USE scratch")
        con.execute("DETACH w")
        with pytest.raises(duckdb.PermissionException, match="LocalFileSystem has been disabled"):
            con.execute(f"ATTACH '{warehouse}' AS w2 (READ_WRITE)")
        for change in (
            "SET disabled_filesystems = ''",
            "RESET enable_external_access",
            "SET lock_configuration = false",
        ):
            with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
                con.execute(change)
    finally:
        con.close()
    assert rates(warehouse) == 3


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("COPY (SELECT 1) TO '{out}/x.csv'", "COPY is not allowed"),
        ("COPY core.daily_rates TO '{out}/x.parquet' (FORMAT parquet)", "COPY is not allowed"),
        ("EXPORT DATABASE '{out}/dump'", "EXPORT DATABASE is not allowed"),
        ("INSTALL httpfs", "installing or loading extensions is not allowed"),
        ("LOAD httpfs", "installing or loading extensions is not allowed"),
        ("SET enable_external_access = true", "changing settings (SET, RESET, USE) is not allowed"),
        ("RESET lock_configuration", "changing settings (SET, RESET, USE) is not allowed"),
        ("PRAGMA enable_profiling", "PRAGMA is not allowed"),
        ("IMPORT DATABASE '{out}'", "PRAGMA is not allowed"),
        ("CREATE TEMP TABLE t AS SELECT 1", "the warehouse is read-only: CREATE is not allowed"),
        ("UPDATE core.daily_rates SET sofr_pct = 0", "the warehouse is read-only: UPDATE is not allowed"),
        ("DROP TABLE core.daily_rates", "the warehouse is read-only: DROP is not allowed"),
        ("CHECKPOINT", None),  # a CALL: allowed, and a no-op on a read-only file
        # DuckDB parses anything holding a PIVOT as MULTI: judged by what it starts as
        ("CREATE TEMP TABLE t AS PIVOT (SELECT 'a' AS k, 1 AS v) ON k USING sum(v)", "CREATE is not allowed"),
        ("COPY (PIVOT (SELECT 'a' AS k, 1 AS v) ON k USING sum(v)) TO '{out}/x.csv'", "COPY is not allowed"),
        ("/* a comment first */ PIVOT (SELECT 'a' AS k, 1 AS v) ON k USING sum(v)", None),
    ],
)
def test_each_statement_that_could_write_or_escape_is_refused_in_one_line(warehouse, tmp_path, sql, reason):
    out = tmp_path / "out"
    out.mkdir()
    result = query(warehouse, sql.format(out=out))
    if reason is None:
        assert result.exit_code == 0, result.stderr
    else:
        [line] = one_line_errors(result)
        assert result.exit_code == 1 and line.startswith("error: statement 1 (") and reason in line
    assert list(out.iterdir()) == []
    assert rates(warehouse) == 3


def test_install_from_a_url_makes_no_request_even_past_the_statement_check(warehouse, httpserver: HTTPServer):
    url = httpserver.url_for("/ext")
    httpserver.expect_request("/ext").respond_with_data("nope")
    result = query(warehouse, f"INSTALL httpfs FROM '{url}'")
    assert result.exit_code == 1 and "installing or loading extensions is not allowed" in result.stderr
    con = sandbox.connect(warehouse)
    try:
        for sql in (
            f"INSTALL httpfs FROM '{url}'",
            f"SELECT * FROM read_text('{url}/x')",
            f"SELECT * FROM '{url}/x.csv'",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql)
    finally:
        con.close()
    assert httpserver.log == []


def test_local_files_are_read_only_under_allow_read(warehouse, tmp_path):
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "mine.csv").write_text("a,b\n1,2\n")
    (tmp_path / "secret.csv").write_text("s\nhidden\n")
    sql = f"select * from read_csv('{folder / 'mine.csv'}')"
    refused = query(warehouse, sql)
    [line] = one_line_errors(refused)
    assert refused.exit_code == 1 and "reading local files is off; allow a folder or file with --allow-read" in line
    allowed = query(warehouse, sql, "--allow-read", str(folder), "--format", "csv")
    assert allowed.exit_code == 0 and allowed.stdout == "a,b\n1,2\n"
    outside = query(warehouse, f"select * from read_csv('{tmp_path / 'secret.csv'}')", "--allow-read", str(folder))
    assert outside.exit_code == 1 and "hidden" not in outside.stdout + outside.stderr
    # the opt-in opens reading, never writing or attaching
    copy = query(warehouse, f"COPY (SELECT 1) TO '{folder / 'out.csv'}'", "--allow-read", str(folder))
    attach = query(warehouse, f"ATTACH '{warehouse}' AS again", "--allow-read", str(warehouse.parent))
    assert copy.exit_code == attach.exit_code == 1
    assert sorted(p.name for p in folder.iterdir()) == ["mine.csv"]
    missing = query(warehouse, "select 1", "--allow-read", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "--allow-read" in missing.stderr and "does not exist" in missing.stderr


def test_a_script_of_two_selects_prints_both_results_in_order(warehouse):
    result = query(warehouse, "select 1 as first; select 2 as second")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.index("statement 1 (select 1 as first):") < out.index("first") < out.index("second")
    assert out.count("1 row(s)") == 2


def test_a_script_of_two_statements_is_refused_for_csv_and_json_with_a_reason(warehouse):
    result = query(warehouse, "select 1; select 2", "--format", "csv")
    [line] = one_line_errors(result)
    assert result.exit_code == 1 and "--format csv prints one result and this SQL holds 2 statements" in line
    assert result.stdout == ""


def test_list_and_date_values_print_as_json_in_csv_and_markup_prints_as_written(warehouse):
    sql = "select [DATE '2019-09-17', NULL] as days, '[/bold]x[red]' as note, {'k': 1.5::DOUBLE} as s"
    csv_out = query(warehouse, sql, "--format", "csv")
    assert csv_out.exit_code == 0 and csv_out.stdout.splitlines() == [
        "days,note,s",
        '"[""2019-09-17"", null]",[/bold]x[red],"{""k"": 1.5}"',
    ]
    table = query(warehouse, sql)
    assert table.exit_code == 0 and "[/bold]x[red]" in table.stdout and '["2019-09-17", null]' in table.stdout
    as_json = query(warehouse, sql, "--format", "json")
    assert json.loads(as_json.stdout) == [{"days": ["2019-09-17", None], "note": "[/bold]x[red]", "s": {"k": 1.5}}]


def test_a_file_that_is_not_a_warehouse_is_one_line(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("not a database")
    result = query(bad, "select 1")
    [line] = one_line_errors(result)
    assert result.exit_code == 1 and line.startswith(f"error: cannot read the warehouse {bad}")
    folder = query(tmp_path, "select 1")
    assert folder.exit_code == 1 and "it is a folder, not a DuckDB file" in folder.stderr


def test_sandbox_settings_are_locked_as_documented(warehouse):
    con = sandbox.connect(warehouse)
    try:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
                "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
                "'access_mode', 'temp_directory')"
            ).fetchall()
        )
    finally:
        con.close()
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "access_mode": "read_only",
        "temp_directory": "",
    }  # disabled_filesystems reads back empty in DuckDB 2.0; its effect is tested above
