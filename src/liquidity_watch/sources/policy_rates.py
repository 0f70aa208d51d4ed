"""IORB against the target range: the cross-check on every run, and what a run does when no source serves IORB.

* **Cross-check.** From 2008-12-16, when the FOMC began to set a range, IORB (IOER before
  2021-07-29) has lain inside the target range (at its top until 2018-06, below it since;
  docs/sources.md). On every day of a run's window where an EFFR record carries
  both bounds, a rate outside the range refuses the rate's payload, naming both values.
* **Carried forward.** When every IORB source fails, the last IORB a source served carries
  forward to the run's end as provenance ``carried``, but only while the target range is the
  one it was on that day: the FOMC has moved IORB only with the range or by a technical
  adjustment, and a carried value is replaced, as a revision, as soon as a source answers. When
  the range has moved, IORB stays missing and the rules that read it say ``no_data``.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc, sha256
from liquidity_watch.domain.sources import IorbBasis, Provider, RangeAt

#: the first day of a target range (before it, a single target rate)
RANGE_START = dt.date(2008, 12, 16)
RATES = ("IORB", "IOER")
BOUNDS = ("DFEDTARL", "DFEDTARU")


def ranges(observations: pl.DataFrame) -> pl.DataFrame:
    """``date, lower, upper`` on the days that carry both bounds."""
    wide = observations.filter(pl.col("series_id").is_in(BOUNDS)).pivot(
        on="series_id", index="date", values="value", aggregate_function="last"
    )
    if not all(b in wide.columns for b in BOUNDS):
        return pl.DataFrame(schema={"date": pl.Date, "lower": pl.Float64, "upper": pl.Float64})
    return (
        wide.select("date", lower=pl.col("DFEDTARL"), upper=pl.col("DFEDTARU"))
        .drop_nulls()
        .filter(pl.col("date") >= RANGE_START)
        .sort("date")
    )


def outside_range(rates: pl.DataFrame, bounds: pl.DataFrame) -> str | None:
    """Why ``rates`` (IORB or IOER observations) disagree with ``bounds`` (``ranges``), or ``None``.

    >>> rates = pl.DataFrame({"series_id": ["IORB"], "date": [dt.date(2026, 9, 8)], "value": [3.9]})
    >>> bounds = pl.DataFrame({"date": [dt.date(2026, 9, 8)], "lower": [3.5], "upper": [3.75]})
    >>> outside_range(rates, bounds)
    "IORB 3.90% on 2026-09-08 lies outside the target range 3.50-3.75% of that day's EFFR record"
    """
    wrong = (
        rates.filter(pl.col("series_id").is_in(RATES))
        .join(bounds, on="date")
        .filter((pl.col("value") < pl.col("lower")) | (pl.col("value") > pl.col("upper")))
        .sort("date")
    )
    if wrong.is_empty():
        return None
    sid, day, value, lower, upper = wrong.row(0)
    more = f" (and {wrong.height - 1} more days)" if wrong.height > 1 else ""
    return (
        f"{sid} {value:.2f}% on {day} lies outside the target range {lower:.2f}-{upper:.2f}%"
        f" of that day's EFFR record{more}"
    )


def latest_range(observations: pl.DataFrame, stored: RangeAt | None) -> RangeAt | None:
    """The newest range: this run's (days with both bounds) or the stored one, whichever is later."""
    fetched = ranges(observations)
    if fetched.is_empty():
        return stored
    day, lower, upper = fetched.row(-1)
    found = RangeAt(day, lower, upper)
    return found if stored is None or found.date >= stored.date else stored


def carry_decision(basis: IorbBasis | None, now: RangeAt | None) -> tuple[bool, str]:
    """Whether IORB carries forward, and why (or why not), in words."""
    if basis is None:
        return False, "no IORB stored to carry forward"
    if basis.range_then is None or now is None:
        return False, f"not carried forward from {basis.date}: no target range to compare"
    if not basis.range_then.same_range(now):
        return False, (
            f"not carried forward: the target range moved from {basis.range_then} to {now};"
            " the rules that read IORB say no_data"
        )
    return True, f"{basis.value:.2f}% from {basis.date}, the target range standing at {now}"


def carried_payload(basis: IorbBasis, end: dt.date) -> Payload:
    """IORB at its last value on every day after ``basis.date`` to ``end`` (IORB is a 7-day series)."""
    days = [basis.date + dt.timedelta(days=n) for n in range(1, (end - basis.date).days + 1)]
    frame = pl.DataFrame(
        {"series_id": ["IORB"] * len(days), "date": days, "value": [basis.value] * len(days)}, schema=OBSERVATION_SCHEMA
    )
    url = f"carried:IORB?from={basis.date.isoformat()}&to={end.isoformat()}&value={basis.value}"
    return Payload(Provider.CARRIED, url, now_utc(), sha256(url.encode()), frame, 0, note=f"carried from {basis.date}")
