"""The input contract (sources/values.py) in every parser: only ISO dates and plain ASCII decimals.

ISO-week dates, ``4_465_360`` and non-ASCII digits are accepted by ``date.fromisoformat``
and ``float``, so every parser goes through the contract. Also refused: BOM, CRLF, blank
tails, whitespace, NaN and infinity, 2019-02-30, thousands separators.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from liquidity_watch.sources.ddp import parse_h41_csv
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import parse_fredgraph_csv
from liquidity_watch.sources.nyfed import parse_reference_rates, parse_rrp_results
from liquidity_watch.sources.values import json_number, parse_decimal, parse_iso_date

# ISO-week, basic and ordinal dates, Arabic-Indic digits, an impossible day
BAD_DATES = [
    "2019-W38-2",
    "2019W382",
    "20190917",
    "2019-09-17T00:00",
    "2019-261",
    "\u0662\u0660\u0661\u0669-\u0660\u0669-\u0661\u0667",
    "2019-02-30",
]
# underscores, Arabic-Indic and full-width digits, separators, exponents, signs, specials
BAD_NUMBERS = [
    "4_465_360",
    "\u0664\u0664\u0666\u0665\u0663\u0666\u0660",
    "\uff14\uff14\uff16\uff15\uff13\uff16\uff10",
    "4,465,360",
    "1e3",
    "+5.25",
    "nan",
    "inf",
    "-Infinity",
    "0x10",
    ".5",
]


@pytest.mark.parametrize("text", BAD_DATES)
def test_only_yyyy_mm_dd_dates_that_exist_are_dates(text: str):
    with pytest.raises(ValueError, match=f"{text!r}"):
        parse_iso_date(text)


@pytest.mark.parametrize("text", BAD_NUMBERS)
def test_only_plain_ascii_decimals_are_numbers(text: str):
    with pytest.raises(ValueError, match="is not a plain decimal number"):
        parse_decimal(text)


@pytest.mark.parametrize(("text", "value"), [("5.25", 5.25), ("-0.01", -0.01), ("4465360", 4465360.0), ("0", 0.0)])
def test_plain_decimals_parse_exactly(text: str, value: float):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, "5.25", None])
def test_a_json_number_must_be_a_finite_number(value: object):
    with pytest.raises(ValueError):
        json_number(value)


@pytest.mark.parametrize("date", ["2019-W38-2", "20190917", "\u0662\u0660\u0661\u0669-\u0660\u0669-\u0661\u0667"])
def test_the_fred_parser_refuses_dates_that_are_not_yyyy_mm_dd(date: str):
    body = f"observation_date,SOFR\n{date},5.25\n".encode()
    with pytest.raises(ParseError, match=f"SOFR line 2: bad date '{date}'"):
        parse_fredgraph_csv(body, url="u")


@pytest.mark.parametrize("number", ["4_465_360", "\u0664\u0664\u0666\u0665\u0663\u0666\u0660", "4,465,360", "1e3"])
def test_the_fred_parser_refuses_numbers_that_are_not_plain_decimals(number: str):
    body = f'observation_date,WRESBAL\n2019-09-18,"{number}"\n'.encode()
    with pytest.raises(ParseError, match=f"WRESBAL line 2 \\(2019-09-18\\): value '{number}' is not a number"):
        parse_fredgraph_csv(body, url="u")


def _ddp(date: str, value: str) -> bytes:
    rows = [
        '"Series Description","Total assets"',
        '"Unit:","Currency"',
        '"Multiplier:","1000000"',
        '"Currency:","USD"',
        '"Unique Identifier: ","H41/H41/RESPPMA_N.WW"',
        '"Time Period","RESPPMA_N.WW"',
        f'{date},"{value}"',
    ]
    return "\r\n".join(rows).encode()


def test_the_ddp_parser_takes_a_plain_row_and_refuses_iso_week_dates_and_odd_numbers():
    assert parse_h41_csv(_ddp("2019-09-18", "3845736"), url="u", required=()).rows() == [
        ("WALCL", dt.date(2019, 9, 18), 3845736.0)
    ]
    with pytest.raises(ParseError, match="line 7: bad date '2019-W38-3'"):
        parse_h41_csv(_ddp("2019-W38-3", "3845736"), url="u", required=())
    for number in ("3_845_736", "\u0663\u0668\u0664\u0665\u0667\u0663\u0666"):
        with pytest.raises(ParseError, match=f"WALCL 2019-09-18: value '{number}' is not a number"):
            parse_h41_csv(_ddp("2019-09-18", number), url="u", required=())


def test_the_nyfed_parsers_refuse_iso_week_dates_and_non_finite_numbers():
    week = json.dumps({"refRates": [{"effectiveDate": "2019-W38-2", "type": "SOFR", "percentRate": 5.25}]})
    with pytest.raises(ParseError, match="record without a valid effectiveDate"):
        parse_reference_rates(week.encode(), url="u")
    nan = b'{"refRates": [{"effectiveDate": "2019-09-17", "type": "SOFR", "percentRate": NaN}]}'
    with pytest.raises(ParseError, match="SOFR 2019-09-17 percentRate: nan is not a number"):
        parse_reference_rates(nan, url="u")
    rrp = {
        "repo": {
            "operations": [
                {"operationType": "Reverse Repo", "term": "Overnight", "operationDate": "20190917", "details": []},
            ]
        }
    }
    with pytest.raises(ParseError, match="record without a valid operationDate"):
        parse_rrp_results(json.dumps(rrp).encode(), url="u")


# --- what held up must still hold -------------------------------------------------------------


def test_bom_crlf_blank_tails_and_whitespace_are_still_read():
    body = b"\xef\xbb\xbfobservation_date,SOFR\r\n 2019-09-17 , 5.25 \r\n2019-09-18,\r\n\r\n\r\n"
    assert parse_fredgraph_csv(body, url="u").rows() == [("SOFR", dt.date(2019, 9, 17), 5.25)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2019-09-17,NaN", "value 'NaN' is not a number"),
        ("2019-09-17,Infinity", "value 'Infinity' is not a number"),
        ("2019-02-30,5.25", "bad date '2019-02-30'"),
        ('2019-09-17,"1,394,122"', "value '1,394,122' is not a number"),
    ],
)
def test_nan_infinity_impossible_dates_and_thousands_separators_are_still_refused(row: str, message: str):
    with pytest.raises(ParseError, match=message):
        parse_fredgraph_csv(f"observation_date,SOFR\n{row}\n".encode(), url="u")
