"""Start-up of the commands that orchestrate nothing, beside a bare DuckDB query from Python.

Each measure is the best of ``repeat`` fresh processes (wall time, including the
interpreter's start), on the warehouse a benchmark run built:

* ``duckdb``: ``python -c "import duckdb; duckdb.connect(w, read_only=True).execute(q).fetchall()"``
* ``query``: ``liquidity-watch query q`` (target: at most 3x ``duckdb``)
* ``status``, ``backtest``, ``docs --check``, ``report``: for reference (they load polars,
  never Prefect or Great Expectations)

    python3 -m uv run --frozen python -m benchmarks.startup WAREHOUSE
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY = "select count(*) from core.daily_rates"


def best_wall_seconds(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        best = min(best, time.perf_counter() - started)
    return round(best, 3)


def startup(warehouse: Path, repeat: int = 5) -> dict[str, float]:
    """Seconds per command, best of ``repeat``; ``query_vs_duckdb`` is the ratio the target is set on."""
    exe = str(Path(sys.executable).with_name("liquidity-watch"))
    bare = f"import duckdb; duckdb.connect({str(warehouse)!r}, read_only=True).execute({QUERY!r}).fetchall()"
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "duckdb": [sys.executable, "-c", bare],
            "query": [exe, "query", QUERY, "--warehouse", str(warehouse)],
            "status": [exe, "status", "--warehouse", str(warehouse)],
            "backtest": [exe, "backtest", "--from", "2019-01-01", "--to", "2019-12-31", "--warehouse", str(warehouse)],
            "docs --check": [exe, "docs", "--out", f"{out}/warehouse.md"],
            "report": [exe, "report", "--out", out, "--warehouse", str(warehouse)],
        }
        seconds = {
            name: best_wall_seconds(command, repeat if name in ("duckdb", "query") else 2)
            for name, command in commands.items()
        }
    seconds["query_vs_duckdb"] = round(seconds["query"] / seconds["duckdb"], 2)
    return seconds


if __name__ == "__main__":
    print(startup(Path(sys.argv[1])))
