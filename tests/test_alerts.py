"""Slack delivery through a loopback fake: content, image upload, retries, exactly once, secrets."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from pytest_httpserver import HTTPServer

from liquidity_watch.alerts.config import Destination, SlackSettings, delivery_config, subscriber_destinations
from liquidity_watch.alerts.dispatch import deliver, queue_signal_alerts
from liquidity_watch.alerts.journal import Journal
from liquidity_watch.alerts.ops import notify_ops
from liquidity_watch.alerts.outbox import mirror, undelivered
from liquidity_watch.alerts.slack import DeliveryError, SlackSender
from liquidity_watch.domain.calendars import business_days
from liquidity_watch.signals.episodes import episodes
from liquidity_watch.signals.rules import evaluate
from liquidity_watch.signals.thresholds import load_thresholds
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.paths import WarehousePaths
from tests.fake_slack import FakeSlack

D = dt.date
TOKEN = "xoxb-111-222-secrettoken"


@pytest.fixture(scope="module")
def tables(snapshot_observations) -> dict[str, pl.DataFrame]:
    return build_core_tables(snapshot_observations)


def evaluate_until(tables, end: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    ev = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(D(2019, 6, 3), end),
        load_thresholds(),
    )
    return ev, episodes(ev)


@pytest.fixture
def slack(httpserver: HTTPServer) -> FakeSlack:
    return FakeSlack(httpserver)


def bot_settings(slack: FakeSlack, **extra) -> SlackSettings:
    return SlackSettings(slack_bot_token=TOKEN, slack_channel="C0SUBS", slack_api_base_url=slack.api_base_url, **extra)


def run_alerts(warehouse: Path, settings: SlackSettings, ev, eps, run_id: str, *, publish_mirror: bool = True) -> dict:
    """One run's alert steps as the flow does them: queue (and list) in the warehouse, deliver, mirror."""
    config = delivery_config(settings)
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        states = journal.states()
    with connection(warehouse) as con:
        mirror(con, states)
        queued = queue_signal_alerts(con, ev, eps, config.destinations, run_id)
        rows = undelivered(con)
    with Journal.open(WarehousePaths.of(warehouse).journal) as journal:
        report = deliver(rows, config, journal, run_id, chart=lambda: b"\x89PNG fake chart")
        states = journal.states()
    if publish_mirror:
        with connection(warehouse) as con:
            mirror(con, states)
    return {
        "queued": queued,
        "sent": report.sent,
        "found": report.found,
        "printed": report.printed,
        "failed": report.failed,
        "errors": report.errors,
        "printed_text": report.printed_text,
    }


def outbox(warehouse: Path) -> list[tuple]:
    with connection(warehouse, read_only=True) as con:
        return con.execute(
            "SELECT message_id, status, attempts, last_error FROM meta.outbox ORDER BY created_at"
        ).fetchall()


def test_the_message_states_the_three_signs_the_reserve_ratio_and_the_last_action_and_uploads_the_chart(
    tables, slack, empty_warehouse
):
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    result = run_alerts(empty_warehouse, bot_settings(slack), ev, eps, "run1")
    assert result["sent"] == ["signal:2019-07-31:critical:slack:C0SUBS"]
    [message] = slack.messages()
    assert message["channel"] == "C0SUBS"
    text = message["text"]
    # the three signs, with today's values and their thresholds
    assert (
        "(a) Repo rates above IORB: ON: SOFR above IORB on 80% of the last 20 fixings (threshold 80%), "
        "TGCR on 80% (50%); median SOFR - IORB +5 bp (+3 bp)" in text
    )
    assert (
        "(b) Repo facility use: ON: take-up of $1.5bn or more on 2 of the last 20 days (threshold 2); "
        "latest $51.5bn on 2019-09-18" in text
    )
    assert (
        "(c) EFFR rising against IORB: off: median EFFR - IORB +3 bp, +0.5 bp over 60 fixings (threshold +3 bp)" in text
    )
    # the reserve ratio (WRESBAL 2019-09-11 / H.8 of 2019-09-04), facility take-up and the last policy action
    assert "Reserves: $1,457bn (13w -130bn, week of 2019-09-11)" in text
    assert "Reserve ratio: 8.33% of banks' assets (H.8 week of 2019-09-04; scarce at or below 9.33%)" in text
    assert "Last policy action: -25 bp to 1.75%-2.00%, effective 2019-09-19" in text  # announced 09-18, 14:00
    assert "SOFR - IORB: +315 bp (SOFR 5.25%, IORB 2.10%, 2019-09-17, tax date: a known pressure day)" in text
    assert "Stress: ON: break: SOFR - IORB 315 bp on 2019-09-17 (tax_date; >= 36 bp)" in text
    assert "First signal message to this destination." in text
    assert "break_sofr_minus_iorb_bp=36" in text  # thresholds echoed
    assert "The Fed's three signs" in message["blocks"][3]["text"]["text"]
    # the first line, and the header, is the grade with its reason
    assert text.splitlines()[0] == "critical: a break, SOFR - IORB 315 bp"
    assert message["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "critical: a break, SOFR - IORB 315 bp"},
    }
    assert slack.calls[0]["auth"] == f"Bearer {TOKEN}"
    assert [c["method"] for c in slack.calls] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert slack.uploads == [b"\x89PNG fake chart"]
    assert message["metadata"] == {
        "event_type": "liquidity_watch_alert",
        "event_payload": {"outbox_key": "signal:2019-07-31:critical:slack:C0SUBS"},
    }
    complete = slack.calls[-1]["body"]
    assert complete["channel_id"] == "C0SUBS" and complete["thread_ts"] == slack.posted[0]["ts"]


def test_a_429_with_retry_after_is_retried_and_then_delivered(tables, slack, empty_warehouse):
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    slack.fail_next(429, {"Retry-After": "1"})
    result = run_alerts(empty_warehouse, bot_settings(slack), ev, eps, "run1")
    assert len(result["sent"]) == 1
    assert [c["method"] for c in slack.calls][:2] == ["chat.postMessage(failed)", "chat.postMessage"]


def test_slack_down_keeps_the_message_and_the_next_run_delivers_it(tables, slack, empty_warehouse):
    warehouse = empty_warehouse
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    slack.down = True
    first = run_alerts(warehouse, bot_settings(slack, slack_retries=0), ev, eps, "run1")  # retries are tested elsewhere
    assert first["sent"] == [] and len(first["failed"]) == 1
    [(message_id, status, attempts, error)] = outbox(warehouse)
    assert (status, attempts) == ("failed", 1) and "HTTP 503" in error
    slack.down = False
    slack.calls.clear()
    second = run_alerts(warehouse, bot_settings(slack), ev, eps, "run2")
    assert second["queued"] == [] and second["sent"] == [message_id]
    assert outbox(warehouse)[0][1:3] == ("sent", 2)
    assert len(slack.messages()) == 1
    # a 503 may hide a post Slack made: the channel is read before the message is sent again
    assert [c["method"] for c in slack.calls][:2] == ["conversations.history", "chat.postMessage"]


def test_a_rerun_sends_nothing_and_an_escalation_sends_once_saying_what_changed(tables, slack, empty_warehouse):
    warehouse = empty_warehouse
    settings = bot_settings(slack)
    ev, eps = evaluate_until(tables, D(2019, 7, 31))  # the cut is announced: alert (repo rates above IOER)
    assert ev.row(-1, named=True)["severity"] == "alert"
    assert run_alerts(warehouse, settings, ev, eps, "run1")["sent"] == ["signal:2019-07-31:alert:slack:C0SUBS"]
    assert run_alerts(warehouse, settings, ev, eps, "run2")["sent"] == []  # same episode, same severity
    ev, eps = evaluate_until(tables, D(2019, 8, 1))  # the July month-end pop (+20 bp) is not critical
    assert ev.row(-1, named=True)["severity"] == "alert"
    assert run_alerts(warehouse, settings, ev, eps, "run3")["sent"] == []
    ev, eps = evaluate_until(tables, D(2019, 9, 17))  # EFFR 15 bp over IOER on 09-16: a break
    assert run_alerts(warehouse, settings, ev, eps, "run4")["sent"] == ["signal:2019-07-31:critical:slack:C0SUBS"]
    assert run_alerts(warehouse, settings, ev, eps, "run5")["sent"] == []
    first, second = slack.messages()
    assert "First signal message to this destination." in first["text"]
    assert (
        "Since the last message (alert, 2019-07-31): severity alert -> critical; facility use no data -> off; "
        "stress off -> on; SOFR - IORB +4 bp -> +33 bp; reserves/bank assets 8.75% -> 8.33%; "
        "days of material facility take-up 0 -> 1." in second["text"]
    )


def test_subscriptions_get_only_the_severities_they_asked_for(tables, slack, empty_warehouse):
    settings = bot_settings(slack, slack_subscriptions="C0DESK:critical,C0RISK:alert")
    ev, eps = evaluate_until(tables, D(2019, 7, 31))  # alert
    run_alerts(empty_warehouse, settings, ev, eps, "run1")
    assert sorted(m["channel"] for m in slack.messages()) == ["C0RISK", "C0SUBS"]


def test_what_changed_is_told_against_the_last_message_to_the_same_destination(tables, slack, empty_warehouse):
    warehouse = empty_warehouse
    settings = bot_settings(slack, slack_subscriptions="C0DESK:critical")
    ev, eps = evaluate_until(tables, D(2019, 7, 31))  # alert: only C0SUBS wants it
    run_alerts(warehouse, settings, ev, eps, "run1")
    ev, eps = evaluate_until(tables, D(2019, 9, 17))  # critical: both
    run_alerts(warehouse, settings, ev, eps, "run2")
    by_channel = {m["channel"]: m["text"] for m in slack.messages()[1:]}
    assert "Since the last message (alert, 2019-07-31): severity alert -> critical" in by_channel["C0SUBS"]
    assert "First signal message to this destination." in by_channel["C0DESK"]


def test_webhook_delivery_posts_text_and_blocks_without_an_image(tables, slack, empty_warehouse):
    settings = SlackSettings(slack_webhook_url=slack.webhook_url)
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    assert run_alerts(empty_warehouse, settings, ev, eps, "run1")["sent"] == ["signal:2019-07-31:critical:webhook"]
    [message] = slack.messages()
    assert "Last policy action: -25 bp to 1.75%-2.00%" in message["text"] and message["blocks"]
    assert slack.uploads == []


def test_no_slack_configured_prints_to_the_terminal_and_keeps_the_row(tables, empty_warehouse):
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    destinations = subscriber_destinations(SlackSettings())
    assert destinations == [Destination("terminal", "terminal")]
    result = run_alerts(empty_warehouse, SlackSettings(), ev, eps, "run1")
    [printed] = result["printed_text"]
    assert printed.startswith(
        "[liquidity-watch critical] critical: a break, SOFR - IORB 315 bp\nCRITICAL: rates falling"
    )
    # the terminal reads like the Slack message: the title, the three signs a line each, the facts
    lines = printed.splitlines()
    signs = lines.index("The Fed's three signs")
    assert [line[:4] for line in lines[signs + 1 : signs + 4]] == ["(a) ", "(b) ", "(c) "]
    assert any(line.startswith("Reserves: $1,") for line in lines)
    assert not any("*" in line or ":rotating_light:" in line for line in lines)  # no Slack markup
    assert outbox(empty_warehouse)[0][1] == "printed"
    assert run_alerts(empty_warehouse, SlackSettings(), ev, eps, "run2")["printed_text"] == []


def test_tokens_and_webhook_urls_never_reach_errors_or_the_outbox(tables, httpserver, empty_warehouse):
    secret_hook = httpserver.url_for("/services/T9/B9/topsecretvalue")
    httpserver.expect_request("/services/T9/B9/topsecretvalue").respond_with_data("invalid_token", status=403)
    settings = SlackSettings(slack_webhook_url=secret_hook)
    with pytest.raises(DeliveryError) as info:
        SlackSender(settings).send(Destination("webhook", "webhook"), {"text": "x", "blocks": []})
    assert "topsecretvalue" not in str(info.value) and "HTTP 403" in str(info.value)
    ev, eps = evaluate_until(tables, D(2019, 9, 18))
    run_alerts(empty_warehouse, settings, ev, eps, "run1")
    with connection(empty_warehouse, read_only=True) as con:
        dump = str(con.execute("SELECT * FROM meta.outbox").fetchall())
    assert "topsecretvalue" not in dump and "webhook" in dump
    assert "topsecret" not in repr(settings) and TOKEN not in repr(SlackSettings(slack_bot_token=TOKEN))


def test_ops_notifications_go_to_the_ops_channel_not_to_subscribers(slack):
    settings = bot_settings(slack, slack_ops_channel="C0OPS")
    assert notify_ops(f"gate failed; token {TOKEN} must not leak", settings)
    [message] = slack.messages()
    assert message["channel"] == "C0OPS"
    assert TOKEN not in message["text"] and "<redacted>" in message["text"]


@pytest.mark.integration
def test_webhook_run_as_of_2019_09_18_delivers_one_alert_and_a_rerun_delivers_nothing(slack, tmp_path, prefect_server):
    from typer.testing import CliRunner

    from liquidity_watch.cli import app

    env = {"SLACK_WEBHOOK_URL": slack.webhook_url}
    args = [
        "run",
        "--source",
        "snapshot",
        "--as-of",
        "2019-09-18",
        "--deliver",
        "--warehouse",
        str(tmp_path / "w.duckdb"),
    ]
    first = CliRunner().invoke(app, args, env=env)
    assert first.exit_code == 0, first.output
    assert "1 queued, 1 sent to Slack" in " ".join(first.stdout.split())
    [message] = slack.messages()
    assert "Last policy action: -25 bp to 1.75%-2.00%" in message["text"]
    assert "Reserves: $1,457bn (13w -130bn" in message["text"]
    assert "Reserve ratio: 8.33% of banks' assets" in message["text"]
    assert "SOFR - IORB: +315 bp" in message["text"]
    second = CliRunner().invoke(app, args, env=env)
    assert second.exit_code == 0, second.output
    assert "0 queued, 0 sent to Slack" in " ".join(second.stdout.split())
    assert len(slack.messages()) == 1
    assert slack.webhook_url not in first.output + second.output
    shutil.rmtree(WarehousePaths.of(tmp_path / "w.duckdb").data_docs, ignore_errors=True)


def test_the_real_chart_renders_across_holiday_gaps_as_a_png(tables):
    import struct

    from liquidity_watch.reporting.charts import liquidity_chart

    _ev, eps = evaluate_until(tables, D(2019, 12, 31))
    png = liquidity_chart(tables["weekly_liquidity"], tables["daily_rates"], eps, D(2019, 12, 31))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1100, 935)
    assert (
        tables["daily_rates"].filter(pl.col("date").is_between(D(2018, 1, 1), D(2019, 12, 31)))["sofr_pct"].null_count()
        > 0
    )


def test_the_chart_marks_the_known_pressure_days():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from liquidity_watch.reporting.charts import PRESSURE_COLOR, _pressure_marked_bars

    daily = pl.DataFrame(
        {
            "date": [D(2019, 9, 13), D(2019, 9, 16), D(2019, 9, 17), D(2019, 9, 18)],
            "sofr_minus_iorb_bp": [10.0, 33.0, 315.0, 45.0],
            "pressure_day": [None, "tax_date", "tax_date", None],
        }
    )
    fig, ax = plt.subplots()
    _pressure_marked_bars(ax, daily)
    colors = [matplotlib.colors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    heights = [bar.get_height() for bar in ax.patches]
    plt.close(fig)
    assert list(zip(heights, colors, strict=True)) == [
        (10.0, "#d62728"),
        (45.0, "#d62728"),
        (33.0, PRESSURE_COLOR),
        (315.0, PRESSURE_COLOR),
    ]
