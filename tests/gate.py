"""The run's quality gate as plain functions, without Prefect: the pipeline's own stages up to the core audit.

``gate(warehouse, folder)`` runs ``stages.run.through_gate`` (extract, audit raw, land,
transform, audit core) straight on ``warehouse``, as a run does on its working copy: from a
snapshot folder, or with ``source="live"`` from the upstreams the settings name, stopping at
the first failing suite. It writes ``warehouse``: pass a copy. What a refused run publishes
(nothing) is the flow's guarantee and is tested on the flow, once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import end_of_day
from liquidity_watch.domain.revisions import RevisionAcceptance
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.stages.context import RunContext, open_run
from liquidity_watch.stages.run import PLAIN, Audit, Gated, through_gate
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import observations_as_of

__all__ = ["Gated", "core_as_of", "gate", "gate_context"]


def gate_context(
    warehouse: Path,
    folder: Path | None = None,
    accepted: tuple[RevisionAcceptance, ...] = (),
    source: str = "snapshot",
    run_id: str = "gate-test",
) -> RunContext:
    """The context of a run of ``source`` on ``warehouse`` with strict sources, named ``run_id``."""
    ctx = open_run(SourceKind(source), snapshot_dir=folder, warehouse=warehouse, strict_sources=True, accepted=accepted)
    return dataclasses.replace(ctx, run=dataclasses.replace(ctx.run, run_id=run_id))


def gate(
    warehouse: Path,
    folder: Path | None = None,
    accepted: tuple[RevisionAcceptance, ...] = (),
    source: str = "snapshot",
    run_id: str = "gate-test",
) -> Gated:
    """A run of ``source`` on ``warehouse`` up to the core audit; raises what the run would raise
    (``ParseError`` from the snapshot, ``QualityGateFailed`` from a suite)."""
    ctx = gate_context(warehouse, folder, accepted, source, run_id)
    return through_gate(ctx, PLAIN, warehouse, Audit(run_id))


def core_as_of(warehouse: Path, day: dt.date | None = None) -> dict[str, pl.DataFrame]:
    """The core tables a run ``--as-of day`` (or of today) builds from what ``warehouse`` stores."""
    with connection(warehouse, read_only=True) as con:
        return build_core_tables(observations_as_of(con, end_of_day(day) if day else None))
