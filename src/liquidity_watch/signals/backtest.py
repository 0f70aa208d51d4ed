"""The backtest: the same rules as a run, replayed for every business day of a range."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import business_days, next_business_day, today_new_york
from liquidity_watch.domain.catalog import SIGNALS_START, SOFR_START
from liquidity_watch.locations import run_command
from liquidity_watch.signals.calibration import calibrate, calibration_frame, pressure_day_profile
from liquidity_watch.signals.episodes import episodes, unknown_since
from liquidity_watch.signals.evaluation import EVALUATION_START, Evaluation, evaluate_rules
from liquidity_watch.signals.rules import evaluate
from liquidity_watch.signals.thresholds import Thresholds, load_thresholds
from liquidity_watch.warehouse.core import read_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import require_published

#: Where the data cannot support a rule, the output says so (see signals.rules).
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
        "repo_rates",
        "SOFR",
        SOFR_START,
        "no SOFR or TGCR before 2018-04-02: repo_rates and stress are no_data, so alerts before then rest on "
        "effr_rising and scarcity",
    ),
    (
        "facility_use",
        "repo operations",
        dt.date(2019, 9, 17),
        "no repo operations from 2009 to 2019-09-16 apart from a few test trades: facility_use is no_data "
        "whenever none was held in its window",
    ),
]


def cannot_judge_notes(evaluated: pl.DataFrame) -> list[str]:
    """``cannot judge since D: why`` when the last evaluated day has no grade (its inputs stopped)."""
    found = unknown_since(evaluated)
    return [f"cannot judge since {found[0]}: {found[1]}"] if found else []


def coverage_notes(start: dt.date) -> list[str]:
    """What the data cannot support for days from ``start`` on."""
    return [text for _, _, since, text in COVERAGE if start < since]


@dataclass(frozen=True)
class BacktestResult:
    start: dt.date
    end: dt.date
    evaluated: pl.DataFrame
    episodes: pl.DataFrame
    coverage: list[str]
    thresholds: Thresholds
    weekly: pl.DataFrame
    daily: pl.DataFrame

    @property
    def notes(self) -> list[str]:
        """What the output must say: data the rules lack, thresholds that took their default, and
        whether the last days cannot be judged (since when, and why)."""
        return [*self.coverage, *self.thresholds.notes, *cannot_judge_notes(self.evaluated)]


def run_backtest(
    warehouse: Path, start: dt.date | None, end: dt.date | None, thresholds_file: Path | None = None
) -> BacktestResult:
    """Evaluate every Fed business day in ``[start, end]`` from the published core tables."""
    require_published(warehouse)
    thresholds = load_thresholds(thresholds_file)
    start = max(start or SIGNALS_START, SIGNALS_START)
    with connection(warehouse, read_only=True) as con:
        weekly, daily, policy = (read_core(con, name) for name in ("weekly_liquidity", "daily_rates", "policy_changes"))
    if daily.is_empty():
        raise ValueError(f"the warehouse {warehouse} has no rates yet; run: {run_command(warehouse)}")
    # by default, stop where the data stop: later days would only repeat the last values
    last: dt.date = daily["date"].max()  # type: ignore[assignment]  # a Date column's max is a date
    end = end or min(today_new_york(), next_business_day(last))
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    evaluated = evaluate(weekly, daily, policy, business_days(start, end), thresholds)
    notes = coverage_notes(start)
    return BacktestResult(start, end, evaluated, episodes(evaluated), notes, thresholds, weekly, daily)


@dataclass(frozen=True)
class EvaluationReport:
    """``backtest --evaluate``: the evaluation, the calibration of every threshold, the pressure days."""

    backtest: BacktestResult
    evaluation: Evaluation
    calibration: pl.DataFrame
    pressure_days: pl.DataFrame

    @property
    def notes(self) -> list[str]:
        """Coverage notes for the evaluated window, thresholds that took their default, and the unknown stretch."""
        return [
            *coverage_notes(self.evaluation.start),
            *self.backtest.thresholds.notes,
            *cannot_judge_notes(self.backtest.evaluated),
        ]


def run_evaluation(
    warehouse: Path, start: dt.date | None, end: dt.date | None, thresholds_file: Path | None = None
) -> EvaluationReport:
    """Replay the rules from 2003 and evaluate them (and v1) from ``start`` (default 2018-04-02) to ``end``."""
    result = run_backtest(warehouse, None, end, thresholds_file)
    since = max(start or EVALUATION_START, SIGNALS_START)
    if result.end < since:
        raise ValueError(f"--to {result.end} is before --from {since}")
    evaluation = evaluate_rules(result.evaluated, since, result.end, result.thresholds)
    rows = calibrate(result.weekly, result.daily, result.thresholds)
    return EvaluationReport(
        result, evaluation, calibration_frame(rows, result.thresholds), pressure_day_profile(result.daily)
    )
