"""Publication calendar: when each kind of observation became public."""

from __future__ import annotations

import datetime as dt

import polars as pl

from liquidity_watch.domain.calendars import (
    business_days,
    end_of_day,
    fed_holidays,
    is_business_day,
    next_business_day,
    published_at,
    sifma_holidays,
    with_published_at,
)

D = dt.date


def test_sofr_for_a_day_is_published_at_8am_new_york_the_next_business_day():
    assert published_at("sofr", D(2019, 9, 17)) == dt.datetime(2019, 9, 18, 12, 0, tzinfo=dt.UTC)  # 08:00 EDT
    assert published_at("sofr", D(2019, 12, 20)) == dt.datetime(
        2019, 12, 23, 13, 0, tzinfo=dt.UTC
    )  # Friday -> Monday, EST


def test_h41_wednesday_is_published_thursday_at_1630_and_friday_after_thanksgiving():
    assert published_at("h41", D(2019, 9, 18)) == dt.datetime(2019, 9, 19, 20, 30, tzinfo=dt.UTC)
    assert published_at("h41", D(2025, 11, 26)) == dt.datetime(2025, 11, 28, 21, 30, tzinfo=dt.UTC)


def test_effr_follows_the_fed_calendar_and_sofr_the_sifma_calendar_on_good_friday():
    thursday = D(2026, 4, 2)
    assert published_at("effr", thursday).date() == D(2026, 4, 3)  # Fed open on Good Friday
    assert published_at("sofr", thursday).date() == D(2026, 4, 6)  # no SOFR on Good Friday


def test_good_friday_is_a_sifma_holiday_even_in_early_close_years():
    for good_friday in (D(2021, 4, 2), D(2023, 4, 7), D(2026, 4, 3)):
        assert good_friday in sifma_holidays()
        assert good_friday not in fed_holidays()


def test_the_fed_stays_open_on_the_friday_before_a_saturday_holiday():
    assert is_business_day(D(2021, 12, 31), "fed")  # New Year's Day 2022 was a Saturday
    assert not is_business_day(D(2021, 7, 5), "fed")  # July 4th 2021 was a Sunday


def test_fed_calendar_matches_exactly_the_weekdays_effr_is_published_2016_to_2026(snapshot_observations):
    effr_days = set(snapshot_observations.filter(pl.col("series_id") == "EFFR")["date"].to_list())
    day, missing_business, extra_holidays = D(2016, 1, 1), [], []
    while day <= D(2026, 8, 27):
        if day.weekday() < 5:
            if is_business_day(day, "fed") and day not in effr_days:
                missing_business.append(day)
            if not is_business_day(day, "fed") and day in effr_days:
                extra_holidays.append(day)
        day += dt.timedelta(days=1)
    assert extra_holidays == []
    assert missing_business == []


def test_next_business_day_skips_weekends_and_holidays():
    assert next_business_day(D(2019, 12, 24), "fed") == D(2019, 12, 26)


def test_as_of_a_day_means_until_midnight_new_york():
    assert end_of_day(D(2019, 9, 18)) == dt.datetime(2019, 9, 19, 4, 0, tzinfo=dt.UTC)


def test_published_at_is_added_per_series_release():
    obs = pl.DataFrame(
        {"series_id": ["SOFR", "WRESBAL"], "date": [D(2019, 9, 17), D(2019, 9, 18)], "value": [5.25, 1.0]}
    )
    out = with_published_at(obs)
    assert out["published_at"].to_list() == [
        dt.datetime(2019, 9, 18, 12, 0, tzinfo=dt.UTC),
        dt.datetime(2019, 9, 19, 20, 30, tzinfo=dt.UTC),
    ]


def test_a_target_range_taking_effect_on_a_day_was_announced_at_2pm_the_day_before():
    assert published_at("policy", D(2019, 9, 19)) == dt.datetime(2019, 9, 18, 18, 0, tzinfo=dt.UTC)  # 14:00 EDT
    assert published_at("policy", D(2019, 9, 19)) < end_of_day(D(2019, 9, 18))


def test_the_vectorised_calendar_equals_the_rules_on_every_day_2000_to_2030():
    from liquidity_watch.domain.calendars import end_of_day_series, published_at_series

    days = [D(2000, 1, 1) + dt.timedelta(days=i) for i in range((D(2030, 12, 31) - D(2000, 1, 1)).days + 1)]
    series = pl.Series(days, dtype=pl.Date)
    for release in ("h41", "h8", "sofr", "effr", "rrp", "repo", "policy"):
        assert published_at_series(release, series).to_list() == [published_at(release, d) for d in days], release
    assert end_of_day_series(series).to_list() == [end_of_day(d) for d in days]


def test_known_pressure_days_follow_the_sifma_calendar():
    from liquidity_watch.domain.pressure_days import pressure_kind

    kinds = {
        D(2018, 3, 29): "quarter_end",  # Good Friday 2018-03-30: no repo market
        D(2024, 3, 28): "quarter_end",  # Good Friday 2024-03-29
        D(2025, 12, 31): "year_end",
        D(2026, 1, 2): "after_month_end",  # New Year's Day is closed
        D(2026, 1, 5): "after_month_end",
        D(2026, 1, 6): None,
        D(2019, 9, 16): "tax_date",  # the 15th was a Sunday: settlement and corporate taxes on Monday
        D(2019, 9, 17): "tax_date",
        D(2019, 9, 18): None,
        D(2025, 10, 15): "mid_month",
        D(2025, 10, 16): "mid_month",
        D(2025, 11, 17): "mid_month",  # the 15th was a Saturday
        D(2025, 10, 31): "month_end",
        D(2019, 7, 4): None,  # a holiday is no pressure day
    }
    assert {day: pressure_kind(day) for day in kinds} == kinds


def test_about_a_quarter_of_repo_market_days_are_known_pressure_days():
    from liquidity_watch.domain.pressure_days import pressure_day_series, pressure_kind

    days = business_days(D(2018, 4, 2), D(2026, 9, 3), "sifma")
    labels = pressure_day_series(pl.Series(days, dtype=pl.Date)).to_list()
    assert labels == [pressure_kind(d) for d in days]
    # per month: the month-end, two days after it, two mid-month days
    share = sum(label is not None for label in labels) / len(labels)
    assert 0.22 < share < 0.25
