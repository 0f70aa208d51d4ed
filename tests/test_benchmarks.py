"""The benchmark's measuring programs still run against the current code (their numbers are never asserted)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_the_scaling_benchmark_runs_every_pipeline_step_on_the_bundled_history():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "1"],
        cwd=ROOT,
        env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["factor"] == 1
    assert result["weeks"] == 991  # the last 991 weeks of the snapshot, to 2026-08-26
    assert result["observations"] == 55_296
    assert result["days_evaluated"] == 4_757
    assert set(result["seconds"]) == {"generate", "load", "transform", "gate_setup", "validate", "publish", "signals"}


def test_the_rss_benchmark_reports_each_stages_peak_and_resident_size_and_still_times_it(monkeypatch, capfd):
    from benchmarks.cli_rss import trace_stages
    from liquidity_watch.stages.context import StageTimer

    monkeypatch.setattr(StageTimer, "__call__", StageTimer.__call__)  # put back after the test
    trace_stages()
    timer = StageTimer()
    with timer("load"):
        pass
    assert re.fullmatch(r"stage load: peak \d+\.\d MB, resident \d+\.\d MB", capfd.readouterr().err.strip())
    assert list(timer.seconds) == ["load"]
