"""Write, audit, publish: bad upstream data fails the run loudly and publishes nothing.

Each corruption and slip is judged by the gate itself (``tests/gate.py``: the run's stages as plain
functions, no Prefect); what a refused run leaves behind (nothing published, its failure and failing
expectations recorded) is the flow's guarantee and is tested once, on the flow.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.expectations.gate import QualityGateFailed
from liquidity_watch.sources.ddp import parse_h41_csv
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.paths import WarehousePaths
from tests.conftest import FIXTURES, copy_of
from tests.flow import pipeline
from tests.gate import gate
from tests.test_data_docs import index_runs, unresolved_assets

# the gate cases read the session's snapshot warehouse (built through the flow when no cached copy exists)
pytestmark = pytest.mark.integration
D = dt.date


def query(path: Path, sql: str) -> list[tuple]:
    with connection(path, read_only=True) as con:
        return con.execute(sql).fetchall()


def published_content(path: Path) -> str:
    """A digest of every raw and core row: what analysts and the next run would see."""
    with connection(path, read_only=True) as con:
        parts = []
        for table, order in (
            ("raw.observations", "series_id, date"),
            ("core.weekly_liquidity", "week_ending"),
            ("core.daily_rates", "date"),
            ("core.policy_changes", "date"),
        ):
            parts.append(
                con.execute(f"SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY {order})) FROM {table} t").fetchone()[0]
            )
    return hashlib.sha256("".join(parts).encode()).hexdigest()


@pytest.fixture
def good_warehouse(snapshot_warehouse) -> Path:
    return snapshot_warehouse[0]


def _edit_lines(path: Path, edit: Callable[[list[str]], list[str]]) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")


def _scale(factor: float, decimals: int) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        out = [lines[0]]
        for line in lines[1:]:
            day, value = line.split(",")
            out.append(f"{day},{float(value) * factor:.{decimals}f}" if value else line)
        return out

    return edit


def _shift_week(lines: list[str]) -> list[str]:
    return [lines[0]] + [
        f"{(D.fromisoformat(day) + dt.timedelta(days=7)).isoformat()},{value}"
        for day, value in (line.split(",") for line in lines[1:])
    ]


def _next_wednesday_after_today() -> str:
    today = dt.date.today()
    return (today + dt.timedelta(days=(2 - today.weekday()) % 7 + 7)).isoformat()


CORRUPTIONS: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "unit_change_millions_to_billions": (
        "WRESBAL",
        lambda p: _edit_lines(p, _scale(1 / 1000, 3)),
        r"raw_observations: expect_column_values_to_be_between on WRESBAL \(1,000 <= value <= 10,000,000 usd_mn\) failed on \d+ row\(s\): WRESBAL 2002-12-18",
    ),
    "duplicated_date": (
        "SOFR",
        lambda p: _edit_lines(p, lambda ls: [*ls, "2019-09-17,5.25"]),
        r"expect_compound_columns_to_be_unique on \* \(one row per series and date\) failed on 2 row\(s\): SOFR 2019-09-17",
    ),
    "missing_week": (
        "WRESBAL",
        lambda p: _edit_lines(p, lambda ls: [x for x in ls if not x.startswith("2019-09-18")]),
        r"expect_column_values_to_be_in_set on weekly series \(no Wednesday missing inside a payload\) failed on 1 row\(s\): WRESBAL 2019-09-25",
    ),
    "negative_reserves": (
        "WRESBAL",
        lambda p: _edit_lines(p, lambda ls: [x.replace("2019-09-18,1394122", "2019-09-18,-1394122") for x in ls]),
        r"on WRESBAL \(1,000 <= value <= 10,000,000 usd_mn\) failed on 1 row\(s\): WRESBAL 2019-09-18 \{'value': -1394122.0\}",
    ),
    "rate_in_basis_points": (
        "SOFR",
        lambda p: _edit_lines(p, _scale(100, 0)),
        r"on SOFR \(-1 <= value <= 25 pct\) failed on \d+ row\(s\): SOFR 2018-04-03 \{'value': 183.0\}",
    ),
    "date_in_the_future": (
        "WRESBAL",
        lambda p: _edit_lines(p, lambda ls: [*ls, f"{_next_wednesday_after_today()},2900000"]),
        r"on \* \(date <= \d{4}-\d\d-\d\d\) failed on 1 row\(s\): WRESBAL " + _next_wednesday_after_today(),
    ),
    "truncated_file": (
        "SOFR",
        lambda p: p.write_bytes(p.read_bytes()[:-4]),
        r"snapshot: SOFR: the file ends mid-line \('2026-09-03,3'.*truncated\?",
    ),
    "every_date_shifted_by_a_week": (
        "WRESBAL",
        lambda p: _edit_lines(p, _shift_week),
        r"expect_column_values_to_be_in_set on \* \(per series: at most 1% of the series' own rows rewrite values older than 35 days, unless accepted with --accept-revisions SERIES:START:END\) failed on 1\d{3} row\(s\): WRESBAL",
    ),
    "renamed_column": (
        "SOFR",
        lambda p: _edit_lines(p, lambda ls: ["observation_date,SOFR_RATE", *ls[1:]]),
        r"snapshot: series \['SOFR'\] missing; the file has columns \['SOFR_RATE'\]",
    ),
    "empty_series": (
        "EFFR",
        lambda p: p.write_text("observation_date,EFFR\n"),
        r"snapshot: no observations for \['EFFR'\]",
    ),
    "a_32_mb_file": (
        "WRESBAL",
        lambda p: _sparse(p, 32 * 1024 * 1024),
        r"snapshot: WRESBAL.csv is 33,554,432 bytes, over the 16,777,216-byte limit for one input; refused before reading it",
    ),
}


def _sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes taking no disk space: a header, then a hole."""
    with path.open("wb") as f:
        f.write(b"observation_date,WRESBAL\n")
        f.truncate(size)


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_the_gate_refuses_a_corrupt_snapshot_naming_the_problem(case, good_warehouse, snapshot_dir, tmp_path):
    series, corrupt, message = CORRUPTIONS[case]
    bad = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, bad)
    corrupt(bad / f"{series}.csv")

    with pytest.raises((QualityGateFailed, ParseError)) as info:
        gate(copy_of(good_warehouse, tmp_path), bad)

    assert re.search(message, str(info.value)), str(info.value)
    assert series in str(info.value)


def test_every_expectation_is_recorded_once_per_run_and_data_docs_are_written(good_warehouse):
    [(run_id,)] = query(good_warehouse, "SELECT run_id FROM meta.runs WHERE status = 'completed'")
    per_suite = dict(
        query(
            good_warehouse,
            f"SELECT suite, count(*) FROM meta.validation_results WHERE run_id = '{run_id}' GROUP BY suite",
        )
    )
    [(failed,)] = query(good_warehouse, "SELECT count(*) FROM meta.validation_results WHERE NOT success")
    [(duplicates,)] = query(
        good_warehouse,
        "SELECT count(*) FROM (SELECT run_id, suite, expectation, column_name, series, bound, count(*) n "
        "FROM meta.validation_results GROUP BY ALL HAVING n > 1)",
    )
    assert set(per_suite) == {"raw_observations", "core.weekly_liquidity", "core.daily_rates", "core.policy_changes"}
    ranged = sorted(
        series
        for (series,) in query(
            good_warehouse,
            f"SELECT series FROM meta.validation_results WHERE run_id = '{run_id}' AND suite = 'raw_observations'"
            " AND expectation = 'expect_column_values_to_be_between' AND column_name = 'value'",
        )
    )
    # one plausible-range check per series the snapshot brings (23 of the catalogue's ranges; DFF has none)
    assert ranged == [
        "BGCRRATE",
        "DFEDTARL",
        "DFEDTARU",
        "EFFR",
        "IOER",
        "IORB",
        "RPONTSYD",
        "RRPONTSYAWARD",
        "RRPONTSYD",
        "SOFR",
        "SOFR1",
        "SOFR25",
        "SOFR75",
        "SOFR99",
        "SOFRVOL",
        "TGCRRATE",
        "TLAACBW027SBOG",
        "TREAST",
        "WALCL",
        "WDTGAL",
        "WRESBAL",
        "WSHOMCB",
        "WTREGEN",
    ]
    # 9 checks of shape, calendar and the revision guard, 4 of neighbours and identities, one range per series
    assert per_suite["raw_observations"] == 13 + len(ranged) and per_suite["core.weekly_liquidity"] >= 16
    assert failed == 0 and duplicates == 0
    site = WarehousePaths.of(good_warehouse).data_docs  # the warehouse's own docs folder
    assert index_runs(site / "index.html") == dict.fromkeys([run_id], "Success")
    assert len(list((site / "validations").rglob(f"{run_id}/*/*.html"))) == 4  # one page per suite
    assert unresolved_assets(site) == []  # opens offline: every script, stylesheet, font and image is local


def test_a_refused_run_publishes_nothing_and_records_its_failure_and_failing_expectations(
    prefect_server, good_warehouse, snapshot_dir, tmp_path
):
    bad = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, bad)
    _edit_lines(bad / "SOFR.csv", _scale(100, 0))
    warehouse = tmp_path / "existing.duckdb"
    shutil.copyfile(good_warehouse, warehouse)
    before = published_content(warehouse)

    with pytest.raises(QualityGateFailed) as info:
        pipeline(source="snapshot", snapshot_dir=str(bad), warehouse=str(warehouse))

    assert re.search(CORRUPTIONS["rate_in_basis_points"][2], str(info.value)), str(info.value)
    assert published_content(warehouse) == before
    [(status, error)] = query(warehouse, "SELECT status, error FROM meta.runs WHERE status = 'failed'")
    assert status == "failed" and error.startswith("QualityGateFailed: quality gate failed, nothing was published")
    assert "SOFR 2018-04-03 {'value': 183.0}" in error
    assert list(tmp_path.glob("existing.duckdb.work-*")) == []
    rows = query(
        warehouse,
        "SELECT v.series, v.unexpected_count, v.examples FROM meta.validation_results v JOIN meta.runs r USING (run_id) "
        "WHERE r.status = 'failed' AND NOT v.success",
    )
    # near-zero SOFR of 2020-21 stays under 25 after x100, so 1,604 of the 2,104 rows break the range;
    # all 2,104 rewrite stored history beyond SOFR's revision guard; the x100 spikes exceed what the
    # same day's percentiles, TGCR and BGCR corroborate; SOFR leaves its own 25th-75th percentile band;
    # and one day stands out from its neighbours (the floor of 0.01 pct was not scaled with the values)
    assert sorted((series, count) for series, count, _ in rows) == [
        ("*", 1),
        ("*", 2104),
        ("SOFR", 668),
        ("SOFR", 1604),
        ("SOFR", 2092),
    ]
    [range_examples] = [examples for series, count, examples in rows if (series, count) == ("SOFR", 1604)]
    assert '"day": "2018-04-03"' in range_examples


def test_a_reader_in_another_process_queries_the_warehouse_while_a_run_writes(prefect_server, good_warehouse, tmp_path):
    warehouse = tmp_path / "shared.duckdb"
    shutil.copyfile(good_warehouse, warehouse)
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(warehouse)!r}, read_only=True)
            query = "select reserves_usd_mn from core.weekly_liquidity where week_ending = '2019-09-18'"
            print(con.execute(query).fetchone()[0], flush=True)
            sys.stdin.readline()                      # the run happens here
            print(con.execute(query).fetchone()[0], flush=True)
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "1394122.0"
    summary = pipeline(source="snapshot", warehouse=str(warehouse))  # not blocked by the open reader
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == "1394122.0"
    assert reader.wait(timeout=60) == 0
    assert summary.payloads_unchanged == 23


# --- slips inside the bounds: each passes the fixed plausible ranges ------------------------------------


def _set(values: dict[str, str]) -> Callable[[list[str]], list[str]]:
    """Replace the value of each listed date."""

    def edit(lines: list[str]) -> list[str]:
        return [
            f"{line.split(',')[0]},{values[line.split(',')[0]]}" if line.split(",")[0] in values else line
            for line in lines
        ]

    return edit


def _scaled(factor: float, days: list[str]) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        out = []
        for line in lines:
            day, value = line.split(",")
            out.append(f"{day},{float(value) * factor:g}" if day in days else line)
        return out

    return edit


def _with_percentiles(folder: Path) -> None:
    """The SOFR percentiles in the folder (the bundled snapshot may carry them already)."""
    for sid in ("SOFR1", "SOFR25", "SOFR75", "SOFR99"):
        if not (folder / f"{sid}.csv").exists():
            shutil.copyfile(FIXTURES / "fred_history" / f"{sid}.csv", folder / f"{sid}.csv")


#: Same-market corroborators of SOFR (expectations.bounds.CORROBORATING_RATES)
SAME_MARKET = ("SOFR1", "SOFR25", "SOFR75", "SOFR99", "TGCRRATE", "BGCRRATE")


def _effr_only(folder: Path) -> None:
    """Only EFFR left to corroborate SOFR (the run goes to a new warehouse: stored percentiles would count)."""
    for sid in SAME_MARKET:
        (folder / f"{sid}.csv").unlink(missing_ok=True)


def _h41_reverse_repos(folder: Path) -> None:
    """WLRRAL (H.4.1 reverse repos, Wednesday level) for 2021-04..2023-03 from a recorded DDP download."""
    frame = parse_h41_csv(
        (FIXTURES / "h41_ddp" / "H41_ddp_factors_week_average_2021-04-28_2023-03-22.csv").read_bytes(),
        url="u",
        required=(),
    )
    rows = frame.filter(frame["series_id"] == "WLRRAL").sort("date")
    (folder / "WLRRAL.csv").write_text(
        "observation_date,WLRRAL\n" + "".join(f"{d},{v:.0f}\n" for _, d, v in rows.iter_rows())
    )


SLIPS: dict[str, tuple[Callable[[Path], None], str]] = {
    "on_rrp_in_millions_on_three_wednesdays": (
        lambda f: _edit_lines(f / "RRPONTSYD.csv", _scaled(1000, ["2026-08-05", "2026-08-12", "2026-08-19"])),
        r"raw_observations: expect_column_pair_values_a_to_be_greater_than_b on \* \(no unit slip: .*\) failed on 3 row\(s\): RRPONTSYD 2026-08-05 \{'neighbour_factor_limit': 14.76, 'neighbour_factor': \d+\.\d+\}; RRPONTSYD 2026-08-12",
    ),
    "reserves_times_ten_on_three_weeks": (
        lambda f: _edit_lines(f / "WRESBAL.csv", _scaled(10, ["2005-03-02", "2005-03-09", "2005-03-16"])),
        r"\(no unit slip: .*\) failed on 3 row\(s\): WRESBAL 2005-03-02 \{'neighbour_factor_limit': 2.0, 'neighbour_factor': 5.385\}",
    ),
    "securities_above_total_assets": (
        lambda f: _edit_lines(
            f / "TREAST.csv", _set(dict.fromkeys(["2007-01-10", "2007-01-17", "2007-01-24"], "880000"))
        ),
        r"core.weekly_liquidity: expect_column_pair_values_a_to_be_greater_than_b on securities_usd_mn \(securities_usd_mn <= total_assets_usd_mn\) failed on 3 row\(s\): 2007-01-10 \{'total_assets_usd_mn': 854819.0, 'securities_usd_mn': 880000.0\}",
    ),
    "an_uncorroborated_sofr_spike_with_the_percentiles_present": (
        lambda f: (_with_percentiles(f), _edit_lines(f / "SOFR.csv", _set({"2026-08-12": "3.95"}))),
        r"on SOFR \(a spike is corroborated by the same day's rates \(SOFR by SOFR1, SOFR25, SOFR75, SOFR99, TGCRRATE, BGCRRATE, EFFR\): at most 18 bp uncorroborated, 105 bp when only other markets are present\) failed on 1 row\(s\): SOFR 2026-08-12 \{'uncorroborated_spike_limit_bp': 18.0, 'uncorroborated_spike_bp': 3\d.0\}",
    ),
    "an_uncorroborated_sofr_spike_with_only_effr_present": (
        lambda f: (_effr_only(f), _edit_lines(f / "SOFR.csv", _set({"2019-06-12": "3.90"}))),
        r"on SOFR \(a spike is corroborated .*\) failed on 1 row\(s\): SOFR 2019-06-12 \{'uncorroborated_spike_limit_bp': 105.0, 'uncorroborated_spike_bp': 1\d\d.0\}",
    ),
    "on_rrp_against_the_h41_reverse_repo_line": (
        lambda f: (_h41_reverse_repos(f), _edit_lines(f / "RRPONTSYD.csv", _scaled(0.001, ["2022-06-01"]))),
        r"on RRPONTSYD \(-0.5 <= WLRRAL - RRPONTSYD x 1000 <= 575,000 \$mn on Wednesdays\) failed on 2 row\(s\): (WLRRAL|RRPONTSYD) 2022-06-01",
    ),
}


#: cases run against a new warehouse rather than a copy of the published one
NEW_WAREHOUSE = {"an_uncorroborated_sofr_spike_with_only_effr_present"}


@pytest.mark.parametrize("case", sorted(SLIPS))
def test_the_gate_refuses_a_slip_inside_the_plausible_ranges_naming_it(
    case, good_warehouse, empty_warehouse, snapshot_dir, tmp_path
):
    corrupt, message = SLIPS[case]
    bad = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, bad)
    corrupt(bad)
    warehouse = empty_warehouse if case in NEW_WAREHOUSE else copy_of(good_warehouse, tmp_path)
    with pytest.raises(QualityGateFailed) as info:
        gate(warehouse, bad)
    assert re.search(message, str(info.value)), str(info.value)


def test_the_gate_passes_a_break_every_rate_of_the_day_shares(good_warehouse, snapshot_dir, tmp_path):
    """2019-09-17: SOFR +282 bp on the day, corroborated by its percentiles and EFFR."""
    folder = tmp_path / "snapshot"
    shutil.copytree(snapshot_dir, folder)
    _with_percentiles(folder)
    warehouse = copy_of(good_warehouse, tmp_path)
    gated = gate(warehouse, folder)
    assert all(result.success for result in gated.results)
    assert query(warehouse, "SELECT count(*) FROM raw.observations WHERE series_id = 'SOFR75'")[0][0] > 2000
    daily = gated.tables["daily_rates"].filter(pl.col("date") == D(2019, 9, 17))
    assert daily.select("sofr_pct", "sofr_p99_pct").rows() == [(5.25, 9.0)]
