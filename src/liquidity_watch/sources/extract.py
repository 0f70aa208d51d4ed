"""Carrying out a run's plan (``sources.plan``): every group through one path, failing over when its primary fails.

When a primary cannot be reached, or its payload fails its identity or unit checks, the same
series come from FRED instead (its keyless CSV, or its API with ``FRED_API_KEY``; failover,
which ``strict`` turns off), and the run's ``SourceUse`` list says which series came from where
and why. IORB is checked against the target range of the run's EFFR records
(``sources.policy_rates``); when no source serves it, it carries forward while the range
stands, and is otherwise left missing (the rules that read it say ``no_data``).

The Board's archive and FRED's CSVs are asked for conditionally when an earlier response gave
validators (a 304 is "nothing new"); the NY Fed answers ``Cache-Control: no-store`` and is
asked plainly.

Failures are collected, not raised at the first: a run with no network reports every source
it could not reach. When a required series can be had from no source, ``extract`` raises
``SourcesUnavailable`` before the run writes anything.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload, Validators
from liquidity_watch.domain.sources import IorbBasis, Provider, SourceUse, UseStatus
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp import DdpClient, board_host
from liquidity_watch.sources.errors import ParseError, SeriesRefused, SourceError, SourcesUnavailable
from liquidity_watch.sources.fred import FredClient
from liquidity_watch.sources.http import HttpClient, NotModified
from liquidity_watch.sources.nyfed import NyFedClient
from liquidity_watch.sources.plan import IORB, Endpoint, Group, Plan, Request, Step, plan
from liquidity_watch.sources.policy_rates import carried_payload, carry_decision, latest_range, outside_range, ranges
from liquidity_watch.sources.snapshot import read_snapshot

Progress = Callable[[str, int, int], None]
Log = Callable[[str], None]

logger = logging.getLogger("liquidity_watch.sources")


def _no_progress(message: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Extraction:
    """What the extract stage brought back.

    Attributes
    ----------
    payloads : in fetch order (a later payload's value for the same series and date wins).
    uses : per group of series, where it came from and why (the run summary's sources).
    validators : URL -> (source, validators) of the responses this run parsed or was told were
        unchanged; the flow stores them with the data, for the next run's conditional requests.
    """

    payloads: list[Payload]
    uses: list[SourceUse] = field(default_factory=list)
    validators: dict[str, tuple[str, Validators]] = field(default_factory=dict)

    @property
    def failovers(self) -> list[SourceUse]:
        return [u for u in self.uses if u.status is UseStatus.FAILOVER]


def extract(
    kind: str,
    settings: Settings,
    last_stored: dict[str, dt.date],
    *,
    snapshot_dir: Path | None = None,
    end: dt.date | None = None,
    progress: Progress = _no_progress,
    validators: Mapping[str, Validators] | None = None,
    strict: bool | None = None,
    now: dt.datetime | None = None,
    log: Log | None = None,
    iorb_basis: IorbBasis | None = None,
) -> Extraction:
    """Fetch every payload a run of ``kind`` needs.

    Parameters
    ----------
    kind : ``live``, ``fred`` or ``snapshot``.
    settings : base URLs, HTTP behaviour, ``strict_sources``.
    last_stored : the last stored date per series (incremental windows; whether H.4.1 is due).
    snapshot_dir : the folder for ``snapshot`` (default: the setting, else the bundled one).
    end : the last date to ask for (default: today in New York).
    progress : receives ``(message, done, total)`` before each request.
    validators : stored validators by URL, for conditional requests.
    strict : primary sources or nothing (default: ``settings.strict_sources``).
    now : the time that decides what is due (default: now).
    log : receives one line per retry and per failover (default: a warning on ``liquidity_watch.sources``).
    iorb_basis : the last IORB a source served and the target range then and since (from the
        warehouse): what a live run carries forward when no source serves IORB.

    Raises
    ------
    SourcesUnavailable
        A required series could be had from no source; it lists every source's error.
    """
    today = today_new_york()
    end = end or today
    the_plan = plan(
        kind,
        settings,
        last_stored,
        end=end,
        today=today,
        now=now or dt.datetime.now(dt.UTC),
        strict=settings.strict_sources if strict is None else strict,
        carry_iorb=iorb_basis is not None,
        snapshot_dir=snapshot_dir,
    )
    if the_plan.snapshot is not None:
        return _read_snapshot(the_plan.snapshot, progress)
    run = _Run(the_plan, settings, validators or {}, progress, log or logger.warning, iorb_basis, end)
    try:
        for step in the_plan.steps:
            run.step(step)
    finally:
        run.close()
    progress(the_plan.done, the_plan.total, the_plan.total)
    return run.result()


def _read_snapshot(folder: Path, progress: Progress) -> Extraction:
    progress(f"reading snapshot {folder}", 0, 1)
    payloads = read_snapshot(folder)
    progress(f"read {len(payloads)} series from {folder}", 1, 1)
    series = tuple(sorted({sid for p in payloads for sid in p.series}))
    use = SourceUse("every series", series, Provider.SNAPSHOT, Provider.SNAPSHOT, UseStatus.PRIMARY, str(folder))
    return Extraction(payloads, [use])


def clients(
    settings: Settings, log: Log | None, validators: Mapping[str, Validators] | None = None
) -> tuple[NyFedClient, DdpClient, FredClient]:
    """One client per upstream, each with its own HTTP client: retry lines go to ``log``, and the
    Board and FRED send conditional requests with ``validators`` (the NY Fed answers no-store)."""
    return (
        NyFedClient(settings, HttpClient(settings, Provider.NYFED, on_retry=log)),
        DdpClient(
            settings,
            HttpClient(
                settings, Provider.DDP, follow_redirects_on=board_host(settings), on_retry=log, validators=validators
            ),
        ),
        FredClient(settings, HttpClient(settings, Provider.FRED, on_retry=log, validators=validators)),
    )


def unexpected(source: str, exc: Exception) -> SourceError:
    """An exception no parser or client foresaw, as the source error of ``source`` (one line, its type named)."""
    text = str(exc).strip().splitlines()
    return SourceError(source, "", f"unexpected {type(exc).__name__}: {text[0] if text else 'no message'}")


class _Run:
    """One extraction: the clients, what came back, and what failed."""

    def __init__(
        self,
        the_plan: Plan,
        settings: Settings,
        validators: Mapping[str, Validators],
        progress: Progress,
        log: Log,
        iorb_basis: IorbBasis | None,
        end: dt.date,
    ):
        self.plan = the_plan
        self.iorb_basis = iorb_basis
        self.end = end
        self.progress = progress
        self.log = log
        self.nyfed, self.ddp, self.fred = clients(settings, log, validators)
        self.payloads: list[Payload] = []
        self.uses: list[SourceUse] = []
        self.validators: dict[str, tuple[str, Validators]] = {}
        self.failures: list[SourceError] = []
        self.missing: list[str] = []
        self.steps = 0

    def close(self) -> None:
        for client in (self.nyfed, self.ddp, self.fred):
            client.http.close()

    def result(self) -> Extraction:
        if self.missing:
            raise SourcesUnavailable(self.failures, self.missing)
        return Extraction(self.payloads, self.uses, self.validators)

    # -- the primary ---------------------------------------------------------------------------

    def call(self, request: Request) -> Payload | NotModified:
        """Send one request of a plan to the client that serves it."""
        self.progress(request.label, self.steps, self.plan.total)
        self.steps += 1
        since = dict(request.since)
        match request.endpoint:
            case Endpoint.RATES:
                assert request.start is not None and request.end is not None  # the plan gives a rate its window
                return self.nyfed.fetch_rates(request.rate, request.start, request.end)
            case Endpoint.OPERATIONS:
                assert request.start is not None and request.end is not None
                return self.nyfed.fetch_operations(request.start, request.end)
            case Endpoint.H41:
                assert request.end is not None
                return self.ddp.fetch_h41(since, request.end)
            case Endpoint.PRATES:
                assert request.end is not None
                return self.ddp.fetch_prates(request.series, since, request.end)
            case Endpoint.FRED:
                return self.fred.fetch(request.series[0], request.start, request.end)

    def fetch(self, step: Step) -> list[Payload | NotModified]:
        results = []
        for request in step.requests:
            result = self.call(request)
            if step.range_checked and isinstance(result, Payload):
                self.check_against_range(result)
            results.append(result)
        return results

    # -- one group -----------------------------------------------------------------------------

    def step(self, step: Step) -> None:
        """Fetch ``step``'s group from its primary; on failure, fail over (or record why not).

        Every group the same requests serve (``served_with``) gets its own line, and its own
        failover when the requests fail.
        """
        group, served_with = step.group, step.served_with
        if step.not_due:
            self.uses.append(SourceUse(group.name, group.series, group.primary, None, UseStatus.NOT_DUE, step.not_due))
            return
        try:
            results = self.fetch(step)
        except SeriesRefused as exc:
            if exc.partial is not None:
                self.payloads.append(exc.partial)  # its validators are not kept: the next run asks again
            for each in (group, *served_with):
                kept = tuple(sid for sid in each.series if sid not in exc.problems)
                if exc.partial is not None and kept:
                    note = exc.partial.note
                    self.uses.append(SourceUse(each.name, kept, each.primary, each.primary, UseStatus.PRIMARY, note))
                for sid in each.series:
                    if sid in exc.problems:
                        self.fail_over(step, each, (sid,), exc, exc.problems[sid], label=sid if kept else each.name)
        except SourceError as exc:
            for each in (group, *served_with):
                self.fail_over(step, each, each.series, exc, exc.problem)
        except Exception as exc:  # whatever else a primary raises is its failure, never the run's
            error = unexpected(group.primary, exc)
            for each in (group, *served_with):
                self.fail_over(step, each, each.series, error, error.problem)
        else:
            self.landed(group, results)
            for each in served_with:
                self.landed(each, results, payloads_kept=True)
        if step.range_checked:
            self.settle_iorb(step)

    def landed(self, group: Group, results: list[Payload | NotModified], *, payloads_kept: bool = False) -> None:
        """Keep what the primary returned for ``group`` and say so (``payloads_kept``: another group kept them)."""
        payloads = [r for r in results if isinstance(r, Payload)]
        for result in results:
            self.keep_validators(result)
        if not payloads:
            provider = group.primary
            self.uses.append(SourceUse(group.name, group.series, group.primary, provider, UseStatus.NOT_MODIFIED))
            return
        if not payloads_kept:
            self.payloads += payloads
        note = "; ".join(p.note for p in payloads if p.note)
        self.uses.append(SourceUse(group.name, group.series, group.primary, group.primary, UseStatus.PRIMARY, note))

    def check_against_range(self, payload: Payload) -> None:
        """Refuse ``payload`` when its IORB or IOER lies outside the target range this run's EFFR records carry."""
        bounds = ranges(pl.concat([p.observations for p in self.payloads]) if self.payloads else payload.observations)
        problem = outside_range(payload.observations, bounds)
        if problem:
            raise ParseError(payload.source, payload.url, problem)

    def settle_iorb(self, step: Step) -> None:
        """A failover's IORB passes the same range check; IORB no source served carries forward or stays missing."""
        for payload in self.payloads:
            if payload.source == Provider.FRED and any(sid in ("IORB", "IOER") for sid in payload.series):
                self.check_against_range(payload)
        basis = self.iorb_basis
        if "IORB" not in self.missing or basis is None or Provider.CARRIED not in step.fallbacks:
            return  # with no IORB stored, a run without one fails (SourcesUnavailable)
        fetched = [p.observations for p in self.payloads]
        now = latest_range(pl.concat(fetched), basis.range_latest) if fetched else basis.range_latest
        carry, why = carry_decision(basis, now)
        self.missing.remove("IORB")
        [use] = [u for u in self.uses if u.status is UseStatus.UNAVAILABLE and "IORB" in u.series]
        self.uses.remove(use)
        if carry:
            if basis.date < self.end:
                self.payloads.append(carried_payload(basis, self.end))
            self.log(f"IORB carried forward: {why} ({use.detail})")
            self.uses.append(SourceUse(IORB.name, IORB.series, IORB.primary, Provider.CARRIED, UseStatus.CARRIED, why))
        else:
            self.log(f"IORB missing: {use.detail}; {why}")
            self.uses.append(replace(use, detail=f"{use.detail}; {why}"))

    def keep_validators(self, result: Payload | NotModified) -> None:
        if result.validators:
            self.validators[result.url] = (result.source, result.validators)

    def fail_over(
        self,
        step: Step,
        group: Group,
        series: tuple[str, ...],
        error: SourceError,
        why: str,
        *,
        label: str | None = None,
    ) -> None:
        """Take ``series`` from FRED because the primary failed with ``error`` (when the plan allows it)."""
        label = label or group.name
        if Provider.FRED not in step.fallbacks:
            self.unavailable(label, group, series, [error], why)
            return
        self.log(f"{label} from FRED: {group.primary.label} failed: {why}" + (f" ({error.url})" if error.url else ""))
        got: list[str] = []
        lost: list[tuple[str, SourceError]] = []
        for sid in series:
            self.progress(f"FRED {sid} (failover for {label})", self.steps, self.plan.total)
            try:
                # the primary's window, backfill or not
                result = self.fred.fetch(sid, self.plan.starts[sid], self.plan.fred_end)
            except SourceError as exc:
                lost.append((sid, exc))
                continue
            except Exception as exc:
                lost.append((sid, unexpected(Provider.FRED, exc)))
                continue
            got.append(sid)
            self.keep_validators(result)
            if isinstance(result, Payload):
                self.payloads.append(result)
        if got:
            self.uses.append(SourceUse(label, tuple(got), group.primary, Provider.FRED, UseStatus.FAILOVER, why))
        if lost:
            ids = tuple(sid for sid, _ in lost)
            self.unavailable(", ".join(ids), group, ids, [error] + [e for _, e in lost], why)

    def unavailable(
        self, label: str, group: Group, series: tuple[str, ...], errors: list[SourceError], why: str
    ) -> None:
        """No source served ``series``: a note if none is required, else a failure of the run."""
        detail = "; ".join(dict.fromkeys(f"{e.source}: {e.problem}" for e in errors)) or why
        self.uses.append(SourceUse(label, series, group.primary, None, UseStatus.UNAVAILABLE, detail))
        required = [sid for sid in series if SERIES[sid].required]
        if required:
            for e in errors:
                if e not in self.failures:
                    self.failures.append(e)
            self.missing += [sid for sid in required if sid not in self.missing]
