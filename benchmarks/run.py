"""Benchmark: how fast, and how lean, the pipeline is on this machine. Prints a table and JSON.

    python3 -m uv run --frozen python -m benchmarks.run [--skip-scale] [--json-only]

Measures (targets in brackets):
* a full snapshot backfill through the Prefect flow, per stage, excluding Prefect's server
  start (the flow runs against one already-started local server) [<= 5 s];
* a rerun with nothing new, and an incremental run bringing one new week [<= 2 s], as
  ``liquidity-watch run`` runs them (flow heartbeats off), and the incremental run once more
  with Prefect's default heartbeats, as a worker runs a deployment;
* the backtest of 2003 to the end of the data [<= 2 s];
* the core-table transforms (weekly, daily, policy changes) against a plain pandas
  implementation of the same computations, checked equal first, in the same process,
  best of 100 [polars >= 5x faster];
* scaling: the pipeline's steps on history 10x and 100x longer, each in a fresh process
  (time and peak RSS should grow no worse than linearly);
* peak RSS of a real ``liquidity-watch run`` process [<= 500 MB: headroom under the 600 MB
  limit] (and of this process, which also holds the pandas baseline and the 10x data, for reference);
* start-up of the commands that orchestrate nothing beside a bare DuckDB query from Python
  (``benchmarks/startup.py``) [``query`` <= 3x DuckDB's].
* the H.4.1 release archive with a 150 MB ``H41_data.xml`` (generated at run time): the
  archive checks and incremental parse alone, and the peak RSS of a real
  ``liquidity-watch run --source live`` backfill that downloads and parses it from loopback
  upstreams [<= 500 MB] (``benchmarks/h41_zip.py``; ``--h41-only`` runs just this).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from liquidity_watch.bootstrap import bootstrap

bootstrap()
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import polars as pl  # noqa: E402

from benchmarks.memory import peak_rss_mb  # noqa: E402
from benchmarks.pandas_baseline import core_pandas  # noqa: E402
from benchmarks.startup import startup  # noqa: E402
from liquidity_watch.domain.calendars import fed_holidays  # noqa: E402
from liquidity_watch.resources import bundled_snapshot_dir  # noqa: E402
from liquidity_watch.sources.snapshot import read_snapshot  # noqa: E402
from liquidity_watch.transforms.core_tables import build_core_tables  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Peak RSS a run may reach here, so that the 600 MB limit holds with headroom on other machines.
PEAK_RSS_TARGET_MB = 500.0


def best_of(fn, repeat: int = 100) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def transforms_vs_pandas(factor: int = 1) -> dict:
    observations = pl.concat([p.observations for p in read_snapshot(bundled_snapshot_dir())])
    if factor > 1:  # the same history repeated back in time, as in benchmarks/scale.py
        from benchmarks.scale import synthetic

        observations = pl.concat([p.observations for p in synthetic(factor)])
    long_pandas = observations.to_pandas()
    holidays = set(fed_holidays())
    ours, theirs = build_core_tables(observations), core_pandas(long_pandas, holidays)
    for table, column in (
        ("weekly_liquidity", "net_liquidity_usd_mn"),
        ("daily_rates", "sofr_minus_iorb_bp"),
        ("policy_changes", "change_bp"),
    ):
        expected = [None if v != v else v for v in theirs[table][column]]
        assert ours[table][column].to_list() == expected, f"baseline differs on {table}.{column}"
    polars_s = best_of(lambda: build_core_tables(observations))
    pandas_s = best_of(lambda: core_pandas(long_pandas, holidays))
    return {
        "rows": observations.height,
        "polars_seconds": round(polars_s, 4),
        "pandas_seconds": round(pandas_s, 4),
        "speedup": round(pandas_s / polars_s, 1),
    }


def flow_runs(workdir: Path) -> dict:
    """Flow timings against one started local server, with flow heartbeats off as ``liquidity-watch run`` has
    them (flows/local_run.py); one more incremental run keeps Prefect's default heartbeats, as a deployment's does."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    from liquidity_watch.flows.pipeline import pipeline
    from liquidity_watch.signals.backtest import run_backtest

    snapshot = bundled_snapshot_dir()
    older = workdir / "older"
    shutil.copytree(snapshot, older)
    cut = dt.date(2026, 8, 19)
    for path in older.glob("*.csv"):
        lines = path.read_text().splitlines()
        kept = [lines[0]] + [line for line in lines[1:] if line.split(",")[0] <= cut.isoformat()]
        path.write_text("\n".join(kept) + "\n")
    out = {}
    with (
        prefect_test_harness(server_startup_timeout=120),
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
    ):
        full = workdir / "full.duckdb"
        started = time.perf_counter()
        summary = pipeline(source="snapshot", warehouse=str(full))
        out["full_backfill"] = {"seconds": round(time.perf_counter() - started, 2), "stages": summary.stage_seconds}
        started = time.perf_counter()
        summary = pipeline(source="snapshot", warehouse=str(full))
        out["rerun_nothing_new"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "stages": summary.stage_seconds,
        }
        incremental = workdir / "incremental.duckdb"
        pipeline(source="snapshot", snapshot_dir=str(older), warehouse=str(incremental))
        before_the_week = workdir / "before_the_week.duckdb"
        shutil.copyfile(incremental, before_the_week)
        started = time.perf_counter()
        summary = pipeline(source="snapshot", warehouse=str(incremental))
        out["incremental_one_week"] = {
            "seconds": round(time.perf_counter() - started, 2),
            "stages": summary.stage_seconds,
            "new_observations": sum(summary.observations_inserted.values()),
        }
        shutil.copyfile(before_the_week, incremental)
        with temporary_settings(restore_defaults={PREFECT_FLOWS_HEARTBEAT_FREQUENCY}):
            started = time.perf_counter()
            pipeline(source="snapshot", warehouse=str(incremental))
            out["incremental_one_week_with_heartbeats"] = {"seconds": round(time.perf_counter() - started, 2)}
    out["startup"] = startup(full)
    started = time.perf_counter()
    result = run_backtest(full, None, None)
    out["backtest"] = {
        "seconds": round(time.perf_counter() - started, 2),
        "days": result.evaluated.height,
        "episodes": result.episodes.height,
        "range": f"{result.start}..{result.end}",
    }
    return out


def scaling(factors: list[int]) -> list[dict]:
    rows = []
    for factor in factors:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", str(factor)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
            check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return rows


def run_process_rss(workdir: Path) -> float:
    """Peak RSS of a real `liquidity-watch run` process (a fresh one, on the bundled snapshot)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.cli_rss", "--warehouse", str(workdir / "rss.duckdb")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1].split("=")[1])


def machine() -> dict:
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "date": dt.date.today().isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-scale", action="store_true", help="skip the 10x/100x scaling runs")
    parser.add_argument("--json-only", action="store_true")
    parser.add_argument("--h41-only", action="store_true", help="only the H.4.1 archive (150 MB data member)")
    args = parser.parse_args()
    if args.h41_only:
        from benchmarks.h41_zip import measure

        with tempfile.TemporaryDirectory() as tmp:
            results = {"machine": machine(), "h41_zip": measure(Path(tmp))}
        if not args.json_only:
            print_h41(results["h41_zip"])
        print(json.dumps(results))
        return
    results: dict = {
        "machine": machine(),
        "transforms": transforms_vs_pandas(),
        "transforms_10x": transforms_vs_pandas(10),
    }
    # as the CLI does: GX imports while Prefect's server starts (after the micro-benchmarks)
    bootstrap(pipeline=True)
    with tempfile.TemporaryDirectory() as tmp:
        results.update(flow_runs(Path(tmp)))
        results["peak_rss_mb"] = run_process_rss(Path(tmp))
        from benchmarks.h41_zip import measure

        results["h41_zip"] = measure(Path(tmp))
    results["benchmark_process_peak_rss_mb"] = peak_rss_mb()
    if not args.skip_scale:
        results["scaling"] = scaling([1, 10, 100])
    if not args.json_only:
        print_table(results)
    print(json.dumps(results))


def print_table(r: dict) -> None:
    def check(value: float, target: float, lower_is_better: bool = True) -> str:
        ok = value <= target if lower_is_better else value >= target
        return "ok" if ok else "MISSED"

    print(
        f"machine: {r['machine']['cpus']} cores, {r['machine']['memory_gib']} GiB, {r['machine']['cpu']}, "
        f"Python {r['machine']['python']}"
    )
    print(f"{'measure':52} {'value':>10} {'target':>10}  status")
    rows = [
        ("full snapshot run (flow, no server start), s", r["full_backfill"]["seconds"], 5.0, True),
        ("incremental run with one new week, s", r["incremental_one_week"]["seconds"], 2.0, True),
        ("rerun with nothing new, s", r["rerun_nothing_new"]["seconds"], 2.0, True),
        (
            "incremental, heartbeats on (as a deployment), s",
            r["incremental_one_week_with_heartbeats"]["seconds"],
            2.0,
            True,
        ),
        (f"backtest {r['backtest']['range']}, s", r["backtest"]["seconds"], 2.0, True),
        ("transforms: pandas time / polars time, x", r["transforms"]["speedup"], 5.0, False),
        ("transforms at 10x history: pandas / polars, x", r["transforms_10x"]["speedup"], 5.0, False),
        ("peak RSS of a `liquidity-watch run` process, MB", r["peak_rss_mb"], PEAK_RSS_TARGET_MB, True),
        ("`query` start-up / a bare DuckDB query's, x", r["startup"]["query_vs_duckdb"], 3.0, True),
    ]
    for name, value, target, lower in rows:
        print(f"{name:52} {value:>10} {target:>10}  {check(value, target, lower)}")
    print("  start-up, best of fresh processes, s: " + ", ".join(f"{k} {v}" for k, v in r["startup"].items()))
    if "h41_zip" in r:
        print_h41(r["h41_zip"])
    for key in ("full_backfill", "incremental_one_week", "rerun_nothing_new"):
        print(f"  {key} stages: " + ", ".join(f"{k} {v:.2f}" for k, v in r[key]["stages"].items()))
    if "scaling" in r:
        base = r["scaling"][0]
        print(f"{'scaling':12} {'observations':>13} {'seconds':>9} {'x time':>7} {'peak MB':>9} {'x memory':>9}")
        for row in r["scaling"]:
            print(
                f"{row['factor']:>11}x {row['observations']:>13,} {row['pipeline_seconds']:>9} "
                f"{row['pipeline_seconds'] / base['pipeline_seconds']:>7.1f} {row['peak_rss_mb']:>9} "
                f"{row['peak_rss_mb'] / base['peak_rss_mb']:>9.1f}"
            )


def print_h41(h: dict) -> None:
    a, p, run = h["archive"], h["parse"], h["live_run"]
    print(
        f"H.4.1 archive: H41_data.xml {a['data_member_mb']} MB, zip {a['zip_mb']} MB; "
        f"parse {p['seconds']} s ({p['cpu_seconds']} s CPU), {p['observations']:,} observations kept, "
        f"parse-only process peak {p['peak_rss_mb']} MB"
    )
    status = "ok" if run["peak_rss_mb"] <= PEAK_RSS_TARGET_MB else "MISSED"
    name = "peak RSS of a live run parsing that archive, MB"
    print(f"{name:52} {run['peak_rss_mb']:>10} {PEAK_RSS_TARGET_MB:>10}  {status}")


if __name__ == "__main__":
    main()
