"""The H.4.1 release archive at a realistic-plus size: parse time, and the peak RSS of a live run that parses it.

    python -m benchmarks.h41_zip [--mb 150]

Builds (at run time, in a temporary folder, never committed) an archive whose ``H41_data.xml``
is ``--mb`` MB: the bundled snapshot's H.4.1 series in the Board's SDMX layout, plus filler
series in the same form (``tests/h41_archive.py``). Then, each in a fresh process:

* the archive checks and the incremental parse alone (``read_h41_archive``): seconds and peak RSS;
* a real ``liquidity-watch run --source live`` (a backfill) against loopback NY Fed, Board and
  FRED servers serving the snapshot and this archive: wall seconds and the run process's peak
  RSS (``VmHWM``; Prefect's temporary server is its own process and is not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def build(path: Path, mb: float) -> dict:
    """Write the archive; return its sizes."""
    import polars as pl

    from liquidity_watch.resources import bundled_snapshot_dir
    from liquidity_watch.sources.snapshot import read_snapshot
    from tests.h41_archive import write_archive

    observations = pl.concat([p.observations for p in read_snapshot(bundled_snapshot_dir())])
    started = time.perf_counter()
    data_bytes = write_archive(path, observations, filler_bytes=int(mb * 2**20))
    return {
        "data_member_mb": round(data_bytes / 2**20, 1),
        "zip_mb": round(path.stat().st_size / 2**20, 1),
        "build_seconds": round(time.perf_counter() - started, 2),
    }


def parse_only(path: Path) -> dict:
    """In this (fresh) process: check and parse the archive as a run does; seconds and peak RSS."""
    from benchmarks.memory import peak_rss_mb
    from liquidity_watch.sources.ddp import H41_SERIES, REQUIRED_SERIES
    from liquidity_watch.sources.ddp_zip import read_h41_archive

    before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as file:
        release = read_h41_archive(
            file, url=path.as_uri(), series=H41_SERIES, required=REQUIRED_SERIES, max_data_bytes=2**30
        )
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "observations": release.observations.height,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": before,
    }


def live_run(path: Path, workdir: Path) -> dict:
    """A real ``liquidity-watch run --source live`` against loopback upstreams serving the archive."""
    import polars as pl
    from pytest_httpserver import HTTPServer

    from liquidity_watch.resources import bundled_snapshot_dir
    from liquidity_watch.sources.snapshot import read_snapshot
    from tests.fakes import FakeFed

    observations = pl.concat([p.observations for p in read_snapshot(bundled_snapshot_dir())])
    server = HTTPServer()
    server.start()
    try:
        fake = FakeFed(server, observations, path)
        env = {
            **os.environ,
            "LW_NYFED_BASE_URL": fake.base_url,
            "LW_DDP_BASE_URL": fake.base_url,
            "LW_FRED_BASE_URL": fake.base_url,
            "LW_REQUESTS_PER_SECOND": "0",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.cli_rss", "--source", "live", "--warehouse", str(workdir / "live.db")],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    if done.returncode != 0:
        raise RuntimeError(f"the live run failed:\n{done.stderr[-3000:]}")
    rss = float(done.stdout.strip().splitlines()[-1].split("=")[1])
    return {
        "seconds": round(seconds, 1),
        "peak_rss_mb": rss,
        "archive_requests": fake.requests_to("/datadownload/Output.aspx"),
    }


def measure(workdir: Path, mb: float = 150) -> dict:
    path = workdir / "H41.zip"
    out = {"archive": build(path, mb)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.h41_zip", "--parse-only", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    out["parse"] = json.loads(done.stdout.strip().splitlines()[-1])
    out["live_run"] = live_run(path, workdir)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=150.0, help="size of H41_data.xml in MB")
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        print(json.dumps(parse_only(args.parse_only)))
        return
    from liquidity_watch.bootstrap import bootstrap

    bootstrap()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(Path(tmp), args.mb)))


if __name__ == "__main__":
    main()
