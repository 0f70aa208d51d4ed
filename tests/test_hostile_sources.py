"""Hostile payloads from every upstream: each is a source error with one line, and its series fail over to FRED."""

from __future__ import annotations

import datetime as dt
import io
import struct

import pytest

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.sources import Provider, UseStatus
from liquidity_watch.sources.ddp import H41_SERIES, REQUIRED_SERIES
from liquidity_watch.sources.ddp_zip import read_h41_archive
from liquidity_watch.sources.errors import ParseError, parsing
from liquidity_watch.sources.extract import extract
from liquidity_watch.sources.nyfed import parse_reference_rates, parse_rrp_results
from liquidity_watch.sources.plan import H41_REQUIRED, RATES, RRP
from liquidity_watch.warehouse.raw import incoming_frame
from tests.fakes import ARCHIVE_PATH
from tests.h41_archive import archive_bytes

END = today_new_york()
NOW = dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)
SOFR_PATH = "/api/rates/secured/sofr/search.json"
STORED = {
    **{sid: dt.date(2026, 8, 19) for sid in H41_REQUIRED},
    **{sid: dt.date(2026, 8, 20) for group in (*RATES.values(), RRP) for sid in group.series},
    "DFEDTARU": dt.date(2026, 7, 17),
    "DFEDTARL": dt.date(2026, 6, 5),
    "IORB": dt.date(2026, 8, 20),
    "IOER": dt.date(2021, 7, 28),
}
#: compression method 9 (Deflate64): in the ZIP specification, not in Python's zipfile
DEFLATE64 = 9


def with_method(archive: bytes, member: str, method: int) -> bytes:
    """``archive`` with ``member``'s compression method rewritten in its local and central headers."""
    data = bytearray(archive)
    name = member.encode()
    for signature, method_at, name_len_at, name_at in ((b"PK\x03\x04", 8, 26, 30), (b"PK\x01\x02", 10, 28, 46)):
        at = data.find(signature)
        while at != -1:
            (length,) = struct.unpack_from("<H", data, at + name_len_at)
            if bytes(data[at + name_at : at + name_at + length]) == name:
                struct.pack_into("<H", data, at + method_at, method)
            at = data.find(signature, at + 4)
    return bytes(data)


def _data_member(xml: str, encoding: str = "utf-8") -> dict[str, bytes | None]:
    return {"H41_data.xml": xml.encode(encoding)}


_HEAD = '<m:MessageGroup xmlns:m="m" xmlns:frb="frb"><frb:DataSet>'
HOSTILE_ARCHIVES = {
    "unsupported compression method": (
        lambda obs: with_method(archive_bytes(obs), "H41_data.xml", DEFLATE64),
        "archive member H41_data.xml cannot be read: That compression method is not supported",
    ),
    "a DTD in UTF-16": (
        lambda obs: archive_bytes(
            obs,
            members=_data_member(
                '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE m [<!ENTITY v "1">]>' + _HEAD + "&v;</frb:DataSet>",
                "utf-16",
            ),
        ),
        "H41_data.xml holds a document type declaration (<!DOCTYPE>) (line 1);"
        " refused: no DTD, entity or processing instruction is read",
    ),
    "a million elements outside any series": (
        lambda obs: archive_bytes(
            obs, members=_data_member(_HEAD + "<x/>" * 1_000_000 + "</frb:DataSet></m:MessageGroup>")
        ),
        "H41_data.xml: more than 10,000 elements outside any Series (line 1)",
    ),
}


@pytest.mark.parametrize("kind", list(HOSTILE_ARCHIVES))
def test_a_hostile_archive_is_one_parse_error_naming_what_it_found(kind, snapshot_observations):
    build, message = HOSTILE_ARCHIVES[kind]
    with pytest.raises(ParseError) as caught:
        read_h41_archive(
            io.BytesIO(build(snapshot_observations)),
            url="https://board.example/Output.aspx",
            series=H41_SERIES,
            required=REQUIRED_SERIES,
            max_data_bytes=2**30,
        )
    assert str(caught.value) == f"ddp: {message} (https://board.example/Output.aspx)"


def _live(settings, lines: list[str]):
    return extract("live", settings, STORED, end=END, now=NOW, log=lines.append)


def _sources(extraction) -> dict[str, str]:
    return dict(incoming_frame(extraction.payloads).select("series_id", "source").unique().iter_rows())


@pytest.mark.parametrize("kind", list(HOSTILE_ARCHIVES))
def test_a_hostile_archive_fails_h41_over_to_fred_with_one_line(kind, settings, fake, snapshot_observations):
    build, message = HOSTILE_ARCHIVES[kind]
    fake.archive = build(snapshot_observations)
    lines: list[str] = []
    extraction = _live(settings, lines)
    [use] = [u for u in extraction.uses if u.group == "H.4.1"]
    assert (use.status, use.provider, use.detail) == (UseStatus.FAILOVER, Provider.FRED, message)
    assert _sources(extraction)["WALCL"] == "fred" and _sources(extraction)["SOFR"] == "nyfed"
    [line] = [line for line in lines if line.startswith("H.4.1 from FRED")]
    assert line == f"H.4.1 from FRED: Board failed: {message} ({fake.base_url}{ARCHIVE_PATH}?rel=H41&filetype=zip)"


DEEP = b'{"refRates":' + b"[" * 200_000 + b"]" * 200_000 + b"}"
HOSTILE_JSON = {
    "nesting 200,000 deep": (DEEP, "not valid JSON: nested too deeply to parse"),
    "a rate of 1e400": (
        b'{"refRates":[{"effectiveDate":"2026-08-20","type":"SOFR","percentRate":1e400}]}',
        "SOFR 2026-08-20 percentRate: inf is not a number",
    ),
    "a rate of 400 digits": (
        b'{"refRates":[{"effectiveDate":"2026-08-20","type":"SOFR","percentRate":' + b"9" * 400 + b"}]}",
        "SOFR 2026-08-20 percentRate: 99999",
    ),
    "a rate of 5,000 digits": (
        b'{"refRates":[{"effectiveDate":"2026-08-20","type":"SOFR","percentRate":' + b"9" * 5000 + b"}]}",
        "not valid JSON: Exceeds the limit (4300 digits)",
    ),
    "bytes that are no encoding": (b'{"refRates":[{"type":"\xff\xfe\xfa"}]}', "not valid JSON: 'utf-8' codec"),
}


@pytest.mark.parametrize("kind", list(HOSTILE_JSON))
def test_hostile_json_is_one_parse_error_never_a_python_error(kind):
    body, message = HOSTILE_JSON[kind]
    with pytest.raises(ParseError) as caught, parsing("nyfed", "u"):
        parse_reference_rates(body, url="u", rate_type="SOFR")
    assert str(caught.value).startswith(f"nyfed: {message}")
    assert len(str(caught.value).splitlines()) == 1


def test_an_amount_too_large_for_a_float_is_a_parse_error():
    body = (
        b'{"repo":{"operations":[{"operationType":"Reverse Repo","term":"Overnight","operationDate":"2026-08-20",'
        b'"details":'
        b'[{"securityType":"Treasury","amtAccepted":' + b"9" * 400 + b"}]}]}}"
    )
    with pytest.raises(ParseError, match=r"amtAccepted: .* is not a number"):
        parse_rrp_results(body, url="u")


@pytest.mark.parametrize("kind", ["nesting 200,000 deep", "a rate of 400 digits", "bytes that are no encoding"])
def test_hostile_json_fails_the_group_over_to_fred_with_one_line(kind, settings, fake):
    body, message = HOSTILE_JSON[kind]
    fake.fail_next(SOFR_PATH, 200, body=body, until_healed=True)
    lines: list[str] = []
    extraction = _live(settings, lines)
    [use] = [u for u in extraction.uses if u.group == "SOFR"]
    assert (use.status, use.provider) == (UseStatus.FAILOVER, Provider.FRED)
    assert use.detail.startswith(message)
    assert _sources(extraction)["SOFR"] == "fred" and _sources(extraction)["EFFR"] == "nyfed"
    [line] = [line for line in lines if line.startswith("SOFR from FRED")]
    assert line.startswith(f"SOFR from FRED: NY Fed failed: {message}")
    assert f"({fake.base_url}{SOFR_PATH}?startDate=" in line


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (RecursionError("maximum recursion depth exceeded"), "nested too deeply to parse"),
        (OverflowError("int too large to convert to float"), "cannot be parsed: OverflowError: int too large"),
        (NotImplementedError("That compression method is not supported"), "cannot be parsed: NotImplementedError"),
        (KeyError("x"), "cannot be parsed: KeyError: 'x'"),
    ],
)
def test_whatever_a_parser_raises_leaves_it_as_a_parse_error(error, message):
    with pytest.raises(ParseError, match=message), parsing("ddp", "u"):
        raise error
