"""Publishing replaces the warehouse's content and nothing else: its mode stays, a symlink stays a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.paths import WarehousePaths
from liquidity_watch.warehouse.store import remove_stale_work_files, working_copy, write_lock
from tests.conftest import copy_of


def publish_one_row(published: Path, value: int) -> None:
    with write_lock(published), working_copy(published) as work, connection(work) as con:
        con.execute("CREATE OR REPLACE TABLE meta.probe AS SELECT ? AS v", [value])


def probe(published: Path) -> int:
    with connection(published, read_only=True) as con:
        return con.execute("SELECT v FROM meta.probe").fetchone()[0]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_first_publish_creates_the_warehouse_and_leaves_only_it_and_its_lock(tmp_path):
    published = tmp_path / "new.duckdb"
    publish_one_row(published, 1)
    assert probe(published) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.duckdb", "new.duckdb.lock"]


@pytest.mark.parametrize("bits", [0o600, 0o640, 0o444])
def test_publish_keeps_the_warehouse_file_mode(empty_warehouse, bits):
    published = empty_warehouse
    publish_one_row(published, 1)
    os.chmod(published, bits)
    publish_one_row(published, 2)
    assert probe(published) == 2
    assert oct(mode(published)) == oct(bits)


def test_publish_replaces_the_file_a_symlink_points_to_and_keeps_the_link(tmp_path, migrated_template):
    store = tmp_path / "store"
    store.mkdir()
    target = copy_of(migrated_template, store, "real.duckdb")
    publish_one_row(target, 1)
    os.chmod(target, 0o600)
    link = tmp_path / "w.duckdb"
    link.symlink_to(target)
    publish_one_row(link, 2)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert probe(target) == 2 and probe(link) == 2
    assert mode(target) == 0o600
    assert WarehousePaths.of(link).lock == store / "real.duckdb.lock"  # one lock whichever name a run is given
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store", "w.duckdb"]  # no work files beside the link


def test_stale_work_files_next_to_a_symlinks_target_are_removed(tmp_path, migrated_template):
    target = copy_of(migrated_template, tmp_path, "real.duckdb")
    publish_one_row(target, 1)
    link = tmp_path / "link.duckdb"
    link.symlink_to(target)
    (tmp_path / "real.duckdb.work-deadbeef").write_bytes(b"half written")
    assert [p.name for p in remove_stale_work_files(link)] == ["real.duckdb.work-deadbeef"]
