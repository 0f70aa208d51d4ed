"""Slips inside the plausible ranges: unit slips against neighbours, uncorroborated rate spikes, identities.

Each of these passes fixed plausible ranges: ON RRP written in $mn instead of $bn on
three Wednesdays; reserves x10 on three weeks; a one-day SOFR spike that no other rate of
the day corroborates. A corroborated break such as 2019-09-17 must pass. Small synthetic
frames pin the logic; one test checks the bounds against the history they were chosen from.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from liquidity_watch.expectations.bounds import (
    FOREIGN_REVERSE_REPO_RANGE_USD_MN,
    UNCORROBORATED_SPIKE_LIMIT_BP,
    UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP,
    UNIT_SLIP,
)
from liquidity_watch.expectations.identities import identity_columns
from liquidity_watch.expectations.neighbours import context_frame, rate_spikes, slip_factors, uncorroborated_spikes
from tests.conftest import FIXTURES, SNAPSHOT

D = dt.date


def _series(sid: str, start: dt.date, values: list[float], step_days: int = 1) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "series_id": [sid] * len(values),
            "date": [start + dt.timedelta(days=step_days * i) for i in range(len(values))],
            "value": values,
        }
    )


def _at(frame: pl.DataFrame, sid: str, day: dt.date) -> dict:
    return frame.filter((pl.col("series_id") == sid) & (pl.col("date") == day)).row(0, named=True)


def _over(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("neighbour_factor") > pl.col("neighbour_factor_limit"))


# --- unit slips ---------------------------------------------------------------------------------------


def test_on_rrp_in_millions_on_three_wednesdays_stands_out_from_its_neighbours():
    start = D(2026, 7, 1)
    values = [0.5 + 0.1 * (i % 5) for i in range(40)]
    slipped = [i for i in range(40) if (start + dt.timedelta(days=i)).weekday() == 2][2:5]
    for i in slipped:
        values[i] *= 1000  # $mn written in a $bn column
    over = _over(slip_factors(_series("RRPONTSYD", start, values)))
    assert sorted(over["date"]) == [start + dt.timedelta(days=i) for i in slipped]
    assert over["neighbour_factor"].min() > 50


def test_reserves_times_ten_on_three_weeks_stand_out_even_where_the_range_allows_them():
    weeks = [20_000.0 + 300 * (i % 4) for i in range(30)]
    for i in (10, 11, 12):
        weeks[i] *= 10  # 200,000 $mn: inside 1,000..10,000,000
    over = _over(slip_factors(_series("WRESBAL", D(2005, 1, 5), weeks, step_days=7)))
    assert over.height == 3 and over["neighbour_factor"].min() > UNIT_SLIP["WRESBAL"].two_sided


def test_a_division_by_a_thousand_is_caught_and_a_level_shift_is_not():
    total = [4_000_000.0 + 1000 * i for i in range(20)]
    total[9] /= 1000
    assert _over(slip_factors(_series("WALCL", D(2019, 1, 2), total, step_days=7)))["date"].to_list() == [
        D(2019, 1, 2) + dt.timedelta(weeks=9)
    ]
    # ON RRP rising from nothing to $400bn and staying there is a new regime, not a slip
    regime = [0.0] * 10 + [400.0 + i for i in range(10)]
    assert _over(slip_factors(_series("RRPONTSYD", D(2021, 3, 1), regime))).is_empty()


def test_the_newest_value_is_judged_against_the_values_before_it_with_the_one_sided_limit():
    values = [2_900_000.0] * 10 + [2_900.0]  # billions written in a millions column
    factors = slip_factors(_series("WRESBAL", D(2026, 6, 3), values, step_days=7))
    last = factors.row(-1, named=True)
    assert last["neighbour_factor_limit"] == UNIT_SLIP["WRESBAL"].one_sided
    assert last["neighbour_factor"] > last["neighbour_factor_limit"]


# --- rate spikes ----------------------------------------------------------------------------------------


AUGUST = D(2026, 8, 3)


def _rates(day_values: dict[str, list[float]], start: dt.date = AUGUST) -> pl.DataFrame:
    days = [start + dt.timedelta(days=i) for i in range(30) if (start + dt.timedelta(days=i)).weekday() < 5]
    frames = [
        pl.DataFrame({"series_id": [sid] * len(values), "date": days[: len(values)], "value": values})
        for sid, values in day_values.items()
    ]
    return pl.concat(frames).sort("series_id", "date")


def _spike_row(frame: pl.DataFrame, index: int) -> dict:
    table = uncorroborated_spikes(frame).sort("date")
    return table.row(index, named=True)


def test_a_sofr_spike_that_no_other_rate_of_the_day_shows_is_uncorroborated():
    flat = [3.65] * 15
    sofr = list(flat)
    sofr[7] = 3.95  # +30 bp over the top of a 3.50-3.75 range: the stress rule would fire
    frame = _rates(
        {"SOFR": sofr, "SOFR25": [3.62] * 15, "SOFR75": [3.70] * 15, "TGCRRATE": [3.63] * 15, "EFFR": [3.63] * 15}
    )
    row = _spike_row(frame, 7)
    assert row["spike_bp"] == 30.0 and row["uncorroborated_spike_bp"] == 30.0
    assert row["uncorroborated_spike_limit_bp"] == UNCORROBORATED_SPIKE_LIMIT_BP < 30


def test_a_spike_that_the_days_repo_rates_share_is_corroborated():
    def spiked(base: float, jump: float) -> list[float]:
        values = [base] * 15
        values[7] = base + jump
        return values

    frame = _rates(
        {
            "SOFR": spiked(2.20, 3.05),  # 2019-09-17: SOFR 5.25
            "SOFR1": spiked(2.15, 0.10),
            "SOFR25": spiked(2.17, 2.82),
            "SOFR75": spiked(2.25, 3.58),
            "SOFR99": spiked(2.35, 6.65),
            "TGCRRATE": spiked(2.18, 3.07),
            "EFFR": spiked(2.14, 0.16),
        }
    )
    row = _spike_row(frame, 7)
    assert row["spike_bp"] == 305.0 and row["uncorroborated_spike_bp"] == 0.0


def test_one_volatile_corroborator_cannot_vouch_alone():
    base = [3.65] * 15
    sofr, p99 = list(base), [3.80] * 15
    sofr[7], p99[7] = 4.05, 4.40  # the 99th percentile jumped that day; nothing else did
    frame = _rates({"SOFR": sofr, "SOFR1": [3.55] * 15, "SOFR25": [3.62] * 15, "SOFR75": [3.70] * 15, "SOFR99": p99})
    row = _spike_row(frame, 7)
    assert row["uncorroborated_spike_bp"] == 40.0  # the second largest corroborating move is 0


def test_with_only_effr_present_a_notable_effr_move_vouches_and_silence_allows_only_the_looser_limit():
    sofr = [2.20] * 15
    sofr[7] = 5.25
    effr_moved = [2.14] * 15
    effr_moved[7] = 2.30
    vouched = _spike_row(_rates({"SOFR": sofr, "EFFR": effr_moved}), 7)
    assert vouched["uncorroborated_spike_bp"] == 0.0
    silent = _spike_row(_rates({"SOFR": sofr, "EFFR": [2.14] * 15}), 7)
    assert silent["uncorroborated_spike_bp"] == 305.0
    assert silent["uncorroborated_spike_limit_bp"] == UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP < 305


def test_a_policy_move_is_a_level_shift_not_a_spike():
    sofr = [4.33] * 7 + [4.08] * 8
    assert rate_spikes(_rates({"SOFR": sofr}), ["SOFR"])["spike_bp"].abs().max() == 0.0


# --- identities -----------------------------------------------------------------------------------------


def test_sofr_outside_its_interquartile_range_and_on_rrp_above_the_h41_line_are_measured():
    day = D(2026, 8, 12)  # a Wednesday
    context = pl.DataFrame(
        {
            "series_id": ["SOFR", "SOFR25", "SOFR75", "WLRRAL", "RRPONTSYD"],
            "date": [day] * 5,
            "value": [3.95, 3.62, 3.70, 350_000.0, 725.0],
        }
    )
    found = identity_columns(context)
    assert _at(found, "SOFR", day)["sofr_outside_iqr_bp"] == 25.0
    gap = _at(found, "RRPONTSYD", day)["h41_reverse_repos_less_on_rrp_usd_mn"]
    assert gap == -375_000.0 < FOREIGN_REVERSE_REPO_RANGE_USD_MN[0]
    assert _at(found, "WLRRAL", day)["sofr_outside_iqr_bp"] is None


def test_the_context_lays_fresh_values_over_stored_ones():
    stored = _series("SOFR", D(2026, 8, 3), [3.6, 3.7])
    fresh = _series("SOFR", D(2026, 8, 4), [3.8, 3.9])
    assert context_frame(stored, fresh)["value"].to_list() == [3.6, 3.8, 3.9]


# --- the bounds sit above the history they were chosen from ----------------------------------------------


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    """The bundled snapshot and the percentile, TGCR and BGCR history (read with polars: fast)."""
    frames, seen = [], set()
    for folder in (SNAPSHOT, FIXTURES / "fred_history"):  # the snapshot's copy of a series wins
        for path in sorted(Path(folder).glob("*.csv")):
            sid = path.stem
            if sid in seen:
                continue
            seen.add(sid)
            frame = pl.read_csv(
                path, new_columns=["date", "value"], schema_overrides=[pl.Date, pl.Float64], null_values="."
            )
            frames.append(frame.drop_nulls().select(pl.lit(sid).alias("series_id"), "date", "value"))
    return pl.concat(frames).sort("series_id", "date")


def test_no_value_of_history_stands_out_from_its_neighbours(history: pl.DataFrame):
    assert _over(slip_factors(history)).is_empty()


def test_every_sofr_spike_of_history_is_corroborated_within_the_limits(history: pl.DataFrame):
    table = uncorroborated_spikes(history)
    assert table.height == history.filter(pl.col("series_id") == "SOFR").height > 2000
    assert table.filter(pl.col("uncorroborated_spike_bp") > pl.col("uncorroborated_spike_limit_bp")).is_empty()
    assert _at(table, "SOFR", D(2019, 9, 17))["spike_bp"] == 305.0
