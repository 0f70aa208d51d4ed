"""The ``liquidity-watch`` command line.

One module per group of commands. Each command imports what it needs when it runs, so the
read-only commands (``query``, ``backtest``, ``status``, ``docs``, ``report``, ``export``) never load
Prefect or Great Expectations, and ``query`` loads neither polars nor pydantic.
"""

from __future__ import annotations

from liquidity_watch.cli import analysis, export, query, revisions, run, sources, status  # noqa: F401 - registers the commands
from liquidity_watch.cli.app import app, main

__all__ = ["app", "main"]
