"""Every quality bound of the gate, in one place, each with the data it was chosen from.

The bounds are set at roughly 1.5-2x the most extreme value seen in the bundled history
(2002-2026), so that real history passes with room to spare, while a unit slip (x1000), a
rate in basis points, a sign error or a shifted file fails. ``docs/quality.md`` lists
them; the suites read them from here and echo them in every result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: Plausible range per series in its declared unit (``domain.catalog``).
#: History: WALCL 712,809..8,965,487; WRESBAL 2,795..4,275,806; WDTGAL 1,592..1,792,434;
#: TREAST 0.47..5.8 tn; WSHOMCB 0..2,740,185; RRPONTSYD 0..2,554 ($bn); rates -0.0..7.03 %;
#: RPONTSYD 0..100.8 ($bn, 2020-03-16); TLAACBW027SBOG 699.6..25,253 ($bn, 1973-2026);
#: SOFRVOL 702..3,508 ($bn); SOFR99 up to 9.00 % (2019-09-17).
#: Lower bounds above zero catch a millions-to-billions slip on any file whose history
#: starts in 2002 (its first values fall below them).
PLAUSIBLE_RANGE: dict[str, tuple[float, float]] = {
    "WALCL": (500_000, 20_000_000),
    "WSHOSHO": (300_000, 20_000_000),
    "TREAST": (100_000, 15_000_000),
    "WSHOMCB": (0, 10_000_000),
    "WRESBAL": (1_000, 10_000_000),
    "WRBWFRBL": (0, 10_000_000),
    "WDTGAL": (500, 5_000_000),
    "WTREGEN": (500, 5_000_000),
    "WLRRAL": (0, 5_000_000),
    "RRPONTSYD": (0, 5_000),
    "RPONTSYD": (0, 2_000),
    "TLAACBW027SBOG": (300, 100_000),
    "SOFRVOL": (0, 10_000),
    "SOFR": (-1, 25),
    "SOFR1": (-1, 25),
    "SOFR25": (-1, 25),
    "SOFR75": (-1, 25),
    "SOFR99": (-1, 25),
    "TGCRRATE": (-1, 25),
    "BGCRRATE": (-1, 25),
    "RRPONTSYAWARD": (-1, 25),
    "EFFR": (-1, 25),
    "DFEDTARU": (-1, 25),
    "DFEDTARL": (-1, 25),
    "IORB": (-1, 25),
    "IOER": (-1, 25),
}

#: Days a business-day series published although its calendar says holiday (seen in FRED).
CALENDAR_EXCEPTIONS: dict[str, frozenset[dt.date]] = {
    "EFFR": frozenset({dt.date(2002, 2, 18)}),  # Presidents' Day 2002: FRED has a fixing
}

#: Largest week-on-week move allowed in core.weekly_liquidity ($mn, either direction).
#: History: total assets +586,066 (2020-03-25); reserves 353,769; TGA 363,990;
#: securities 540,000 (2020-03-25, Treasuries + MBS); ON RRP 400,000 (quarter ends).
WEEKLY_JUMP_LIMIT_USD_MN: dict[str, float] = {
    "total_assets_usd_mn": 1_000_000,
    "securities_usd_mn": 1_000_000,
    "reserves_usd_mn": 700_000,
    "tga_usd_mn": 700_000,
    "rrp_usd_mn": 1_000_000,
}

#: Largest day-on-day move of SOFR and EFFR in core.daily_rates (bp). History: SOFR +282 bp
#: on 2019-09-17, then -270 bp; EFFR -100 bp on 2020-03-16.
DAILY_JUMP_LIMIT_BP = 500.0

#: Largest single change of the target range (bp). History: -100 bp (2020-03-16), +75 bp (2022).
POLICY_CHANGE_LIMIT_BP = 150.0

#: net_liquidity_usd_mn must equal total assets - TGA - RRP to within this ($mn).
NET_LIQUIDITY_TOLERANCE_USD_MN = 0.5

#: A run may rewrite at most this share of the observations it brings for dates older than
#: REVISION_AGE_DAYS (H.4.1 revisions are rare; rates are revised only on the day of
#: publication). A whole file shifted by a week, or re-scaled, rewrites all of them.
MAX_HISTORY_REVISION_SHARE = 0.01
REVISION_AGE_DAYS = 35


# --- Revisions ---------------------------------------------------------------------------
# The revision guard above (MAX_HISTORY_REVISION_SHARE, REVISION_AGE_DAYS) is judged per
# series, on that series' own rows in this run, so harmless changes to other files cannot
# dilute it; an operator accepts a named range above it (``--accept-revisions``).


# --- Neighbours: unit slips and rate spikes (expectations/neighbours.py) ------------------
# Every number below comes from ``python -m benchmarks.calibrate_bounds``, which runs the
# production functions over the history in this repository: the bundled snapshot, the SOFR
# percentiles, TGCR and BGCR of tests/fixtures/fred_history (2018-04..2026-08), and for the
# series the snapshot lacks the two recorded H.4.1 downloads in tests/fixtures/h41_ddp
# (2016-02..2017-12, 2021-04..2023-03). docs/quality.md shows its output.

#: How many observations on each side a value is compared with (a week of business days,
#: five weeks of H.4.1). A run of up to three slipped values still leaves each side's median
#: on true values.
NEIGHBOURS = 5


@dataclass(frozen=True)
class UnitSlip:
    """How far a series' value may stand from its neighbours' median (``expectations.neighbours``).

    Attributes
    ----------
    floor : added to the value and to the median before they are compared, in the series'
        unit: the median (50th percentile) absolute nonzero change between consecutive
        observations in history, so that immaterial moves near zero are not large factors.
    two_sided : largest factor allowed when both sides exist: the largest factor in history
        (100th percentile) raised to the power 1.5, i.e. 1.5x in log terms, never under 2.
    one_sided : the same at a series' first or last observation, from the largest factor of
        any value against the values before it only (level shifts count there).
    """

    floor: float
    two_sided: float
    one_sided: float


#: Per series. A slip by a factor F is caught where F (with the floor) exceeds the limit: x10
#: on every H.4.1 level series and on rates, x1000 or /1000 on all (ON RRP: at levels above
#: about $1bn, the floor being $8.5bn; below that a x1000 slip is immaterial). Largest factor
#: in history with both sides, and its date: WALCL 1.056 (2009-04-22), TREAST 1.010, WSHOMCB
#: 1.026, WRESBAL 1.553 (2007-08-15), WDTGAL 3.443 (2013-05-29), WTREGEN 3.633 (2013-05-29),
#: RRPONTSYD 6.016 (2025-12-31), SOFR 2.500, EFFR 2.587 (2001-09-19), SOFR99 3.806 (2019-09-17).
UNIT_SLIP: dict[str, UnitSlip] = {
    "WALCL": UnitSlip(floor=9267.5, two_sided=2.0, one_sided=2.06),
    "WSHOSHO": UnitSlip(floor=9807.0, two_sided=2.0, one_sided=2.0),  # 200 weeks of the DDP recordings
    "TREAST": UnitSlip(floor=1388.0, two_sided=2.0, one_sided=2.0),
    "WSHOMCB": UnitSlip(floor=5705.0, two_sided=2.0, one_sided=13.62),
    "WRESBAL": UnitSlip(floor=21023.0, two_sided=2.0, one_sided=13.65),
    "WRBWFRBL": UnitSlip(floor=56555.0, two_sided=2.0, one_sided=2.0),  # 100 weeks of the DDP recordings
    "WDTGAL": UnitSlip(floor=18441.5, two_sided=6.39, one_sided=14.3),
    "WTREGEN": UnitSlip(floor=11423.5, two_sided=6.92, one_sided=13.97),
    "WLRRAL": UnitSlip(floor=36989.0, two_sided=2.0, one_sided=2.24),  # 200 weeks of the DDP recordings
    "RRPONTSYD": UnitSlip(floor=8.4775, two_sided=14.76, one_sided=36.04),
    "SOFR": UnitSlip(floor=0.01, two_sided=3.95, one_sided=32.05),
    "SOFR1": UnitSlip(floor=0.01, two_sided=8.0, one_sided=117.58),
    "SOFR25": UnitSlip(floor=0.01, two_sided=5.2, one_sided=42.15),
    "SOFR75": UnitSlip(floor=0.02, two_sided=4.1, one_sided=16.57),
    "SOFR99": UnitSlip(floor=0.02, two_sided=7.43, one_sided=11.52),
    "TGCRRATE": UnitSlip(floor=0.02, two_sided=3.71, one_sided=27.75),
    "BGCRRATE": UnitSlip(floor=0.02, two_sided=3.71, one_sided=27.75),
    "EFFR": UnitSlip(floor=0.02, two_sided=4.16, one_sided=8.34),
    "DFEDTARU": UnitSlip(floor=0.25, two_sided=2.0, one_sided=5.2),
    "DFEDTARL": UnitSlip(floor=0.25, two_sided=2.0, one_sided=11.18),
    "IORB": UnitSlip(floor=0.25, two_sided=2.0, one_sided=2.35),
    "IOER": UnitSlip(floor=0.25, two_sided=2.0, one_sided=7.58),
    # calibrated on the bundled snapshot's history like the rows above (python -m benchmarks.calibrate_bounds)
    "SOFRVOL": UnitSlip(floor=27.0, two_sided=2.0, one_sided=2.0),
    "RPONTSYD": UnitSlip(floor=1.716, two_sided=26.73, one_sided=190.42),
    "RRPONTSYAWARD": UnitSlip(floor=0.25, two_sided=2.0, one_sided=11.18),
    "TLAACBW027SBOG": UnitSlip(floor=15.1795, two_sided=2.0, one_sided=2.0),
}


@dataclass(frozen=True)
class Corroboration:
    """Which rates of the same day can vouch for a spike of one rate.

    ``same_market``: rates of the same trades or market (SOFR's percentiles, the tri-party
    and broad general collateral rates), which move with every genuine repo spike.
    ``other_markets``: rates of another market (EFFR, unsecured), which move only in a broad
    squeeze; each vouches when it moves notably (``NOTABLE_MOVE_BP``). To add a corroborator,
    add its canonical series id here; one absent from a run is simply not present.
    """

    same_market: tuple[str, ...]
    other_markets: tuple[str, ...]


#: rate -> the rates that corroborate its spikes: the single definition (extend it here).
CORROBORATING_RATES: dict[str, Corroboration] = {
    "SOFR": Corroboration(
        same_market=("SOFR1", "SOFR25", "SOFR75", "SOFR99", "TGCRRATE", "BGCRRATE"),
        other_markets=("EFFR",),
    ),
}

#: An other-market rate vouches for a spike when it moves at least this much the same way
#: (bp): its 99.5th percentile of |spike| on SOFR's days, 2018-04..2026-08 (EFFR: 2 bp; its
#: 99th is 1 bp; on 2019-09-17 it moved 17 bp).
NOTABLE_MOVE_BP: dict[str, float] = {"EFFR": 2.0}

#: With a same-market corroborator present: the part of a spike its corroborators did not
#: show may be at most this (bp). 1.5x the largest in history (100th percentile) over the
#: corroborator sets a run can have: 3 bp with the percentiles (2019-01-15), 12 bp with TGCR
#: and BGCR alone (2024-10-01: SOFR +21 bp, TGCR and BGCR +9 bp). SOFR's own spikes: 99th
#: percentile 11 bp, largest 305 bp (2019-09-17, corroborated: TGCR +307, SOFR75 +358).
UNCORROBORATED_SPIKE_LIMIT_BP = 18.0

#: With only other-market rates (EFFR) present, a repo-only calendar pop cannot be told from
#: a slip, so a spike they do not vouch for may be at most this (bp): 1.5x the largest SOFR
#: spike in history that EFFR did not vouch for (70 bp, 2019-01-02).
UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP = 105.0

# --- Cross-series identities (expectations/identities.py; core identities in suites.py) ---

#: SOFR lies between its own 25th and 75th percentiles (a median of the same trades): on all
#: 2,092 days with the three, it never left them; half a basis point allows for rounding.
SOFR_OUTSIDE_IQR_LIMIT_BP = 0.5

#: WLRRAL (H.4.1 reverse repos, $mn) less ON RRP x 1000 on a Wednesday is the foreign official
#: pool: 216,159..383,643 $mn over the 200 recorded weeks (it equalled the H.4.1 "Others" line
#: to the dollar on all 100 weeks that have it). Lower bound: the identity (0, less half a
#: $mn of rounding); upper: 1.5x the largest.
FOREIGN_REVERSE_REPO_RANGE_USD_MN: tuple[float, float] = (-0.5, 575_000.0)
