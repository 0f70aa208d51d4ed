"""The Board's DDP H.4.1 CSV parser on recorded downloads, and on drift it must refuse."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from liquidity_watch.sources.ddp import H41_IDENTIFIERS, parse_h41_csv
from liquidity_watch.sources.errors import ParseError
from tests.conftest import fixture_bytes

LEVELS = "h41_ddp/H41_ddp_wednesday_levels_2016-02-03_2017-12-27.csv"
FACTORS = "h41_ddp/H41_ddp_factors_week_average_2021-04-28_2023-03-22.csv"


def _compare_with_snapshot(frame: pl.DataFrame, snapshot: pl.DataFrame) -> dict[str, tuple[int, int]]:
    joined = frame.join(snapshot, on=["series_id", "date"], how="inner", suffix="_fred")
    return {
        sid: (group.height, group.filter(pl.col("value") == pl.col("value_fred")).height)
        for (sid,), group in joined.group_by("series_id")
    }


def test_wednesday_levels_download_equals_fred_on_every_week(snapshot_observations):
    frame = parse_h41_csv(fixture_bytes(LEVELS), url="u", required=())
    assert (
        frame.filter((pl.col("series_id") == "WALCL") & (pl.col("date") == dt.date(2017, 12, 27)))["value"].item()
        == 4448680.0
    )  # = FRED WALCL 2017-12-27
    same = _compare_with_snapshot(frame, snapshot_observations)
    assert same == {"WALCL": (100, 100), "TREAST": (100, 100), "WSHOMCB": (100, 100), "WDTGAL": (100, 100)}


def test_week_average_download_gives_reserves_equal_to_wresbal(snapshot_observations):
    frame = parse_h41_csv(fixture_bytes(FACTORS), url="u", required=())
    same = _compare_with_snapshot(frame, snapshot_observations)
    assert same["WRESBAL"] == (100, 100)
    assert same["WTREGEN"] == (100, 100)
    assert same["TREAST"] == (100, 100)
    # securities held outright and Wednesday-level reserves come only from the DDP
    assert set(frame["series_id"].unique()) >= {"WSHOSHO", "WRBWFRBL", "WLRRAL"}
    # total reverse repos (all counterparties) on the last week of the file
    assert (
        frame.filter((pl.col("series_id") == "WLRRAL") & (pl.col("date") == dt.date(2023, 3, 22)))["value"].item()
        > 2_000_000
    )


def test_a_required_identifier_missing_from_the_package_is_named():
    with pytest.raises(ParseError, match=r"required series missing from the package: \['H41/H41/RESH4R_XAW_N.WW'\]"):
        parse_h41_csv(fixture_bytes(LEVELS), url="u", required=("H41/H41/RESPPMA_N.WW", "H41/H41/RESH4R_XAW_N.WW"))


def test_a_unit_change_from_millions_to_billions_is_refused():
    text = fixture_bytes(LEVELS).decode()
    lines = text.split("\r\n")
    cells = lines[2].split(",")
    idents = lines[4].split(",")
    col = idents.index('"H41/H41/RESPPMA_N.WW"')
    cells[col] = '"1000000000"'
    lines[2] = ",".join(cells)
    with pytest.raises(ParseError, match=r"H41/H41/RESPPMA_N.WW \(WALCL\): unit \('Currency', '1000000000', 'USD'\)"):
        parse_h41_csv("\r\n".join(lines).encode(), url="u", required=())


def test_nd_na_and_empty_cells_are_missing_values_not_errors():
    text = fixture_bytes(LEVELS).decode().split("\r\n")
    idents = text[4].split(",")
    col = idents.index('"H41/H41/RESPPMA_N.WW"')
    for line_no, marker in ((6, "ND"), (7, "NA"), (8, "")):
        cells = text[line_no].split(",")
        cells[col] = marker
        text[line_no] = ",".join(cells)
    frame = parse_h41_csv("\r\n".join(text).encode(), url="u", required=())
    walcl = frame.filter(pl.col("series_id") == "WALCL")
    assert walcl.height == 97
    assert dt.date(2016, 2, 3) not in walcl["date"].to_list()


def test_html_error_page_served_with_status_200_is_refused():
    with pytest.raises(ParseError, match="ddp: expected CSV, got an HTML page"):
        parse_h41_csv(b"<html><body>The application is temporarily unavailable</body></html>", url="u")


def test_a_truncated_file_is_refused_with_the_line_number():
    body = fixture_bytes(LEVELS)
    cut = body[: len(body) - 300]
    with pytest.raises(ParseError, match=r"line \d+: \d+ fields, header has 121 \(truncated file\?\)"):
        parse_h41_csv(cut, url="u", required=())


def test_a_date_that_is_not_a_wednesday_is_refused():
    body = fixture_bytes(LEVELS).replace(b"2016-02-03,", b"2016-02-04,", 1)
    with pytest.raises(ParseError, match="2016-02-04 is a Thursday"):
        parse_h41_csv(body, url="u", required=())


def test_every_mapped_identifier_is_a_weekly_wednesday_series():
    assert all(ident.startswith("H41/H41/") and ident.endswith("_N.WW") for ident in H41_IDENTIFIERS)
