"""Derive the gate's neighbour and identity bounds from history, with the production functions.

Run ``.venv/bin/python -m benchmarks.calibrate_bounds [FOLDER ...]``: it prints, for each bound in
``expectations/bounds.py`` added for unit slips, rate spikes and cross-series identities,
the distribution it was chosen from and the value the rule gives. ``docs/quality.md`` shows
the output; ``tests/test_neighbour_checks.py`` checks that the constants in ``bounds.py``
still sit above the history they were chosen from.

History used (all in this repository):
* the bundled snapshot (``src/liquidity_watch/data/snapshot``: H.4.1 weekly series from
  2002-12-18, SOFR from 2018-04-03, EFFR from 2000, ON RRP, policy rates);
* ``tests/fixtures/fred_history``: SOFR 1st/25th/75th/99th percentiles, TGCR and BGCR,
  2018-04 to 2026-08 (where each file came from: tests/fixtures/PROVENANCE.md);
* ``tests/fixtures/h41_ddp``: two recorded H.4.1 downloads (100 weeks each, 2016-02..2017-12
  and 2021-04..2023-03) for the series the snapshot lacks (WSHOSHO, WRBWFRBL, WLRRAL).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import polars as pl

from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.expectations.bounds import Corroboration, UnitSlip
from liquidity_watch.expectations.neighbours import rate_spikes, slip_factors, uncorroborated_spikes
from liquidity_watch.resources import bundled_snapshot_dir
from liquidity_watch.sources.ddp import parse_h41_csv
from liquidity_watch.sources.fred import parse_fredgraph_csv

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SAME_MARKET = ("SOFR1", "SOFR25", "SOFR75", "SOFR99", "TGCRRATE", "BGCRRATE")
#: corroborator sets a run can have: everything; the percentiles a live or FRED run brings
#: (before TGCR and BGCR are catalogued); TGCR and BGCR without percentiles
CONFIGURATIONS = {
    "percentiles, TGCR, BGCR, EFFR": Corroboration(SAME_MARKET, ("EFFR",)),
    "percentiles, EFFR": Corroboration(("SOFR1", "SOFR25", "SOFR75", "SOFR99"), ("EFFR",)),
    "TGCR, BGCR, EFFR": Corroboration(("TGCRRATE", "BGCRRATE"), ("EFFR",)),
}
MARGIN = 1.5


def _fred_folder(folder: Path) -> pl.DataFrame:
    frames = []
    for path in sorted(folder.glob("*.csv")):
        frame = parse_fredgraph_csv(path.read_bytes(), url=path.as_uri(), expected=[path.stem])
        frames.append(frame)
    return pl.concat(frames)


def history(extra: list[Path] = []) -> tuple[pl.DataFrame, list[pl.DataFrame]]:  # noqa: B006 - never mutated
    """The FRED-format history (one frame) and the DDP windows (one frame each, never joined across the gap).

    ``extra``: more FRED-format folders, for series not (yet) in the repository; a series
    already read from the repository is not read again.
    """
    fred = _fred_folder(bundled_snapshot_dir())
    for folder in [FIXTURES / "fred_history", *extra]:  # a series already read is not read again
        more = _fred_folder(folder)
        fred = pl.concat([fred, more.filter(~pl.col("series_id").is_in(fred["series_id"].unique().implode()))])
    known = set(fred["series_id"].unique())
    windows = []
    for path in sorted((FIXTURES / "h41_ddp").glob("H41_*.csv")):
        frame = parse_h41_csv(path.read_bytes(), url=path.as_uri(), required=())
        windows.append(frame.filter(~pl.col("series_id").is_in(known)))
    return fred.sort("series_id", "date"), windows


def _floor(values: pl.Series) -> float:
    changes = values.diff().abs().drop_nulls()
    changes = changes.filter(changes > 0)
    return float(changes.median()) if changes.len() else 1.0


def _limit(largest: float) -> float:
    """1.5x the largest factor in log terms, never under 2."""
    return round(max(2.0, largest**MARGIN), 2)


def unit_slips(
    fred: pl.DataFrame, windows: list[pl.DataFrame], also: set[str] = frozenset()
) -> dict[str, tuple[UnitSlip, dict[str, object]]]:
    out = {}
    segments = [fred, *windows]
    found = set().union(*(set(s["series_id"].unique()) for s in segments))
    ids = sorted(found & (set(SERIES) | set(SAME_MARKET) | also))
    for sid in ids:
        parts = [s.filter(pl.col("series_id") == sid).sort("date") for s in segments]
        parts = [p for p in parts if p.height]
        floor = _floor(pl.concat([p["value"] for p in parts]))
        probe = {sid: UnitSlip(floor, math.inf, -math.inf)}  # the limit column tells the two kinds of row apart
        factors = pl.concat([slip_factors(p, probe) for p in parts])
        two = factors.filter(pl.col("neighbour_factor_limit") == math.inf)
        ends = factors.filter(pl.col("neighbour_factor_limit") == -math.inf)
        one_sided = _one_sided_factors(parts, floor)
        largest_two = float(two["neighbour_factor"].max())
        largest_one = max(float(one_sided.max()), float(ends["neighbour_factor"].max()))
        slip = UnitSlip(round(floor, 4), _limit(largest_two), _limit(max(largest_one, largest_two)))
        rows = sum(p.height for p in parts)
        worst = two.sort("neighbour_factor", descending=True).row(0, named=True)
        out[sid] = (slip, {"rows": rows, "max_two": largest_two, "max_one": largest_one, "worst": worst["date"]})
    return out


def _one_sided_factors(parts: list[pl.DataFrame], floor: float) -> pl.Series:
    """Each value against only the values before it: what a newest observation faces in a live run."""
    found = []
    for part in parts:
        level = part["value"].abs() + floor
        before = part["value"].abs().shift(1).rolling_median(window_size=5, min_samples=1) + floor
        ratio = (level / before).drop_nulls()
        found.append(pl.Series(np.maximum(ratio.to_numpy(), 1 / ratio.to_numpy())))
    return pl.concat(found)


def spikes(fred: pl.DataFrame) -> dict[str, object]:
    effr = rate_spikes(fred.filter(pl.col("date") >= pl.date(2018, 4, 2)), ["EFFR"])["spike_bp"].abs()
    notable_effr = float(np.percentile(effr.to_numpy(), 99.5))
    sofr = rate_spikes(fred, ["SOFR"])["spike_bp"].abs()
    found: dict[str, object] = {
        "sofr_spike_percentiles": {p: float(np.percentile(sofr.to_numpy(), p)) for p in (50, 99, 99.9, 100)},
        "effr_notable_bp": notable_effr,
    }
    largest_same = 0.0
    for name, corroboration in CONFIGURATIONS.items():
        table = uncorroborated_spikes(fred, {"SOFR": corroboration}, {"EFFR": notable_effr})
        with_same = table.filter(pl.col("uncorroborated_spike_limit_bp").is_not_null())
        spiked = _with_same_market(fred, corroboration, with_same)
        worst = spiked.sort("uncorroborated_spike_bp", descending=True).row(0, named=True)
        found[name] = (float(worst["uncorroborated_spike_bp"]), worst["date"], spiked.height)
        largest_same = max(largest_same, float(worst["uncorroborated_spike_bp"]))
    effr_only = uncorroborated_spikes(fred, {"SOFR": Corroboration((), ("EFFR",))}, {"EFFR": notable_effr})
    worst = effr_only.sort("uncorroborated_spike_bp", descending=True).row(0, named=True)
    found["EFFR only"] = (float(worst["uncorroborated_spike_bp"]), worst["date"], effr_only.height)
    found["limit_same_market_bp"] = round(largest_same * MARGIN, 1)
    found["limit_without_same_market_bp"] = round(float(worst["uncorroborated_spike_bp"]) * MARGIN, 1)
    return found


def _with_same_market(fred: pl.DataFrame, corroboration: Corroboration, table: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``table`` on days with at least one same-market corroborator."""
    days = fred.filter(pl.col("series_id").is_in(list(corroboration.same_market))).select("date").unique()
    return table.join(days, on="date", how="semi")


def foreign_pool(fred: pl.DataFrame, windows: list[pl.DataFrame]) -> dict[str, object]:
    rrp = fred.filter(pl.col("series_id") == "RRPONTSYD").select("date", rrp=pl.col("value") * 1000)
    gaps = []
    for window in windows:
        line = window.filter(pl.col("series_id") == "WLRRAL").select("date", wl=pl.col("value"))
        gaps.append(line.join(rrp, on="date").select("date", gap=pl.col("wl") - pl.col("rrp")))
    gap = pl.concat(gaps)
    return {
        "weeks": gap.height,
        "min": float(gap["gap"].min()),
        "max": float(gap["gap"].max()),
        "upper": round(float(gap["gap"].max()) * MARGIN, -3),
    }


def sofr_iqr(fred: pl.DataFrame) -> dict[str, object]:
    wide = fred.filter(pl.col("series_id").is_in(["SOFR", "SOFR25", "SOFR75"])).pivot(
        on="series_id", index="date", values="value"
    )
    wide = wide.drop_nulls()
    outside = pl.max_horizontal(wide["SOFR25"] - wide["SOFR"], wide["SOFR"] - wide["SOFR75"], pl.lit(0.0))
    return {"days": wide.height, "max_outside_bp": float(wide.select(outside * 100).to_series().max())}


def core_shares(fred: pl.DataFrame) -> dict[str, float]:
    from liquidity_watch.transforms.core_tables import build_core_tables

    weekly = build_core_tables(fred)["weekly_liquidity"]
    return {
        column: float((weekly[column] / weekly["total_assets_usd_mn"]).max())
        for column in ("securities_usd_mn", "reserves_usd_mn", "tga_usd_mn", "rrp_usd_mn")
    }


def main() -> None:
    extra = [Path(arg) for arg in sys.argv[1:]]
    fred, windows = history(extra)
    also = {path.stem for folder in extra for path in folder.glob("*.csv")}
    print("## Unit slips (expectations.bounds.UNIT_SLIP)\n")
    print("| series | rows | floor | largest factor, both sides (date) | largest, one side | two_sided | one_sided |")
    print("|---|---|---|---|---|---|---|")
    for sid, (slip, info) in unit_slips(fred, windows, also).items():
        worst = f" ({info['worst']})" if info["max_two"] > 1 else ""
        print(
            f"| {sid} | {info['rows']:,} | {slip.floor:g} | {info['max_two']:.3f}{worst} |"
            f" {info['max_one']:.3f} | {slip.two_sided} | {slip.one_sided} |"
        )
    print("\n## Rate spikes (expectations.bounds, CORROBORATING_RATES)\n")
    found = spikes(fred)
    sofr = found.pop("sofr_spike_percentiles")
    print("SOFR |spike| percentiles (bp): " + ", ".join(f"P{p:g} {v:.1f}" for p, v in sofr.items()))
    print(f"EFFR notable move (P99.5 of |spike| on SOFR's days): {found.pop('effr_notable_bp'):g} bp\n")
    limits = (found.pop("limit_same_market_bp"), found.pop("limit_without_same_market_bp"))
    print("| corroborators present | largest uncorroborated part (bp) | on | days |")
    print("|---|---|---|---|")
    for name, (largest, day, days) in found.items():
        print(f"| {name} | {largest:g} | {day} | {days:,} |")
    print(f"\nlimits (1.5x the largest): with a same-market rate {limits[0]:g} bp; EFFR only {limits[1]:g} bp")
    print("\n## Identities\n")
    print(f"- SOFR against its 25th..75th percentiles: {sofr_iqr(fred)}")
    print(f"- H.4.1 reverse repos less ON RRP on Wednesdays: {foreign_pool(fred, windows)}")
    print(f"- largest share of total assets in core.weekly_liquidity: {core_shares(fred)}")


if __name__ == "__main__":
    main()
