"""The NY Fed Markets API parsers on recorded responses, and on malformed ones."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.nyfed import (
    parse_operations,
    parse_reference_rates,
    parse_repo_results,
    parse_rrp_results,
    windows,
    year_windows,
)
from tests.conftest import fixture_bytes


def test_sofr_search_gives_rate_p99_and_volume_per_day():
    frame = parse_reference_rates(
        fixture_bytes("nyfed/rates_secured_sofr_search_2024-06-01_2024-06-06.json"), url="u", rate_type="SOFR"
    )
    day = dict(frame.filter(pl.col("date") == dt.date(2024, 6, 3)).select("series_id", "value").iter_rows())
    assert day == {"SOFR": 5.35, "SOFR1": 5.29, "SOFR25": 5.32, "SOFR75": 5.40, "SOFR99": 5.44, "SOFRVOL": 1912.0}


def test_effr_search_carries_the_target_range_equal_to_fred(snapshot_observations):
    frame = parse_reference_rates(
        fixture_bytes("nyfed/rates_unsecured_effr_search_2023-01-01_2023-06-06.json"), url="u"
    )
    joined = frame.join(snapshot_observations, on=["series_id", "date"], how="inner", suffix="_fred")
    counts = dict(joined.group_by("series_id").agg((pl.col("value") == pl.col("value_fred")).sum()).iter_rows())
    assert counts == {"EFFR": 108, "DFEDTARU": 108, "DFEDTARL": 108}
    # Memorial Day has no record at all
    assert dt.date(2023, 5, 29) not in frame["date"].to_list()


RP_RESULTS = "nyfed/rp_all_all_results_last_500_2022-04-22_2023-04-21.json"


def test_all_latest_keeps_tgcr_and_bgcr_and_skips_rates_we_do_not_use():
    frame = parse_reference_rates(fixture_bytes("nyfed/rates_all_latest_2023-04-17.json"), url="u")
    assert sorted(frame["series_id"].unique()) == [
        "BGCRRATE",
        "DFEDTARL",
        "DFEDTARU",
        "EFFR",
        "SOFR",
        "SOFR1",
        "SOFR25",
        "SOFR75",
        "SOFR99",
        "SOFRVOL",
        "TGCRRATE",
    ]
    day = dict(frame.filter(pl.col("series_id").is_in(["TGCRRATE", "BGCRRATE"])).select("series_id", "value").rows())
    assert day == {"TGCRRATE": 4.77, "BGCRRATE": 4.77}
    assert frame.filter(pl.col("series_id") == "TGCRRATE")["date"].to_list() == [dt.date(2023, 4, 14)]


def test_tgcr_and_bgcr_are_fetched_from_their_own_paths_from_2018_04_02():
    assert windows("TGCR", dt.date(2002, 12, 18), dt.date(2018, 5, 1)) == [(dt.date(2018, 4, 2), dt.date(2018, 5, 1))]
    body = b'{"refRates":[{"effectiveDate":"2019-09-17","type":"TGCR","percentRate":5.25,"volumeInBillions":300}]}'
    assert parse_reference_rates(body, url="u", rate_type="TGCR").rows() == [("TGCRRATE", dt.date(2019, 9, 17), 5.25)]


def test_reverse_repo_results_sum_to_fred_rrpontsyd_on_every_day(snapshot_observations):
    frame = parse_rrp_results(fixture_bytes(RP_RESULTS), url="u").filter(pl.col("series_id") == "RRPONTSYD")
    joined = frame.join(snapshot_observations, on=["series_id", "date"], how="inner", suffix="_fred")
    assert frame.height == 249
    assert joined.height == 249
    assert joined.filter((pl.col("value") - pl.col("value_fred")).abs() > 1e-9).height == 0


def test_the_award_rate_of_reverse_repos_equals_fred_rrpontsyaward_on_every_day(snapshot_observations):
    frame = parse_rrp_results(fixture_bytes(RP_RESULTS), url="u").filter(pl.col("series_id") == "RRPONTSYAWARD")
    joined = frame.join(snapshot_observations, on=["series_id", "date"], how="inner", suffix="_fred")
    assert frame.height == 249
    assert joined.height == 249
    assert joined.filter(pl.col("value") != pl.col("value_fred")).height == 0
    rates = dict(frame.select("date", "value").rows())
    assert rates[dt.date(2022, 4, 22)] == 0.3
    assert rates[dt.date(2023, 3, 23)] == 4.8  # the March 2023 hike, effective the day after the FOMC


def test_repo_operations_give_fred_rpontsyd_without_small_value_exercises_or_term_repos(snapshot_observations):
    frame = parse_repo_results(fixture_bytes(RP_RESULTS), url="u")
    assert frame["series_id"].unique().to_list() == ["RPONTSYD"]
    assert frame.height == 248  # every day with an overnight repo operation, take-up 0 included
    joined = frame.join(snapshot_observations, on=["series_id", "date"], how="left", suffix="_fred")
    differ = joined.filter((pl.col("value") - pl.col("value_fred").fill_null(0.0)).abs() > 1e-9)
    # FRED counts the 2022-09-08 small value exercise ($27 mn of Treasuries); it is a test trade
    assert differ.select("date", "value", "value_fred").rows() == [(dt.date(2022, 9, 8), 0.0, 0.027)]
    takeup = dict(frame.select("date", "value").rows())
    assert takeup[dt.date(2023, 3, 8)] == 0.0  # that day's $24 mn was a 5-day term repo, not overnight
    assert takeup[dt.date(2022, 10, 19)] == 0.005


def test_a_day_whose_only_repo_operation_is_a_small_value_exercise_has_no_row():
    body = (
        b'{"repo":{"operations":[{"operationId":"RP 090822 99","operationType":"Repo","operationDate":"2022-09-08",'
        b'"term":"Overnight","note":"This operation is a Small Value Exercise (SVE); the daily Repo operation will '
        b'still take place","details":[{"securityType":"Treasury","amtAccepted":27000000}]}]}}'
    )
    assert parse_repo_results(body, url="u").height == 0


def test_missing_percentiles_are_absent_values_not_errors():
    body = b'{"refRates":[{"effectiveDate":"2019-05-31","type":"SOFR","percentRate":2.38,"volumeInBillions":1000}]}'
    assert sorted(parse_reference_rates(body, url="u")["series_id"]) == ["SOFR", "SOFRVOL"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"<html><head><title>Maintenance</title></head></html>", "HTML page"),
        (b'{"message":"Missing Authentication Token"}', "expected a 'refRates' key"),
        (
            b'{"refRates":[{"effectiveDate":"2019-09-17","type":"SOFR","percentRate":"5.25"}]}',
            "SOFR 2019-09-17 percentRate: '5.25' is not a number",
        ),
        (b'{"refRates":[{"type":"SOFR","percentRate":5.25}]}', "record without a valid effectiveDate"),
        (
            b'{"refRates":[{"effectiveDate":"2019-09-17","type":"EFFR","percentRate":2.3}]}',
            "expected SOFR records, got type 'EFFR'",
        ),
        (b'{"refRates":[{"effectiveDate":"2019-09-17","type":"SOFR","percentile":5.25}]}', "no percentRate"),
        (b'{"refRates": {"a": 1}}', "'refRates' is a dict"),
    ],
)
def test_bad_rate_payloads_fail_naming_the_problem(body: bytes, message: str):
    with pytest.raises(ParseError) as info:
        parse_reference_rates(body, url="http://nyfed.test/api", rate_type="SOFR")
    assert message in str(info.value)
    assert str(info.value).startswith("nyfed: ")


def test_an_empty_result_is_no_data_not_an_error():
    assert parse_reference_rates(b'{"refRates":[]}', url="u").height == 0


def test_year_windows_split_a_range_at_new_year():
    assert year_windows(dt.date(2018, 12, 20), dt.date(2019, 1, 3)) == [
        (dt.date(2018, 12, 20), dt.date(2018, 12, 31)),
        (dt.date(2019, 1, 1), dt.date(2019, 1, 3)),
    ]


def test_a_repo_operation_detail_that_is_not_an_object_is_a_parse_error():
    body = (
        b'{"repo":{"operations":[{"operationId":"RP 1","operationType":"Reverse Repo","term":"Overnight",'
        b'"operationDate":"2023-01-03","details":[7]}]}}'
    )
    with pytest.raises(ParseError, match="RP 1 on 2023-01-03: detail is not an object"):
        parse_rrp_results(body, url="u")


def _op(op_id: str, kind: str, term: str, amount: int, note: str = "", award: float | None = None) -> dict:
    detail: dict = {"securityType": "Treasury", "amtAccepted": amount}
    if award is not None:
        detail["percentAwardRate"] = award
    return {
        "operationId": op_id,
        "operationDate": "2025-09-30",
        "operationType": kind,
        "term": term,
        "note": note,
        "details": [detail, {"securityType": "Mortgage-Backed", "amtAccepted": 1_000_000_000}],
    }


def test_one_search_body_gives_on_rrp_and_the_repo_take_up_summed_over_the_days_srf_operations():
    sve = "This operation is a Small Value Exercise (SVE); the daily Repo operation will still take place"
    body = json.dumps(
        {
            "repo": {
                "operations": [
                    _op("RP 093025 4", "Repo", "Overnight", 6_000_000_000),  # afternoon SRF
                    _op("RP 093025 3", "Repo", "Overnight", 1_500_000_000),  # morning SRF
                    _op("RP 093025 98", "Repo", "Overnight", 27_000_000, note=sve),
                    _op("RP 093025 5", "Repo", "Term", 24_000_000),
                    _op("RP 093025 1", "Reverse Repo", "Overnight", 51_843_000_000, award=4.0),
                    _op("RP 093025 2", "Reverse Repo", "Term", 5_000_000_000, award=4.1),
                ]
            }
        }
    ).encode()
    rows = sorted(parse_operations(body, url="u").rows())
    day = dt.date(2025, 9, 30)
    # the term operations count nowhere, the small value exercise not in the repo take-up, MBS never
    assert rows == [("RPONTSYD", day, 7.5), ("RRPONTSYAWARD", day, 4.0), ("RRPONTSYD", day, 51.843)]


def test_an_effr_record_with_one_bound_of_the_range_stores_no_range():
    body = (
        b'{"refRates":[{"effectiveDate":"2008-12-15","type":"EFFR","percentRate":0.15,"targetRateTo":1.0},'
        b'{"effectiveDate":"2008-12-16","type":"EFFR","percentRate":0.16,"targetRateFrom":0,"targetRateTo":0.25}]}'
    )
    assert sorted(parse_reference_rates(body, url="u", rate_type="EFFR").rows()) == [
        ("DFEDTARL", dt.date(2008, 12, 16), 0.0),
        ("DFEDTARU", dt.date(2008, 12, 16), 0.25),
        ("EFFR", dt.date(2008, 12, 15), 0.15),
        ("EFFR", dt.date(2008, 12, 16), 0.16),
    ]
