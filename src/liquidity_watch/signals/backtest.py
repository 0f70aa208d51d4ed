"""The backtest: the same rules as a run, replayed for every business day of a range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import business_days, next_business_day, today_new_york
from liquidity_watch.signals.rules import SIGNALS_START, episodes, evaluate
from liquidity_watch.signals.thresholds import load_thresholds
from liquidity_watch.warehouse.core import read_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import require_published

#: Where the data cannot support a rule, the output says so (see transforms.signals).
COVERAGE = [
    (
        "easing",
        "target range",
        dt.date(2008, 12, 16),
        "no FOMC target range in the data before 2008-12-16; easing then rests on IOER (from 2008-10-09)",
    ),
    (
        "easing",
        "IOER",
        dt.date(2008, 10, 9),
        "no IOER/IORB before 2008-10-09: easing cannot be judged, so no episode can start",
    ),
    (
        "stress",
        "SOFR",
        dt.date(2018, 4, 2),
        "no SOFR before 2018-04-02: stress is no_data, so alerts before then rest on scarcity alone",
    ),
]


@dataclass(frozen=True)
class BacktestResult:
    start: dt.date
    end: dt.date
    evaluated: pl.DataFrame
    episodes: pl.DataFrame
    coverage: list[str]


def run_backtest(
    warehouse: Path, start: dt.date | None, end: dt.date | None, thresholds_file: Path | None = None
) -> BacktestResult:
    """Evaluate every Fed business day in ``[start, end]`` from the published core tables."""
    require_published(warehouse)
    start = max(start or SIGNALS_START, SIGNALS_START)
    with connection(warehouse, read_only=True) as con:
        weekly, daily, policy = (read_core(con, name) for name in ("weekly_liquidity", "daily_rates", "policy_changes"))
    if daily.is_empty():
        raise ValueError(f"the warehouse {warehouse} has no rates yet; run: liquidity-watch run")
    # by default, stop where the data stop: later days would only repeat the last values
    last: dt.date = daily["date"].max()  # type: ignore[assignment]  # a Date column's max is a date
    end = end or min(today_new_york(), next_business_day(last))
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    evaluated = evaluate(weekly, daily, policy, business_days(start, end), load_thresholds(thresholds_file))
    notes = [text for _, _, since, text in COVERAGE if start < since]
    return BacktestResult(start, end, evaluated, episodes(evaluated), notes)
