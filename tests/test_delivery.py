"""Delivery that survives failures: each step durable, a bot message posted exactly once, secrets never shown."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
import time
from pathlib import Path

import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.alerts.config import SlackSettings, delivery_config, webhook_problem
from liquidity_watch.alerts.dispatch import deliver, queue_signal_alerts
from liquidity_watch.alerts.journal import Journal, set_aside_if_unreadable
from liquidity_watch.alerts.ops import notify_ops
from liquidity_watch.alerts.outbox import mirror, undelivered
from liquidity_watch.alerts.redaction import redact
from liquidity_watch.domain.delivery import OutboxStatus
from liquidity_watch.signals.thresholds import load_thresholds
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.paths import WarehousePaths
from tests.conftest import copy_of
from tests.fake_slack import FakeSlack

TOKEN = "xoxb-777-888-tokenSECRETzz"
KEY = "signal:2019-07-31:critical:slack:C0SUBS"


def day_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """One evaluated day (2019-09-18, critical, an open episode since 2019-07-31): the smallest input that alerts."""
    day = {
        "date": dt.date(2019, 9, 18),
        "severity": "critical",
        "easing": "on",
        "draining": "on",
        "stress": "on",
        "scarcity": "off",
        "target_lower_pct": 2.0,
        "target_upper_pct": 2.25,
        "last_cut_bp": -25.0,
        "last_cut_date": dt.date(2019, 7, 31),
        "reserves_usd_mn": 1_457_000.0,
        "reserves_change_13w_usd_mn": -130_000.0,
        "week_ending": dt.date(2019, 9, 11),
        "qt_runoff_13w_usd_mn": 50_000.0,
        "sofr_minus_iorb_bp": 315.0,
        "sofr_pct": 5.25,
        "iorb_pct": 2.10,
        "rates_date": dt.date(2019, 9, 17),
        "sofr_minus_target_upper_bp": 300.0,
        "thresholds": load_thresholds().to_json(),
    }
    episode = {"start": dt.date(2019, 7, 31), "is_open": True}
    return pl.DataFrame([day]), pl.DataFrame([episode])


@pytest.fixture
def tmp_path(tmp_path: Path, migrated_template: Path) -> Path:
    """This test's folder, holding a migrated, empty warehouse as w.duckdb."""
    copy_of(migrated_template, tmp_path, "w.duckdb")
    return tmp_path


@pytest.fixture
def slack(httpserver: HTTPServer) -> FakeSlack:
    return FakeSlack(httpserver)


@pytest.fixture
def slow_slack(threaded_slack: FakeSlack) -> FakeSlack:
    """A threaded fake: a post can hang while the next request (the history lookup) is answered."""
    return threaded_slack


#: the client's timeout in a run whose post hangs: that post's answer never comes within it (the fake sleeps
#: 2 s and answers at once when the test ends), and nothing else in that run needs an answer first
HANG_TIMEOUT = {"slack_timeout_s": 0.3}


def settings(slack: FakeSlack, **extra) -> SlackSettings:
    values = {
        "slack_bot_token": TOKEN,
        "slack_channel": "C0SUBS",
        "slack_api_base_url": slack.api_base_url,
        "slack_timeout_s": 2.0,  # generous for a loaded machine; a run whose post hangs passes HANG_TIMEOUT
        "slack_retries": 0,
    }
    return SlackSettings(**{**values, **extra})


def run(warehouse: Path, slack_settings: SlackSettings, run_id: str, *, mirror_after: bool = True):
    """One run's alert steps: mirror + queue + list in the warehouse, deliver, mirror again (the second publish)."""
    config = delivery_config(slack_settings)
    ev, eps = day_frames()
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        states = journal.states()
    with connection(warehouse) as con:
        mirror(con, states)
        queue_signal_alerts(con, ev, eps, config.destinations, run_id)
        rows = undelivered(con)
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        report = deliver(rows, config, journal, run_id, chart=lambda: None)
        states = journal.states()
    if mirror_after:
        with connection(warehouse) as con:
            mirror(con, states)
    return report


def status(warehouse: Path, message_id: str = KEY) -> tuple:
    with connection(warehouse, read_only=True) as con:
        return con.execute(
            "SELECT status, attempts, uncertain, reconciled FROM meta.outbox WHERE message_id = ?", [message_id]
        ).fetchone()


def test_a_webhook_url_pasted_without_its_scheme_is_one_redacted_line_and_the_bot_alert_still_goes(slack, tmp_path):
    pasted = "hooks.slack.com/services/T0PASTED/B0PASTED/pastedSECRETvalue"
    config = delivery_config(settings(slack, slack_webhook_url=pasted))
    assert config.problems == [
        "SLACK_WEBHOOK_URL is not a URL: it has no scheme (expected https://hooks.slack.com/services/...)"
    ]
    report = run(tmp_path / "w.duckdb", settings(slack, slack_webhook_url=pasted), "run1")
    assert report.sent == [KEY] and report.failed == ["signal:2019-07-31:critical:webhook"]
    assert report.errors == [
        "signal:2019-07-31:critical:webhook: SLACK_WEBHOOK_URL is not a URL: it has no scheme"
        " (expected https://hooks.slack.com/services/...)"
    ]
    with connection(tmp_path / "w.duckdb", read_only=True) as con:
        dump = str(con.execute("SELECT * FROM meta.outbox").fetchall())
    assert "pastedSECRET" not in dump and "T0PASTED" not in dump


def test_the_bot_alert_is_posted_once_over_three_runs_while_the_webhook_is_malformed(slack, tmp_path):
    """Finding: with a bot token and a malformed webhook the bot alert was posted again on every run."""
    broken = settings(slack, slack_webhook_url="hooks.slack.com/services/T0/B0/xyzSECRET")
    for run_id in ("run1", "run2", "run3"):
        run(tmp_path / "w.duckdb", broken, run_id)
    assert [m["channel"] for m in slack.posted] == ["C0SUBS"]
    assert status(tmp_path / "w.duckdb") == ("sent", 1, False, False)
    assert status(tmp_path / "w.duckdb", "signal:2019-07-31:critical:webhook")[:2] == ("failed", 0)


def test_a_post_slack_accepted_whose_answer_timed_out_is_found_in_history_and_not_posted_again(slow_slack, tmp_path):
    slow_slack.hang_s, slow_slack.keep_when_hanging = 2.0, True
    first = run(tmp_path / "w.duckdb", settings(slow_slack, **HANG_TIMEOUT), "run1")
    assert first.failed == [KEY] and "no answer within 0.3 s" in first.errors[0]
    assert status(tmp_path / "w.duckdb") == ("failed", 1, True, False)
    assert slow_slack.hanging.wait(10)  # the fake has taken run 1's post (or not) before it stops hanging
    slow_slack.hang_s = 0
    second = run(tmp_path / "w.duckdb", settings(slow_slack), "run2")
    assert second.found == [KEY] and second.sent == []
    assert len(slow_slack.in_channel("C0SUBS")) == 1
    assert status(tmp_path / "w.duckdb") == ("sent", 1, False, True)
    assert [c["method"] for c in slow_slack.calls][-1] == "conversations.history"


def test_a_post_that_timed_out_before_slack_took_it_is_sent_once_after_the_history_shows_nothing(slow_slack, tmp_path):
    slow_slack.hang_s, slow_slack.keep_when_hanging = 2.0, False
    run(tmp_path / "w.duckdb", settings(slow_slack, **HANG_TIMEOUT), "run1")
    assert slow_slack.hanging.wait(10)  # the fake has taken run 1's post (or not) before it stops hanging
    slow_slack.hang_s = 0
    second = run(tmp_path / "w.duckdb", settings(slow_slack), "run2")
    assert second.sent == [KEY]
    assert len(slow_slack.in_channel("C0SUBS")) == 1
    assert status(tmp_path / "w.duckdb") == ("sent", 2, False, False)


def test_without_history_access_a_message_that_may_have_arrived_is_held_with_the_reason(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    slack.fail_next(500)
    run(warehouse, settings(slack), "run1")
    slack.history_error = "missing_scope"
    second = run(warehouse, settings(slack), "run2")
    assert second.sent == [] and slack.posted == []
    [error] = second.errors
    assert "not sent again: an earlier attempt may have arrived" in error and "missing_scope" in error
    assert status(warehouse)[:3] == ("failed", 1, True)
    slack.history_error = None
    assert run(warehouse, settings(slack), "run3").sent == [KEY]
    assert len(slack.posted) == 1


def test_a_refused_post_is_sent_again_next_run_without_reading_the_history(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    slack.channel_errors["C0SUBS"] = (200, "not_in_channel")
    first = run(warehouse, settings(slack), "run1")
    assert first.errors == [f"{KEY}: post: Slack answered HTTP 200 (not_in_channel)"]
    assert status(warehouse)[:3] == ("failed", 1, False)
    slack.channel_errors.clear()
    assert run(warehouse, settings(slack), "run2").sent == [KEY]
    assert "conversations.history" not in [c["method"] for c in slack.calls]
    assert len(slack.posted) == 1


def test_one_failing_destination_stops_neither_the_others_nor_the_run(slack, tmp_path):
    several = settings(slack, slack_subscriptions="C0BAD:watch,C0RISK:alert", slack_webhook_url=slack.webhook_url)
    slack.channel_errors["C0BAD"] = (200, "channel_not_found")
    report = run(tmp_path / "w.duckdb", several, "run1")
    assert sorted(report.sent) == sorted(
        [KEY, "signal:2019-07-31:critical:slack:C0RISK", "signal:2019-07-31:critical:webhook"]
    )
    assert report.failed == ["signal:2019-07-31:critical:slack:C0BAD"]
    assert sorted(m["channel"] or "webhook" for m in slack.posted) == ["C0RISK", "C0SUBS", "webhook"]


def test_the_journal_keeps_a_sent_message_sent_when_its_run_died_before_publishing_the_mirror(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run(warehouse, settings(slack), "run1", mirror_after=False)  # died after delivery, before the second publish
    assert status(warehouse)[0] == "pending"  # the published mirror never learned
    second = run(warehouse, settings(slack), "run2")
    assert second.sent == [] and second.found == [] and len(slack.posted) == 1
    assert status(warehouse)[0] == "sent"


def test_a_warehouse_copied_without_its_journal_trusts_its_mirror(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    run(warehouse, settings(slack), "run1")
    WarehousePaths.of(warehouse).journal.unlink()
    assert run(warehouse, settings(slack), "run2").sent == []
    assert len(slack.posted) == 1


def test_a_run_that_died_mid_send_leaves_sending_and_the_next_run_reads_the_history_first(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        journal.start_attempt(KEY, "slack:C0SUBS", "run0")  # what a run killed right after this step leaves
    ev, eps = day_frames()
    with connection(warehouse) as con:
        queue_signal_alerts(con, ev, eps, delivery_config(settings(slack)).destinations, "run0")
    slack.posted.append(  # ... and Slack had taken the message
        {
            "channel": "C0SUBS",
            "ts": f"{time.time():.6f}",
            "body": {"text": "x"},
            "metadata": {"event_type": "liquidity_watch_alert", "event_payload": {"outbox_key": KEY}},
        }
    )
    report = run(warehouse, settings(slack), "run1")
    assert report.found == [KEY] and len(slack.posted) == 1


def test_the_history_is_read_page_by_page_back_to_the_first_attempt(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    slack.fail_next(503)
    run(warehouse, settings(slack), "run1")
    slack.posted.clear()
    slack.posted.append(
        {
            "channel": "C0SUBS",
            "ts": "9999999990.000001",
            "body": {"text": "ours"},
            "metadata": {"event_type": "liquidity_watch_alert", "event_payload": {"outbox_key": KEY}},
        }
    )
    slack.posted += [  # 450 newer messages by other people, without metadata
        {"channel": "C0SUBS", "ts": f"9999999991.{i:06d}", "body": {"text": "chat"}, "metadata": None}
        for i in range(450)
    ]
    report = run(warehouse, settings(slack), "run2")
    assert report.found == [KEY]
    pages = [c["body"] for c in slack.calls if c["method"] == "conversations.history"]
    assert [p.get("cursor") for p in pages] == [None, "200", "400"]
    assert all(p["include_all_metadata"] in ("1", "true", "True") and p["channel"] == "C0SUBS" for p in pages)


def test_a_webhook_is_at_least_once_a_timeout_after_slack_accepted_sends_it_again(slow_slack, tmp_path):
    hook = {"slack_bot_token": None, "slack_channel": None, "slack_webhook_url": slow_slack.webhook_url}
    slow_slack.hang_s, slow_slack.keep_when_hanging = 2.0, True
    run(tmp_path / "w.duckdb", settings(slow_slack, **hook, **HANG_TIMEOUT), "run1")
    assert slow_slack.hanging.wait(10)  # the fake has taken run 1's post (or not) before it stops hanging
    slow_slack.hang_s = 0
    assert run(tmp_path / "w.duckdb", settings(slow_slack, **hook), "run2").sent == [
        "signal:2019-07-31:critical:webhook"
    ]
    assert len(slow_slack.posted) == 2  # a webhook cannot be read back: documented, at least once


def test_every_step_is_in_the_journal_in_order(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    slack.fail_next(503)
    run(warehouse, settings(slack), "run1")
    run(warehouse, settings(slack), "run2")
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        steps = journal.con.execute(
            "SELECT run_id, step FROM event WHERE message_id = ? ORDER BY seq", [KEY]
        ).fetchall()
        state = journal.get(KEY)
    assert steps == [("run1", "sending"), ("run1", "failed"), ("run2", "sending"), ("run2", "sent")]
    assert state is not None and state.status is OutboxStatus.SENT and state.attempts == 2


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"slack_channel": "#alerts"}, "SLACK_CHANNEL: '#alerts' is not a channel ID"),
        ({"slack_bot_token": TOKEN + "\n"}, "SLACK_BOT_TOKEN does not look like a Slack token"),
        (
            {"slack_subscriptions": "C0RISK:loud"},
            "SLACK_SUBSCRIPTIONS: 'C0RISK:loud' must be CHANNEL:watch|alert|critical",
        ),
        ({"slack_webhook_url": "http://hooks.slack.com/services/T/B/x"}, "SLACK_WEBHOOK_URL must use https"),
        ({"slack_ops_webhook_url": "ftp://x/y"}, "SLACK_OPS_WEBHOOK_URL is not an http(s) URL"),
    ],
)
def test_bad_slack_settings_are_named_in_one_line_without_their_secret_and_never_raise(slack, extra, problem):
    config = delivery_config(settings(slack, **extra))
    assert any(p.startswith(problem) for p in config.problems), config.problems
    assert not any(TOKEN in p or "services/T/B" in p for p in config.problems)


def test_a_slack_setting_of_the_wrong_type_is_a_problem_not_a_crash(monkeypatch):
    monkeypatch.setenv("SLACK_TIMEOUT_S", "soon")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/typeSECRET")
    config = delivery_config()
    assert config.problems == ["Slack settings ignored: SLACK_TIMEOUT_S has a value of the wrong type"]


def test_webhook_problems_never_repeat_the_url():
    for bad in ("hooks.slack.com/services/T1/B1/abcSECRET", "https://hooks.slack.com/services/T1/B1/ab cSECRET"):
        assert "SECRET" not in (webhook_problem("SLACK_WEBHOOK_URL", bad) or "SECRET")


def test_redaction_covers_the_secret_its_quoted_forms_and_the_webhook_path():
    secrets = SlackSettings(slack_webhook_url="https://example.test/services/T9/B9/zzSECRET", slack_bot_token=TOKEN)
    text = (
        "POST https://example.test/services/T9/B9/zzSECRET; path /services/T9/B9/zzSECRET; "
        "quoted https%3A%2F%2Fexample.test%2Fservices%2FT9%2FB9%2FzzSECRET; token " + TOKEN
    )
    assert "SECRET" not in redact(text, secrets.secrets())


def test_an_ops_notification_to_a_broken_webhook_is_logged_redacted_and_never_raises(caplog):
    broken = SlackSettings(slack_ops_webhook_url="hooks.slack.com/services/T/B/opsSECRET")
    with caplog.at_level(logging.ERROR, logger="liquidity_watch.ops"):
        assert notify_ops(f"gate failed near hooks.slack.com/services/T/B/opsSECRET and {TOKEN}", broken) is False
    assert "opsSECRET" not in caplog.text and TOKEN not in caplog.text
    assert "SLACK_OPS_WEBHOOK_URL is not a URL" in caplog.text


# --- a corrupt journal ------------------------------------------------------------------------------------

GARBAGE = b"this was the delivery journal until a disk went bad\n" * 200


def recovering_run(warehouse: Path, slack_settings: SlackSettings, run_id: str):
    """One run's alert steps with the pipeline's own queue step (which sets an unreadable journal aside)."""
    from liquidity_watch.stages.steps import queue_alerts

    config = delivery_config(slack_settings)
    ev, eps = day_frames()
    queued = queue_alerts(warehouse, WarehousePaths.of(warehouse).journal, ev, eps, config.destinations, run_id)
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        report = deliver(queued.rows, config, journal, run_id, chart=lambda: None)
    return report, queued.lost


def test_an_unreadable_journal_is_set_aside_kept_and_named_in_one_line(tmp_path):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    journal.write_bytes(GARBAGE)
    lost = set_aside_if_unreadable(journal, now=1_765_000_000)
    assert lost is not None and not journal.exists()
    assert lost.aside.name == "w.duckdb.delivery.sqlite3.unreadable-20251206T054640Z"
    assert lost.aside.read_bytes() == GARBAGE  # kept for inspection
    assert lost.line().startswith(
        f"the delivery journal {journal} could not be read (file is not a database); it is kept as "
        "w.duckdb.delivery.sqlite3.unreadable-20251206T054640Z and a new journal was started; the data are published"
    )
    assert set_aside_if_unreadable(journal) is None  # nothing there now: nothing to set aside


def test_a_readable_journal_is_left_where_it_is(tmp_path):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    with Journal.open(journal) as opened:
        opened.start_attempt(KEY, "slack:C0SUBS", "run1")
    assert set_aside_if_unreadable(journal) is None
    with Journal.open(journal) as opened:
        assert opened.get(KEY).status is OutboxStatus.SENDING


def test_a_journal_left_mid_write_by_a_killed_run_is_rolled_back_not_set_aside(tmp_path):
    journal = WarehousePaths.of(tmp_path / "w.duckdb").journal
    with Journal.open(journal) as opened:
        opened.start_attempt(KEY, "slack:C0SUBS", "run1")
    # a run killed mid-commit leaves a hot rollback journal beside a sound file: copy both while a
    # write that spilled to disk is still open, as if its process had died there
    crashed = WarehousePaths.of(tmp_path / "crashed" / "w.duckdb").journal
    crashed.parent.mkdir()
    writer = sqlite3.connect(journal, isolation_level=None)
    try:
        writer.execute("PRAGMA cache_size = 1")
        writer.execute("BEGIN")
        rows = [(0.0, "run2", KEY, "padding", "x" * 500)] * 2000
        writer.executemany("INSERT INTO event (at, run_id, message_id, step, detail) VALUES (?, ?, ?, ?, ?)", rows)
        hot = journal.with_name(journal.name + "-journal")
        assert hot.stat().st_size > 0
        shutil.copyfile(journal, crashed)
        shutil.copyfile(hot, crashed.with_name(crashed.name + "-journal"))
    finally:
        writer.close()
    assert set_aside_if_unreadable(crashed) is None
    assert sorted(p.name for p in crashed.parent.iterdir()) == [crashed.name, crashed.name + "-journal"]
    with Journal.open(crashed) as opened:  # a writer rolls the unfinished write back
        assert opened.get(KEY).status is OutboxStatus.SENDING


def test_after_a_corrupt_journal_a_bot_message_already_in_the_channel_is_found_not_posted_again(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    first = run(warehouse, settings(slack), "run1", mirror_after=False)  # sent; the mirror never heard of it
    assert first.sent == [KEY] and status(warehouse)[0] == "pending"
    WarehousePaths.of(warehouse).journal.write_bytes(GARBAGE)
    report, lost = recovering_run(warehouse, settings(slack), "run2")
    assert lost is not None and lost.aside.read_bytes() == GARBAGE
    assert report.found == [KEY] and report.sent == []
    assert len(slack.in_channel("C0SUBS")) == 1  # exactly once, as after a crash
    assert [c["method"] for c in slack.calls][-1] == "conversations.history"


def test_after_a_corrupt_journal_a_message_never_sent_is_sent_once_after_the_history_shows_nothing(slack, tmp_path):
    warehouse = tmp_path / "w.duckdb"
    WarehousePaths.of(warehouse).journal.write_bytes(GARBAGE)
    report, lost = recovering_run(warehouse, settings(slack), "run1")  # queued by this run: no lookup needed
    assert lost is not None and report.sent == [KEY] and report.found == []
    assert "conversations.history" not in [c["method"] for c in slack.calls]
    assert len(slack.in_channel("C0SUBS")) == 1
