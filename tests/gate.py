"""The run's quality gate as plain functions, in the flow's order, without Prefect.

``gate(warehouse, folder)`` reads a snapshot folder (or, with ``source="live"``, the upstreams the
settings name) as a run does, audits the fresh observations
against what ``warehouse`` stores, lands them, builds the core tables and audits those, stopping at
the first failing suite as the flow does. It writes ``warehouse``: pass a copy. What a refused run
publishes (nothing) is the flow's guarantee and is tested on the flow, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import end_of_day, today_new_york
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.revisions import RevisionAcceptance
from liquidity_watch.expectations.gate import SuiteResult, Validator, raise_if_failed
from liquidity_watch.expectations.staging import stage_daily, stage_policy, stage_raw, stage_weekly
from liquidity_watch.expectations.suites import (
    daily_rates_suite,
    policy_changes_suite,
    raw_observations_suite,
    weekly_liquidity_suite,
)
from liquidity_watch.settings import Settings
from liquidity_watch.sources.extract import extract
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import (
    LandResult,
    fresh_payloads,
    incoming_frame,
    land,
    last_dates,
    observations_as_of,
)
from liquidity_watch.warehouse.raw import stored_values as read_stored_values
from liquidity_watch.warehouse.revisions import record_acceptances
from liquidity_watch.warehouse.validators import stored_validators


@dataclass(frozen=True)
class Gated:
    """What passed the gate: every suite's result and the core tables it judged."""

    results: list[SuiteResult]
    tables: dict[str, pl.DataFrame]
    landed: LandResult


def gate(
    warehouse: Path,
    folder: Path | None = None,
    accepted: tuple[RevisionAcceptance, ...] = (),
    source: str = "snapshot",
    run_id: str = "gate-test",
) -> Gated:
    """A run of ``source`` on ``warehouse`` up to the core audit; raises what the run would raise
    (``ParseError`` from the snapshot, ``QualityGateFailed`` from a suite)."""
    with connection(warehouse) as con:
        last_stored, known = last_dates(con), stored_validators(con)
    extraction = extract(source, Settings(), last_stored, snapshot_dir=folder, validators=known, strict=True)
    with connection(warehouse) as con:
        fresh = fresh_payloads(con, extraction.payloads)
        stored = read_stored_values(con, list(SERIES))
    validator = Validator(run_id)
    today = today_new_york()
    staged = stage_raw(incoming_frame(fresh), stored, today, accepted)
    raw = validator.validate(
        raw_observations_suite(today, present=set(staged["series_id"])), staged, ["series_id", "day"]
    )
    raise_if_failed([raw])
    with connection(warehouse, threads=1) as con:
        landed = land(con, fresh, run_id)
        record_acceptances(con, run_id, dt.datetime.now(dt.UTC), accepted)
        tables = build_core_tables(observations_as_of(con, None))
    results = [
        raw,
        validator.validate(weekly_liquidity_suite(), stage_weekly(tables["weekly_liquidity"]), ["day"]),
        validator.validate(daily_rates_suite(), stage_daily(tables["daily_rates"]), ["day"]),
        validator.validate(policy_changes_suite(), stage_policy(tables["policy_changes"]), ["day"]),
    ]
    raise_if_failed(results)
    return Gated(results, tables, landed)


def core_as_of(warehouse: Path, day: dt.date | None = None) -> dict[str, pl.DataFrame]:
    """The core tables a run ``--as-of day`` (or of today) builds from what ``warehouse`` stores."""
    with connection(warehouse, read_only=True) as con:
        return build_core_tables(observations_as_of(con, end_of_day(day) if day else None))
