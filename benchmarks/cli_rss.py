"""Run ``liquidity-watch run`` in this process and print its own peak RSS (MB) at exit.

The temporary Prefect server is a separate process and is not counted; this is the
pipeline's process, as an operator runs it.
"""

from __future__ import annotations

import atexit
import resource
import sys


def _report() -> None:
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


if __name__ == "__main__":
    atexit.register(_report)
    from liquidity_watch.cli import main

    sys.argv = ["liquidity-watch", "run", *sys.argv[1:]]
    try:
        main()
    except SystemExit as exc:
        if exc.code:
            raise
