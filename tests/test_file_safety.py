"""Files beside the warehouse: the project opens its own files and nothing else, and reads only regular files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from liquidity_watch.alerts.journal import Journal
from liquidity_watch.cli import app
from liquidity_watch.warehouse.paths import WarehousePaths
from liquidity_watch.warehouse.store import (
    NotARegularFile,
    WarehouseNotWritable,
    remove_stale_work_files,
    working_copy,
    write_lock,
)

VICTIM = b"someone else's file\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "elsewhere" / "precious.txt"
    path.parent.mkdir()
    path.write_bytes(VICTIM)
    return path


def test_a_lock_file_that_is_a_link_is_refused_and_what_it_points_to_is_untouched(tmp_path, victim):
    published = tmp_path / "w.duckdb"
    WarehousePaths.of(published).lock.symlink_to(victim)
    with pytest.raises(WarehouseNotWritable) as caught, write_lock(published):
        pass
    assert str(caught.value) == (
        f"the lock file {WarehousePaths.of(published).lock} is a symbolic link; refused (remove it: the project writes only its own files)"
    )
    assert victim.read_bytes() == VICTIM


def test_a_delivery_journal_that_is_a_link_is_refused_and_what_it_points_to_is_untouched(tmp_path, victim):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    journal.symlink_to(victim)
    with (
        pytest.raises(WarehouseNotWritable, match=r"the delivery journal .* is a symbolic link; refused"),
        Journal.open(journal),
    ):
        pass
    assert victim.read_bytes() == VICTIM


def test_a_link_in_place_of_the_journals_side_file_is_refused_before_sqlite_writes_through_it(tmp_path, victim):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    journal.with_name(journal.name + "-journal").symlink_to(victim)
    with (
        pytest.raises(WarehouseNotWritable, match=r"w\.duckdb\.delivery\.sqlite3-journal is a symbolic link"),
        Journal.open(journal),
    ):
        pass
    assert victim.read_bytes() == VICTIM


def test_a_journal_that_is_a_regular_file_opens_as_before(tmp_path):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    with Journal.open(journal) as opened:
        assert opened.states() == {}
    assert journal.is_file() and not journal.is_symlink()


def test_a_warehouse_name_with_pattern_characters_removes_only_its_own_working_files(tmp_path):
    other_live = tmp_path / "w1.duckdb.work-0123456789ab"  # another warehouse's live working copy
    other_live.write_bytes(b"in use")
    own = tmp_path / "w[1].duckdb.work-deadbeef"
    own.write_bytes(b"stale")
    own_wal = tmp_path / "w[1].duckdb.work-deadbeef.wal"
    own_wal.write_bytes(b"stale")
    lookalike = tmp_path / "w[1].duckdb.work-notes.txt"
    lookalike.write_bytes(b"kept")
    removed = remove_stale_work_files(tmp_path / "w[1].duckdb")
    assert [p.name for p in removed] == ["w[1].duckdb.work-deadbeef", "w[1].duckdb.work-deadbeef.wal"]
    assert other_live.read_bytes() == b"in use" and lookalike.exists()


def test_a_warehouse_that_is_a_fifo_is_refused_before_it_is_read(tmp_path):
    fifo = tmp_path / "w.duckdb"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile) as caught, working_copy(fifo):
        pass
    assert str(caught.value) == f"the warehouse {fifo} is a FIFO, not a DuckDB file; refused before reading it"
    assert [p.name for p in tmp_path.iterdir()] == ["w.duckdb"]  # no working copy was started


def test_a_warehouse_that_is_a_device_is_refused_by_read_commands_in_one_line():
    result = CliRunner().invoke(app, ["status", "--warehouse", "/dev/zero"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == (
        "error: the warehouse /dev/zero is a character device, not a DuckDB file; refused before reading it"
    )


def test_a_link_to_a_device_is_refused_as_the_device(tmp_path):
    link = tmp_path / "w.duckdb"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotARegularFile, match="is a character device"), working_copy(link):
        pass
