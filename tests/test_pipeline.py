"""The Prefect flow end to end on a real (local) Prefect server: snapshot, live fakes, as-of, failures."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.sources.errors import ParseError, SourcesUnavailable
from liquidity_watch.stages.context import open_run
from liquidity_watch.stages.run import run
from liquidity_watch.stages.summary import TableCount
from liquidity_watch.warehouse.core import CORE_TABLES, read_core
from liquidity_watch.warehouse.db import connect
from tests.conftest import copy_of
from tests.fakes import FakeFed
from tests.flow import pipeline
from tests.loopback import LoopbackServer

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_server")]
D = dt.date


def core_tables(path: Path) -> dict[str, pl.DataFrame]:
    con = connect(path, read_only=True)
    try:
        return {name: read_core(con, name) for name in CORE_TABLES}
    finally:
        con.close()


def query(path: Path, sql: str) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_snapshot_run_publishes_core_tables_with_exact_source_values(snapshot_warehouse):
    path, summary = snapshot_warehouse
    assert summary.tables["weekly_liquidity"] == TableCount(1238, "2026-09-02")
    assert summary.tables["daily_rates"].latest == "2026-09-03"
    assert query(path, "SELECT reserves_usd_mn FROM core.weekly_liquidity WHERE week_ending = DATE '2019-09-18'") == [
        (1_394_122.0,)
    ]
    assert query(path, "SELECT sofr_pct FROM core.daily_rates WHERE date = DATE '2019-09-17'") == [(5.25,)]
    assert query(
        path,
        "SELECT date, target_upper_pct FROM core.daily_rates WHERE date IN ('2019-07-31', '2019-08-01') ORDER BY date",
    ) == [(D(2019, 7, 31), 2.50), (D(2019, 8, 1), 2.25)]


#: every row of the tables a run builds; columns that name the run itself are left out
BUILT = {
    **{name: f"SELECT * FROM core.{name}" for name in CORE_TABLES},
    "signals": "SELECT * EXCLUDE (first_seen_run_id) FROM core.signals",
    "signal_episodes": "SELECT * FROM core.signal_episodes",
    "observations": "SELECT * EXCLUDE (run_id, first_run_id, retrieved_at, known_at) FROM raw.observation_versions",
}


def test_the_stages_as_plain_functions_build_the_flows_warehouse_row_for_row_without_prefect(
    snapshot_warehouse, tmp_path
):
    flow_path, flow_summary = snapshot_warehouse
    ctx = open_run(SourceKind.SNAPSHOT, warehouse=tmp_path / "plain.duckdb")
    summary = run(ctx)  # the plain stages and the flock: no task, no flow run, no artifact
    assert summary.tables == flow_summary.tables
    assert summary.observations_inserted == flow_summary.observations_inserted
    assert list(summary.stage_seconds) == list(flow_summary.stage_seconds)
    for name, sql in BUILT.items():
        plain, flow = query(ctx.paths.published, sql + " ORDER BY ALL"), query(flow_path, sql + " ORDER BY ALL")
        assert len(plain) == len(flow) > 0, name
        assert plain == flow, name
    [(status, flow_run_id)] = query(ctx.paths.published, "SELECT status, flow_run_id FROM meta.runs")
    assert (status, flow_run_id) == ("completed", None)


def test_a_run_is_recorded_in_meta_runs_with_counts(snapshot_warehouse):
    path, summary = snapshot_warehouse
    [(status, source, rows_in, rows_out, flow_run_id)] = query(
        path,
        f"SELECT status, source, rows_in, rows_out, flow_run_id FROM meta.runs WHERE run_id = '{summary.run_id}'",
    )
    assert (status, source) == ("completed", "snapshot")
    assert rows_in == rows_out == sum(summary.observations_inserted.values()) > 38_000
    assert flow_run_id


def test_rerunning_the_snapshot_changes_no_core_or_raw_row(snapshot_warehouse, tmp_path):
    path, _ = snapshot_warehouse
    copy = tmp_path / "again.duckdb"
    shutil.copyfile(path, copy)
    before = core_tables(copy)
    raw_before = query(copy, "SELECT md5(string_agg(o::VARCHAR, '|' ORDER BY series_id, date)) FROM raw.observations o")
    summary = pipeline(source="snapshot", warehouse=str(copy))
    assert summary.observations_inserted == {} and summary.observations_changed == {}
    assert summary.payloads_unchanged == 23  # one per catalogued file of the snapshot
    after = core_tables(copy)
    for name in CORE_TABLES:
        assert after[name].equals(before[name]), name
    assert (
        query(copy, "SELECT md5(string_agg(o::VARCHAR, '|' ORDER BY series_id, date)) FROM raw.observations o")
        == raw_before
    )


def test_as_of_2019_09_18_sees_sofr_of_the_17th_and_that_afternoons_cut_but_not_the_h41_of_the_18th(
    snapshot_warehouse, tmp_path
):
    path = copy_of(snapshot_warehouse[0], tmp_path, "asof.duckdb")  # every version, landed today
    summary = pipeline(source="snapshot", warehouse=str(path), as_of=D(2019, 9, 18))
    assert summary.tables["weekly_liquidity"].latest == "2019-09-11"
    assert summary.tables["daily_rates"].latest == "2019-09-17"
    # the FOMC announced the cut effective 09-19 at 14:00 on 09-18
    assert query(path, "SELECT max(date) FROM core.policy_changes") == [(D(2019, 9, 19),)]
    assert query(path, "SELECT max(date) FROM core.daily_rates WHERE target_upper_pct IS NOT NULL") == [
        (D(2019, 9, 17),)
    ]
    assert query(path, f"SELECT as_of FROM meta.runs WHERE run_id = '{summary.run_id}'") == [(D(2019, 9, 18),)]


def test_a_bad_snapshot_fails_the_run_names_the_file_and_keeps_published_data(
    snapshot_warehouse, tmp_path, snapshot_dir
):
    path, _ = snapshot_warehouse
    copy = tmp_path / "kept.duckdb"
    shutil.copyfile(path, copy)
    before = core_tables(copy)
    bad = tmp_path / "bad"
    shutil.copytree(snapshot_dir, bad)
    (bad / "WRESBAL.csv").write_text("observation_date,WRESBAL\n2019-09-18,lots\n")
    with pytest.raises(ParseError, match=r"snapshot: WRESBAL line 2 \(2019-09-18\): value 'lots' is not a number"):
        pipeline(source="snapshot", snapshot_dir=str(bad), warehouse=str(copy))
    after = core_tables(copy)
    for name in CORE_TABLES:
        assert after[name].equals(before[name]), name
    [(status, error)] = query(copy, "SELECT status, error FROM meta.runs WHERE status <> 'completed'")
    assert status == "failed" and "WRESBAL line 2" in error
    assert list(tmp_path.glob("kept.duckdb.work-*")) == []


def _point_at(fake: FakeFed, monkeypatch) -> None:
    for key in ("NYFED", "DDP", "FRED", "FRED_API"):
        monkeypatch.setenv(f"LW_{key}_BASE_URL", fake.base_url)
    monkeypatch.delenv("FRED_API_KEY", raising=False)  # the keyless CSV, whatever the shell says
    monkeypatch.setenv("LW_REQUESTS_PER_SECOND", "0")
    monkeypatch.setenv("LW_HTTP_BACKOFF_INITIAL_S", "0.01")
    monkeypatch.setenv("LW_HTTP_BACKOFF_MAX_S", "0.05")
    monkeypatch.setenv("LW_HTTP_MAX_ATTEMPTS", "3")


def _uses(summary) -> dict[str, tuple[str, str | None]]:
    return {u.group: (str(u.status), str(u.provider) if u.provider else None) for u in summary.sources}


def test_live_backfill_then_incremental_run_against_fake_upstreams(
    httpserver: HTTPServer, snapshot_observations, snapshot_warehouse, release_archive, tmp_path, monkeypatch
):
    fake = FakeFed(httpserver, snapshot_observations, release_archive)  # H41_data.xml >= 100 MB
    _point_at(fake, monkeypatch)
    fake.fail_next("/api/rates/unsecured/effr/search.json", 429, {"Retry-After": "1"})
    fake.fail_next("/datadownload/Output.aspx", 503)
    path = tmp_path / "live.duckdb"

    first = pipeline(source="live", warehouse=str(path))
    assert first.tables["weekly_liquidity"].rows == 1238
    assert _uses(first)["H.4.1"] == ("primary", "ddp")  # from the release archive, after one 503
    [sources] = [line for line in first.lines() if line.startswith("sources: ")]
    assert sources.startswith(
        "sources: SOFR, TGCR, BGCR, EFFR, ON RRP, repo operations from NY Fed; H.4.1 (file prepared 2026-08-27T16:30:00),"
        " IORB (IORB from RESBM_N.D ('Interest rate on reserve balances (IORB rate)"
    )
    assert _uses(first)["IORB"] == _uses(first)["IOER"] == ("primary", "ddp")  # the PRATES archive
    assert query(path, "SELECT count(*) FROM meta.http_validators WHERE source = 'ddp'") == [(2,)]  # H.4.1, PRATES
    live = core_tables(path)
    snap = core_tables(snapshot_warehouse[0])
    assert live["weekly_liquidity"].equals(snap["weekly_liquidity"])
    assert live["policy_changes"].equals(snap["policy_changes"])
    assert query(path, "SELECT sofr_pct, target_upper_pct FROM core.daily_rates WHERE date = DATE '2019-09-17'") == [
        (5.25, 2.25)
    ]
    assert dict(
        query(path, "SELECT source, count(*) FROM raw.observations GROUP BY source ORDER BY source")
    ).keys() == {"ddp", "fred", "nyfed"}

    fake.requests.clear()
    fake.headers.clear()
    second = pipeline(source="live", warehouse=str(path))
    assert second.observations_inserted == {} and second.observations_changed == {}
    assert _uses(second)["H.4.1"] == ("not_modified", "ddp")  # a conditional request, answered 304
    assert "H.4.1 not modified at Board (HTTP 304): nothing new" in second.lines()
    assert "If-None-Match" in fake.headers[[p for p, _ in fake.requests].index("/datadownload/Output.aspx")]
    sofr_windows = [args for p, args in fake.requests if p == "/api/rates/secured/sofr/search.json"]
    assert sofr_windows[0]["startDate"] == "2026-08-20"  # last stored 2026-09-03 minus the 14-day overlap
    # one request per source; IOER ended in 2021 and is not asked for again (PRATES serves IORB alone);
    # ON RRP and the repo take-up come from one operations search
    assert [p for p, _ in fake.requests] == [
        "/api/rates/secured/sofr/search.json",
        "/api/rates/secured/tgcr/search.json",
        "/api/rates/secured/bgcr/search.json",
        "/api/rates/unsecured/effr/search.json",
        "/api/rp/results/search.json",
        "/datadownload/Output.aspx",  # H.4.1
        "/datadownload/Output.aspx",  # PRATES
        "/graph/fredgraph.csv",  # H.8
    ]


@pytest.fixture(scope="module")
def primary_live(tmp_path_factory, snapshot_observations, snapshot_archive):
    """A live backfill with every primary answering (small archive) and --strict-sources, for comparisons."""
    server = LoopbackServer()
    server.start()
    try:
        fake = FakeFed(server, snapshot_observations, snapshot_archive)
        path = tmp_path_factory.mktemp("primary") / "live.duckdb"
        with pytest.MonkeyPatch.context() as mp:
            _point_at(fake, mp)
            pipeline(source="live", warehouse=str(path), strict_sources=True)  # primaries or nothing
    finally:
        server.stop()
    return path


def test_a_failover_run_and_a_primary_run_publish_identical_core_tables_and_ops_hear_why(
    httpserver: HTTPServer, snapshot_observations, snapshot_archive, primary_live, tmp_path, monkeypatch
):
    from tests.fake_slack import FakeSlack

    fake = FakeFed(httpserver, snapshot_observations, snapshot_archive)
    slack = FakeSlack(httpserver)
    _point_at(fake, monkeypatch)
    monkeypatch.setenv("SLACK_OPS_WEBHOOK_URL", slack.webhook_url)
    fake.fail_next(
        "/datadownload/Output.aspx",
        200,
        body="<html><body>Service unavailable</body></html>",
        content_type="text/html",
        until_healed=True,
    )
    for kind in ("secured/sofr", "secured/tgcr", "secured/bgcr", "unsecured/effr"):
        fake.fail_next(f"/api/rates/{kind}/search.json", 503, until_healed=True)
    fake.fail_next("/api/rp/results/search.json", 500, until_healed=True)
    path = tmp_path / "failover.duckdb"

    summary = pipeline(source="live", warehouse=str(path))
    fred_primaries = ("IORB", "IOER", "H.8 bank assets")  # FRED is their primary source
    assert {g: u for g, u in _uses(summary).items() if g not in fred_primaries} == {
        "SOFR": ("failover", "fred"),
        "TGCR": ("failover", "fred"),
        "BGCR": ("failover", "fred"),
        "EFFR": ("failover", "fred"),
        "ON RRP": ("failover", "fred"),
        "repo operations": ("failover", "fred"),
        "H.4.1": ("failover", "fred"),
    }
    assert dict(query(path, "SELECT DISTINCT source, 1 FROM raw.observations")) == {"fred": 1}
    lines = summary.lines()
    assert any(
        line.startswith("failover: H.4.1 from FRED (Board failed: returned HTML with status 200, not a ZIP archive")
        for line in lines
    )
    assert "| H.4.1 | WALCL," in summary.markdown() and "| FRED | failover | returned HTML with status 200" in (
        summary.markdown()
    )
    assert any("H.4.1 from FRED (Board failed: returned HTML with status 200" in m["text"] for m in slack.messages())
    ours, theirs = core_tables(primary_live), core_tables(path)
    for name in CORE_TABLES:
        assert ours[name].equals(theirs[name]), name


def test_both_primary_and_fred_down_fail_with_one_error_per_source_and_publish_nothing(
    httpserver: HTTPServer, snapshot_observations, snapshot_archive, primary_live, tmp_path, monkeypatch
):
    fake = FakeFed(httpserver, snapshot_observations, snapshot_archive)
    _point_at(fake, monkeypatch)
    fake.fail_next("/datadownload/Output.aspx", 503, until_healed=True)
    fake.fail_next("/graph/fredgraph.csv", 503, until_healed=True)
    copy = tmp_path / "kept.duckdb"
    shutil.copyfile(primary_live, copy)
    before = core_tables(copy)
    with pytest.raises(SourcesUnavailable) as info:
        pipeline(source="live", warehouse=str(copy))
    assert [line.split(":")[0] for line in info.value.lines()] == ["ddp", "fred"]
    after = core_tables(copy)
    for name in CORE_TABLES:
        assert after[name].equals(before[name]), name
    [(status, error)] = query(copy, "SELECT status, error FROM meta.runs WHERE status <> 'completed'")
    assert status == "failed"
    # IORB carries forward (the target range has not moved since the last stored IORB); H.4.1 cannot
    assert (
        error.splitlines()[0]
        == "SourcesUnavailable: required series unavailable: WALCL, TREAST, WSHOMCB, WRESBAL, WDTGAL"
    )
    assert error.splitlines()[1].startswith("ddp: HTTP 503 after 3 attempts (http://")


def test_strict_sources_turn_a_board_failure_into_a_failed_run_without_asking_fred(
    httpserver: HTTPServer, snapshot_observations, snapshot_archive, primary_live, tmp_path, monkeypatch
):
    fake = FakeFed(httpserver, snapshot_observations, snapshot_archive)
    _point_at(fake, monkeypatch)
    fake.fail_next("/datadownload/Output.aspx", 503, until_healed=True)
    copy = tmp_path / "strict.duckdb"
    shutil.copyfile(primary_live, copy)
    with pytest.raises(SourcesUnavailable, match="required series unavailable from every source: WALCL"):
        pipeline(source="live", warehouse=str(copy), strict_sources=True)
    # FRED is asked only for what it is the primary of: H.8 (IORB comes from the Board too)
    assert [args["id"] for p, args in fake.requests if p == "/graph/fredgraph.csv"] == ["TLAACBW027SBOG"]


def test_a_live_run_with_the_ny_fed_dark_for_30_business_days_cannot_judge_and_tells_ops_once(
    httpserver: HTTPServer, snapshot_observations, primary_live, tmp_path, monkeypatch
):
    from liquidity_watch.domain.calendars import today_new_york
    from tests.fake_slack import FakeSlack
    from tests.fakes import nyfed_dark

    today = today_new_york()
    fake = FakeFed(httpserver, nyfed_dark(snapshot_observations, today, 30))
    slack = FakeSlack(httpserver)
    _point_at(fake, monkeypatch)
    for key, value in {
        "SLACK_BOT_TOKEN": "xoxb-3030-dark-nyfed-token",
        "SLACK_CHANNEL": "C0SUBS",
        "SLACK_OPS_CHANNEL": "C0OPS",
        "SLACK_API_BASE_URL": slack.api_base_url,
    }.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "dark.duckdb"
    shutil.copyfile(primary_live, path)  # the history is there: this run adds the weeks since

    first = pipeline(source="live", warehouse=str(path), strict_sources=True)  # no failover
    assert first.signal is not None and first.signal.severity == "unknown"
    line = first.signal_line()
    assert f"unknown: cannot judge since {first.signal.unknown_since}: " in line
    assert "SOFR: last fixing " in line and ", 30 business days old" in line
    assert query(path, "SELECT severity, cannot_judge_since FROM core.latest_state") == [
        ("unknown", D.fromisoformat(first.signal.unknown_since))
    ]
    assert query(path, "SELECT count(*) FROM core.signals WHERE status = 'off' AND inputs->>'stale' IS NOT NULL") == [
        (0,)
    ]
    assert slack.in_channel("C0SUBS") == []  # no subscriber hears of a day nobody can judge
    [told] = [m["body"]["text"] for m in slack.in_channel("C0OPS")]  # one ops message (later runs: see test_signals)
    assert told.startswith(f"liquidity-watch ops: cannot judge since {first.signal.unknown_since} (signal on ")
    assert "; data stale: " in told and "SOFR (latest " in told  # the same message names the stale series


def test_a_primary_live_run_equals_the_snapshot_build_row_for_row_from_2008(primary_live, snapshot_warehouse):
    """Every primary up (SOFR, TGCR, BGCR, EFFR, the range, ON RRP, repo from the NY Fed; H.4.1 and IORB from
    the Board): the core tables are the snapshot's, up to the last day the snapshot has both bounds of the range."""
    live, snap = core_tables(primary_live), core_tables(snapshot_warehouse[0])
    sources = dict(query(primary_live, "SELECT series_id, any_value(source) FROM raw.observations GROUP BY 1"))
    assert {sid: sources[sid] for sid in ("SOFR", "TGCRRATE", "EFFR", "DFEDTARU", "RRPONTSYD", "RPONTSYD")} == {
        "SOFR": "nyfed",
        "TGCRRATE": "nyfed",
        "EFFR": "nyfed",
        "DFEDTARU": "nyfed",
        "RRPONTSYD": "nyfed",
        "RPONTSYD": "nyfed",
    }
    assert sources["WALCL"] == sources["IORB"] == sources["IOER"] == "ddp"
    compared = 0
    for name in CORE_TABLES:
        ours, theirs = live[name], snap[name]
        if "date" in ours.columns:
            window = pl.col("date").is_between(dt.date(2008, 1, 1), dt.date(2026, 6, 5))
            ours, theirs = ours.filter(window), theirs.filter(window)
        assert ours.height > 0, name
        assert ours.equals(theirs), name
        compared += ours.height
    assert compared > 5_000  # 2008-01..2026-06 of every dated core table


def _with_fomc_days(observations: pl.DataFrame, lower: float, upper: float) -> pl.DataFrame:
    """The snapshot plus EFFR records with a range for 2026-09-08..18: 3.50-3.75 to the 16th, then ``lower``-``upper``."""
    rows = []
    for n in range(11):
        day = dt.date(2026, 9, 8) + dt.timedelta(days=n)
        if day.weekday() >= 5:
            continue
        lo, hi = (3.5, 3.75) if day < dt.date(2026, 9, 17) else (lower, upper)
        rows += [("EFFR", day, round(lo + 0.08, 2)), ("DFEDTARL", day, lo), ("DFEDTARU", day, hi)]
    extra = pl.DataFrame(rows, schema=observations.schema, orient="row")
    keys = extra.select("series_id", "date")
    return pl.concat([observations.join(keys, on=["series_id", "date"], how="anti"), extra])


def _fred_blocked_and_prates_down(fake: FakeFed) -> None:
    fake.fail_next(
        "/graph/fredgraph.csv", 403, body="<html>Forbidden</html>", content_type="text/html", until_healed=True
    )
    fake.fail_next("/datadownload/Output.aspx", 503, until_healed=True, query={"rel": "PRATES"})


def test_fred_blocked_and_prates_down_publish_with_iorb_carried_while_the_range_stands(
    httpserver: HTTPServer, snapshot_observations, snapshot_archive, primary_live, tmp_path, monkeypatch
):
    fake = FakeFed(httpserver, _with_fomc_days(snapshot_observations, 3.5, 3.75), snapshot_archive)
    _point_at(fake, monkeypatch)
    _fred_blocked_and_prates_down(fake)
    path = copy_of(primary_live, tmp_path)
    summary = pipeline(source="live", warehouse=str(path))
    assert _uses(summary)["IORB"] == ("carried", "carried")
    assert "IORB carried forward: 3.65% from 2026-09-08, the target range standing at 3.50-3.75% (2026-09-18)" in (
        summary.lines()
    )
    assert "| IORB | IORB | carried forward | carried |" in summary.markdown()  # the artifact's table
    carried = query(
        path, "SELECT min(date), max(date), any_value(value) FROM raw.observations WHERE source = 'carried'"
    )
    assert carried[0][:2] == (dt.date(2026, 9, 9), today_new_york()) and carried[0][2] == 3.65
    assert query(path, "SELECT status FROM core.signals WHERE date = DATE '2026-09-17' AND rule = 'effr_rising'") != [
        ("no_data",)
    ]


def test_fred_blocked_and_prates_down_leave_iorb_missing_when_the_range_moved_and_the_rules_say_no_data(
    httpserver: HTTPServer, snapshot_observations, snapshot_archive, primary_live, tmp_path, monkeypatch
):
    fake = FakeFed(httpserver, _with_fomc_days(snapshot_observations, 3.25, 3.5), snapshot_archive)
    _point_at(fake, monkeypatch)
    _fred_blocked_and_prates_down(fake)
    path = copy_of(primary_live, tmp_path)
    summary = pipeline(source="live", warehouse=str(path))
    assert _uses(summary)["IORB"] == ("unavailable", None)
    [line] = [line for line in summary.lines() if line.startswith("unavailable: IORB")]
    assert "fred: blocked: HTTP 403 (FRED refuses this client)" in line
    assert line.endswith(
        "not carried forward: the target range moved from 3.50-3.75% (2026-07-17) to 3.25-3.50% (2026-09-18);"
        " the rules that read IORB say no_data"
    )
    assert query(path, "SELECT count(*) FROM raw.observations WHERE source = 'carried'") == [(0,)]
    assert query(path, "SELECT status FROM core.signals WHERE date = DATE '2026-09-17' AND rule = 'effr_rising'") == [
        ("no_data",)
    ]
