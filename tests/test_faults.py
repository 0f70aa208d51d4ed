"""Fault tests: the warehouse cannot be written, the disk fills up, a source keeps refusing."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import shutil
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.domain.payload import Payload, observations_frame, sha256
from liquidity_watch.sources.errors import FetchError
from liquidity_watch.sources.nyfed import NyFedClient
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import land
from liquidity_watch.warehouse.store import WarehouseNotWritable, working_copy, write_lock


def _published(path: Path) -> Path:
    """``path``, a migrated warehouse, with one SOFR value landed."""
    rows = [("SOFR", dt.date(2019, 9, 17), 5.25)]
    payload = Payload(
        "snapshot", "file:///x", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), sha256(b"x"), observations_frame(rows)
    )
    with connection(path) as con:
        land(con, [payload], "run1")
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_warehouse_folder_that_cannot_be_created_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the warehouse folder should be")
    with (
        pytest.raises(WarehouseNotWritable, match=r"cannot create the lock file .*not-a-folder/w.duckdb.lock"),
        write_lock(blocker / "w.duckdb"),
    ):
        pass


def test_disk_full_while_copying_leaves_the_published_file_and_says_so(tmp_path, empty_warehouse, monkeypatch):
    published = _published(empty_warehouse)
    before = _digest(published)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copyfileobj", full)
    with (
        pytest.raises(
            WarehouseNotWritable,
            match=r"cannot write the warehouse .*w.duckdb: the disk is full; the published file is unchanged",
        ),
        working_copy(published),
    ):
        pass
    assert _digest(published) == before
    assert list(tmp_path.glob("*.work-*")) == []


def test_disk_full_at_the_swap_leaves_the_published_file(tmp_path, empty_warehouse, monkeypatch):
    published = _published(empty_warehouse)
    before = _digest(published)
    import liquidity_watch.warehouse.store as store

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WarehouseNotWritable, match="the disk is full"), working_copy(published) as work:
        with connection(work) as con:
            con.execute("DELETE FROM raw.observation_versions")
        monkeypatch.setattr(store.os, "replace", full)
    monkeypatch.undo()
    assert _digest(published) == before
    assert list(tmp_path.glob("*.work-*")) == []


def test_a_source_answering_429_again_and_again_gives_up_after_bounded_retries(httpserver: HTTPServer, fast_settings):
    httpserver.expect_request("/api/rates/secured/sofr/search.json").respond_with_data(
        '{"message":"Too Many Requests"}', status=429, headers={"Retry-After": "0"}
    )
    settings = fast_settings.model_copy(update={"nyfed_base_url": httpserver.url_for("").rstrip("/")})
    with pytest.raises(FetchError, match=r"nyfed: HTTP 429 after 3 attempts"):
        NyFedClient(settings).fetch_rates("SOFR", dt.date(2024, 6, 3), dt.date(2024, 6, 6))
    assert len(httpserver.log) == 3
