"""IORB from the Board's PRATES archive: picked by description, checked against the target range, carried
forward when no source answers and the range stands, missing (and said so) when it moved; FRED that says no."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import IorbBasis, Provider, RangeAt, UseStatus
from liquidity_watch.sources.errors import ParseError, SourcesUnavailable
from liquidity_watch.sources.extract import extract
from liquidity_watch.sources.plan import H41_REQUIRED, RATES, REPO, RRP
from liquidity_watch.sources.prates import read_prates_archive
from liquidity_watch.warehouse.db import connect
from liquidity_watch.warehouse.raw import iorb_basis, land, last_dates
from tests.fakes import ARCHIVE_PATH, FRED_API_KEY
from tests.h41_archive import PRATES_SERIES, prates_archive_bytes

END = today_new_york()
NOW = dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)
PRATES = {"rel": "PRATES"}
STORED = {
    **{sid: dt.date(2026, 8, 19) for sid in H41_REQUIRED},
    **{sid: dt.date(2026, 8, 20) for group in (*RATES.values(), RRP, REPO) for sid in group.series},
    "DFEDTARU": dt.date(2026, 7, 17),
    "DFEDTARL": dt.date(2026, 7, 17),
    "IORB": dt.date(2026, 8, 20),
    "IOER": dt.date(2021, 7, 28),
}
STANDING = RangeAt(dt.date(2026, 7, 17), 3.5, 3.75)


def _read(archive: bytes, wanted=("IORB", "IOER")):
    return read_prates_archive(io.BytesIO(archive), url="u", wanted=wanted)


def _uses(extraction):
    return {u.group: u for u in extraction.uses}


def test_prates_gives_iorb_and_ioer_as_fred_has_them_and_says_which_series_it_picked(snapshot_observations):
    release, note = _read(prates_archive_bytes(snapshot_observations))
    assert release.problems == {}
    assert release.picked == {"IORB": "RESBM_N.D", "IOER": "RESBME_N.D"}  # not RESBMS_N.D, the required-reserves rate
    assert note.startswith("IORB from RESBM_N.D ('Interest rate on reserve balances (IORB rate), Last Changed")
    fred = snapshot_observations.filter(pl.col("series_id").is_in(["IORB", "IOER"])).sort("series_id", "date")
    assert release.observations.sort("series_id", "date").equals(fred)


def test_a_renamed_iorb_series_is_found_by_its_description(snapshot_observations):
    renamed = {"RESBX_N.D": ("IORB", "Interest Rate on Reserve Balances (IORB), Last Changed 12-11-2025")}
    release, note = _read(prates_archive_bytes(snapshot_observations, series=renamed), wanted=("IORB",))
    assert release.picked == {"IORB": "RESBX_N.D"} and release.observations.height > 1000
    assert "RESBX_N.D" in note


def test_two_series_described_as_iorb_refuse_the_file(snapshot_observations):
    twice = {**PRATES_SERIES, "RESBM2_N.D": ("IORB", "Interest rate on reserve balances (IORB rate), copy")}
    with pytest.raises(ParseError, match=r"two PRATES series could be IORB: RESBM_N.D .* and RESBM2_N.D"):
        _read(prates_archive_bytes(snapshot_observations, series=twice))


def test_a_prates_without_iorb_or_in_another_unit_refuses_that_series_by_itself(snapshot_observations):
    only_ioer = {"RESBME_N.D": PRATES_SERIES["RESBME_N.D"]}
    release, _ = _read(prates_archive_bytes(snapshot_observations, series=only_ioer))
    assert release.problems == {"IORB": "no series of PRATES_data.xml is described as IORB (series: RESBME_N.D)"}
    assert set(release.observations["series_id"]) == {"IOER"}
    basis_points = prates_archive_bytes(snapshot_observations, attributes={"RESBM_N.D": {"UNIT": "Basis points"}})
    release, _ = _read(basis_points)
    assert release.problems == {
        "IORB": "RESBM_N.D (IORB): UNIT is 'Basis points' where 'Percent' is expected (percent)"
    }


def test_a_primary_run_takes_iorb_from_the_board_and_names_the_series(settings, fake):
    extraction = extract("live", settings, STORED, end=END, now=NOW, log=lambda line: None)
    iorb = _uses(extraction)["IORB"]
    assert (iorb.status, iorb.provider) == (UseStatus.PRIMARY, Provider.DDP)
    assert iorb.detail.startswith("IORB from RESBM_N.D ('Interest rate on reserve balances")
    assert fake.requests_to(ARCHIVE_PATH, PRATES) == 1
    assert fake.requests_to("/graph/fredgraph.csv", {"id": "IORB"}) == 0


def test_iorb_outside_the_target_range_fails_over_naming_both_values(settings, fake, snapshot_observations):
    wrong = snapshot_observations.with_columns(
        value=pl.when((pl.col("series_id") == "IORB") & (pl.col("date") == dt.date(2026, 7, 16)))
        .then(4.4)
        .otherwise(pl.col("value"))
    )
    fake.prates = prates_archive_bytes(wrong)
    # a window in which the EFFR records carry the range (the snapshot's range ends on 2026-07-17)
    stored = {**STORED, **{sid: dt.date(2026, 7, 10) for sid in ("IORB", "EFFR", "DFEDTARU", "DFEDTARL")}}
    extraction = extract("live", settings, stored, end=END, now=NOW, log=lambda line: None)
    iorb = _uses(extraction)["IORB"]
    assert (iorb.status, iorb.provider) == (UseStatus.FAILOVER, Provider.FRED)
    assert iorb.detail == (
        "IORB 4.40% on 2026-07-16 lies outside the target range 3.50-3.75% of that day's EFFR record"
    )


def test_fred_blocked_and_prates_down_carry_iorb_forward_while_the_range_stands(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=PRATES)
    fake.fail_next(
        "/graph/fredgraph.csv", 403, body="<html>Forbidden</html>", content_type="text/html", until_healed=True
    )
    basis = IorbBasis(dt.date(2026, 8, 20), 3.65, STANDING, STANDING)
    lines: list[str] = []
    extraction = extract("live", settings, STORED, end=END, now=NOW, log=lines.append, iorb_basis=basis)
    iorb = _uses(extraction)["IORB"]
    assert (iorb.status, iorb.provider) == (UseStatus.CARRIED, Provider.CARRIED)
    assert iorb.describe() == (
        "IORB carried forward: 3.65% from 2026-08-20, the target range standing at 3.50-3.75% (2026-07-17)"
    )
    [carried] = [p for p in extraction.payloads if p.source == "carried"]
    days = carried.observations["date"]
    assert (days.min(), days.max(), set(carried.observations["value"])) == (dt.date(2026, 8, 21), END, {3.65})
    assert any("fred: blocked: HTTP 403 (FRED refuses this client)" in line for line in lines)


def test_with_the_range_moved_iorb_is_missing_and_the_run_says_why(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=PRATES)
    fake.fail_next("/graph/fredgraph.csv", 403, until_healed=True, query={"id": "IORB"})
    before = RangeAt(dt.date(2026, 6, 1), 3.75, 4.0)
    basis = IorbBasis(dt.date(2026, 6, 1), 3.9, before, STANDING)
    extraction = extract("live", settings, STORED, end=END, now=NOW, log=lambda line: None, iorb_basis=basis)
    iorb = _uses(extraction)["IORB"]
    assert (iorb.status, iorb.provider) == (UseStatus.UNAVAILABLE, None)
    assert iorb.detail.endswith(
        "not carried forward: the target range moved from 3.75-4.00% (2026-06-01) to 3.50-3.75% (2026-07-17);"
        " the rules that read IORB say no_data"
    )
    assert "ddp: HTTP 503 after 3 attempts" in iorb.detail and "fred: blocked: HTTP 403" in iorb.detail
    assert not any("IORB" in p.series for p in extraction.payloads)


def test_with_no_iorb_stored_a_run_without_one_still_fails(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=PRATES)
    fake.fail_next("/graph/fredgraph.csv", 429, until_healed=True, query={"id": "IORB"})
    with pytest.raises(SourcesUnavailable) as info:
        extract("live", settings, STORED, end=END, now=NOW, log=lambda line: None)
    assert info.value.missing == ["IORB"]
    assert "fred: blocked: HTTP 429 (FRED rate-limits this client; after 3 attempts)" in str(info.value)


def test_with_a_key_fred_is_read_through_its_api_and_the_key_never_shows(settings, fake, monkeypatch):
    monkeypatch.setenv("FRED_API_KEY", FRED_API_KEY)
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=PRATES)
    lines: list[str] = []
    extraction = extract("live", settings, STORED, end=END, now=NOW, log=lines.append)
    iorb = _uses(extraction)["IORB"]
    assert (iorb.status, iorb.provider) == (UseStatus.FAILOVER, Provider.FRED)
    [payload] = [p for p in extraction.payloads if p.source == "fred" and "IORB" in p.series]
    assert "/fred/series/observations?series_id=IORB&api_key=***&file_type=json" in payload.url
    assert payload.observations["date"].min() == dt.date(2026, 8, 6)  # the incremental window
    assert fake.requests_to("/graph/fredgraph.csv") == 0
    assert FRED_API_KEY not in repr(extraction) + "".join(lines)


def test_a_wrong_key_is_one_line_naming_the_variable(settings, fake, monkeypatch):
    monkeypatch.setenv("FRED_API_KEY", "not-a-key")
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=PRATES)
    with pytest.raises(SourcesUnavailable, match="FRED_API_KEY is not a 32-character lower-case alphanumeric key"):
        extract("live", settings, STORED, end=END, now=NOW, log=lambda line: None)


def _payload(source: str, rows: list[tuple[str, dt.date, float]], tag: str) -> Payload:
    frame = pl.DataFrame(rows, schema={"series_id": pl.String, "date": pl.Date, "value": pl.Float64}, orient="row")
    return Payload(source, f"{source}:{tag}", dt.datetime(2026, 9, 1, tzinfo=dt.UTC), tag * 8, frame)


def test_a_carried_value_is_replaced_as_a_revision_when_a_source_answers_and_never_counts_as_served(
    empty_warehouse,
):
    day = dt.date(2026, 9, 9)
    con = connect(empty_warehouse)
    try:
        land(con, [_payload("ddp", [("IORB", dt.date(2026, 9, 8), 3.65)], "a")], "r1")
        land(con, [_payload("carried", [("IORB", day, 3.65)], "b")], "r2")
        assert last_dates(con)["IORB"] == dt.date(2026, 9, 8)  # the next fetch starts before the carried day
        land(con, [_payload("ddp", [("IORB", day, 3.65)], "c")], "r3")  # the same value, now from a source
        versions = con.execute(
            "SELECT version, source FROM raw.observation_versions WHERE date = ? ORDER BY version", [day]
        ).fetchall()
        assert versions == [(1, "carried"), (2, "ddp")]
        assert last_dates(con)["IORB"] == day
    finally:
        con.close()


def test_the_basis_of_carrying_is_the_last_served_iorb_and_the_range_then_and_now(empty_warehouse):
    con = connect(empty_warehouse)
    try:
        rows = [
            ("DFEDTARL", dt.date(2026, 9, 4), 3.5),
            ("DFEDTARU", dt.date(2026, 9, 4), 3.75),
            ("DFEDTARL", dt.date(2026, 9, 18), 3.25),
            ("DFEDTARU", dt.date(2026, 9, 18), 3.5),
            ("IORB", dt.date(2026, 9, 8), 3.65),
        ]
        land(con, [_payload("nyfed", rows, "d"), _payload("carried", [("IORB", dt.date(2026, 9, 9), 3.65)], "e")], "r")
        assert iorb_basis(con) == IorbBasis(
            dt.date(2026, 9, 8),
            3.65,
            RangeAt(dt.date(2026, 9, 4), 3.5, 3.75),
            RangeAt(dt.date(2026, 9, 18), 3.25, 3.5),
        )
    finally:
        con.close()


def test_the_fred_key_is_no_setting_and_fred_errors_and_retry_lines_show_it_as_stars(settings, fake, monkeypatch):
    from liquidity_watch.settings import Settings
    from liquidity_watch.sources.errors import FetchError
    from liquidity_watch.sources.fred import FredClient
    from liquidity_watch.sources.http import HttpClient

    monkeypatch.setenv("FRED_API_KEY", FRED_API_KEY)
    assert FRED_API_KEY not in Settings().model_dump_json()  # what travels as a task parameter
    fake.fail_next("/fred/series/observations", 500, until_healed=True)
    lines: list[str] = []
    client = FredClient(settings, HttpClient(settings, Provider.FRED, on_retry=lines.append))
    with pytest.raises(FetchError) as info:
        client.fetch("IORB", dt.date(2026, 8, 1))
    shown = str(info.value) + "\n".join(lines)
    assert len(lines) == 2 and "api_key=***" in shown
    assert FRED_API_KEY not in shown
