"""The rules: on small synthetic series (a quarter-end pop against a persistent drift), on 2018-2026 history
point in time, the evaluation against the first release's rules, and the thresholds file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.domain.calendars import business_days
from liquidity_watch.domain.catalog import SIGNALS_START
from liquidity_watch.domain.rules import Rule, RuleStatus
from liquidity_watch.resources import default_thresholds_file
from liquidity_watch.signals.calibration import calibrate
from liquidity_watch.signals.episodes import episodes, unknown_since
from liquidity_watch.signals.evaluation import evaluate_rules
from liquidity_watch.signals.legacy import legacy_severity
from liquidity_watch.signals.rules import evaluate, signals_long
from liquidity_watch.signals.thresholds import KEY_TABLE, defaults, load_thresholds
from liquidity_watch.transforms.core_tables import build_core_tables
from tests.conftest import copy_of

D = dt.date
END = D(2026, 9, 4)  # the day after the bundled snapshot's last fixing (2026-09-03)
NO_GAP = D(2031, 12, 31)  # the synthetic NY Fed series run to the end of the year
SYNTHETIC_END = D(2031, 8, 29)


# --- synthetic series: one quarter of a made-up year, the Fed easing while it drains --------------------------


def synthetic_tables(
    sofr_minus_iorb: Callable[[dt.date], float],
    takeup_usd_bn: dict | None = None,
    effr_minus_iorb: Callable[[dt.date], float] = lambda d: -7.0,
    rates_until: dt.date = NO_GAP,
) -> dict:
    """Core tables of 2031-03..2031-09: a 25 bp cut on 2031-06-12 during QT ($10bn a week), reserves
    ample (12 % of banks' assets), EFFR 7 bp under IORB (or as given), TGCR 2 bp under SOFR; SOFR - IORB
    as given. The NY Fed's daily series (SOFR, TGCR, EFFR, ON RRP, repo operations) stop after ``rates_until``."""
    rows: list[tuple[str, dt.date, float]] = []
    day = D(2031, 1, 1)
    for i in range(52 * 7):
        d = day + dt.timedelta(days=i)
        upper = 4.25 if d < D(2031, 6, 12) else 4.00
        iorb = upper - 0.10
        rows += [("DFEDTARU", d, upper), ("DFEDTARL", d, upper - 0.25), ("IORB", d, iorb)]
        if d.weekday() == 2:
            week = i // 7
            rows += [
                ("WALCL", d, 6_500_000.0 - 10_000 * week),
                ("WSHOSHO", d, 6_000_000.0 - 10_000 * week),
                ("WRESBAL", d, 3_000_000.0),
                ("WDTGAL", d, 800_000.0),
                ("TLAACBW027SBOG", d, 25_000.0),
            ]
        if d.weekday() < 5 and D(2031, 3, 3) <= d <= rates_until:
            sofr = round(iorb + sofr_minus_iorb(d) / 100, 4)
            rows += [
                ("SOFR", d, sofr),
                ("TGCRRATE", d, round(sofr - 0.02, 4)),
                ("EFFR", d, round(iorb + effr_minus_iorb(d) / 100, 4)),
                ("RRPONTSYD", d, 100.0),
                ("RPONTSYD", d, (takeup_usd_bn or {}).get(d, 0.0)),
            ]
    observations = pl.DataFrame(
        rows, schema={"series_id": pl.String, "date": pl.Date, "value": pl.Float64}, orient="row"
    )
    return build_core_tables(observations)


def synthetic_evaluation(tables: dict, end: dt.date = SYNTHETIC_END) -> pl.DataFrame:
    return evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(D(2031, 6, 2), end),
        load_thresholds(),
    )


def synthetic_day(tables: dict, day: dt.date) -> dict:
    return synthetic_evaluation(tables).filter(pl.col("date") == day).row(0, named=True)


SRF_USED = {D(2031, 6, 16): 2.0, D(2031, 6, 30): 2.0}  # repeated take-up: sign (b)


def test_the_fed_s_full_test_three_signs_persisting_together_is_critical():
    tables = synthetic_tables(lambda d: 5.0, SRF_USED, effr_minus_iorb=lambda d: -7.0 if d < D(2031, 5, 1) else -2.0)
    day = synthetic_day(tables, D(2031, 7, 1))
    assert (day["repo_rates"], day["facility_use"], day["effr_rising"]) == ("on", "on", "on")
    assert day["effr_minus_iorb_rise_bp"] == 5.0
    assert (day["stress"], day["signs_persisted"], day["severity"]) == ("off", 3, "critical")
    assert day["grade_why"] == "critical: the Fed's full test is met, 3 of 3 signs"


def test_two_signs_persisting_are_an_alert_not_critical():
    tables = synthetic_tables(lambda d: 5.0, SRF_USED)  # EFFR flat: no sign (c)
    day = synthetic_day(tables, D(2031, 7, 1))
    assert (day["repo_rates"], day["facility_use"], day["effr_rising"]) == ("on", "on", "off")
    assert (day["signs_persisted"], day["severity"]) == (2, "alert")
    assert day["grade_why"] == "alert: 2 of 3 of the Fed's signs persisted (repo rates above IORB, repo facility use)"


def test_an_input_past_its_staleness_limit_is_no_data_with_why_and_the_day_is_not_calm():
    tables = synthetic_tables(lambda d: 5.0, rates_until=D(2031, 7, 1))  # the NY Fed goes dark after 07-01
    ev = synthetic_evaluation(tables)
    before = ev.filter(pl.col("date") == D(2031, 7, 2)).row(0, named=True)  # 07-01's fixings came out on 07-02
    assert (before["repo_rates"], before["severity"]) == ("on", "alert")
    day = ev.filter(pl.col("date") == D(2031, 8, 12)).row(0, named=True)
    assert (day["rates_date"], day["sofr_minus_iorb_bp"]) == (D(2031, 7, 1), 5.0)  # the last values, still there
    assert (day["repo_rates"], day["effr_rising"], day["stress"], day["facility_use"]) == ("no_data",) * 4
    assert day["severity"] == "unknown"  # not none, and not the alert the old values would give
    rows = signals_long(ev.filter(pl.col("date") == D(2031, 8, 12)))
    inputs = {r["rule"]: json.loads(r["inputs"]) for r in rows.iter_rows(named=True)}
    # IORB kept coming, but its rows are the days with a fixing: the rates' own reasons say it all
    assert inputs["repo_rates"]["stale"] == (
        "SOFR: last fixing 2031-07-01, 29 business days old; TGCR: last fixing 2031-07-01, 29 business days old"
    )
    assert inputs["draining"]["stale"] is None  # the H.4.1 kept coming
    assert rows.filter(pl.col("status") == "off")["rule"].to_list() == ["scarcity"]  # H.4.1 and H.8 are fresh
    found = unknown_since(ev)
    assert found is not None and found[0] == D(2031, 7, 3)  # 07-02's fixings were due by 14:00 on 07-03


def test_a_source_that_comes_back_ends_the_unknown_stretch_without_a_second_subscriber_message(empty_warehouse):
    from liquidity_watch.alerts.config import Destination
    from liquidity_watch.alerts.dispatch import queue_signal_alerts
    from liquidity_watch.domain.delivery import DestinationKind
    from liquidity_watch.warehouse.db import connection

    webhook = [Destination("webhook", DestinationKind.WEBHOOK)]
    runs = [  # (data of the NY Fed until, run of the day): alert, then 30 days dark, then back
        (D(2031, 7, 1), D(2031, 7, 2)),
        (D(2031, 7, 1), D(2031, 8, 13)),
        (D(2031, 12, 31), D(2031, 8, 14)),
    ]
    grades, queued = [], []
    with connection(empty_warehouse) as con:
        for until, today in runs:
            ev = synthetic_evaluation(synthetic_tables(lambda d: 5.0, rates_until=until), today)
            grades.append(ev.sort("date")["severity"][-1])
            queued.append(queue_signal_alerts(con, ev, episodes(ev), webhook, f"run-{today}"))
        assert con.execute("SELECT count(*) FROM meta.outbox").fetchone() == (1,)
    assert grades == ["alert", "unknown", "alert"]
    assert queued == [["signal:2031-06-11:alert:webhook"], [], []]  # one episode (the cut announced 06-11)


def test_a_quarter_end_pop_alone_is_information_not_an_alert():
    tables = synthetic_tables(lambda d: 25.0 if d == D(2031, 6, 30) else -5.0)
    day = synthetic_day(tables, D(2031, 7, 1))  # sees the quarter-end fixing of 2031-06-30
    assert (day["rates_date"], day["rates_pressure_day"], day["sofr_minus_iorb_bp"]) == (
        D(2031, 6, 30),
        "quarter_end",
        25.0,
    )
    assert (day["easing"], day["draining"]) == ("on", "on")
    assert (day["repo_rates"], day["stress"], day["severity"]) == ("off", "off", "watch")


def test_a_persistent_drift_of_repo_rates_above_iorb_is_an_alert():
    tables = synthetic_tables(lambda d: 5.0)
    day = synthetic_day(tables, D(2031, 7, 1))
    assert day["sofr_above_iorb_share_pct"] == 100.0
    assert day["tgcr_above_iorb_share_pct"] == 100.0  # TGCR 3 bp over IORB
    assert day["sofr_minus_iorb_median_bp"] == 5.0
    assert (day["repo_rates"], day["stress"], day["severity"]) == ("on", "off", "alert")


def test_the_same_drift_a_little_lower_stays_at_watch():
    tables = synthetic_tables(lambda d: 2.0 if d.day % 4 else -1.0)  # mostly above IORB, median 2 bp < 3
    day = synthetic_day(tables, D(2031, 7, 1))
    assert day["sofr_minus_iorb_median_bp"] == 2.0
    assert day["tgcr_above_iorb_share_pct"] == 0.0  # TGCR stays under IORB
    assert (day["repo_rates"], day["severity"]) == ("off", "watch")


def test_stress_repeating_on_three_ordinary_days_is_critical_two_is_not():
    stressed = {D(2031, 7, 7), D(2031, 7, 9), D(2031, 7, 22)}  # ordinary days (not month-end, mid-month or turn)
    tables = synthetic_tables(lambda d: 20.0 if d in stressed else 5.0)
    assert synthetic_day(tables, D(2031, 7, 21))["off_calendar_stress_days"] == 2
    assert synthetic_day(tables, D(2031, 7, 21))["severity"] == "alert"
    day = synthetic_day(tables, D(2031, 7, 23))
    assert (day["off_calendar_stress_days"], day["stress"], day["severity"]) == (3, "on", "critical")


def test_the_same_three_pops_on_pressure_days_are_not_critical():
    pressure = {D(2031, 6, 30), D(2031, 7, 1), D(2031, 7, 15)}  # quarter-end, the turn, mid-month
    tables = synthetic_tables(lambda d: 20.0 if d in pressure else 5.0)
    day = synthetic_day(tables, D(2031, 7, 16))
    assert (day["off_calendar_stress_days"], day["stress"], day["severity"]) == (0, "off", "alert")


def test_a_break_beyond_what_pressure_days_show_is_critical_on_the_day_it_is_published():
    tables = synthetic_tables(lambda d: 60.0 if d == D(2031, 6, 30) else -5.0)
    assert synthetic_day(tables, D(2031, 6, 30))["severity"] == "watch"  # the fixing comes out the next morning
    day = synthetic_day(tables, D(2031, 7, 1))
    assert (day["stress"], day["severity"]) == ("on", "critical")
    assert synthetic_day(tables, D(2031, 7, 2))["severity"] == "watch"  # one print: no persistent sign


def test_repeated_facility_takeup_is_the_second_sign_and_is_seen_the_afternoon_it_happens():
    tables = synthetic_tables(lambda d: -5.0, takeup_usd_bn={D(2031, 6, 16): 2.0, D(2031, 6, 30): 2.0})
    assert synthetic_day(tables, D(2031, 6, 16))["facility_use"] == "off"  # once is not repeated use
    day = synthetic_day(tables, D(2031, 6, 30))
    assert (day["takeup_date"], day["repo_ops_takeup_usd_mn"], day["takeup_material_days"]) == (
        D(2031, 6, 30),
        2000.0,
        2,
    )
    assert (day["facility_use"], day["severity"]) == ("on", "alert")


def test_scarcity_is_judged_against_banks_assets_with_h8_seen_nine_days_after_its_wednesday():
    tables = synthetic_tables(lambda d: -5.0)
    day = synthetic_day(tables, D(2031, 7, 1))
    assert day["week_ending"] == D(2031, 6, 25)  # H.4.1 of Wednesday 06-25 came out Thursday 06-26
    assert day["bank_week_ending"] == D(2031, 6, 18)  # H.8 of 06-18 came out Friday 06-27; 06-25's on 07-04
    assert day["reserves_to_bank_assets_pct"] == 12.0
    assert day["scarcity"] == "off"


# --- 2018-2026 history, point in time --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables(snapshot_observations) -> dict:
    return build_core_tables(snapshot_observations)


@pytest.fixture(scope="module")
def evaluated(tables) -> pl.DataFrame:
    days = business_days(SIGNALS_START, END)
    return evaluate(
        tables["weekly_liquidity"], tables["daily_rates"], tables["policy_changes"], days, load_thresholds()
    )


@pytest.fixture(scope="module")
def found(evaluated) -> pl.DataFrame:
    return episodes(evaluated)


def _day(evaluated: pl.DataFrame, day: dt.date) -> dict:
    return evaluated.filter(pl.col("date") == day).row(0, named=True)


def test_2019_is_at_watch_by_early_august_at_alert_before_september_17_and_critical_on_the_break(evaluated):
    summer = evaluated.filter(pl.col("date").is_between(D(2019, 7, 31), D(2019, 9, 16)))
    assert summer["severity"].unique().sort().to_list() == ["alert"]  # from the July 31 cut on, never critical
    sept17 = _day(evaluated, D(2019, 9, 17))
    # what was public by the end of 09-17: the 09-16 fixings (EFFR at the top of the range) and that
    # morning's repo operation, the first since 2008
    assert (sept17["rates_date"], sept17["rates_pressure_day"]) == (D(2019, 9, 16), "tax_date")
    assert (sept17["effr_minus_iorb_bp"], sept17["sofr_minus_iorb_bp"]) == (15.0, 33.0)
    assert (sept17["takeup_date"], sept17["repo_ops_takeup_usd_mn"]) == (D(2019, 9, 17), 40850.0)
    assert (sept17["stress"], sept17["severity"]) == ("on", "critical")
    sept18 = _day(evaluated, D(2019, 9, 18))
    assert (sept18["rates_date"], sept18["sofr_minus_iorb_bp"], sept18["severity"]) == (
        D(2019, 9, 17),
        315.0,
        "critical",
    )


def test_the_2019_values_behind_the_early_august_alert(evaluated):
    aug1 = _day(evaluated, D(2019, 8, 1))
    assert (aug1["easing"], aug1["draining"], aug1["last_cut_date"]) == ("on", "on", D(2019, 8, 1))
    # sign (a): SOFR above IOER on all 20 July fixings, TGCR on 19; median +8.5 bp
    assert (aug1["sofr_above_iorb_share_pct"], aug1["tgcr_above_iorb_share_pct"]) == (100.0, 95.0)
    assert aug1["sofr_minus_iorb_median_bp"] == 8.5
    assert aug1["repo_rates"] == "on"
    # reserves of the week to 07-31 (WRESBAL 1,534,523) against banks' assets of the latest H.8 out by
    # then, 07-17's (17,360.3705 $bn): 8.839 %, in the lowest decile since 2018
    assert (aug1["week_ending"], aug1["reserves_usd_mn"]) == (D(2019, 7, 31), 1534523.0)
    assert (aug1["bank_week_ending"], aug1["bank_assets_usd_mn"]) == (D(2019, 7, 17), 17360370.5)
    assert (aug1["reserves_to_bank_assets_pct"], aug1["scarcity"]) == (8.839, "on")
    assert (aug1["facility_use"], aug1["effr_rising"]) == ("no_data", "off")
    assert aug1["severity"] == "alert"


def test_nothing_fires_while_the_balance_sheet_exploded_in_2020(evaluated):
    window = evaluated.filter(pl.col("date").is_between(D(2020, 3, 1), D(2020, 12, 31)))
    assert window.height > 200
    assert window["severity"].unique().to_list() == ["none"]
    assert (window["easing"] == "on").sum() > 0  # the cuts were seen...
    assert (window["facility_use"] == "on").sum() > 0  # ...and the March 2020 repo operations...
    # ...but the balance sheet was not draining: no frame, no signal
    assert window.filter((pl.col("easing") == "on") & (pl.col("draining") == "on")).height == 0


def test_nothing_fires_during_the_2022_23_hikes(evaluated):
    window = evaluated.filter(pl.col("date").is_between(D(2022, 3, 1), D(2023, 7, 31)))
    assert window["severity"].unique().to_list() == ["none"]
    assert (window["draining"] == "on").sum() > 200  # QT ran; there was no easing


def test_critical_is_the_september_2019_break_and_the_fed_s_full_test_of_late_2025(evaluated):
    critical = evaluated.filter((pl.col("date") >= D(2018, 4, 2)) & (pl.col("severity") == "critical"))
    in_2019 = business_days(D(2019, 9, 17), D(2019, 10, 2))  # the break, then stress repeating off the calendar
    in_2025 = business_days(D(2025, 10, 31), D(2025, 12, 17))  # all three signs together, until the frame ended
    assert critical["date"].to_list() == [*in_2019, *in_2025]
    assert critical.height == 12 + 32
    why = dict(critical.select("date", "grade_why").iter_rows())
    assert why[D(2019, 9, 18)] == "critical: a break, SOFR - IORB 315 bp"
    assert why[D(2025, 10, 31)] == "critical: the Fed's full test is met, 3 of 3 signs"
    # two days after the FOMC announced the end of runoff, the three signs the Chair named had all persisted
    oct29 = _day(evaluated, D(2025, 10, 29))
    assert (oct29["repo_rates"], oct29["facility_use"], oct29["effr_rising"], oct29["severity"]) == (
        "on",
        "on",
        "off",
        "alert",
    )


def test_the_backtest_from_2003_finds_exactly_these_episodes(found):
    assert found.select("start", "end", "peak_severity", "escalated_on").rows() == [
        (D(2009, 1, 8), D(2009, 2, 17), "alert", D(2009, 1, 8)),
        (D(2019, 7, 31), D(2019, 10, 2), "critical", D(2019, 7, 31)),
        (D(2024, 9, 18), D(2025, 3, 19), "watch", None),  # cuts during QT; month-end pops only
        (D(2025, 9, 17), D(2025, 12, 17), "critical", D(2025, 9, 30)),  # SRF used on 09-15 and 09-30
        (D(2026, 1, 29), D(2026, 2, 4), "alert", D(2026, 1, 29)),
    ]


def test_rules_without_inputs_say_no_data_instead_of_guessing(evaluated):
    early = _day(evaluated, D(2005, 6, 1))
    assert early["repo_rates"] == "no_data"  # no SOFR before 2018-04-02
    assert early["stress"] == "no_data"
    assert early["easing"] == "no_data"  # no target range or IOER yet
    assert early["severity"] == "none"
    assert _day(evaluated, D(2018, 5, 1))["repo_rates"] != "no_data"


def test_every_rule_status_on_history_is_a_rule_status_and_each_one_occurs(evaluated):
    found = {rule: set(evaluated[rule].unique().to_list()) for rule in Rule}
    assert set().union(*found.values()) == {status.value for status in RuleStatus}
    assert found[Rule.STRESS] == {"on", "off", "no_data"}


def test_h41_of_a_wednesday_is_seen_only_from_thursday(evaluated):
    assert _day(evaluated, D(2019, 9, 18))["week_ending"] == D(2019, 9, 11)
    assert _day(evaluated, D(2019, 9, 19))["week_ending"] == D(2019, 9, 18)


def test_every_signal_row_echoes_its_inputs_and_thresholds(evaluated):
    rows = signals_long(evaluated.filter(pl.col("date") == D(2019, 9, 17)))
    assert rows["rule"].to_list() == [
        "draining",
        "easing",
        "effr_rising",
        "facility_use",
        "repo_rates",
        "scarcity",
        "stress",
    ]
    stress = rows.filter(pl.col("rule") == "stress").row(0, named=True)
    assert json.loads(stress["inputs"])["effr_minus_iorb_bp"] == 15.0
    assert json.loads(stress["inputs"])["rates_pressure_day"] == "tax_date"
    assert json.loads(stress["thresholds"])["break_effr_minus_iorb_bp"] == 10


def test_each_signal_row_keeps_the_thresholds_its_rule_reads_and_no_others(evaluated):
    rows = signals_long(evaluated.filter(pl.col("date") == D(2019, 9, 17)))
    kept = {row["rule"]: json.loads(row["thresholds"]) for row in rows.iter_rows(named=True)}
    assert kept["stress"] == {
        "break_effr_minus_iorb_bp": 10.0,
        "break_sofr_minus_iorb_bp": 36.0,
        "off_calendar_days": 3,
        "off_calendar_sofr_minus_iorb_bp": 15.0,
        "window_days": 20,
    }
    assert set(kept["draining"]) == {"qt_runoff_13w_usd_mn", "qt_runoff_4w_usd_mn", "total_assets_fall_4w_usd_mn"}
    assert set(kept["scarcity"]) == {"reserves_below_52w_high_pct", "reserves_to_bank_assets_pct"}
    # together they are every threshold in force, each with the value the messages show
    every = json.loads(evaluated["thresholds"][0])
    assert {key: value for rule in kept.values() for key, value in rule.items()} == every


# --- the evaluation: v1 beside the rules in force ---------------------------------------------------------


def test_the_first_release_rules_are_reproduced_for_the_comparison(evaluated):
    v1 = legacy_severity(evaluated).filter(pl.col("date") >= D(2018, 4, 2))
    # the first release's own code gave these on the same snapshot before the rules changed
    assert dict(v1.group_by("severity_v1").len().rows()) == {"critical": 21, "alert": 164, "watch": 52, "none": 1881}
    assert v1.filter(pl.col("severity_v1") == "critical")["date"].to_list()[:3] == [
        D(2019, 8, 1),  # SOFR 5 bp over the top of the range on the July month-end
        D(2019, 9, 17),
        D(2019, 9, 18),
    ]


def test_the_evaluation_counts_grades_noise_and_lead_times(evaluated):
    e = evaluate_rules(evaluated, D(2018, 4, 2), END)
    grades = {row[0]: row[1:] for row in e.grades.rows()}  # v1, before this change, now
    assert grades["critical"] == (21, 12, 44)
    assert grades["alert"] == (164, 91, 59)
    assert grades["watch"] == (52, 134, 134)
    assert grades["none"] == (1881, 1881, 1850)
    # from 2026-07-24 the bundled target range (to 07-17) is past its staleness limit: no grade, not calm
    assert grades["unknown"] == (0, 0, 31)
    assert grades["critical episodes"] == (9, 1, 2)
    assert grades["business days"] == (2118, 2118, 2118)
    # v1 alerted on 90 days on which none of the three signs had persisted; the alert days of the
    # rules in force without a sign are 2019-08-27..09-06, when scarcity alone carried the alert
    assert grades["noise days (alert+, no sign persisted)"] == (90, 8, 8)
    now = e.episodes.filter(pl.col("rules") == "now")
    ep2019 = now.filter(pl.col("start") == D(2019, 7, 31)).row(0, named=True)
    assert (ep2019["largest_stress_day"], ep2019["stress_bp"], ep2019["lead_alert_bd"]) == (D(2019, 9, 17), 315.0, 33)
    assert ep2019["first_critical"] == D(2019, 9, 17)
    why = e.critical_days.filter((pl.col("rules") == "now") & (pl.col("date") == D(2019, 9, 17)))["why"].item()
    assert why == "a break, EFFR - IORB 15 bp"


def test_the_evaluation_grades_the_rules_against_the_fed_s_own_actions(evaluated):
    e = evaluate_rules(evaluated, D(2018, 4, 2), END)
    now = e.fed_actions.filter(pl.col("rules") == "now")
    rows = now.select("date", "first_alert", "alert_lead_bd", "first_critical", "critical_lead_bd").rows()
    assert rows == [
        (D(2019, 9, 17), D(2019, 7, 31), 33, D(2019, 9, 17), 0),  # critical on the day the repo operations began
        (D(2019, 10, 11), D(2019, 7, 31), 51, D(2019, 9, 17), 18),
        (D(2025, 10, 29), D(2025, 9, 30), 20, D(2025, 10, 31), -2),  # the full test, two days after the Fed
        (D(2025, 12, 10), D(2025, 9, 30), 48, D(2025, 10, 31), 26),
    ]
    before = e.fed_actions.filter((pl.col("rules") == "before") & (pl.col("date") == D(2025, 10, 29))).row(
        0, named=True
    )
    assert (before["first_alert"], before["first_critical"]) == (D(2025, 9, 30), None)  # never critical before


def test_the_packaged_thresholds_are_the_stated_percentiles_of_the_bundled_history(tables):
    t = load_thresholds()
    for row in calibrate(tables["weekly_liquidity"], tables["daily_rates"], t):
        if row.value is not None:
            assert getattr(t, row.key) == row.value, (row.key, row.rule, row.value)


# --- the thresholds file --------------------------------------------------------------------------------


def test_a_stricter_threshold_file_changes_the_outcome(tmp_path: Path, tables):
    strict = tmp_path / "t.toml"
    strict.write_text(
        default_thresholds_file()
        .read_text()
        .replace("qt_runoff_13w_usd_mn = 50000", "qt_runoff_13w_usd_mn = 5000000")
        .replace("qt_runoff_4w_usd_mn = 20000", "qt_runoff_4w_usd_mn = 5000000")
        .replace("total_assets_fall_4w_usd_mn = 50000", "total_assets_fall_4w_usd_mn = 5000000")
    )
    ev = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(D(2019, 7, 1), D(2019, 10, 31)),
        load_thresholds(strict),
    )
    assert ev["severity"].unique().to_list() == ["none"]
    assert json.loads(ev["thresholds"][0])["qt_runoff_13w_usd_mn"] == 5000000


def test_the_packaged_file_and_the_documented_defaults_agree():
    t = load_thresholds()
    assert t.notes == ()
    assert {key: getattr(t, key) for key in defaults()} == defaults()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("window_days = 20", "window_days = -20", "[persistence] window_days = -20: input should be greater than 0"),
        ("window_days = 20", "window_days = 0", "[persistence] window_days = 0: input should be greater than 0"),
        ("change_lag_days = 60", "change_lag_days = 2.5", "[effr_rising] change_lag_days = 2.5: input should be"),
        ("iorb_drop_bp = 10", 'iorb_drop_bp = "ten"', "[easing] iorb_drop_bp = 'ten': input should be a valid number"),
        ("iorb_drop_bp = 10", "iorb_drop_bp = true", "[easing] iorb_drop_bp = True: input should be a valid number"),
        ("break_sofr_minus_iorb_bp = 36", "break_sofr_minus_iorb_bp = nan", "break_sofr_minus_iorb_bp = nan: input"),
        ("takeup_floor_usd_mn = 1500", "takeup_floor_usd_mn = inf", "[facility_use] takeup_floor_usd_mn = inf"),
        (
            "reserves_below_52w_high_pct = 24.28",
            "reserves_below_52w_high_pct = -10",
            "[scarcity] reserves_below_52w_high_pct = -10: input should be greater than 0"
            " (plausible range: more than 0, less than 100)",
        ),
        (
            "reserves_to_bank_assets_pct = 9.33",
            "reserves_to_bank_assets_pct = 120",
            "[scarcity] reserves_to_bank_assets_pct = 120: input should be less than 100",
        ),
        # values that pass a type check but silence a rule for good
        (
            "window_days = 20",
            "window_days = 9223372036854775807",
            "[persistence] window_days = 9223372036854775807: input should be less than or equal to 262"
            " (plausible range: 1 to 262)",
        ),
        (
            "cut_lookback_days = 90",
            "cut_lookback_days = 400",
            "[easing] cut_lookback_days = 400: input should be less than or equal to 366 (plausible range: 1 to 366)",
        ),
        (
            "qt_runoff_13w_usd_mn = 50000",
            "qt_runoff_13w_usd_mn = 1e300",
            "[draining] qt_runoff_13w_usd_mn = 1e+300: input should be less than or equal to 10000000"
            " (plausible range: 0 to 10,000,000)",
        ),
        (
            "break_sofr_minus_iorb_bp = 36",
            "break_sofr_minus_iorb_bp = 5000",
            "[stress] break_sofr_minus_iorb_bp = 5000: input should be less than or equal to 1000"
            " (plausible range: -1,000 to 1,000)",
        ),
        (
            "sofr_above_iorb_share_pct = 80",
            "sofr_above_iorb_share_pct = 100",
            "[repo_rates] sofr_above_iorb_share_pct = 100: input should be less than 100",
        ),
        (
            "tgcr_above_iorb_share_pct = 50",
            "tgcr_above_iorb_share_pct = 0",
            "[repo_rates] tgcr_above_iorb_share_pct = 0: input should be greater than 0",
        ),
        (
            "takeup_days = 2",
            "takeup_days = 30",
            "[facility_use] takeup_days = 30 is more than [persistence] window_days = 20:"
            " the window can never hold that many days",
        ),
        (
            "[stress]\n",
            "[stress]\nwindow_days = 20\n",
            "[stress] window_days is in the wrong table; it belongs in [persistence]",
        ),
        ("[stress]\n", "[stress]\nbreak_bp = 20\n", "[stress] break_bp is not a known key"),
        ("[stress]\n", "[stres]\n", "[stres] is not a table of the rules"),
        ("# Every threshold", "window_days = 20\n# Every", "window_days = 20 is outside any table; it belongs in"),
        ("iorb_drop_bp = 10\n", "", "missing [easing] iorb_drop_bp"),
        ("off_calendar_days = 3", "off_calendar_days = -10 %", "not valid TOML"),
    ],
)
def test_a_bad_thresholds_file_is_refused_in_one_line_naming_the_key(tmp_path: Path, old: str, new: str, message):
    bad = tmp_path / "t.toml"
    text = default_thresholds_file().read_text()
    assert old in text
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ValueError) as info:
        load_thresholds(bad)
    assert message in str(info.value)
    assert str(info.value).startswith(f"thresholds file {bad}")
    assert "\n" not in str(info.value)


def test_a_file_differing_from_the_packaged_defaults_lists_each_difference_key_by_key(tmp_path: Path):
    changed = tmp_path / "t.toml"
    text = default_thresholds_file().read_text()
    changed.write_text(
        text.replace("window_days = 20", "window_days = 30").replace("iorb_drop_bp = 10", "iorb_drop_bp = 25")
    )
    assert load_thresholds(changed).changes == (
        "[easing] iorb_drop_bp = 25 (packaged: 10)",
        "[persistence] window_days = 30 (packaged: 20)",
    )
    same = tmp_path / "same.toml"
    same.write_text(text)
    assert load_thresholds(same).changes == () and load_thresholds().changes == ()


def test_every_plausible_range_is_documented_as_the_code_has_it():
    from liquidity_watch.signals.thresholds import RANGES

    docs = (Path(__file__).resolve().parents[1] / "docs" / "signals.md").read_text()
    for key, bounds in RANGES.items():
        assert f"| `[{KEY_TABLE[key]}] {key}` | {bounds} |" in docs, key


def test_an_older_file_without_the_new_keys_gets_the_documented_defaults_and_says_so(tmp_path: Path):
    first_release = tmp_path / "t.toml"
    first_release.write_text(
        "[easing]\ncut_lookback_days = 90\niorb_drop_bp = 10\niorb_lookback_days = 60\n"
        "[draining]\nqt_runoff_13w_usd_mn = 50000\nqt_runoff_4w_usd_mn = 20000\ntotal_assets_fall_4w_usd_mn = 50000\n"
        "[stress]\nsofr_minus_iorb_bp = 15\nsofr_p99_minus_iorb_bp = 40\n"
        "[scarcity]\nreserves_below_usd_mn = 1500000\nreserves_fall_13w_usd_mn = 150000\n"
        "reserves_below_52w_high_pct = 10\n"
    )
    t = load_thresholds(first_release)
    assert t.reserves_below_52w_high_pct == 10  # the user's own value wins
    assert t.break_sofr_minus_iorb_bp == 36 and t.window_days == 20
    notes = " | ".join(t.notes)
    assert (
        f"thresholds file {first_release}: no [stress] break_sofr_minus_iorb_bp; using the documented default 36"
        in notes
    )
    assert "[stress] sofr_minus_iorb_bp is ignored" in notes
    assert len(t.notes) == len(defaults()) + 4


# --- the command ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def published(tables, tmp_path_factory, migrated_template) -> Path:
    """A warehouse with the snapshot's core tables, published without a flow run."""
    from liquidity_watch.warehouse.core import replace_core
    from liquidity_watch.warehouse.db import connection

    path = copy_of(migrated_template, tmp_path_factory.mktemp("published"), "w.duckdb")
    with connection(path) as con:
        replace_core(con, tables)
    return path


def test_backtest_evaluate_prints_both_rule_sets_and_where_each_threshold_comes_from(published):
    from typer.testing import CliRunner

    from liquidity_watch.cli import app

    result = CliRunner().invoke(app, ["backtest", "--evaluate", "--format", "json", "--warehouse", str(published)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    grades = {row["grade"]: (row["v1_days"], row["before_days"], row["now_days"]) for row in doc["grades"]}
    assert grades["critical"] == (21, 12, 44)
    assert [(e["rules"], e["start"], e["peak"]) for e in doc["episodes"]][8:] == [
        ("now", "2019-07-31", "critical"),
        ("now", "2024-09-18", "watch"),
        ("now", "2025-09-17", "critical"),
        ("now", "2026-01-29", "alert"),
    ]
    assert [(a["date"], a["rules"], a["critical_lead_bd"]) for a in doc["fed_actions"]][2] == ("2019-09-17", "now", 0)
    assert doc["notes"][-1].startswith("cannot judge since 2026-07-24: easing (target range: last value 2026-07-17")
    assert {r["key"]: r["chosen_as"] for r in doc["thresholds"]}["stress.break_sofr_minus_iorb_bp"] == "99th percentile"
    assert all(r["recomputed"] in (None, r["in_force"]) for r in doc["thresholds"])
    assert [k["kind"] for k in doc["pressure_days"]][:3] == ["year_end", "quarter_end", "month_end"]
    csv = CliRunner().invoke(app, ["backtest", "--evaluate", "--format", "csv", "--warehouse", str(published)])
    assert csv.exit_code == 1 and "--evaluate prints several tables" in csv.output


def test_a_snapshot_without_the_optional_series_still_grades_saying_no_data_where_it_must(snapshot_observations):
    first_release = ["WALCL", "TREAST", "WSHOMCB", "WRESBAL", "WDTGAL", "WTREGEN", "RRPONTSYD", "SOFR", "EFFR"]
    first_release += ["DFEDTARU", "DFEDTARL", "IORB", "IOER"]
    tables = build_core_tables(snapshot_observations.filter(pl.col("series_id").is_in(first_release)))
    ev = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(D(2019, 6, 3), D(2019, 9, 18)),
        load_thresholds(),
    )
    sept17 = _day(ev, D(2019, 9, 17))
    assert sept17["facility_use"] == "no_data"  # no RPONTSYD
    assert sept17["tgcr_above_iorb_share_pct"] is None  # no TGCR: sign (a) rests on SOFR's median
    assert sept17["reserves_to_bank_assets_pct"] is None  # no H.8: scarcity rests on the 52-week fall
    assert (sept17["scarcity"], sept17["severity"]) == ("off", "critical")  # the EFFR break still shows
    assert _day(ev, D(2019, 8, 1))["severity"] == "alert"


def test_ops_hear_once_per_unknown_stretch_what_the_published_signals_say(empty_warehouse):
    from liquidity_watch.stages.summary import SignalOfTheDay, cannot_judge_news
    from liquidity_watch.warehouse.db import connection
    from liquidity_watch.warehouse.signals import unknown_since_published

    def publish(con, days: list[tuple[str, str]]) -> None:
        con.execute("DELETE FROM core.signals")
        for day, severity in days:
            con.execute(
                "INSERT INTO core.signals VALUES (?::DATE, 'stress', 'no_data', ?, '{}'::JSON, '{}'::JSON, 'r')",
                [day, severity],
            )

    today = SignalOfTheDay("2031-08-13", "unknown", {}, "unknown: cannot judge: stress (SOFR: ...)", "2031-07-03")
    with connection(empty_warehouse) as con:
        assert unknown_since_published(con) is None  # nothing published yet: the first run tells ops
        assert cannot_judge_news(None, today) == (
            "cannot judge since 2031-07-03 (signal on 2031-08-13 is unknown, not calm): stress (SOFR: ...)"
        )
        publish(con, [("2031-07-02", "alert"), ("2031-07-03", "unknown"), ("2031-08-12", "unknown")])
        assert unknown_since_published(con) == D(2031, 7, 3)
        assert cannot_judge_news(unknown_since_published(con), today) is None  # the same stretch: said already
        publish(con, [("2031-07-02", "alert"), ("2031-07-03", "unknown"), ("2031-08-12", "alert")])
        assert unknown_since_published(con) is None  # the source came back: a new stretch is news again
