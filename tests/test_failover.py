"""Per-series failover to FRED, strict sources, what is due and what is new: the extract stage against loopback fakes."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.sources import Provider, UseStatus
from liquidity_watch.sources.errors import SourcesUnavailable
from liquidity_watch.sources.extract import Extraction, extract
from liquidity_watch.sources.plan import H41_REQUIRED, RATES, REPO, RRP, h41_due
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.raw import incoming_frame
from tests.fakes import ARCHIVE_PATH
from tests.h41_archive import archive_bytes

END = today_new_york()  # a run of today (a replay's window is its own payload)
NOW = dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)
SOFR_PATH = "/api/rates/secured/sofr/search.json"
EFFR_PATH = "/api/rates/unsecured/effr/search.json"
OPERATIONS_PATH = "/api/rp/results/search.json"  # ON RRP and repo operations, one search
NYFED_RATE_PATHS = [f"/api/rates/{kind}/search.json" for kind in ("secured/sofr", "secured/tgcr", "secured/bgcr")]
H41_ARCHIVE = {"rel": "H41"}  # the H.4.1 release archive (PRATES shares the path)
HTML = b"<!DOCTYPE html><html><body>The application is temporarily unavailable</body></html>"
#: a warehouse up to date to its last week/day: a short incremental run
STORED = {
    **{sid: dt.date(2026, 8, 19) for sid in H41_REQUIRED},
    **{sid: dt.date(2026, 8, 20) for group in (*RATES.values(), RRP, REPO) for sid in group.series},
    "DFEDTARU": dt.date(2026, 7, 17),
    "DFEDTARL": dt.date(2026, 6, 5),
    "IORB": dt.date(2026, 8, 20),
    "IOER": dt.date(2021, 7, 28),
}


def _live(settings, stored=STORED, **options) -> Extraction:
    return extract("live", settings, stored, end=END, now=NOW, log=lambda line: None, **options)


def _by_group(extraction: Extraction) -> dict[str, tuple[UseStatus, Provider | None, str]]:
    return {u.group: (u.status, u.provider, u.detail) for u in extraction.uses}


def _series_sources(extraction: Extraction) -> dict[str, str]:
    frame = incoming_frame(extraction.payloads)
    return dict(frame.select("series_id", "source").unique().iter_rows())


def test_a_primary_run_takes_each_group_from_its_primary_source(settings):
    extraction = _live(settings)
    assert {g: (s, p) for g, (s, p, _) in _by_group(extraction).items()} == {
        "SOFR": (UseStatus.PRIMARY, Provider.NYFED),
        "TGCR": (UseStatus.PRIMARY, Provider.NYFED),
        "BGCR": (UseStatus.PRIMARY, Provider.NYFED),
        "EFFR": (UseStatus.PRIMARY, Provider.NYFED),
        "ON RRP": (UseStatus.PRIMARY, Provider.NYFED),
        "H.4.1": (UseStatus.PRIMARY, Provider.DDP),
        "IORB": (UseStatus.PRIMARY, Provider.DDP),  # the Board's PRATES archive
        "H.8 bank assets": (UseStatus.PRIMARY, Provider.FRED),
        "repo operations": (UseStatus.PRIMARY, Provider.NYFED),  # from the same searches as ON RRP
    }
    assert _series_sources(extraction)["WALCL"] == "ddp"
    assert extraction.failovers == []


def test_board_down_takes_h41_from_fred_and_says_why(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=H41_ARCHIVE)
    extraction = _live(settings)
    status, provider, why = _by_group(extraction)["H.4.1"]
    assert (status, provider, why) == (UseStatus.FAILOVER, Provider.FRED, "HTTP 503 after 3 attempts")
    assert extraction.failovers[0].describe() == "H.4.1 from FRED (Board failed: HTTP 503 after 3 attempts)"
    assert fake.requests_to(ARCHIVE_PATH, H41_ARCHIVE) == 3
    sources = _series_sources(extraction)
    assert sources["WALCL"] == sources["WRESBAL"] == sources["WDTGAL"] == "fred"
    assert sources["SOFR"] == "nyfed"
    assert {sid for sid, source in sources.items() if source == "ddp"} == {"IORB"}  # PRATES still answers


def test_board_html_with_status_200_fails_over_to_fred_naming_the_html(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 200, body=HTML, content_type="text/html", query=H41_ARCHIVE)
    extraction = _live(settings)
    assert (
        extraction.failovers[0]
        .describe()
        .startswith("H.4.1 from FRED (Board failed: returned HTML with status 200, not a ZIP archive: '<!DOCTYPE html>")
    )
    assert fake.requests_to(ARCHIVE_PATH, H41_ARCHIVE) == 1  # content problems are not retried


def test_a_unit_change_in_one_h41_series_takes_only_that_series_from_fred(settings, fake, snapshot_observations):
    fake.archive = archive_bytes(snapshot_observations, attributes={"RESH4R_XAW_N.WW": {"UNIT_MULT": "1000"}})
    extraction = _live(settings)
    uses = _by_group(extraction)
    assert uses["H.4.1"][:2] == (UseStatus.PRIMARY, Provider.DDP)
    assert uses["WRESBAL"] == (
        UseStatus.FAILOVER,
        Provider.FRED,
        "RESH4R_XAW_N.WW (WRESBAL): UNIT_MULT is '1000' where '1000000' is expected (millions of USD)",
    )
    sources = _series_sources(extraction)
    assert sources["WRESBAL"] == "fred" and sources["WALCL"] == "ddp"


def test_nyfed_5xx_takes_the_rates_from_fred(settings, fake):
    for path in (SOFR_PATH, EFFR_PATH, OPERATIONS_PATH):
        fake.fail_next(path, 500, body="Internal Server Error", until_healed=True)
    extraction = _live(settings)
    uses = _by_group(extraction)
    for group in ("SOFR", "EFFR", "ON RRP", "repo operations"):
        assert uses[group][:2] == (UseStatus.FAILOVER, Provider.FRED), group
        assert uses[group][2] == "HTTP 500 after 3 attempts"
    sources = _series_sources(extraction)
    assert sources["SOFR"] == sources["EFFR"] == sources["RRPONTSYD"] == sources["DFEDTARU"] == "fred"
    [sofr] = [u for u in extraction.uses if u.group == "SOFR"]
    assert sofr.series == ("SOFR", "SOFR1", "SOFR25", "SOFR75", "SOFR99", "SOFRVOL")  # every series of the request


def test_an_optional_series_fred_cannot_serve_is_noted_and_the_run_goes_on(settings, fake):
    fake.fail_next(SOFR_PATH, 503, until_healed=True)
    fake.fail_next("/graph/fredgraph.csv", 404, body="Not Found", content_type="text/plain", query={"id": "SOFR99"})
    extraction = _live(settings)
    uses = _by_group(extraction)
    assert uses["SOFR"][:2] == (UseStatus.FAILOVER, Provider.FRED)
    assert uses["SOFR99"] == (
        UseStatus.UNAVAILABLE,
        None,
        "nyfed: HTTP 503 after 3 attempts; fred: HTTP 404: 'Not Found'",
    )
    [sofr] = [u for u in extraction.uses if u.group == "SOFR"]
    assert "SOFR99" not in sofr.series


@pytest.mark.integration  # two backfills through the fakes: ~2 s
def test_a_failover_extraction_and_a_primary_one_give_identical_core_tables(settings, fake, snapshot_observations):
    primary = _live(settings, stored={})
    fake.fail_next(ARCHIVE_PATH, 200, body=HTML, content_type="text/html", until_healed=True)
    for path in (*NYFED_RATE_PATHS, EFFR_PATH, OPERATIONS_PATH):
        fake.fail_next(path, 503, until_healed=True)
    failover = _live(settings, stored={})
    assert {s for s in _series_sources(failover).values()} == {"fred"}
    assert _series_sources(primary)["WALCL"] == "ddp"

    def core(extraction: Extraction) -> dict[str, pl.DataFrame]:
        frame = incoming_frame(extraction.payloads).sort("payload_order")
        latest = frame.unique(subset=["series_id", "date"], keep="last", maintain_order=True)
        return build_core_tables(latest.select("series_id", "date", "value").sort("series_id", "date"))

    ours, theirs = core(primary), core(failover)
    for name in ours:
        assert ours[name].equals(theirs[name]), name


def test_both_down_fails_with_one_line_per_source_and_names_the_missing_series(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True)
    fake.fail_next("/graph/fredgraph.csv", 503, until_healed=True)
    with pytest.raises(SourcesUnavailable) as info:
        _live(settings)
    assert info.value.missing == ["WALCL", "TREAST", "WSHOMCB", "WRESBAL", "WDTGAL", "IORB"]
    lines = info.value.lines()
    assert [line.split(":")[0] for line in lines] == ["ddp", "fred"]
    assert lines[0].startswith("ddp: HTTP 503 after 3 attempts (http://")
    assert "(and " in lines[1] and "more requests to fred)" in lines[1]


def test_strict_sources_fail_without_asking_fred(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True, query=H41_ARCHIVE)
    with pytest.raises(SourcesUnavailable, match=r"unavailable from every source: WALCL, TREAST") as info:
        _live(settings, strict=True)
    assert info.value.lines() == [str(info.value.failures[0])]
    fred_series = [args["id"] for path, args in fake.requests if path == "/graph/fredgraph.csv"]
    # FRED is asked only for what it is the primary of: H.8
    assert fred_series == ["TLAACBW027SBOG"]


def test_strict_sources_come_from_the_setting_too(settings, fake):
    fake.fail_next(ARCHIVE_PATH, 503, until_healed=True)
    with pytest.raises(SourcesUnavailable):
        _live(settings.model_copy(update={"strict_sources": True}))


def test_h41_is_not_downloaded_between_releases_and_the_summary_says_when_it_is_due(settings, fake):
    stored = {**STORED, **{sid: dt.date(2026, 8, 26) for sid in H41_REQUIRED}}
    extraction = extract(
        "live", settings, stored, end=END, now=dt.datetime(2026, 9, 1, 14, tzinfo=dt.UTC), log=lambda line: None
    )
    assert fake.requests_to(ARCHIVE_PATH, H41_ARCHIVE) == 0
    [use] = [u for u in extraction.uses if u.group == "H.4.1"]
    assert use.describe() == (
        "H.4.1 not due: last stored week 2026-08-26; the release for 2026-09-02 is due Thu 2026-09-03 16:30 ET"
    )


def test_h41_is_due_once_the_release_time_has_passed_and_on_a_backfill():
    stored = {sid: dt.date(2026, 8, 26) for sid in H41_REQUIRED}
    assert h41_due(stored, dt.datetime(2026, 9, 3, 20, 29, tzinfo=dt.UTC))[0] is False  # 16:29 ET
    assert h41_due(stored, dt.datetime(2026, 9, 3, 20, 30, tzinfo=dt.UTC))[0] is True
    assert h41_due({**stored, "WRESBAL": dt.date(2026, 8, 19)}, NOW)[0] is True  # one series lags
    assert h41_due({}, NOW) == (True, "backfill (WALCL, TREAST, WSHOMCB, WRESBAL, WDTGAL not stored yet)")
    # Thanksgiving: the Thursday is a holiday, the release moves to Friday
    late = {sid: dt.date(2026, 11, 18) for sid in H41_REQUIRED}
    assert h41_due(late, dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)) == (
        False,
        "last stored week 2026-11-18; the release for 2026-11-25 is due Fri 2026-11-27 16:30 ET",
    )


def test_a_304_from_the_board_lands_nothing_and_says_not_modified(settings, fake):
    first = _live(settings)
    [(url, (source, validators))] = [(u, v) for u, v in first.validators.items() if "rel=H41" in u]
    assert source == "ddp" and validators.etag
    again = _live(settings, validators={url: validators})
    assert fake.requests_to(ARCHIVE_PATH, H41_ARCHIVE) == 2
    [use] = [u for u in again.uses if u.group == "H.4.1"]
    assert use.status is UseStatus.NOT_MODIFIED
    assert use.describe() == "H.4.1 not modified at Board (HTTP 304): nothing new"
    assert not any(p.source == "ddp" and "rel=H41" in p.url for p in again.payloads)


def test_validators_of_a_partly_refused_archive_are_not_kept(settings, fake, snapshot_observations):
    fake.archive = archive_bytes(snapshot_observations, drop=frozenset({"RESPPLLDT_N.WW"}))
    extraction = _live(settings)
    assert not any("rel=H41" in url for url in extraction.validators)
    assert _by_group(extraction)["WDTGAL"][:2] == (UseStatus.FAILOVER, Provider.FRED)


def test_only_responses_that_carried_an_etag_or_last_modified_leave_validators(settings):
    extraction = _live(settings, stored={})
    # the fake Board sends both headers; the NY Fed and FRED fakes send neither, and nothing is kept for them
    assert {source for source, _ in extraction.validators.values()} == {"ddp"}
    assert sorted(url.split("?")[1] for url in extraction.validators) == [
        "rel=H41&filetype=zip",
        "rel=PRATES&filetype=zip",
    ]
    assert all(validators.etag and validators.last_modified for _, validators in extraction.validators.values())


def test_a_series_the_warehouse_never_stored_is_backfilled_once_with_its_group(settings, fake):
    without_percentiles = {sid: day for sid, day in STORED.items() if sid not in ("SOFR1", "SOFR99")}
    _live(settings, without_percentiles)
    sofr = [args["startDate"] for path, args in fake.requests if path == SOFR_PATH]
    assert sofr[0] == "2018-04-02" and len(sofr) == 9  # SOFR's first day, one request per year to 2026
    fake.requests.clear()
    _live(settings, STORED)
    assert [args["startDate"] for path, args in fake.requests if path == SOFR_PATH] == ["2026-08-06"]
