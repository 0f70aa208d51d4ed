"""The rules on 24 years of real history, point in time, and their configuration."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.domain.calendars import business_days
from liquidity_watch.resources import default_thresholds_file
from liquidity_watch.signals.rules import SIGNALS_START, episodes, evaluate, signals_long
from liquidity_watch.signals.thresholds import load_thresholds
from liquidity_watch.transforms.core_tables import build_core_tables

D = dt.date


@pytest.fixture(scope="module")
def evaluated(snapshot_observations) -> pl.DataFrame:
    tables = build_core_tables(snapshot_observations)
    days = business_days(SIGNALS_START, D(2026, 8, 28))
    return evaluate(
        tables["weekly_liquidity"], tables["daily_rates"], tables["policy_changes"], days, load_thresholds()
    )


@pytest.fixture(scope="module")
def found(evaluated) -> pl.DataFrame:
    return episodes(evaluated)


def _day(evaluated: pl.DataFrame, day: dt.date) -> dict:
    return evaluated.filter(pl.col("date") == day).row(0, named=True)


def test_the_2019_episode_starts_with_the_july_31_cut_and_is_critical_by_september_17(found, evaluated):
    [ep] = found.filter(pl.col("start").dt.year() == 2019).to_dicts()
    assert D(2019, 7, 31) <= ep["start"] <= D(2019, 8, 9)  # the cut was announced 2019-07-31 at 14:00 ET
    assert ep["peak_severity"] == "critical"
    assert ep["escalated_on"] <= D(2019, 9, 17)
    sept17 = _day(evaluated, D(2019, 9, 17))
    assert sept17["severity"] == "critical"
    assert sept17["rates_date"] == D(2019, 9, 16)  # SOFR of the 17th is only published on the 18th
    assert _day(evaluated, D(2019, 9, 18))["sofr_minus_iorb_bp"] == 315.0


def test_nothing_fires_while_the_balance_sheet_exploded_in_2020(evaluated):
    window = evaluated.filter(pl.col("date").is_between(D(2020, 3, 1), D(2020, 12, 31)))
    assert window.height > 200
    assert window["severity"].unique().to_list() == ["none"]
    assert (window["easing"] == "on").sum() > 0  # the cuts were seen...
    # ...but the balance sheet was not draining then: securities runoff never crossed its
    # thresholds, and the total-assets fall as the emergency lines unwound came after the
    # 90-day cut window had closed
    assert window.filter((pl.col("easing") == "on") & (pl.col("draining") == "on")).height == 0
    assert window.filter(pl.col("qt_runoff_13w_usd_mn") >= 50_000).height == 0


def test_nothing_fires_during_the_2022_23_hikes(evaluated):
    window = evaluated.filter(pl.col("date").is_between(D(2022, 3, 1), D(2023, 7, 31)))
    assert window["severity"].unique().to_list() == ["none"]
    assert (window["draining"] == "on").sum() > 200  # QT ran; there was no easing


def test_rules_without_inputs_say_no_data_instead_of_guessing(evaluated):
    early = _day(evaluated, D(2005, 6, 1))
    assert early["stress"] == "no_data"  # no SOFR before 2018-04-02
    assert early["easing"] == "no_data"  # no target range or IOER yet
    assert early["severity"] == "none"
    assert _day(evaluated, D(2018, 4, 4))["stress"] != "no_data"


def test_h41_of_a_wednesday_is_seen_only_from_thursday(evaluated):
    assert _day(evaluated, D(2019, 9, 18))["week_ending"] == D(2019, 9, 11)
    assert _day(evaluated, D(2019, 9, 19))["week_ending"] == D(2019, 9, 18)


def test_every_signal_row_echoes_its_inputs_and_thresholds(evaluated):
    rows = signals_long(evaluated.filter(pl.col("date") == D(2019, 9, 17)))
    assert rows["rule"].to_list() == ["draining", "easing", "scarcity", "stress"]
    stress = rows.filter(pl.col("rule") == "stress").row(0, named=True)
    assert json.loads(stress["inputs"])["sofr_minus_iorb_bp"] == 33.0
    assert json.loads(stress["thresholds"])["sofr_minus_iorb_bp"] == 15


def test_the_backtest_from_2003_finds_exactly_these_episodes(found):
    assert found.select("start", "end", "peak_severity").rows() == [
        (D(2009, 1, 8), D(2009, 2, 17), "alert"),
        (D(2019, 7, 31), D(2019, 10, 2), "critical"),
        (D(2024, 9, 18), D(2025, 3, 19), "critical"),
        (D(2025, 9, 17), D(2025, 12, 17), "critical"),
        (D(2026, 1, 29), D(2026, 2, 4), "alert"),
    ]


def test_a_stricter_threshold_file_changes_the_outcome(tmp_path: Path, snapshot_observations):
    strict = tmp_path / "t.toml"
    strict.write_text(
        default_thresholds_file()
        .read_text()
        .replace("qt_runoff_13w_usd_mn = 50000", "qt_runoff_13w_usd_mn = 5000000")
        .replace("qt_runoff_4w_usd_mn = 20000", "qt_runoff_4w_usd_mn = 5000000")
        .replace("total_assets_fall_4w_usd_mn = 50000", "total_assets_fall_4w_usd_mn = 5000000")
    )
    tables = build_core_tables(snapshot_observations)
    ev = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(D(2019, 7, 1), D(2019, 10, 31)),
        load_thresholds(strict),
    )
    assert ev["severity"].unique().to_list() == ["none"]
    assert json.loads(ev["thresholds"][0])["qt_runoff_13w_usd_mn"] == 5000000


def test_a_broken_thresholds_file_names_the_key(tmp_path: Path):
    bad = tmp_path / "t.toml"
    bad.write_text(default_thresholds_file().read_text().replace("iorb_drop_bp = 10", 'iorb_drop_bp = "ten"'))
    with pytest.raises(ValueError, match=r"\['iorb_drop_bp'\] must be numbers"):
        load_thresholds(bad)
    bad.write_text(default_thresholds_file().read_text().replace("iorb_drop_bp = 10\n", ""))
    with pytest.raises(ValueError, match=r"missing \['iorb_drop_bp'\]"):
        load_thresholds(bad)


def test_publishing_signals_rewrites_only_changes_and_keeps_the_run_that_first_saw_each(tmp_path, evaluated):
    from liquidity_watch.warehouse.db import connection
    from liquidity_watch.warehouse.signals import publish_signals

    first = evaluated.filter(pl.col("date") <= D(2019, 9, 16))
    second = evaluated.filter(pl.col("date") <= D(2019, 9, 17)).with_columns(
        severity=pl.when(pl.col("date") == D(2019, 9, 16)).then(pl.lit("watch")).otherwise(pl.col("severity"))
    )
    with connection(tmp_path / "w.duckdb") as con:
        publish_signals(con, signals_long(first), episodes(first), "run1")
        publish_signals(con, signals_long(second), episodes(second), "run2")
        rows = dict(
            con.execute(
                "SELECT date::VARCHAR || ' ' || severity || ' ' || first_seen_run_id, count(*) FROM core.signals "
                "WHERE date >= '2019-09-13' GROUP BY ALL ORDER BY 1"
            ).fetchall()
        )
        [(total,)] = con.execute("SELECT count(*) FROM core.signals").fetchall()
        shorter = first.filter(pl.col("date") <= D(2019, 9, 13))  # e.g. a rerun --as-of an earlier day
        publish_signals(con, signals_long(shorter), episodes(shorter), "run3")
        after = con.execute(
            "SELECT max(date), count(*), count(*) FILTER (WHERE first_seen_run_id <> 'run1') FROM core.signals"
        ).fetchone()
    assert rows == {"2019-09-13 alert run1": 4, "2019-09-16 watch run1": 4, "2019-09-17 critical run2": 4}
    assert total == 4 * second.height
    assert after == (D(2019, 9, 13), 4 * shorter.height, 0)
