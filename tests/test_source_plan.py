"""The plan of a run's requests: windows and provider order per group, computed without any HTTP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from liquidity_watch.domain.sources import Provider, SourceKind
from liquidity_watch.resources import bundled_snapshot_dir
from liquidity_watch.settings import Settings
from liquidity_watch.sources.plan import H41_REQUIRED, RATES, REPO, RRP, Endpoint, Plan, Step, plan

TODAY = dt.date(2026, 9, 1)
NOW = dt.datetime(2026, 8, 31, 16, tzinfo=dt.UTC)  # Monday: the release for 2026-08-26 was out Thursday
#: a warehouse up to date to its last week/day
STORED = {
    **{sid: dt.date(2026, 8, 19) for sid in H41_REQUIRED},
    **{sid: dt.date(2026, 8, 20) for group in (*RATES.values(), RRP, REPO) for sid in group.series},
    "DFEDTARU": dt.date(2026, 7, 17),
    "DFEDTARL": dt.date(2026, 6, 5),
    "IORB": dt.date(2026, 8, 20),
    "IOER": dt.date(2021, 7, 28),
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "wh.duckdb", overlap_days=14)


def _live(settings: Settings, stored: dict[str, dt.date] = STORED, **options) -> Plan:
    return plan("live", settings, stored, **{"end": TODAY, "today": TODAY, "now": NOW, "strict": False, **options})


def _steps(found: Plan) -> dict[str, Step]:
    return {step.group.name: step for step in found.steps}


def test_an_incremental_live_plan_asks_each_group_from_its_last_stored_day_less_the_overlap(settings):
    steps = _steps(_live(settings))
    assert list(steps) == ["SOFR", "TGCR", "BGCR", "EFFR", "ON RRP", "H.4.1", "IORB", "H.8 bank assets"]
    [sofr] = steps["SOFR"].requests
    assert (sofr.endpoint, sofr.rate, sofr.start, sofr.end) == (Endpoint.RATES, "SOFR", dt.date(2026, 8, 6), TODAY)
    assert sofr.label == "NY Fed SOFR 2026-08-06..2026-09-01"
    [h41] = steps["H.4.1"].requests
    assert h41.label == "Board H.4.1 (release archive): the release for 2026-08-26 was due Thu 2026-08-27 16:30 ET"
    assert dict(h41.since)["WALCL"] == dt.date(2026, 8, 5)
    [prates] = steps["IORB"].requests
    assert (prates.endpoint, prates.series, prates.since) == (
        Endpoint.PRATES,
        ("IORB",),
        (("IORB", dt.date(2026, 8, 6)),),
    )
    [bank] = steps["H.8 bank assets"].requests
    assert (bank.endpoint, bank.series, bank.start, bank.end) == (Endpoint.FRED, ("TLAACBW027SBOG",), None, None)


def test_a_backfill_asks_every_group_from_its_first_date_in_year_long_windows(settings):
    found = _live(settings, stored={})
    steps = _steps(found)
    sofr = steps["SOFR"].requests
    assert (sofr[0].start, sofr[0].end, sofr[-1].start) == (
        dt.date(2018, 4, 2),
        dt.date(2018, 12, 31),
        dt.date(2026, 1, 1),
    )
    assert len(sofr) == 9  # 2018 to 2026
    assert steps["ON RRP"].requests[0].start == steps["EFFR"].requests[0].start == dt.date(2002, 12, 18)  # history
    assert (
        steps["H.4.1"].requests[0].label.endswith("backfill (WALCL, TREAST, WSHOMCB, WRESBAL, WDTGAL not stored yet)")
    )
    assert steps["H.4.1"].requests[0].since == ()  # every series' whole history
    assert steps["IORB"].requests[0].series == ("IORB", "IOER")  # with IOER's history, once
    assert [g.name for g in steps["IORB"].served_with] == ["IOER"]
    assert (
        found.total == sum(len(step.requests) for step in found.steps) == 9 * 3 + 25 + 25 + 1 + 1 + 1
    )  # SOFR, TGCR, BGCR; EFFR, operations 2002-2026


def test_a_series_the_warehouse_never_stored_backfills_its_whole_group(settings):
    stored = {sid: day for sid, day in STORED.items() if sid != "SOFR99"}
    steps = _steps(_live(settings, stored=stored))
    assert steps["SOFR"].requests[0].start == dt.date(2018, 4, 2)
    assert steps["TGCR"].requests[0].start == dt.date(2026, 8, 6)


def test_between_releases_h41_is_not_asked_and_the_plan_says_when_it_is_due(settings):
    stored = {**STORED, **{sid: dt.date(2026, 8, 26) for sid in H41_REQUIRED}}
    h41 = _steps(_live(settings, stored=stored))["H.4.1"]
    assert h41.requests == ()
    assert h41.not_due == "last stored week 2026-08-26; the release for 2026-09-02 is due Thu 2026-09-03 16:30 ET"


def test_every_primary_fails_over_to_fred_and_iorb_then_carries_forward(settings):
    steps = _steps(_live(settings, carry_iorb=True))
    assert {name: step.providers for name, step in steps.items()} == {
        **{name: (Provider.NYFED, Provider.FRED) for name in ("SOFR", "TGCR", "BGCR", "EFFR", "ON RRP")},
        "H.4.1": (Provider.DDP, Provider.FRED),
        "IORB": (Provider.DDP, Provider.FRED, Provider.CARRIED),
        "H.8 bank assets": (Provider.FRED,),
    }
    assert [name for name, step in steps.items() if step.range_checked] == ["IORB"]
    assert [g.name for g in steps["ON RRP"].served_with] == ["repo operations"]


def test_iorb_without_a_stored_value_to_carry_has_only_fred_after_the_board(settings):
    assert _steps(_live(settings))["IORB"].providers == (Provider.DDP, Provider.FRED)


def test_strict_sources_plan_no_failover_to_fred_but_iorb_still_carries(settings):
    steps = _steps(_live(settings, strict=True, carry_iorb=True))
    assert [name for name, step in steps.items() if Provider.FRED in step.fallbacks] == []
    assert steps["IORB"].providers == (Provider.DDP, Provider.CARRIED)


def test_a_run_of_today_leaves_fred_s_end_open_and_a_replay_closes_it(settings):
    assert _live(settings).fred_end is None
    replay = _live(settings, end=dt.date(2026, 8, 28))
    assert replay.fred_end == dt.date(2026, 8, 28)
    assert _steps(replay)["H.8 bank assets"].requests[0].end == dt.date(2026, 8, 28)


def test_the_user_s_h41_package_is_named_in_the_progress_line(settings):
    found = _live(settings.model_copy(update={"ddp_h41_package": "H41/H41"}))
    assert _steps(found)["H.4.1"].requests[0].label.startswith("Board H.4.1 (package H41/H41): ")


def test_a_fred_run_asks_each_series_once_from_fred_with_no_failover(settings):
    found = plan("fred", settings, {"WALCL": dt.date(2026, 8, 19)}, end=TODAY, today=TODAY, now=NOW, strict=False)
    steps = _steps(found)
    assert all(step.providers == (Provider.FRED,) and len(step.requests) == 1 for step in found.steps)
    assert steps["WALCL"].requests[0].label == "FRED WALCL from 2026-08-05"
    assert steps["SOFR"].requests[0].label == "FRED SOFR from the start"
    assert steps["SOFR"].requests[0].start is None
    assert found.total == len(found.steps) and found.done == "FRED done"
    assert not any(step.range_checked for step in found.steps)


def test_a_snapshot_plan_reads_the_given_folder_else_the_setting_else_the_bundled_one(settings, tmp_path):
    def folder(**options) -> Path | None:
        return plan("snapshot", settings, {}, end=TODAY, today=TODAY, now=NOW, strict=False, **options).snapshot

    assert folder(snapshot_dir=tmp_path) == tmp_path
    assert folder() == bundled_snapshot_dir()
    mine = settings.model_copy(update={"snapshot_dir": tmp_path / "mine"})
    assert (
        plan(SourceKind.SNAPSHOT, mine, {}, end=TODAY, today=TODAY, now=NOW, strict=False).snapshot == tmp_path / "mine"
    )


def test_an_unknown_kind_of_run_is_refused_by_name(settings):
    with pytest.raises(ValueError, match="'ftp' is not a valid SourceKind"):
        plan("ftp", settings, {}, end=TODAY, today=TODAY, now=NOW, strict=False)
