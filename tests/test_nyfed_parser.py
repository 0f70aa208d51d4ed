"""The NY Fed Markets API parsers on recorded responses, and on malformed ones."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.nyfed import parse_reference_rates, parse_rrp_results, year_windows
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


def test_all_latest_skips_rates_we_do_not_use():
    frame = parse_reference_rates(fixture_bytes("nyfed/rates_all_latest_2023-04-17.json"), url="u")
    assert sorted(frame["series_id"].unique()) == [
        "DFEDTARL",
        "DFEDTARU",
        "EFFR",
        "SOFR",
        "SOFR1",
        "SOFR25",
        "SOFR75",
        "SOFR99",
        "SOFRVOL",
    ]


def test_reverse_repo_results_sum_to_fred_rrpontsyd_on_every_day(snapshot_observations):
    frame = parse_rrp_results(fixture_bytes("nyfed/rp_all_all_results_last_500_2022-04-22_2023-04-21.json"), url="u")
    joined = frame.join(snapshot_observations, on=["series_id", "date"], how="inner", suffix="_fred")
    assert frame.height == 249
    assert joined.height == 249
    assert joined.filter((pl.col("value") - pl.col("value_fred")).abs() > 1e-9).height == 0


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
        b'{"repo":{"operations":[{"operationId":"RP 1","operationType":"Reverse Repo",'
        b'"operationDate":"2023-01-03","details":[7]}]}}'
    )
    with pytest.raises(ParseError, match="RP 1 on 2023-01-03: detail is not an object"):
        parse_rrp_results(body, url="u")
