"""One scaling measurement, run in its own process: the pipeline's steps on history N times longer.

The last 19 years of the bundled history (991 weeks to 2026-08-26, every series trimmed to
that span) are repeated N times back in time, each copy shifted by exactly 991 weeks so
weekdays stay weekdays and copies do not overlap. The steps are those of a run, without Prefect: land
into a new DuckDB file, transform, validate (timed; the seams between copies are real
jumps and the gate reports them, as it should), publish, and evaluate the signals for
every business day. Prints one JSON line: seconds per step, rows, peak RSS.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks.memory import peak_rss_mb
from liquidity_watch.bootstrap import start_background_imports
from liquidity_watch.domain.calendars import business_days
from liquidity_watch.domain.payload import Payload, sha256
from liquidity_watch.expectations import gate as quality
from liquidity_watch.expectations.staging import stage_daily, stage_policy, stage_raw, stage_weekly
from liquidity_watch.expectations.suites import (
    daily_rates_suite,
    policy_changes_suite,
    raw_observations_suite,
    weekly_liquidity_suite,
)
from liquidity_watch.resources import bundled_snapshot_dir
from liquidity_watch.signals.rules import evaluate
from liquidity_watch.signals.thresholds import load_thresholds
from liquidity_watch.sources.snapshot import read_snapshot
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.core import replace_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import incoming_values, land, observations_as_of

# 19 years (991 weeks) per copy: 100 copies reach back to the year 126 (Python dates start at year 1)
END = dt.date(2026, 8, 26)
WEEKS = 991
START = END - dt.timedelta(weeks=WEEKS)


def synthetic(factor: int) -> list[Payload]:
    base = pl.concat([p.observations for p in read_snapshot(bundled_snapshot_dir())])
    base = base.filter((pl.col("date") > START) & (pl.col("date") <= END))  # half-open: copies meet without overlapping
    copies = [base.with_columns(pl.col("date") - pl.duration(weeks=WEEKS * k)) for k in range(factor)]
    history = pl.concat(copies).sort("series_id", "date")
    now = dt.datetime.now(dt.UTC)
    return [
        Payload("snapshot", f"synthetic://{sid}", now, sha256(f"{factor}{sid}".encode()), group, group.height)
        for (sid,), group in history.group_by("series_id", maintain_order=True)
    ]


def main(factor: int) -> dict:
    start_background_imports()
    quality._gx()  # finish importing Great Expectations before timing anything (it competes for the GIL)
    seconds: dict[str, float] = {}

    def step(name: str, started: float) -> None:
        seconds[name] = round(time.perf_counter() - started, 3)

    t = time.perf_counter()
    payloads = synthetic(factor)
    step("generate", t)
    rows = sum(p.observations.height for p in payloads)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.duckdb"
        t = time.perf_counter()
        with connection(path) as con:
            land(con, payloads, "bench")
            observations = observations_as_of(con, None)
        step("load", t)
        t = time.perf_counter()
        tables = build_core_tables(observations)
        step("transform", t)
        t = time.perf_counter()
        gate = quality.Validator("bench")
        step("gate_setup", t)
        t = time.perf_counter()
        today = dt.date.today()
        staged = stage_raw(incoming_values(payloads), observations.head(0), today)
        gate.validate(raw_observations_suite(today, present=set(staged["series_id"])), staged, ["series_id", "day"])
        gate.validate(weekly_liquidity_suite(), stage_weekly(tables["weekly_liquidity"]), ["day"])
        gate.validate(daily_rates_suite(), stage_daily(tables["daily_rates"]), ["day"])
        gate.validate(policy_changes_suite(), stage_policy(tables["policy_changes"]), ["day"])
        step("validate", t)
        t = time.perf_counter()
        with connection(path) as con:
            replace_core(con, tables)
        step("publish", t)
        t = time.perf_counter()
        first = tables["weekly_liquidity"]["week_ending"].min()
        days = business_days(first + dt.timedelta(days=14), END)
        evaluated = evaluate(
            tables["weekly_liquidity"], tables["daily_rates"], tables["policy_changes"], days, load_thresholds()
        )
        step("signals", t)
    peak_mb = peak_rss_mb()
    return {
        "factor": factor,
        "observations": rows,
        "weeks": tables["weekly_liquidity"].height,
        "days_evaluated": evaluated.height,
        "seconds": seconds,
        "pipeline_seconds": round(sum(v for k, v in seconds.items() if k != "generate"), 3),
        "peak_rss_mb": round(peak_mb, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)))
