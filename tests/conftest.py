"""Shared fixtures. Every test is offline: external services are loopback fakes."""

from __future__ import annotations

import atexit
import dataclasses
import fcntl
import hashlib
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pytest

import liquidity_watch
from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.resources import bundled_snapshot_dir
from liquidity_watch.settings import Settings
from liquidity_watch.sources.snapshot import read_snapshot
from liquidity_watch.stages.summary import RunSummary
from tests import prefect_server as shared_prefect_server
from tests.loopback import LoopbackServer

# Before anything imports Prefect or GX (none of the imports above does): no telemetry,
# a patient server start on 2 cores, and quiet Prefect logs.
bootstrap()
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# anything Prefect stores goes to a folder of this process, never to ~/.prefect, and is removed
# when the process exits (every xdist worker imports this file and cleans up its own)
PREFECT_STORAGE = tempfile.mkdtemp(prefix="lw-prefect-storage-")
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = PREFECT_STORAGE
atexit.register(shutil.rmtree, PREFECT_STORAGE, True)
# the published warehouse a test does not name is one of this process, never the user's ./var/liquidity.duckdb:
# a replay seeds from the published warehouse, so one built by `liquidity-watch run` would leak into the tests
os.environ["LW_WAREHOUSE"] = str(Path(PREFECT_STORAGE) / "published" / "liquidity.duckdb")

# the session's one Prefect server (tests/prefect_server.py): the first process makes its folder and
# stops it at exit, after every xdist worker
_server_folder = shared_prefect_server.make_session_folder()
if _server_folder is not None:
    atexit.register(shared_prefect_server.stop, _server_folder)

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
SNAPSHOT = bundled_snapshot_dir()


def fixture_bytes(relative: str) -> bytes:
    return (FIXTURES / relative).read_bytes()


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    return SNAPSHOT


@pytest.fixture(scope="session")
def short_snapshot(tmp_path_factory) -> Path:
    """The bundled snapshot cut to 2018-01 .. 2019-09 (series starting later kept whole): the same 2019-07-31
    critical signal as the whole snapshot, for a run ``--as-of 2019-09-18`` at a fraction of the cost."""
    folder = tmp_path_factory.mktemp("short-snapshot")
    for csv in sorted(SNAPSHOT.glob("*.csv")):
        header, *rows = csv.read_text().splitlines()
        kept = [r for r in rows if "2018-01-01" <= r[:10] <= "2019-09-30"] or rows
        (folder / csv.name).write_text("\n".join([header, *kept]) + "\n")
    return folder


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


@pytest.fixture
def fake(httpserver, snapshot_observations, snapshot_archive):
    """The loopback NY Fed, Board and FRED (``tests/fakes.py``) serving the bundled snapshot."""
    from tests.fakes import FakeFed

    return FakeFed(httpserver, snapshot_observations, snapshot_archive)


@pytest.fixture
def settings(fast_settings, fake) -> Settings:
    """``fast_settings`` with every upstream pointed at ``fake``."""
    base = fake.base_url
    return fast_settings.model_copy(
        update={"nyfed_base_url": base, "ddp_base_url": base, "fred_base_url": base, "fred_api_base_url": base}
    )


@pytest.fixture(scope="session")
def prefect_server():
    """One real Prefect server (SQLite in a temp dir) for the whole session, shared by the workers
    (``tests/prefect_server.py``); this process's Prefect client talks to it until the session ends."""
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings

    url = shared_prefect_server.api_url()
    database = shared_prefect_server.database_url(Path(os.environ[shared_prefect_server.SHARED_SERVER_ENV]))
    with (
        temporary_settings(updates={PREFECT_API_URL: url, PREFECT_SERVER_DATABASE_CONNECTION_URL: database}),
        # as Prefect's own test harness: code in a context copied earlier sees the server too
        prefect.context._temporary_global_settings_context(prefect.context.get_settings_context()),
    ):
        yield
        for worker in (APILogWorker, EventsWorker):  # hand this process's queued logs and events over
            worker.drain_all(timeout=5)


@pytest.fixture(scope="session")
def forked_cli(prefect_server):
    """``liquidity-watch`` runs on the session's Prefect server, each in a process forked from one that
    imported Prefect and Great Expectations once (``tests/forked_cli.py``)."""
    from prefect.settings import PREFECT_API_URL

    from tests.forked_cli import ForkedCli

    cli = ForkedCli({**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()})
    yield cli
    cli.close()


#: Built warehouses shared by every session and xdist worker of this user (``LW_TEST_CACHE`` moves it)
TEMPLATE_CACHE = Path(os.environ.get("LW_TEST_CACHE") or tempfile.gettempdir()) / f"liquidity-watch-tests-{os.getuid()}"
#: cached builds older than this are removed when a new one is made
TEMPLATE_MAX_AGE_S = 2 * 86400


def template_key(*parts: str) -> str:
    """What a snapshot build depends on: the package (code, migrations, the bundled snapshot, thresholds),
    the locked libraries, the ``LW_`` settings and today's date in New York (signals run up to today)."""
    digest = hashlib.sha256()
    package = Path(liquidity_watch.__file__).parent
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    lock = TESTS.parent / "uv.lock"
    if lock.exists():
        digest.update(lock.read_bytes())
    digest.update(repr(sorted((k, v) for k, v in os.environ.items() if k.startswith("LW_"))).encode())
    digest.update(today_new_york().isoformat().encode())
    for part in parts:
        digest.update(part.encode())
    return digest.hexdigest()[:20]


def cached_build(name: str, build, folder: Path):
    """The folder ``build(folder)`` writes, made once per key for every session and worker and copied into
    ``folder``; returns what ``build`` returned (pickled beside the files).

    A file lock makes the other workers wait for the first build instead of repeating it; the build
    goes to a temporary folder renamed into place, so a killed build leaves nothing to reuse.
    """
    TEMPLATE_CACHE.mkdir(parents=True, exist_ok=True)
    key = template_key(name)
    done = TEMPLATE_CACHE / f"{name}-{key}"
    with (TEMPLATE_CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            for old in TEMPLATE_CACHE.glob(f"{name}-*"):
                if old.is_dir() and time.time() - old.stat().st_mtime > TEMPLATE_MAX_AGE_S:
                    shutil.rmtree(old, ignore_errors=True)
            building = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=TEMPLATE_CACHE))
            result = build(building)
            (building / "result.pickle").write_bytes(pickle.dumps(result))
            building.rename(done)
        shutil.copytree(done, folder, dirs_exist_ok=True)
    return pickle.loads((folder / "result.pickle").read_bytes())


@pytest.fixture(scope="session")
def snapshot_warehouse(request, tmp_path_factory) -> tuple[Path, RunSummary]:
    """One warehouse built from the bundled snapshot through the real flow, with its Data Docs and journal.

    Built once per key (``template_key``) for every session and xdist worker, and copied into this
    worker's own folder. Read it, never write it: a test that changes a warehouse copies this one
    first (``copy_of``).
    """

    def build(folder: Path) -> RunSummary:
        request.getfixturevalue("prefect_server")  # a Prefect server only when the cache misses
        from liquidity_watch.flows.pipeline import pipeline

        return pipeline(source="snapshot", warehouse=str(folder / "snapshot.duckdb"))

    folder = tmp_path_factory.mktemp("snapshot-warehouse")
    summary = cached_build("snapshot-warehouse", build, folder)
    path = folder / "snapshot.duckdb"
    return path, dataclasses.replace(
        summary, warehouse=str(path), data_docs=str(path.with_suffix(".data_docs") / "index.html")
    )


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


@pytest.fixture(scope="session")
def make_httpserver(httpserver_listen_address, httpserver_ssl_context):
    """pytest-httpserver's session server (behind its ``httpserver`` fixture), made as the plugin makes it but
    as a ``LoopbackServer``."""
    host, port = httpserver_listen_address
    server = LoopbackServer(
        host=host or LoopbackServer.DEFAULT_LISTEN_HOST,
        port=port or LoopbackServer.DEFAULT_LISTEN_PORT,
        ssl_context=httpserver_ssl_context,
    )
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def threaded_slack():
    """A loopback Slack on a threaded server of its own: reachable from subprocesses, and able to
    answer a history lookup while a post hangs."""
    from tests.fake_slack import FakeSlack

    server = LoopbackServer(threaded=True)
    server.start()
    fake = FakeSlack(server)
    try:
        yield fake
    finally:
        fake.release()
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


#: The tests that take longest, slowest first (a test's name, or a file for all of its tests), from
#: ``pytest --durations``. The suite hands out one test at a time to whichever worker is free
#: (``pytest_xdist_make_scheduler`` below), so starting these first keeps the two workers busy until both finish
#: together, instead of one working through a long test while the other waits at the end.
SLOWEST_FIRST = (
    "tests/test_deployment.py",
    "tests/test_delivery_runs.py::test_killed_before_and_while_sending_a_bot_message_each_message_arrives_once",
    "tests/test_delivery_runs.py::test_killed_after_recording_and_around_a_webhook_post_the_bot_message_arrives_once_the_webhook_at_least_once",
    "tests/test_operations.py::test_a_cli_run_on_its_own_temporary_server_loads_no_prefect_server_module_nor_what_gx_never_uses",
    "tests/test_wheel.py",
    "tests/test_secrets.py",
    "tests/test_benchmarks.py",
    "tests/test_delivery_runs.py",
    "tests/test_writer_slot.py::test_two_runs_started_together_publish_in_turn_the_second_waiting_on_the_global_limit_each_exporting_after",
    "tests/test_layout.py::test_importing_every_module_changes_no_environment_variable_and_starts_no_thread",
    "tests/test_alerts.py::test_webhook_run_as_of_2019_09_18_delivers_one_alert_and_a_rerun_delivers_nothing",
    "tests/test_cli.py::test_a_run_the_gate_stops_ends_with_its_error_and_no_leak_report_from_duckdb",
    "tests/test_operations.py::test_a_second_run_while_one_is_writing_is_refused_with_a_clear_message",
    "tests/test_operations.py::test_a_run_killed_with_sigkill_while_writing_leaves_the_published_warehouse_and_the_next_run_completes",
    "tests/test_cli.py::test_run_twice_on_the_snapshot_prints_a_summary_and_leaves_identical_core_tables",
    "tests/test_cli.py::test_with_no_network_a_live_run_stops_with_one_error_per_source_no_traceback_and_nothing_published",
    "tests/test_pipeline.py",
    "tests/test_revisions_flow.py",
)


def start_rank(item: pytest.Item) -> int:
    """Where ``item`` starts: a listed slow test by its place in ``SLOWEST_FIRST``, then the other tests
    that start Prefect or a subprocess, then the fast tier."""
    module = item.nodeid.split("::")[0]
    for rank, name in enumerate(SLOWEST_FIRST):
        if item.nodeid == name or item.nodeid.startswith(name + "[") or module == name:
            return rank
    return len(SLOWEST_FIRST) + (0 if item.get_closest_marker("integration") else 1)


#: whether Prefect was imported before a test's setup began (its fixtures included)
PREFECT_BEFORE = pytest.StashKey[bool]()
PREFECT_IN_FAST_TIER = (
    "imports Prefect (about a second of import, and half a second at exit, in each worker of the fast tier):"
    " mark it @pytest.mark.integration, or keep Prefect out of its path"
)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Collecting the fast tier (no integration test selected) must not import Prefect."""
    if "prefect" in sys.modules and not any(item.get_closest_marker("integration") for item in session.items):
        raise pytest.UsageError(f"collecting the tests {PREFECT_IN_FAST_TIER}")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[PREFECT_BEFORE] = "prefect" in sys.modules


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A test outside the integration tier fails if it, or a fixture set up or torn down for it, imports
    Prefect (checked while nothing has imported it yet: always in the fast tier on its own)."""
    result = yield
    newly = not item.stash.get(PREFECT_BEFORE, True) and "prefect" in sys.modules
    if newly and item.get_closest_marker("integration") is None:
        pytest.fail(f"this test {PREFECT_IN_FAST_TIER}")
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=start_rank)  # stable: within a rank, the order of the files


#: Modules whose tests share an expensive module fixture (a Prefect server with a deployment; a wheel
#: installed in a new environment): each goes whole to one worker, so the fixture is built once
ONE_WORKER_MODULES = ("tests/test_deployment.py", "tests/test_wheel.py")


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadscope`` as this suite uses it: one test at a time to whichever worker is free, in the
    collected order (``--no-loadscope-reorder``), except ``ONE_WORKER_MODULES``, which go whole.

    (``xdist_group`` would say the same per module, but pytest-xdist 3.8 stops grouping under pytest 9.2.)
    """
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneTestAtATime(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return OneTestAtATime(config, log)
