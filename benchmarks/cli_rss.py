"""Run ``liquidity-watch run`` in this process and print its own peak RSS (MB) at exit.

    python -m benchmarks.cli_rss [--stages] [liquidity-watch run options]

The temporary Prefect server is a separate process and is not counted; this is the
pipeline's process, as an operator runs it. ``--stages`` also writes, at the end of each
stage, the process's peak and resident size so far to stderr (where the peak is set).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks.memory import peak_rss_mb


def _report() -> None:
    print(f"peak_rss_mb={peak_rss_mb():.1f}")


def resident_mb() -> float:
    """This process's resident size now, in MB (``VmRSS``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


def trace_stages() -> None:
    """Write ``stage <name>: peak <MB> MB, resident <MB> MB`` to stderr as each stage of the run ends.

    Straight to the file descriptor: Prefect captures ``print`` inside a flow.
    """
    from liquidity_watch.bootstrap import bootstrap

    bootstrap()  # as the command would, before anything it imports here
    from liquidity_watch.stages.context import StageTimer

    timed = StageTimer.__call__

    @contextlib.contextmanager
    def traced(self: StageTimer, stage: str) -> Iterator[None]:
        with timed(self, stage):
            yield
        os.write(2, f"stage {stage}: peak {peak_rss_mb()} MB, resident {resident_mb()} MB\n".encode())

    StageTimer.__call__ = traced  # type: ignore[method-assign]


if __name__ == "__main__":
    atexit.register(_report)
    arguments = sys.argv[1:]
    if "--stages" in arguments:
        arguments.remove("--stages")
        trace_stages()
    from liquidity_watch.cli import main

    sys.argv = ["liquidity-watch", "run", *arguments]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            raise
