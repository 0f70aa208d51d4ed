"""Run ``liquidity-watch run`` in this process and print its own peak RSS (MB) at exit.

The temporary Prefect server is a separate process and is not counted; this is the
pipeline's process, as an operator runs it.
"""

from __future__ import annotations

import atexit
import sys

from benchmarks.memory import peak_rss_mb


def _report() -> None:
    print(f"peak_rss_mb={peak_rss_mb():.1f}")


if __name__ == "__main__":
    atexit.register(_report)
    from liquidity_watch.cli import main

    sys.argv = ["liquidity-watch", "run", *sys.argv[1:]]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            raise
