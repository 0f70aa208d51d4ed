"""Operations: schedules across DST, freshness, artifacts, crash safety, one writer at a time."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from liquidity_watch.domain.freshness import check, stale_required
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import write_lock
from tests.conftest import copy_of
from tests.flow import flow_parameters

EXE = str(Path(sys.executable).with_name("liquidity-watch"))
UTC = dt.UTC

REPO = Path(__file__).resolve().parents[1]


def deployments() -> dict[str, dict]:
    doc = yaml.safe_load((REPO / "prefect.yaml").read_text())
    return {d["name"]: d for d in doc["deployments"]}


def next_runs(cron: str, timezone: str, start: dt.datetime, n: int) -> list[dt.datetime]:
    from prefect.server.schemas.schedules import CronSchedule

    dates = asyncio.run(CronSchedule(cron=cron, timezone=timezone).get_dates(n=n, start=start))
    return [dt.datetime.fromtimestamp(d.timestamp(), UTC) for d in dates]


def test_every_deployment_runs_the_pipeline_in_new_york_time_with_the_cli_parameters():
    found = deployments()
    assert set(found) == {"rates", "h41", "nightly"}
    for deployment in found.values():
        assert deployment["entrypoint"] == "liquidity_watch.flows.pipeline.pipeline"
        assert set(deployment["parameters"]) == set(flow_parameters())  # every parameter of the flow, no other
        assert deployment["concurrency_limit"] == 1
        assert deployment["work_pool"]["name"] == "liquidity-watch"
        assert all(s["timezone"] == "America/New_York" for s in deployment["schedules"])
        env = deployment["work_pool"]["job_variables"]["env"]
        assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and env["DO_NOT_TRACK"] == "1"


@pytest.mark.integration  # imports Prefect
def test_the_flow_parameters_the_deployment_tests_read_from_the_source_are_the_flows_own():
    import inspect

    from liquidity_watch.flows.pipeline import pipeline

    assert flow_parameters() == list(inspect.signature(pipeline.fn).parameters)
    assert flow_parameters()[:3] == ["source", "snapshot_dir", "warehouse"]


@pytest.mark.integration  # imports Prefect
def test_h41_runs_at_17_new_york_on_both_sides_of_the_november_dst_change():
    cron = deployments()["h41"]["schedules"][0]["cron"]
    runs = next_runs(cron, "America/New_York", dt.datetime(2026, 10, 27, tzinfo=UTC), 2)
    # 2026-11-01 clocks go back: 17:00 EDT is 21:00 UTC, 17:00 EST is 22:00 UTC
    assert runs == [dt.datetime(2026, 10, 29, 21, 0, tzinfo=UTC), dt.datetime(2026, 11, 5, 22, 0, tzinfo=UTC)]


@pytest.mark.integration  # imports Prefect
def test_rates_run_at_0930_new_york_across_the_march_dst_change_and_skip_weekends():
    cron = deployments()["rates"]["schedules"][0]["cron"]
    runs = next_runs(cron, "America/New_York", dt.datetime(2027, 3, 12, 0, 0, tzinfo=UTC), 2)
    # Friday 2027-03-12 09:30 EST = 14:30 UTC; DST starts Sunday 03-14; Monday 09:30 EDT = 13:30 UTC
    assert runs == [dt.datetime(2027, 3, 12, 14, 30, tzinfo=UTC), dt.datetime(2027, 3, 15, 13, 30, tzinfo=UTC)]


def test_no_h41_by_friday_is_stale_but_on_thursday_evening_it_is_not():
    last = {"WALCL": dt.date(2026, 11, 11)}  # the 11-18 week is due Thursday 11-19 16:30 ET
    thursday_evening = dt.datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    friday_noon = dt.datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
    walcl = lambda report: next(f for f in report if f.series_id == "WALCL")  # noqa: E731
    assert walcl(check(last, thursday_evening)).status == "fresh"
    assert walcl(check(last, friday_noon)).status == "stale"
    assert walcl(check(last, friday_noon)).next_expected == dt.date(2026, 11, 18)


def test_a_missing_required_series_is_stale_and_ioer_never_is():
    report = check({"IOER": dt.date(2021, 7, 28)}, dt.datetime(2026, 11, 25, tzinfo=UTC))
    ioer = next(f for f in report if f.series_id == "IOER")
    assert ioer.status == "discontinued" and not ioer.stale
    assert "SOFR" in [f.series_id for f in stale_required(report)]


@pytest.mark.integration
def test_each_run_leaves_a_markdown_artifact_with_the_gate_and_signal(prefect_server, tmp_path, short_snapshot):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from liquidity_watch.flows.pipeline import pipeline

    summary = pipeline(
        source="snapshot",
        snapshot_dir=str(short_snapshot),
        warehouse=str(tmp_path / "w.duckdb"),
        as_of=dt.date(2019, 9, 18),
    )

    async def latest():
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["liquidity-watch-run"]))
            )
            return [a for a in found if summary.run_id in (a.description or "")]

    [artifact] = asyncio.run(latest())
    assert "| WRESBAL | 91 | 0 |" in artifact.data  # the short snapshot's 91 weeks
    assert "**Signal on 2019-09-18:** critical" in artifact.data
    assert "expectations passed" in artifact.data


def _published_digest(path: Path) -> str:
    with connection(path, read_only=True) as con:
        rows = con.execute(
            "SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY week_ending)) FROM core.weekly_liquidity t"
        ).fetchone()
        raw = con.execute("SELECT count(*) FROM raw.observations").fetchone()
    return hashlib.sha256(repr((rows, raw)).encode()).hexdigest()


@pytest.mark.integration
def test_a_run_killed_with_sigkill_while_writing_leaves_the_published_warehouse_and_the_next_run_completes(
    prefect_server, tmp_path, snapshot_warehouse
):
    from prefect.settings import PREFECT_API_URL

    from liquidity_watch.flows.pipeline import pipeline

    warehouse = copy_of(snapshot_warehouse[0], tmp_path, "w.duckdb")  # a published warehouse, built once
    before = _published_digest(warehouse)
    env = os.environ.copy()
    env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    victim = subprocess.Popen(
        [EXE, "run", "--warehouse", str(warehouse)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("w.duckdb.work-*")):  # wait until it is writing its working copy
        assert victim.poll() is None and time.monotonic() < deadline, "the run ended before it started writing"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert _published_digest(warehouse) == before
    assert list(tmp_path.glob("w.duckdb.work-*"))  # the dead run's working file is still there...
    summary = pipeline(source="snapshot", warehouse=str(warehouse))
    assert list(tmp_path.glob("w.duckdb.work-*")) == []  # ...until the next run removes it
    assert summary.tables["weekly_liquidity"].latest == "2026-09-02"


@pytest.mark.integration
def test_a_second_run_while_one_is_writing_is_refused_with_a_clear_message(prefect_server, tmp_path):
    from prefect.settings import PREFECT_API_URL

    warehouse = tmp_path / "w.duckdb"
    with write_lock(warehouse):
        result = subprocess.run(
            [EXE, "run", "--warehouse", str(warehouse)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()},
        )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert f"another run is writing {warehouse}" in message and f"held by pid {os.getpid()}" in message
    assert not warehouse.exists()  # nothing was written


def test_the_shell_entry_points_take_the_offline_environment_from_bootstrap(tmp_path):
    from liquidity_watch.bootstrap import OFFLINE_ENVIRONMENT

    script = f'eval "$({sys.executable} -m liquidity_watch.bootstrap)"; env'
    clean = {k: v for k, v in os.environ.items() if k not in OFFLINE_ENVIRONMENT}
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=clean, timeout=60)
    exported = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert {k: exported.get(k) for k in OFFLINE_ENVIRONMENT} == OFFLINE_ENVIRONMENT
    kept = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env={**clean, "DO_NOT_TRACK": "0"})
    assert "DO_NOT_TRACK=0" in kept.stdout.splitlines()  # a value the user set wins
    for name in ("server.sh", "deploy.sh", "worker.sh", "../.ci/run"):
        text = (REPO / "ops" / name).read_text()
        assert "python -m liquidity_watch.bootstrap" in text, name


def test_deployments_set_the_same_offline_environment_as_every_other_entry_point():
    from liquidity_watch.bootstrap import OFFLINE_ENVIRONMENT

    for deployment in deployments().values():
        env = deployment["work_pool"]["job_variables"]["env"]
        assert {k: env[k] for k in OFFLINE_ENVIRONMENT if k in env} == {
            k: v for k, v in OFFLINE_ENVIRONMENT.items() if k in env
        }
        assert {"PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "GX_ANALYTICS_ENABLED"} <= set(env)


@pytest.mark.integration  # imports Prefect
def test_a_local_run_keeps_a_configured_server_and_its_heartbeats(httpserver):
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from liquidity_watch.flows.local_run import local_prefect

    httpserver.expect_request("/api/health").respond_with_json(True)  # Prefect's health route
    api = httpserver.url_for("/api")
    with temporary_settings(updates={PREFECT_API_URL: api}):
        configured = get_current_settings().flows.heartbeat_frequency
        assert configured is not None  # Prefect's default: every 180 s
        with local_prefect():
            assert get_current_settings().api.url == api
            assert get_current_settings().flows.heartbeat_frequency == configured


@pytest.mark.integration  # imports Prefect
def test_a_configured_prefect_api_that_never_answers_stops_the_run_in_one_line_within_its_timeout():
    import socket

    from prefect.settings import PREFECT_API_REQUEST_TIMEOUT, PREFECT_API_URL, temporary_settings

    from liquidity_watch.flows.local_run import PrefectApiSilent, local_prefect

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    api = f"http://127.0.0.1:{listener.getsockname()[1]}/api"
    ran = False
    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: api, PREFECT_API_REQUEST_TIMEOUT: 0.5}),
            pytest.raises(PrefectApiSilent) as caught,
            local_prefect(),
        ):
            ran = True
    finally:
        listener.close()
    assert str(caught.value) == (
        f"the Prefect API at {api} did not answer within 0.5 s (PREFECT_API_REQUEST_TIMEOUT); nothing was run"
    )
    assert not ran


def test_a_configured_prefect_api_url_that_is_no_url_stops_the_run_in_one_line():
    from liquidity_watch.flows.local_run import PrefectApiSilent, check_answers

    with pytest.raises(PrefectApiSilent) as caught:
        check_answers("http://[::1/api", 0.5)
    assert (
        str(caught.value) == "the Prefect API at http://[::1/api cannot be reached: Invalid port: ':1'; nothing was run"
    )


def test_every_prefect_client_call_is_bounded_under_a_minute_by_the_process_defaults():
    from liquidity_watch.bootstrap import OFFLINE_ENVIRONMENT

    timeout, retries = (
        float(OFFLINE_ENVIRONMENT["PREFECT_API_REQUEST_TIMEOUT"]),
        int(OFFLINE_ENVIRONMENT["PREFECT_CLIENT_MAX_RETRIES"]),
    )
    backoff = sum(2**attempt for attempt in range(1, retries + 1))  # Prefect's client: 2 ** try, before jitter
    assert (retries + 1) * timeout + backoff * 1.2 < 60


@pytest.mark.integration
def test_without_a_server_a_local_run_starts_its_own_answers_on_it_with_heartbeats_off_and_stops_it():
    import httpx
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    from liquidity_watch.flows.local_run import local_prefect

    with temporary_settings(updates={PREFECT_API_URL: None}):
        with local_prefect():
            api_url = get_current_settings().api.url
            assert api_url is not None and api_url.startswith("http://127.0.0.1:")
            assert httpx.get(f"{api_url}/health", timeout=5).json() is True
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().api.url is None
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{api_url}/health", timeout=5)


def test_a_run_keeps_the_objects_alive_at_its_start_frozen_and_hands_them_back_at_the_end():
    import gc

    from liquidity_watch.bootstrap import startup_objects_frozen

    before = gc.get_freeze_count()
    with startup_objects_frozen():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def test_a_deferred_module_is_imported_at_its_first_attribute_read_not_at_its_import(tmp_path, monkeypatch):
    import sys

    from liquidity_watch.bootstrap import defer_import

    (tmp_path / "lw_deferred_probe").mkdir()
    (tmp_path / "lw_deferred_probe" / "__init__.py").write_text("import sys\nsys.lw_probe_runs += 1\nANSWER = 42\n")
    (tmp_path / "lw_deferred_probe" / "inner.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "lw_probe_runs", 0, raising=False)
    for name in ("lw_deferred_probe", "lw_deferred_probe.inner"):
        monkeypatch.delitem(sys.modules, name, raising=False)

    defer_import("lw_deferred_probe")
    import lw_deferred_probe as held  # what a module imports at its top, before any use

    assert sys.lw_probe_runs == 0
    assert held.__file__ is None  # asked for its file (as Hypothesis asks every module), it is still not imported
    assert sys.lw_probe_runs == 0
    assert held.ANSWER == 42
    assert sys.lw_probe_runs == 1
    assert sys.modules["lw_deferred_probe"] is not held  # the real module replaced the stand-in
    assert sys.modules["lw_deferred_probe"].ANSWER == 42
    from lw_deferred_probe.inner import VALUE  # a submodule goes through the real package's __path__

    assert VALUE == 7
    assert sys.lw_probe_runs == 1


@pytest.mark.integration
def test_a_cli_run_on_its_own_temporary_server_loads_no_prefect_server_module_nor_what_gx_never_uses(
    tmp_path, short_snapshot
):
    import subprocess
    import sys

    # the short snapshot as of a day in it: the temporary server is the point, not the size of the backfill
    args = ["run", "--as-of", "2019-09-18", "--snapshot-dir", str(short_snapshot)]
    args += ["--warehouse", str(tmp_path / "w.duckdb")]
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('server modules:', sum(m.startswith('prefect.server') for m in sys.modules)))\n"
        "atexit.register(lambda: print('deferred:', [m for m in ('scipy.stats._stats_py', 'altair.vegalite') if m in sys.modules]))\n"
        "from liquidity_watch.cli import main\n"
        f"sys.argv = ['liquidity-watch', *{args!r}]\n"
        "main()\n"
    )
    # INFO, as a user's terminal gets it (the tests otherwise keep Prefect at WARNING)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_LOGGING_LEVEL": "INFO"}
    env.pop("PREFECT_API_URL", None)  # no real server: the run starts its own
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("liquidity-watch run ")  # the summary is the first thing printed
    assert "core table" in done.stdout
    # no task-level INFO line and no link to the temporary server, dead once the run ends
    assert "Finished in state" not in done.stderr and "| INFO" not in done.stderr
    assert "View at" not in done.stdout + done.stderr
    # Prefect's own temporary server would have imported ~150 prefect.server modules (~76 MB) here
    # atexit runs the last registered first: GX's scipy.stats (~59 MB) and altair (~24 MB) were never loaded
    assert done.stdout.strip().splitlines()[-2:] == ["deferred: []", "server modules: 0"]
