"""The FRED CSV parser on recorded payloads, old and new format, and on broken ones."""

from __future__ import annotations

import datetime as dt

import pytest

from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import parse_fredgraph_csv
from tests.conftest import fixture_bytes


def test_new_format_uses_empty_fields_for_holidays_and_keeps_every_other_value():
    frame = parse_fredgraph_csv(fixture_bytes("fred/fredgraph_SOFR_2021-06-23_2026-06-23.csv"), url="u")
    assert frame.columns == ["series_id", "date", "value"]
    assert frame["series_id"].unique().to_list() == ["SOFR"]
    assert frame.filter(frame["date"] == dt.date(2021, 6, 23))["value"].item() == 0.05
    # Good Friday 2026 is an empty field: no row
    assert frame.filter(frame["date"] == dt.date(2026, 4, 3)).height == 0


def test_old_format_with_date_header_and_dot_for_missing_values_parses():
    frame = parse_fredgraph_csv(fixture_bytes("fred/fredgraph_SOFR_DATE_header_2019-08-29_2024-08-29.csv"), url="u")
    assert frame.filter(frame["date"] == dt.date(2019, 8, 30))["value"].item() == 2.16
    assert frame.filter(frame["date"] == dt.date(2019, 9, 2)).height == 0  # Labor Day "."
    assert frame.filter(frame["date"] == dt.date(2019, 9, 17))["value"].item() == 5.25


def test_two_series_in_one_file_give_one_row_per_series_and_date():
    frame = parse_fredgraph_csv(
        fixture_bytes("fred/fredgraph_DFEDTARU_DFEDTARL_2021-03-11_2026-03-11.csv"),
        url="u",
        expected=["DFEDTARU", "DFEDTARL"],
    )
    day = frame.filter(frame["date"] == dt.date(2025, 9, 18)).sort("series_id")
    assert day.rows() == [("DFEDTARL", dt.date(2025, 9, 18), 4.0), ("DFEDTARU", dt.date(2025, 9, 18), 4.25)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"<!DOCTYPE html><html><body>Service Unavailable</body></html>", "HTML page"),
        (b"observation_date,SOFR_RENAMED\n2019-09-17,5.25\n", "['SOFR'] missing"),
        (b"date;SOFR\n2019-09-17;5.25\n", "unexpected header"),
        (
            b"observation_date,SOFR\n2019-09-17,5.25\n2019-09-18,N/A\n",
            "SOFR line 3 (2019-09-18): value 'N/A' is not a number",
        ),
        (b"observation_date,SOFR\n09/17/2019,5.25\n", "bad date '09/17/2019'"),
        (b"observation_date,SOFR\n2019-09-17,,7\n", "line 2: 3 fields"),
        (b"observation_date,SOFR\n2019-09-17,\n", "no observations"),
    ],
)
def test_bad_payloads_fail_with_a_message_naming_the_problem(body: bytes, message: str):
    with pytest.raises(
        ParseError,
        match="fred: .*" + message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        parse_fredgraph_csv(body, url="http://fred.test/x.csv", expected=["SOFR"])


def test_a_header_only_answer_to_an_incremental_request_means_nothing_new():
    frame = parse_fredgraph_csv(b"observation_date,IORB\n", url="u", expected=["IORB"], allow_empty=True)
    assert frame.height == 0


def test_a_utf8_bom_is_ignored():
    frame = parse_fredgraph_csv(b"\xef\xbb\xbfobservation_date,SOFR\n2019-09-17,5.25\n", url="u")
    assert frame.rows() == [("SOFR", dt.date(2019, 9, 17), 5.25)]


@pytest.mark.parametrize("text", ["nan", "inf", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(text: str):
    with pytest.raises(ParseError, match=f"value '{text}' is not a number"):
        parse_fredgraph_csv(f"observation_date,SOFR\n2019-09-17,{text}\n".encode(), url="u")
