"""The core tables computed the way peer projects do it in pandas.

Pivot the long observations once, shift for changes, then derive net liquidity, runoff,
spreads and the policy changes. Used only to measure the polars transforms against
(benchmarks/run.py); the results are checked equal to ours before timing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def core_pandas(obs: pd.DataFrame, fed_holidays: set) -> dict[str, pd.DataFrame]:
    wide = obs.pivot_table(index="date", columns="series_id", values="value", aggfunc="last")
    return {
        "weekly_liquidity": weekly_pandas(wide, fed_holidays),
        "daily_rates": daily_pandas(wide),
        "policy_changes": policy_pandas(wide),
    }


def weekly_pandas(wide: pd.DataFrame, fed_holidays: set) -> pd.DataFrame:
    weekly = wide[wide["WALCL"].notna()].copy()
    weekly.index = pd.to_datetime(weekly.index)
    rrp = wide["RRPONTSYD"].dropna()
    rrp.index = pd.to_datetime(rrp.index)
    first, last = rrp.index.min(), rrp.index.max()

    def reference(day: pd.Timestamp) -> pd.Timestamp:
        while day.date() in fed_holidays or day.weekday() >= 5:
            day -= pd.Timedelta(days=1)
        return day

    refs = pd.Series([reference(d) for d in weekly.index], index=weekly.index)
    weekly["rrp_usd_mn"] = np.where(
        (refs >= first) & (refs <= last), refs.map(rrp).fillna(0.0).to_numpy() * 1000.0, np.nan
    ).round(3)
    held = weekly.get("WSHOSHO", pd.Series(np.nan, index=weekly.index))
    weekly["securities_usd_mn"] = held.fillna(weekly["TREAST"] + weekly["WSHOMCB"])
    weekly["net_liquidity_usd_mn"] = weekly["WALCL"] - weekly["WDTGAL"] - weekly["rrp_usd_mn"]
    for n in (1, 4, 13):
        past = weekly["securities_usd_mn"].copy()
        past.index = past.index + pd.Timedelta(weeks=n)
        weekly[f"qt_runoff_{n}w_usd_mn"] = past.reindex(weekly.index) - weekly["securities_usd_mn"]
    for n in (4, 13):
        past = weekly["WRESBAL"].copy()
        past.index = past.index + pd.Timedelta(weeks=n)
        weekly[f"reserves_change_{n}w_usd_mn"] = weekly["WRESBAL"] - past.reindex(weekly.index)
    past = weekly["WALCL"].copy()
    past.index = past.index + pd.Timedelta(weeks=4)
    weekly["total_assets_change_4w_usd_mn"] = weekly["WALCL"] - past.reindex(weekly.index)
    return weekly.reset_index()


def daily_pandas(wide: pd.DataFrame) -> pd.DataFrame:
    daily = wide[wide["EFFR"].notna() | wide["SOFR"].notna()].copy()
    daily["iorb_pct"] = daily["IORB"].combine_first(daily["IOER"])
    daily["iorb_series"] = np.where(daily["IORB"].notna(), "IORB", np.where(daily["IOER"].notna(), "IOER", None))
    daily["sofr_minus_iorb_bp"] = ((daily["SOFR"] - daily["iorb_pct"]) * 100).round(2)
    daily["sofr_minus_target_upper_bp"] = ((daily["SOFR"] - daily["DFEDTARU"]) * 100).round(2)
    daily["effr_minus_iorb_bp"] = ((daily["EFFR"] - daily["iorb_pct"]) * 100).round(2)
    return daily.reset_index()


def policy_pandas(wide: pd.DataFrame) -> pd.DataFrame:
    ranges = wide[["DFEDTARL", "DFEDTARU"]].dropna()
    old = ranges.shift(1)
    changes = ranges[(ranges != old).any(axis=1) & old.notna().all(axis=1)].copy()
    changes["change_bp"] = ((changes["DFEDTARU"] - old.loc[changes.index, "DFEDTARU"]) * 100).round(2)
    return changes.reset_index()
