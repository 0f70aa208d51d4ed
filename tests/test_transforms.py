"""Transforms on the bundled snapshot: exact values against the source, and their invariants."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.transforms.daily_rates import daily_rates
from liquidity_watch.transforms.policy_changes import policy_changes
from liquidity_watch.transforms.weekly_liquidity import weekly_liquidity

D = dt.date


@pytest.fixture(scope="module")
def tables(snapshot_observations) -> dict[str, pl.DataFrame]:
    return build_core_tables(snapshot_observations)


def _row(frame: pl.DataFrame, column: str, day: dt.date) -> dict:
    return frame.filter(pl.col(column) == day).to_dicts()[0]


def test_reserves_on_2019_09_18_are_the_wresbal_week_average(tables):
    week = _row(tables["weekly_liquidity"], "week_ending", D(2019, 9, 18))
    assert week["reserves_usd_mn"] == 1_394_122
    assert week["reserves_change_4w_usd_mn"] == 1_394_122 - 1_516_045  # WRESBAL 2019-08-21
    assert week["total_assets_usd_mn"] == 3_844_695


def test_net_liquidity_is_total_assets_minus_tga_minus_rrp_on_every_week(tables):
    weekly = tables["weekly_liquidity"].drop_nulls("net_liquidity_usd_mn")
    assert weekly.height > 1200
    gap = weekly["net_liquidity_usd_mn"] - (weekly["total_assets_usd_mn"] - weekly["tga_usd_mn"] - weekly["rrp_usd_mn"])
    assert gap.abs().max() == 0


def test_rrp_is_converted_from_billions_to_millions_on_the_wednesday(tables):
    # RRPONTSYD 2019-09-18 = 18.910 ($bn)
    assert _row(tables["weekly_liquidity"], "week_ending", D(2019, 9, 18))["rrp_usd_mn"] == 18_910.0


def test_runoff_over_4_and_13_weeks_adds_up_from_weekly_runoff(tables):
    weekly = tables["weekly_liquidity"].sort("week_ending")
    sums4 = weekly["qt_runoff_1w_usd_mn"].rolling_sum(4)
    sums13 = weekly["qt_runoff_1w_usd_mn"].rolling_sum(13)
    both = weekly.with_columns(s4=sums4, s13=sums13).drop_nulls(
        ["qt_runoff_4w_usd_mn", "s4", "qt_runoff_13w_usd_mn", "s13"]
    )
    assert both.height > 1100
    assert (both["qt_runoff_4w_usd_mn"] - both["s4"]).abs().max() < 1e-6
    assert (both["qt_runoff_13w_usd_mn"] - both["s13"]).abs().max() < 1e-6


def test_qt_in_summer_2019_shows_positive_runoff_and_2020_purchases_negative(tables):
    weekly = tables["weekly_liquidity"]
    assert _row(weekly, "week_ending", D(2019, 7, 31))["qt_runoff_13w_usd_mn"] > 0
    assert _row(weekly, "week_ending", D(2020, 6, 24))["qt_runoff_13w_usd_mn"] < -1_000_000


def test_securities_fall_back_to_treasuries_plus_mbs_and_say_so(tables):
    week = _row(tables["weekly_liquidity"], "week_ending", D(2019, 9, 18))
    assert week["securities_basis"] == "treasuries_plus_mbs"
    assert week["securities_usd_mn"] == week["treasuries_usd_mn"] + week["mbs_usd_mn"]


def test_sofr_spike_on_2019_09_17_is_5_25_and_300bp_over_the_top_of_the_range(tables):
    day = _row(tables["daily_rates"], "date", D(2019, 9, 17))
    assert day["sofr_pct"] == 5.25
    assert day["target_upper_pct"] == 2.25
    assert day["iorb_series"] == "IOER"
    assert day["sofr_minus_iorb_bp"] == 315.0
    assert day["sofr_minus_target_upper_bp"] == 300.0


def test_target_upper_is_2_50_on_2019_07_31_and_2_25_on_2019_08_01(tables):
    rates = tables["daily_rates"]
    assert _row(rates, "date", D(2019, 7, 31))["target_upper_pct"] == 2.50
    assert _row(rates, "date", D(2019, 8, 1))["target_upper_pct"] == 2.25


def test_iorb_replaces_ioer_on_2021_07_29(tables):
    rates = tables["daily_rates"]
    assert _row(rates, "date", D(2021, 7, 28))["iorb_series"] == "IOER"
    assert _row(rates, "date", D(2021, 7, 29))["iorb_series"] == "IORB"
    assert _row(rates, "date", D(2021, 7, 29))["iorb_pct"] == 0.15


def test_good_friday_keeps_effr_and_has_no_sofr(tables):
    day = _row(tables["daily_rates"], "date", D(2026, 4, 3))
    assert day["effr_pct"] is not None
    assert day["sofr_pct"] is None


def test_holidays_and_weekends_have_no_daily_row(tables):
    dates = set(tables["daily_rates"]["date"].to_list())
    assert D(2019, 12, 25) not in dates
    assert D(2019, 9, 14) not in dates
    assert all(d.weekday() < 5 for d in dates)


def test_the_three_2019_cuts_and_the_2025_cuts_are_policy_changes(tables):
    changes = tables["policy_changes"]
    cuts_2019 = changes.filter(pl.col("date").dt.year() == 2019)
    assert cuts_2019.select("date", "new_upper_pct", "change_bp").rows() == [
        (D(2019, 8, 1), 2.25, -25.0),
        (D(2019, 9, 19), 2.0, -25.0),
        (D(2019, 10, 31), 1.75, -25.0),
    ]
    assert changes.filter(pl.col("date").dt.year() == 2025)["date"].to_list() == [
        D(2025, 9, 18),
        D(2025, 10, 30),
        D(2025, 12, 11),
    ]
    assert changes.filter(pl.col("date") == D(2020, 3, 16))["change_bp"].item() == -100.0


def test_weekly_table_has_one_row_per_wednesday_without_gaps(tables):
    weeks = tables["weekly_liquidity"]["week_ending"]
    assert weeks.is_unique().all()
    assert weeks.dt.weekday().unique().to_list() == [3]  # polars: Monday = 1
    assert (weeks.diff().drop_nulls() == dt.timedelta(days=7)).all()
    assert weeks.min() == D(2002, 12, 18)


def test_a_missing_week_gives_null_changes_rather_than_a_wrong_window():
    days = [D(2019, 9, 4), D(2019, 9, 11), D(2019, 9, 25)]  # 09-18 missing
    obs = pl.DataFrame(
        {"series_id": ["WALCL"] * 3 + ["WSHOSHO"] * 3, "date": days * 2, "value": [1.0, 2.0, 3.0, 10.0, 9.0, 7.0]}
    )
    weekly = weekly_liquidity(obs, holidays=set())
    assert weekly["qt_runoff_1w_usd_mn"].to_list() == [None, 1.0, None]


def _rrp_on(wednesdays: list[dt.date], rrp: dict[dt.date, float], holidays: set[dt.date]) -> list[float | None]:
    rows = [("WALCL", day, 1.0) for day in wednesdays] + [("RRPONTSYD", day, value) for day, value in rrp.items()]
    obs = pl.DataFrame(rows, schema={"series_id": pl.String, "date": pl.Date, "value": pl.Float64}, orient="row")
    return weekly_liquidity(obs, holidays=holidays)["rrp_usd_mn"].to_list()


def test_rrp_on_a_holiday_wednesday_carries_the_previous_business_day():
    rrp = {D(2019, 12, 24): 1.5, D(2019, 12, 26): 2.0}
    assert _rrp_on([D(2019, 12, 25)], rrp, holidays={D(2019, 12, 25)}) == [1500.0]
    assert _rrp_on([D(2019, 12, 25)], rrp, holidays=set()) == [0.0]  # an open Wednesday without an operation


def test_rrp_after_a_weekend_and_a_holiday_monday_reaches_back_to_friday():
    rrp = {D(2019, 1, 18): 0.25, D(2019, 1, 23): 0.5}  # a Wednesday made a holiday to test the reach
    assert _rrp_on([D(2019, 1, 23)], rrp, holidays={D(2019, 1, 21), D(2019, 1, 22), D(2019, 1, 23)}) == [250.0]


def test_rrp_on_a_business_day_without_an_operation_is_zero_and_after_the_data_is_unknown():
    rrp = {D(2010, 1, 4): 1.0, D(2010, 1, 15): 1.0}
    assert _rrp_on([D(2010, 1, 6), D(2010, 1, 20)], rrp, holidays=set()) == [0.0, None]


def test_rrp_before_the_first_operation_is_unknown():
    assert _rrp_on([D(2010, 1, 6), D(2010, 1, 13)], {D(2010, 1, 13): 1.0}, holidays=set()) == [None, 1000.0]


def test_two_values_for_one_series_and_date_are_refused_naming_the_series_and_date():
    obs = pl.DataFrame(
        {"series_id": ["WALCL", "WALCL"], "date": [D(2019, 9, 18)] * 2, "value": [3_844_695.0, 3_844_696.0]}
    )
    with pytest.raises(ValueError, match=r"^series WALCL has more than one value for 2019-09-18$"):
        weekly_liquidity(obs, holidays=set())


def test_observations_without_any_table_series_give_empty_tables_with_every_column():
    obs = pl.DataFrame({"series_id": ["SOFR"], "date": [D(2019, 9, 17)], "value": [5.25]})
    tables = build_core_tables(obs)
    assert tables["weekly_liquidity"].columns[:2] == ["week_ending", "total_assets_usd_mn"]
    assert tables["weekly_liquidity"].height == 0 and tables["policy_changes"].height == 0
    assert tables["daily_rates"].select("date", "sofr_pct").rows() == [(D(2019, 9, 17), 5.25)]


def test_transforms_do_not_depend_on_input_row_order(snapshot_observations):
    shuffled = snapshot_observations.sample(fraction=1.0, shuffle=True, seed=7)
    for fn in (weekly_liquidity, daily_rates, policy_changes):
        assert fn(shuffled).equals(fn(snapshot_observations))
