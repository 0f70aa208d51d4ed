"""The H.4.1 release archive at a realistic-plus size: parse time, and the peak RSS of a live run that parses it.

    python -m benchmarks.h41_zip [--mb 150]
    python -m benchmarks.h41_zip --hostile [--mb 100]

``--hostile`` builds, beside a good archive of ``--mb`` MB, archives whose data member is
``--mb`` MB of what an attacker would send (elements outside any series, one series of
millions of empty elements, nesting a million deep, one endless tag) and measures each
parse alone in a fresh process: how it ended and its peak RSS, against the good one's.

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


_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<message:MessageGroup xmlns:message="m" xmlns:frb="f" xmlns:kf="k">'
    b'<frb:DataSet id="H41">'
)
_TAIL = b"</frb:DataSet></message:MessageGroup>\n"
#: kind -> (what comes first, the unit repeated to fill the member, what closes it)
HOSTILE: dict[str, tuple[bytes, bytes, bytes]] = {
    "elements outside any series": (_HEAD, b"<x/>", _TAIL),
    "one series of empty elements": (_HEAD + b'<kf:Series SERIES_NAME="OTHER_N.WW">', b"<o/>", b"</kf:Series>" + _TAIL),
    "nesting a million deep": (_HEAD, b"<a>", b""),
    "one endless tag": (_HEAD + b'<kf:Series SERIES_NAME="', b"N" * 64, b'"/>' + _TAIL),
}


def build_hostile(path: Path, kind: str, mb: float) -> None:
    """An archive with the four documented members whose data member is ``mb`` MB of ``kind``."""
    import zipfile

    from tests.h41_archive import SMALL_MEMBERS

    head, unit, tail = HOSTILE[kind]
    block = unit * (2**20 // len(unit))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        with archive.open("H41_data.xml", "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(int(mb)):
                member.write(block)
            member.write(tail)
        for name, body in SMALL_MEMBERS.items():
            archive.writestr(name, body)


def parse_outcome(path: Path) -> dict:
    """Like ``parse_only``, for an archive that may be refused: how it ended, seconds, peak RSS."""
    from liquidity_watch.sources.errors import ParseError

    try:
        out = parse_only(path)
        out["outcome"] = f"parsed: {out['observations']} observations"
    except ParseError as exc:
        from benchmarks.memory import peak_rss_mb

        out = {"outcome": f"refused: {exc.problem}", "peak_rss_mb": peak_rss_mb()}
    return out


def hostile(workdir: Path, mb: float) -> dict:
    """The good archive and each hostile one, each parsed in a fresh process."""
    archives = {"good": workdir / "good.zip"}
    build(archives["good"], mb)
    for i, kind in enumerate(HOSTILE):
        archives[kind] = workdir / f"hostile{i}.zip"
        build_hostile(archives[kind], kind, mb)
    out = {}
    for kind, path in archives.items():
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.h41_zip", "--parse-outcome", str(path)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=900,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        result["zip_mb"] = round(path.stat().st_size / 2**20, 2)
        result["wall_seconds"] = round(time.perf_counter() - started, 2)
        out[kind] = result
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=150.0, help="size of H41_data.xml in MB")
    parser.add_argument("--hostile", action="store_true", help="measure refused archives against a good one")
    parser.add_argument("--parse-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--parse-outcome", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parse_only:
        print(json.dumps(parse_only(args.parse_only)))
        return
    if args.parse_outcome:
        print(json.dumps(parse_outcome(args.parse_outcome)))
        return
    from liquidity_watch.bootstrap import bootstrap

    bootstrap()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(hostile(Path(tmp), args.mb) if args.hostile else measure(Path(tmp), args.mb)))


if __name__ == "__main__":
    main()
