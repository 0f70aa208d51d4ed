"""Shared fixtures. Every test is offline: external services are loopback fakes."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.flows.summary import RunSummary
from liquidity_watch.resources import bundled_snapshot_dir
from liquidity_watch.settings import Settings
from liquidity_watch.sources.snapshot import read_snapshot

# Before anything imports Prefect or GX (none of the imports above does): no telemetry,
# a patient server start on 2 cores, and quiet Prefect logs.
bootstrap()
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# anything Prefect stores goes to a folder of this process, never to ~/.prefect, and is removed
# when the process exits (every xdist worker imports this file and cleans up its own)
PREFECT_STORAGE = tempfile.mkdtemp(prefix="lw-prefect-storage-")
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = PREFECT_STORAGE
atexit.register(shutil.rmtree, PREFECT_STORAGE, True)

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
SNAPSHOT = bundled_snapshot_dir()


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    return SNAPSHOT


@pytest.fixture(scope="session")
def snapshot_observations() -> pl.DataFrame:
    """Every observation of the bundled snapshot (long format)."""
    return pl.concat([p.observations for p in read_snapshot(SNAPSHOT)])


@pytest.fixture(scope="session")
def snapshot_archive(snapshot_observations) -> bytes:
    """A small H.4.1 release archive (no filler series) built from the snapshot, once per session."""
    from tests.h41_archive import archive_bytes

    return archive_bytes(snapshot_observations)


@pytest.fixture(scope="session")
def release_archive(tmp_path_factory, snapshot_observations) -> Path:
    """A release archive of realistic size: the snapshot's H.4.1 series plus filler series, H41_data.xml of
    at least 100 MB expanded. Built at test time once per session (about 2 s), never committed."""
    from tests.h41_archive import write_archive

    path = tmp_path_factory.mktemp("h41") / "H41.zip"
    size = write_archive(path, snapshot_observations, filler_bytes=100 * 2**20)
    assert size >= 100 * 2**20
    return path


@pytest.fixture
def fast_settings(tmp_path: Path) -> Settings:
    """Settings for clients talking to loopback fakes: short timeouts, no pacing, quick retries."""
    return Settings(
        warehouse=tmp_path / "wh.duckdb",
        http_timeout_s=2.0,
        http_max_attempts=3,
        http_backoff_initial_s=0.01,
        http_backoff_max_s=0.05,
        requests_per_second=0,
    )


@pytest.fixture(scope="session")
def prefect_server():
    """One real Prefect server (SQLite in a temp dir) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def snapshot_warehouse(prefect_server, tmp_path_factory) -> tuple[Path, RunSummary]:
    """One warehouse built from the bundled snapshot through the real flow, for the whole session.

    Read it, never write it: a test that changes a warehouse copies this one first (``copy_of``).
    """
    from liquidity_watch.flows.pipeline import pipeline

    path = tmp_path_factory.mktemp("snapshot-warehouse") / "snapshot.duckdb"
    return path, pipeline(source="snapshot", warehouse=str(path))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """An empty warehouse with every migration applied, made once per session (migrating costs ~0.2 s)."""
    from liquidity_watch.warehouse.db import connect

    path = tmp_path_factory.mktemp("template") / "empty.duckdb"
    connect(path).close()
    return path


@pytest.fixture
def empty_warehouse(migrated_template: Path, tmp_path: Path) -> Path:
    """This test's own migrated, empty warehouse: ``tmp_path / "w.duckdb"``."""
    return copy_of(migrated_template, tmp_path, "w.duckdb")


@pytest.fixture
def threaded_slack():
    """A loopback Slack on a threaded server of its own: reachable from subprocesses, and able to
    answer a history lookup while a post hangs."""
    from pytest_httpserver import HTTPServer

    from tests.fake_slack import FakeSlack

    server = HTTPServer(threaded=True)
    server.start()
    try:
        yield FakeSlack(server)
    finally:
        server.clear()
        server.stop()


def copy_of(warehouse: Path, folder: Path, name: str = "copy.duckdb") -> Path:
    """A private copy of ``warehouse`` in ``folder`` for a test that writes."""
    copy = folder / name
    shutil.copyfile(warehouse, copy)
    return copy


def pytest_sessionfinish(session, exitstatus):
    """Free DuckDB objects held in exception/traceback cycles of failed runs before the
    interpreter shuts down (otherwise nanobind reports them as leaks at exit)."""
    import gc

    gc.collect()
