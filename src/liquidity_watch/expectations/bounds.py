"""Every quality bound of the gate, in one place, each with the data it was chosen from.

The bounds are set at roughly 1.5-2x the most extreme value seen in the bundled history
(2002-2026), so that real history passes with room to spare, while a unit slip (x1000), a
rate in basis points, a sign error or a shifted file fails. ``docs/quality.md`` lists
them; the suites read them from here and echo them in every result.
"""

from __future__ import annotations

import datetime as dt

#: Plausible range per series in its declared unit (``liquidity_watch.catalog``).
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
