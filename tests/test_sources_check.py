"""``liquidity-watch sources check`` in-process against loopback upstreams: the table, the exit code, nothing written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.sources.check import required_series
from tests.fakes import ARCHIVE_PATH, FakeFed, carried_forward
from tests.h41_archive import archive_bytes

#: the bundled snapshot (which the fakes serve) ends in late August 2026
AFTER_THE_SNAPSHOT = dt.datetime(2026, 8, 31, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def current(snapshot_observations):
    """The snapshot with every series current at the end of August 2026, and its release archive."""
    observations = carried_forward(snapshot_observations, dt.date(2026, 8, 31))
    return observations, archive_bytes(observations)


@pytest.fixture
def fake(httpserver: HTTPServer, current) -> FakeFed:
    return FakeFed(httpserver, *current)


@pytest.fixture
def env(fake, monkeypatch, tmp_path) -> dict[str, str]:
    monkeypatch.chdir(tmp_path)  # a warehouse would appear here if the command wrote one
    settings = {
        "LW_NYFED_BASE_URL": fake.base_url,
        "LW_DDP_BASE_URL": fake.base_url,
        "LW_FRED_BASE_URL": fake.base_url,
        "LW_REQUESTS_PER_SECOND": "0",
        "LW_HTTP_MAX_ATTEMPTS": "2",
        "LW_HTTP_BACKOFF_INITIAL_S": "0.01",
        "LW_HTTP_BACKOFF_MAX_S": "0.02",
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    return settings


def _check(*args: str):
    with time_machine.travel(AFTER_THE_SNAPSHOT, tick=True):
        return CliRunner().invoke(app, ["sources", "check", *args])


def _rows(result) -> list[dict]:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_with_every_upstream_answering_it_prints_one_row_per_call_with_its_contract_and_exits_0(env, fake, tmp_path):
    result = _check("--output", "json")
    assert result.exit_code == 0, result.output
    rows = {(r["source"], r["call"]): r for r in _rows(result)}
    fred_calls = [f"GET /graph/fredgraph.csv ({sid})" for sid in required_series()]
    assert list(rows) == [
        ("NY Fed", "GET /api/rates/secured/sofr/search.json"),
        ("NY Fed", "GET /api/rates/secured/tgcr/search.json"),
        ("NY Fed", "GET /api/rates/secured/bgcr/search.json"),
        ("NY Fed", "GET /api/rates/unsecured/effr/search.json"),
        ("NY Fed", "GET /api/rp/results/search.json"),
        ("Board", "GET /datadownload/Output.aspx (rel=H41 zip)"),
        ("Board", "GET /datadownload/Output.aspx (rel=PRATES zip)"),
        *[("FRED", call) for call in fred_calls],
    ]
    h41 = rows[("Board", "GET /datadownload/Output.aspx (rel=H41 zip)")]
    assert (h41["latest"], h41["status"]) == (
        "2026-08-26",
        "ok (optional, none in the window: WSHOSHO, WRBWFRBL, WLRRAL)",
    )
    assert h41["series"].startswith("WALCL, TREAST, WSHOMCB, WRESBAL, WDTGAL")
    assert h41["url"].endswith("/datadownload/Output.aspx?rel=H41&filetype=zip")
    assert float(h41["latency_s"]) >= 0
    prates = rows[("Board", "GET /datadownload/Output.aspx (rel=PRATES zip)")]
    assert (prates["series"], prates["status"]) == ("IORB", "ok")
    assert prates["note"].startswith("IORB from RESBM_N.D ('Interest rate on reserve balances (IORB rate)")
    operations = rows[("NY Fed", "GET /api/rp/results/search.json")]
    assert operations["series"] == "RRPONTSYD, RRPONTSYAWARD, RPONTSYD"
    assert operations["status"].startswith("ok")
    assert fake.requests_to(ARCHIVE_PATH, {"rel": "H41"}) == fake.requests_to(ARCHIVE_PATH, {"rel": "PRATES"}) == 1
    fred_ids = [args["id"] for path, args in fake.requests if path == "/graph/fredgraph.csv"]
    assert fred_ids == required_series()  # asked once each, for a short window
    assert all("cosd" in args for path, args in fake.requests if path == "/graph/fredgraph.csv")
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_the_table_names_a_failed_primary_and_still_exits_0_when_fred_has_every_series(env, fake):
    fake.fail_next(ARCHIVE_PATH, 200, body="<html><body>down</body></html>", content_type="text/html")
    result = _check("--output", "json")
    assert result.exit_code == 0, result.output
    [h41] = [r for r in _rows(result) if r["call"] == "GET /datadownload/Output.aspx (rel=H41 zip)"]
    assert h41["status"].startswith("failed: returned HTML with status 200, not a ZIP archive")
    assert h41["latest"] is None


def test_the_table_ends_with_the_verdict(env):
    result = _check()
    assert result.exit_code == 0, result.output
    assert "every required series is available from at least one source" in result.stdout


def test_a_required_series_no_source_serves_exits_1_naming_it(env, fake):
    fake.fail_next("/api/rates/secured/sofr/search.json", 503, until_healed=True)
    fake.fail_next("/graph/fredgraph.csv", 503, until_healed=True, query={"id": "SOFR"})
    result = _check()
    assert result.exit_code == 1
    assert "error: required series unavailable from every source: SOFR" in " ".join(result.output.split())


def test_with_no_network_every_required_series_is_unavailable_and_it_exits_1(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for key in ("NYFED", "DDP", "FRED"):
        monkeypatch.setenv(f"LW_{key}_BASE_URL", f"http://{key.lower()}.invalid")
    monkeypatch.setenv("LW_HTTP_BACKOFF_INITIAL_S", "0.01")
    monkeypatch.setenv("LW_REQUESTS_PER_SECOND", "0")
    result = _check("--output", "csv")
    assert result.exit_code == 1
    assert "DNS lookup failed for nyfed.invalid" in result.stdout
    assert "not tried again in this run" in result.stdout
    assert "error: required series unavailable from every source: " + ", ".join(required_series()) in " ".join(
        result.output.split()
    )
