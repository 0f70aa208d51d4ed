"""The stages before the publish, as plain functions: each takes the run's context and returns values.

extract -> audit raw -> land -> transform -> audit core -> write core -> signals -> queue -> record.
Every one writes only the run's private working copy (``work``); none publishes anything.
Each opens and closes its own connections. A stage that may raise after reading reads through a
small function of its own: a connection object in the raising frame would stay alive with its
traceback until the interpreter's shutdown, which DuckDB reports as leaks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from liquidity_watch.alerts.config import Destination
from liquidity_watch.alerts.dispatch import assume_may_have_arrived, queue_signal_alerts
from liquidity_watch.alerts.journal import Journal, JournalSetAside, set_aside_if_unreadable
from liquidity_watch.alerts.ops import notify_ops
from liquidity_watch.alerts.outbox import OutboxRow, mirror, undelivered
from liquidity_watch.domain import freshness
from liquidity_watch.domain.calendars import business_days, end_of_day, today_new_york
from liquidity_watch.domain.catalog import SERIES, SIGNALS_START
from liquidity_watch.domain.payload import Payload, Validators
from liquidity_watch.domain.rules import Rule
from liquidity_watch.domain.sources import IorbBasis, UseStatus
from liquidity_watch.expectations.gate import SuiteResult, Validator, raise_if_failed
from liquidity_watch.expectations.gate import validation_rows as rows_of
from liquidity_watch.expectations.staging import stage_daily, stage_policy, stage_raw, stage_weekly
from liquidity_watch.expectations.suites import (
    daily_rates_suite,
    policy_changes_suite,
    raw_observations_suite,
    weekly_liquidity_suite,
)
from liquidity_watch.signals.episodes import episodes, unknown_since
from liquidity_watch.signals.rules import evaluate, signals_long
from liquidity_watch.sources.extract import Extraction
from liquidity_watch.sources.extract import extract as fetch
from liquidity_watch.stages.context import RunContext
from liquidity_watch.stages.summary import SignalOfTheDay, TableCount
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.core import CORE_TABLES, latest_dates, replace_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.raw import (
    LandResult,
    fresh_payloads,
    incoming_values,
    iorb_basis,
    last_dates,
    observations_as_of,
    stored_values,
)
from liquidity_watch.warehouse.raw import land as land_observations
from liquidity_watch.warehouse.revisions import record_acceptances
from liquidity_watch.warehouse.runs import RunRecord, record_run, record_validation_results
from liquidity_watch.warehouse.signals import replace_signals, unknown_since_published
from liquidity_watch.warehouse.validators import store_validators, stored_validators


@dataclass(frozen=True)
class Evaluated:
    """What the signals stage found: every rule on every business day up to ``end``, and the episodes."""

    evaluated: pl.DataFrame
    found: pl.DataFrame
    end: dt.date
    unknown_before: dt.date | None  # the unknown stretch the published signals ended in, before this run


@dataclass(frozen=True)
class Queued:
    """The queue stage's outcome: this run's new messages, every undelivered row, and a journal set aside."""

    queued: list[str]
    rows: list[OutboxRow]
    lost: JournalSetAside | None


def extract(ctx: RunContext, work: Path) -> Extraction:
    """Fetch what the warehouse lacks (from the last stored date per series, with the stored validators),
    report where each group came from, and keep this run's validators in the working copy."""
    last_stored, known, basis = stored_state(work)

    def progress(message: str, done: int, total: int) -> None:
        ctx.log.info("[%d/%d] %s", done, total, message)

    extraction = fetch(
        ctx.source,
        ctx.settings,
        last_stored,
        snapshot_dir=ctx.snapshot_dir,
        end=ctx.as_of,
        progress=progress,
        validators=known,
        strict=ctx.strict,
        log=ctx.log.warning,
        iorb_basis=basis,
    )
    report_sources(ctx, extraction)
    keep_validators(work, extraction, ctx.run_id)
    return extraction


def stored_state(work: Path) -> tuple[dict[str, dt.date], dict[str, Validators], IorbBasis | None]:
    """What the extract needs from the warehouse: the last date per series, the validators per URL,
    and what carrying IORB forward would rest on."""
    with connection(work) as con:
        return last_dates(con), stored_validators(con), iorb_basis(con)


def keep_validators(work: Path, extraction: Extraction, run_id: str) -> None:
    """Store this run's validators in the working copy: they are published only with the data they describe."""
    if extraction.validators:
        with connection(work) as con:
            store_validators(con, extraction.validators, run_id)


def report_sources(ctx: RunContext, extraction: Extraction) -> None:
    """Log where each group of series came from; tell ops about every failover and unavailable series."""
    for use in extraction.uses:
        ctx.log.info("source: %s", use.describe())
    trouble = [u for u in extraction.uses if u.status in (UseStatus.FAILOVER, UseStatus.UNAVAILABLE)]
    if trouble:
        notify_ops("sources: " + "; ".join(u.describe() for u in trouble))


def fresh_of(work: Path, payloads: list[Payload]) -> list[Payload]:
    """The payloads whose SHA-256 is not yet in ``raw.payloads``."""
    with connection(work) as con:
        return fresh_payloads(con, payloads)


def audit_raw(ctx: RunContext, validator: Validator, work: Path, fresh: list[Payload]) -> SuiteResult:
    """Validate this run's fresh observations, against the stored ones around them, before they touch ``raw``."""
    stored = stored_current_values(work)
    today = today_new_york()
    staged = stage_raw(incoming_values(fresh), stored, today, ctx.accepted)  # the checks read values, not provenance
    suite = raw_observations_suite(today, present=set(staged["series_id"]))
    result = validator.validate(suite, staged, ["series_id", "day"])
    raise_if_failed([result])
    return result


def stored_current_values(work: Path) -> pl.DataFrame:
    """Every stored current value: neighbours, corroborating rates and identities read other series."""
    with connection(work) as con:
        return stored_values(con, list(SERIES))


def land(ctx: RunContext, work: Path, fresh: list[Payload]) -> LandResult:
    """Add the fresh observations as new versions, and record the revisions the operator accepted."""
    with connection(work, threads=1) as con:  # as for signals: less memory at the backfill's peak, same time
        landed = land_observations(con, fresh, ctx.run_id)
        counts = record_acceptances(con, ctx.run_id, ctx.run.started_at, ctx.accepted)
    for spec, n in counts.items():
        ctx.log.info("accepted revisions %s: %d landed", spec, n)
    return landed


def transform(ctx: RunContext, work: Path) -> dict[str, pl.DataFrame]:
    """The core tables from what had been known by the end of ``as_of`` (a run of today: everything)."""
    with connection(work) as con:
        observations = observations_as_of(con, end_of_day(ctx.as_of) if ctx.as_of else None)
    return build_core_tables(observations)


def audit_core(validator: Validator, tables: dict[str, pl.DataFrame], before: list[SuiteResult]) -> list[SuiteResult]:
    """Validate the core tables; raise (carrying every result so far) if any suite failed."""
    results = [
        validator.validate(weekly_liquidity_suite(), stage_weekly(tables["weekly_liquidity"]), ["day"]),
        validator.validate(daily_rates_suite(), stage_daily(tables["daily_rates"]), ["day"]),
        validator.validate(policy_changes_suite(), stage_policy(tables["policy_changes"]), ["day"]),
    ]
    raise_if_failed([*before, *results])
    return results


def write_core(work: Path, tables: dict[str, pl.DataFrame], results: list[SuiteResult]) -> dict[str, TableCount]:
    """Replace the core tables and store the validation results, in the working copy (nothing is published)."""
    with connection(work) as con:
        counts = replace_core(con, tables)
        record_validation_results(con, rows_of(results))
        latest = latest_dates(con)
    return {name: TableCount(counts[name], latest[name]) for name in CORE_TABLES}


def signals(ctx: RunContext, work: Path, tables: dict[str, pl.DataFrame]) -> Evaluated:
    """Evaluate the rules for every business day up to the run's day; write core.signals and episodes.

    A run of today evaluates at the instant it runs (today's inputs are not late before their due time).
    """
    end = ctx.as_of or today_new_york()
    unknown_before = previous_unknown_since(work)
    evaluated = evaluate(
        tables["weekly_liquidity"],
        tables["daily_rates"],
        tables["policy_changes"],
        business_days(SIGNALS_START, end),
        ctx.thresholds,
        None if ctx.as_of else dt.datetime.now(dt.UTC),
    )
    found = episodes(evaluated)
    # one thread: a backfill writes ~42,000 small rows, and each extra DuckDB thread keeps
    # its own insert buffers (~17 MB at the run's peak of memory); the time is the same
    with connection(work, threads=1) as con:
        replace_signals(con, signals_long(evaluated), found, ctx.run_id)
    return Evaluated(evaluated, found, end, unknown_before)


def previous_unknown_since(work: Path) -> dt.date | None:
    """In the warehouse before this run's signals: the first day of the unknown stretch its last day is in."""
    with connection(work) as con:
        return unknown_since_published(con)


def queue(ctx: RunContext, work: Path, evaluated: pl.DataFrame, found: pl.DataFrame) -> Queued:
    """In the working copy: mirror the journal into ``meta.outbox``, queue today's signal, list what is undelivered."""
    return queue_alerts(work, ctx.paths.journal, evaluated, found, ctx.delivery.destinations, ctx.run_id)


def queue_alerts(
    work: Path,
    journal_file: Path,
    evaluated: pl.DataFrame,
    found: pl.DataFrame,
    destinations: list[Destination],
    run_id: str,
) -> Queued:
    """``queue`` with its inputs named: the journal, the destinations and the run.

    A journal SQLite cannot read is set aside (kept) and a new one started: the data are
    published all the same, and every message an earlier run left undelivered is reconciled
    as after a crash. What was set aside comes back for the summary and ops.
    """
    lost = set_aside_if_unreadable(journal_file)
    with Journal.open(journal_file) as journal:
        states = journal.states()
    with connection(work) as con:
        mirror(con, states)
        queued = queue_signal_alerts(con, evaluated, found, destinations, run_id)
        rows = undelivered(con)
    if lost is not None:
        with Journal.open(journal_file) as journal:
            assume_may_have_arrived(journal, rows, set(queued))
    return Queued(queued, rows, lost)


def stale_series(ctx: RunContext, work: Path) -> list[freshness.Freshness]:
    """The required series past their due time; none for a replay (freshness is today's question)."""
    if ctx.as_of:
        return []
    with connection(work) as con:
        stored = last_dates(con)
    return freshness.stale_required(freshness.check(stored, dt.datetime.now(dt.UTC)))


def record(work: Path, run: RunRecord) -> None:
    """The run's ``meta.runs`` row, in the working copy: it is published with the data it describes."""
    with connection(work) as con:
        record_run(con, run)


def signal_of_the_day(evaluated: pl.DataFrame) -> SignalOfTheDay | None:
    """The last evaluated day's severity, rule statuses and reason, and since when it cannot be judged."""
    if evaluated.is_empty():
        return None
    latest = evaluated.sort("date").row(-1, named=True)
    unknown = unknown_since(evaluated)
    return SignalOfTheDay(
        str(latest["date"]),
        latest["severity"],
        {rule: latest[rule] for rule in Rule},
        latest["grade_why"] or "",
        str(unknown[0]) if unknown else None,
    )
