"""What a run says about its sources: the summary, the artifact, the terminal (no tracebacks), status, and the
validators it keeps for the next run."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.domain.payload import Payload, Validators, observations_frame, sha256
from liquidity_watch.domain.sources import Provider, SourceUse, UseStatus
from liquidity_watch.flows.local_run import WithoutTraceback
from liquidity_watch.sources.errors import FetchError, SourcesUnavailable
from liquidity_watch.stages.summary import AlertOutcome, RunSummary
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import land
from liquidity_watch.warehouse.validators import KEEP_FOR, store_validators, stored_validators

NOW = dt.datetime(2026, 9, 3, 21, tzinfo=dt.UTC)
USES = [
    SourceUse("SOFR", ("SOFR",), Provider.NYFED, Provider.NYFED, UseStatus.PRIMARY),
    SourceUse("EFFR", ("EFFR",), Provider.NYFED, Provider.NYFED, UseStatus.PRIMARY),
    SourceUse(
        "H.4.1",
        ("WALCL", "WRESBAL"),
        Provider.DDP,
        Provider.FRED,
        UseStatus.FAILOVER,
        "returned HTML with status 200, not a ZIP archive: '<html>'",
    ),
    SourceUse("IORB", ("IORB",), Provider.FRED, Provider.FRED, UseStatus.PRIMARY),
]


def _summary(sources: list[SourceUse]) -> RunSummary:
    return RunSummary(
        run_id="r1",
        source="live",
        warehouse="w.duckdb",
        as_of=None,
        tables={},
        observations_fetched=0,
        observations_inserted={},
        observations_changed={},
        payloads_unchanged=0,
        expectations=55,
        data_docs="d/index.html",
        signal=None,
        episodes=0,
        alerts=AlertOutcome(),
        stale=[],
        thresholds_notes=[],
        seconds=1.0,
        stage_seconds={},
        sources=sources,
    )


def test_the_summary_names_the_primary_sources_on_one_line_and_each_failover_with_its_reason():
    lines = _summary(USES).lines()
    assert "sources: SOFR, EFFR from NY Fed; IORB from FRED" in lines
    assert (
        "failover: H.4.1 from FRED (Board failed: returned HTML with status 200, not a ZIP archive: '<html>')" in lines
    )


def test_the_artifact_has_a_row_per_group_with_where_it_came_from_and_why():
    markdown = _summary(USES).markdown()
    assert "| source of | series | from | status | why |" in markdown
    assert (
        "| H.4.1 | WALCL, WRESBAL | FRED | failover | returned HTML with status 200, not a ZIP archive: '<html>' |"
        in markdown
    )
    assert "| SOFR | SOFR | NY Fed | primary | - |" in markdown


def test_a_release_not_due_and_a_304_are_said_plainly():
    uses = [
        SourceUse("H.4.1", ("WALCL",), Provider.DDP, None, UseStatus.NOT_DUE, "last stored week 2026-08-26"),
        SourceUse("IORB", ("IORB",), Provider.FRED, Provider.FRED, UseStatus.NOT_MODIFIED),
    ]
    assert _summary(uses).lines()[1:3] == [
        "H.4.1 not due: last stored week 2026-08-26",
        "IORB not modified at FRED (HTTP 304): nothing new",
    ]


def test_thresholds_differing_from_the_packaged_defaults_are_listed_in_the_summary_and_the_artifact():
    import dataclasses

    changed = ["[persistence] window_days = 30 (packaged: 20)", "[easing] iorb_drop_bp = 25 (packaged: 10)"]
    summary = dataclasses.replace(_summary(USES), thresholds_changed=changed)
    assert [line for line in summary.lines() if line.startswith("thresholds:")] == [
        "thresholds: [persistence] window_days = 30 (packaged: 20)",
        "thresholds: [easing] iorb_drop_bp = 25 (packaged: 10)",
    ]
    assert "- threshold differs from the packaged default: [persistence] window_days = 30 (packaged: 20)" in (
        summary.markdown()
    )
    assert not [line for line in _summary(USES).lines() if line.startswith("thresholds:")]


def test_the_summary_json_keeps_the_sources():
    assert '"sources": [{"group": "SOFR", "series": ["SOFR"], "primary": "nyfed"' in _summary(USES).to_json()


def test_the_terminal_formatter_drops_the_traceback_and_keeps_the_record_whole_for_other_handlers():
    try:
        raise FetchError("nyfed", "https://x", "HTTP 503 after 5 attempts")
    except FetchError:
        record = logging.LogRecord(
            "prefect.task_runs", logging.ERROR, __file__, 1, "Task run failed", (), sys.exc_info()
        )
    plain = logging.Formatter("%(levelname)s %(message)s")
    assert WithoutTraceback(plain).format(record) == "ERROR Task run failed"
    assert record.exc_info is not None
    assert "Traceback (most recent call last)" in plain.format(record)  # the API handler still gets it


def test_sources_unavailable_gives_one_line_per_source_with_a_count_of_the_rest():
    failures = [
        FetchError("nyfed", "https://n/1", "DNS lookup failed for n after 2 attempts"),
        FetchError("fred", "https://f/1", "DNS lookup failed for f after 2 attempts"),
        FetchError("nyfed", "https://n/2", "not tried again in this run"),
        FetchError("fred", "https://f/2", "not tried again in this run"),
        FetchError("fred", "https://f/3", "not tried again in this run"),
    ]
    error = SourcesUnavailable(failures, ["SOFR", "IORB"])
    assert error.lines() == [
        "nyfed: DNS lookup failed for n after 2 attempts (https://n/1) (and 1 more request to nyfed)",
        "fred: DNS lookup failed for f after 2 attempts (https://f/1) (and 2 more requests to fred)",
    ]
    assert str(error).startswith("required series unavailable from every source: SOFR, IORB; nyfed: DNS lookup")
    assert "https://" not in str(error)  # the URLs are in the per-source lines


def test_errors_survive_pickling_as_prefect_stores_them():
    import pickle

    error = SourcesUnavailable([FetchError("ddp", "https://b", "HTTP 503 after 5 attempts", 503)], ["WALCL"])
    again = pickle.loads(pickle.dumps(error))
    assert again.lines() == error.lines() and again.missing == ["WALCL"]
    assert again.failures[0].status == 503


def test_validators_are_kept_per_url_and_forgotten_after_thirty_days(empty_warehouse: Path):
    with connection(empty_warehouse) as con:
        store_validators(
            con,
            {"https://b/zip": ("ddp", Validators('"e1"', "Thu, 27 Aug 2026 20:30:00 GMT"))},
            "r1",
            NOW - KEEP_FOR - dt.timedelta(seconds=1),
        )
        store_validators(con, {"https://f/csv": ("fred", Validators(None, "Wed, 02 Sep 2026 10:00:00 GMT"))}, "r2", NOW)
        assert stored_validators(con) == {"https://f/csv": Validators(None, "Wed, 02 Sep 2026 10:00:00 GMT")}
        store_validators(con, {"https://f/csv": ("fred", Validators('"e2"', None))}, "r3", NOW)
        assert stored_validators(con) == {"https://f/csv": Validators('"e2"', None)}


def _warehouse(path: Path, source: str) -> Path:
    """``path``, a migrated warehouse, with one WALCL value landed from ``source``."""
    rows = [("WALCL", dt.date(2026, 8, 26), 6_730_912.0)]
    with connection(path) as con:
        land(con, [Payload(source, "file:///x", NOW, sha256(b"x"), observations_frame(rows))], "r1")
    return path


def test_status_says_plainly_when_the_warehouse_was_built_from_a_snapshot(empty_warehouse: Path):
    warehouse = _warehouse(empty_warehouse, "snapshot")
    result = CliRunner().invoke(app, ["status", "--warehouse", str(warehouse)])
    assert result.exit_code == 0
    assert (
        "built from a snapshot: this is history, not live data, so it reads stale by design; for current data run:"
        f" liquidity-watch run --warehouse {warehouse} --source live" in " ".join(result.stdout.split())
    )


def test_status_says_nothing_of_the_kind_for_live_data(empty_warehouse: Path):
    result = CliRunner().invoke(app, ["status", "--warehouse", str(_warehouse(empty_warehouse, "ddp"))])
    assert result.exit_code == 0
    assert "snapshot" not in result.stdout


def test_status_on_a_snapshot_lists_where_each_series_ends_and_since_when_the_signal_cannot_be_judged(
    empty_warehouse: Path,
):
    path = empty_warehouse
    rows = [("WALCL", dt.date(2026, 9, 2), 6_737_204.0), ("TREAST", dt.date(2026, 6, 17), 4_100_000.0)]
    stale = '{"stale": "target range: last value 2026-07-17, 5 business days old"}'
    with connection(path) as con:
        land(con, [Payload("snapshot", "file:///x", NOW, sha256(b"x"), observations_frame(rows))], "r1")
        con.execute(
            "INSERT INTO core.weekly_liquidity (week_ending, total_assets_usd_mn) VALUES (DATE '2026-09-02', 6737204)"
        )
        con.execute("INSERT INTO core.daily_rates (date, sofr_pct) VALUES (DATE '2026-09-03', 3.66)")
        for day, severity, status, inputs in (
            ("2026-07-23", "none", "off", "{}"),
            ("2026-07-24", "unknown", "no_data", stale),
            ("2026-07-27", "unknown", "no_data", stale),
        ):
            con.execute(
                "INSERT INTO core.signals VALUES (?::DATE, 'easing', ?, ?, ?::JSON, '{}'::JSON, 'r1')",
                [day, status, severity, inputs],
            )
    result = CliRunner().invoke(app, ["status", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "snapshot series end on: TREAST 2026-06-17, WALCL 2026-09-02" in text
    assert (
        "signal on 2026-07-27: unknown, cannot judge since 2026-07-24: easing (target range: last value 2026-07-17,"
        " 5 business days old)" in text
    )


def test_status_on_a_warehouse_published_before_latest_state_said_cannot_judge_still_reports_freshness(
    empty_warehouse: Path,
):
    path = _warehouse(empty_warehouse, "snapshot")
    with connection(path) as con:  # the view as migration 004 made it, without the two newer columns
        con.execute("CREATE OR REPLACE VIEW core.latest_state AS SELECT DATE '2026-09-02' AS week_ending")
    result = CliRunner().invoke(app, ["status", "--warehouse", str(path)])
    assert result.exit_code == 0, result.output
    assert "snapshot series end on: WALCL 2026-08-26" in " ".join(result.stdout.split())
    assert "signal on" not in result.stdout
