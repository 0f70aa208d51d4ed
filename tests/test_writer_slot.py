"""One writer per warehouse: Prefect's global concurrency limit on a shared server, the flock on one host."""

from __future__ import annotations

import contextvars
import dataclasses
import os
import threading
import time
import uuid
from pathlib import Path

import pytest

from liquidity_watch.flows import local_run
from liquidity_watch.flows.writer_slot import (
    WriterSlotBusy,
    exclusive_writer,
    holder_variable,
    limit_name,
    shared_api_url,
    writer_slot,
)
from liquidity_watch.stages.summary import AlertOutcome, RunSummary
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import WarehouseBusy, write_lock
from tests.conftest import copy_of


def test_the_limit_is_named_after_the_warehouse_file_and_its_resolved_path(tmp_path: Path):
    a, b = tmp_path / "a" / "liquidity.duckdb", tmp_path / "b" / "liquidity.duckdb"
    assert limit_name(a).startswith("liquidity-watch-writer-liquidity-")
    assert limit_name(a) != limit_name(b)  # the same file name in two folders: two warehouses, two limits
    assert limit_name(a) == limit_name(tmp_path / "a" / ".." / "a" / "liquidity.duckdb")
    b.parent.mkdir()
    link = tmp_path / "link.duckdb"
    link.symlink_to(b)
    assert limit_name(link) == limit_name(b)  # a symbolic link writes the file it points to: the same limit


@pytest.mark.integration  # imports Prefect
def test_limit_and_holder_names_are_valid_prefect_names(tmp_path: Path):
    from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate, VariableCreate

    odd = tmp_path / "my warehouse & co%" / "Desk <1>.duckdb"
    name = limit_name(odd)
    assert GlobalConcurrencyLimitCreate(name=name, limit=1).name == name  # no "/", "%", "&", "<", ">"
    assert VariableCreate(name=holder_variable(name), value="x").name == holder_variable(name)


@pytest.mark.integration  # imports Prefect
def test_without_a_configured_api_or_on_the_run_s_own_temporary_server_no_limit_is_used(tmp_path: Path):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        assert shared_api_url() is None
        with exclusive_writer(tmp_path / "w.duckdb", 0.0) as access:
            assert access.limit is None
            assert access.limit_wait_s == 0.0
            # the flock is still taken: a second writer on this host is refused
            with pytest.raises(WarehouseBusy), write_lock(tmp_path / "w.duckdb"):
                pass
    own = "http://127.0.0.1:1/api"
    with temporary_settings(updates={PREFECT_API_URL: own}):
        token = local_run._OWN_SERVER.set(own)
        try:
            assert shared_api_url() is None  # nothing else can reach this run's own server
        finally:
            local_run._OWN_SERVER.reset(token)
        assert shared_api_url() == own  # a configured server is shared


def test_the_summary_says_how_the_run_got_to_write():
    summary = RunSummary(
        run_id="r",
        source="snapshot",
        warehouse="w.duckdb",
        as_of=None,
        tables={},
        observations_fetched=0,
        observations_inserted={},
        observations_changed={},
        payloads_unchanged=0,
        expectations=0,
        data_docs="d",
        signal=None,
        episodes=0,
        alerts=AlertOutcome(),
        stale=[],
        thresholds_notes=[],
        seconds=1.0,
        stage_seconds={},
    )
    assert not any(line.startswith("writer:") for line in summary.lines())  # flock alone, no wait: no line
    waited = dataclasses.replace(summary, writer_limit="L", writer_waits_s={"global_limit": 3.25})
    assert "writer: global concurrency limit L after 3.25 s, flock after 0.00 s" in waited.lines()


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_server")
def test_a_writer_that_cannot_get_the_slot_fails_with_one_line_naming_the_holders_flow_run(tmp_path: Path):
    from prefect import flow
    from prefect.client.orchestration import get_client

    @flow(name="holder-of-the-slot")
    def holder() -> None:
        pass

    with get_client(sync_client=True) as client:
        run = client.create_flow_run(holder)
    published = tmp_path / "w.duckdb"
    with writer_slot(published, 0.0, run.id) as slot:
        assert slot.limit == limit_name(published)
        with pytest.raises(WriterSlotBusy) as busy, writer_slot(published, 0.0, uuid.uuid4()):
            pass
    message = str(busy.value)
    assert "\n" not in message
    assert f"global concurrency limit {slot.limit} is held by flow run {run.name!r} ({run.id}" in message
    with writer_slot(published, 0.0) as again:  # released at the end of the block
        assert again.limit == slot.limit


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_server")
def test_the_slot_of_a_holder_that_died_on_this_host_is_freed_for_the_next_writer_at_once(tmp_path: Path):
    import subprocess
    import sys

    from prefect.variables import Variable

    published = tmp_path / "w.duckdb"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    with writer_slot(published, 0.0) as slot:
        record = Variable.get(holder_variable(slot.limit))
        assert record["pid"] == os.getpid() and record["lease_id"]
        # as if the holder were a process of this host that was killed while it wrote
        Variable.set(holder_variable(slot.limit), {**record, "pid": dead_pid}, overwrite=True)
        with writer_slot(published, 0.0) as next_writer:  # no wait: the dead holder's lease is released first
            assert next_writer.limit == slot.limit
    with writer_slot(published, 0.0) as again:
        assert again.limit == slot.limit
    assert Variable.get(holder_variable(slot.limit)) is None  # a released slot has no holder record


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_server")
def test_two_runs_started_together_publish_in_turn_the_second_waiting_on_the_global_limit_each_exporting_after(
    snapshot_warehouse, tmp_path: Path, monkeypatch
):
    import json

    from liquidity_watch.flows.pipeline import pipeline

    published = copy_of(snapshot_warehouse[0], tmp_path, "shared.duckdb")
    # one run exports to a folder, the other to a path that is a file: its export fails, softly
    not_a_folder = tmp_path / "not-a-folder"
    not_a_folder.write_text("")
    targets = [tmp_path / "shared-export", not_a_folder]
    before = _completed_runs(published)
    monkeypatch.setenv("LW_LOCK_WAIT_S", "300")
    summaries: list[RunSummary] = []
    errors: list[BaseException] = []

    def one_run(export_to: Path) -> None:
        try:
            summaries.append(
                pipeline(source="snapshot", warehouse=str(published), deliver=False, export_parquet_to=str(export_to))
            )
        except BaseException as exc:
            errors.append(exc)

    # each thread in a copy of this context: the session's Prefect server is a context setting, and the
    # tag tells these two flow runs from any other on that server (the other worker's, a killed run's)
    from prefect import tags

    tag = f"writer-slot-{uuid.uuid4().hex[:12]}"
    with tags(tag):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(one_run, to)) for to in targets]
    # the test holds the slot until both flow runs are running: they certainly start together
    with writer_slot(published, 0.0):
        for thread in threads:
            thread.start()
        _until_running(2, threads, tag)
    for thread in threads:
        thread.join(timeout=600)
    assert not errors, errors
    runs = _completed_runs(published)
    assert runs[: len(before)] == before
    by_id = {s.run_id: s for s in summaries}
    assert sorted(run_id for run_id, _, _ in runs[len(before) :]) == sorted(by_id)  # both recorded
    first, second = (by_id[run_id] for run_id, _, _ in runs[len(before) :])  # in the order they published
    assert first.writer_limit == second.writer_limit == limit_name(published)
    # the second run waited for the first on the server's limit; by then the first had released the flock too
    assert second.writer_waits_s["global_limit"] > 0 and first.writer_waits_s["global_limit"] > 0
    assert second.writer_waits_s["flock"] < second.writer_waits_s["global_limit"]
    assert first.writer_waits_s["flock"] < second.writer_waits_s["global_limit"]
    (_, _, first_ended), (_, second_started, _) = runs[len(before) :]
    assert second_started < first_ended  # both started together; the second did not end before the first
    exports = {s.run_id: [w for w in s.warnings if w.startswith("export to")] for s in summaries}
    exported, failed = sorted(summaries, key=lambda s: bool(exports[s.run_id]))
    assert exports[exported.run_id] == []
    [manifest_file] = targets[0].rglob("manifest.json")
    manifest = json.loads(manifest_file.read_text())
    assert manifest["run"]["run_id"] == exported.run_id  # the export is of that run's own publish
    assert [p.name for p in targets[0].rglob("core.weekly_liquidity.parquet")] == ["core.weekly_liquidity.parquet"]
    assert [w.split(" failed:")[0] for w in exports[failed.run_id]] == [f"export to {not_a_folder}"]


def _until_running(count: int, threads: list[threading.Thread], tag: str) -> None:
    """Return once ``count`` flow runs of the pipeline tagged ``tag`` are Running on the session's server
    (or a thread ended)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterStateType,
        FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    running = FlowRunFilter(
        state={"type": FlowRunFilterStateType(any_=[StateType.RUNNING])}, tags=FlowRunFilterTags(all_=[tag])
    )
    with get_client(sync_client=True) as client:
        while all(thread.is_alive() for thread in threads):
            flows = FlowFilter(name=FlowFilterName(any_=["liquidity-watch"]))
            if len(client.read_flow_runs(flow_filter=flows, flow_run_filter=running)) >= count:
                return
            time.sleep(0.2)


def _completed_runs(published: Path) -> list[tuple[str, object, object]]:
    with connection(published, read_only=True) as con:
        return con.execute(
            "SELECT run_id, started_at, ended_at FROM meta.runs WHERE status = 'completed' ORDER BY ended_at"
        ).fetchall()
