"""Which requests a run makes, per source kind, and what happens when a source fails.

``live``: each group of series from its primary source - SOFR (with its percentiles and
volume), TGCR, BGCR, EFFR (with the target range), ON RRP (with its award rate) and the repo
operations' take-up from the NY Fed, H.4.1 and IORB (with IOER history) from the Board's
whole-release archives (H.4.1 and PRATES), and commercial banks' total assets (H.8) from FRED.
ON RRP and the repo take-up come from the same operations search (one request per window
serves both groups). IORB is checked against the target range of the run's EFFR records
(``sources.policy_rates``); when no source serves it, it carries forward while the range
stands, and is otherwise left missing (the rules that read it say ``no_data``).
When a primary cannot be reached, or its payload fails its identity or unit checks, the same
series come from FRED's keyless CSV instead (failover; ``strict`` turns it off), and the
run's ``SourceUse`` list says which series came from where and why. ``fred``: every series
from FRED. ``snapshot``: a local folder of FRED-format CSVs.

Live sources are incremental: each series is fetched from its last stored observation minus
``overlap_days`` (to pick up revisions), or from the start of history. H.4.1 is asked for
only when a release is due after the last stored week, or to backfill: the archive holds the
whole history, so a run between releases records "not due" instead of downloading it again.
The Board's archive and FRED's CSVs are asked for conditionally when an earlier response gave
validators (a 304 is "nothing new"); the NY Fed answers ``Cache-Control: no-store`` and is
asked plainly.

Failures are collected, not raised at the first: a run with no network reports every source
it could not reach. When a required series can be had from no source, ``extract`` raises
``SourcesUnavailable`` before the run writes anything.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from liquidity_watch.domain.calendars import NEW_YORK, published_at, today_new_york
from liquidity_watch.domain.catalog import HISTORY_START, SERIES, Release
from liquidity_watch.domain.freshness import next_observation
from liquidity_watch.domain.payload import Payload, Validators
from liquidity_watch.domain.sources import IorbBasis, Provider, SourceKind, SourceUse, UseStatus
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp import H41_SERIES, DdpClient, board_host
from liquidity_watch.sources.errors import ParseError, SeriesRefused, SourceError, SourcesUnavailable
from liquidity_watch.sources.fred import FredClient
from liquidity_watch.sources.http import HttpClient, NotModified
from liquidity_watch.sources.nyfed import RATE_FIELDS, NyFedClient, windows
from liquidity_watch.sources.policy_rates import carried_payload, carry_decision, latest_range, outside_range, ranges
from liquidity_watch.sources.snapshot import read_snapshot

Progress = Callable[[str, int, int], None]
Log = Callable[[str], None]

logger = logging.getLogger("liquidity_watch.sources")


def _no_progress(message: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Group:
    """Series that one primary request (or set of requests) serves together."""

    name: str
    primary: Provider
    series: tuple[str, ...]


#: NY Fed reference rates: group name -> the rate type the API calls it
NYFED_RATES = ("SOFR", "TGCR", "BGCR", "EFFR")
RATES = {kind: Group(kind, Provider.NYFED, tuple(RATE_FIELDS[kind].values())) for kind in NYFED_RATES}
RRP = Group("ON RRP", Provider.NYFED, ("RRPONTSYD", "RRPONTSYAWARD"))
REPO = Group("repo operations", Provider.NYFED, ("RPONTSYD",))
H41 = Group("H.4.1", Provider.DDP, tuple(H41_SERIES.values()))
IORB = Group("IORB", Provider.DDP, ("IORB",))
IOER = Group("IOER", Provider.DDP, ("IOER",))
BANK_ASSETS = Group("H.8 bank assets", Provider.FRED, ("TLAACBW027SBOG",))
#: the H.4.1 series that decide whether a release is due
H41_REQUIRED = tuple(sid for sid in H41.series if SERIES[sid].required)


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


def start_dates(last_stored: dict[str, dt.date], overlap_days: int) -> dict[str, dt.date]:
    """First date to request per series: last stored minus the overlap, else the start of history.

    >>> start_dates({"SOFR": dt.date(2026, 8, 27)}, 14)["SOFR"]
    datetime.date(2026, 8, 13)
    >>> start_dates({}, 14)["WALCL"]
    datetime.date(2002, 12, 18)
    """
    first = HISTORY_START
    return {
        sid: (last_stored[sid] - dt.timedelta(days=overlap_days)) if sid in last_stored else first for sid in SERIES
    }


def h41_due(last_stored: dict[str, dt.date], now: dt.datetime) -> tuple[bool, str]:
    """Whether an H.4.1 release is due after the last stored week, and why, in words.

    The last stored week is the oldest latest week of the required H.4.1 series (one that
    lags makes the release due); a required series never stored means a backfill.

    >>> stored = {sid: dt.date(2026, 8, 26) for sid in H41_REQUIRED}
    >>> h41_due(stored, dt.datetime(2026, 8, 28, 12, tzinfo=dt.UTC))
    (False, 'last stored week 2026-08-26; the release for 2026-09-02 is due Thu 2026-09-03 16:30 ET')
    >>> h41_due(stored, dt.datetime(2026, 9, 3, 21, tzinfo=dt.UTC))[0]
    True
    """
    missing = [sid for sid in H41_REQUIRED if sid not in last_stored]
    if missing:
        return True, f"backfill ({', '.join(missing)} not stored yet)"
    last = min(last_stored[sid] for sid in H41_REQUIRED)
    expected = next_observation(H41_REQUIRED[0], last)
    release = published_at(Release.H41, expected)
    when = f"{release.astimezone(NEW_YORK):%a %Y-%m-%d %H:%M} ET"
    if now >= release:
        return True, f"the release for {expected} was due {when}"
    return False, f"last stored week {last}; the release for {expected} is due {when}"


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
    kind = SourceKind(kind)
    log = log or logger.warning
    if kind is SourceKind.SNAPSHOT:
        folder = snapshot_dir or settings.resolved_snapshot_dir()
        progress(f"reading snapshot {folder}", 0, 1)
        payloads = read_snapshot(folder)
        progress(f"read {len(payloads)} series from {folder}", 1, 1)
        series = tuple(sorted({sid for p in payloads for sid in p.series}))
        use = SourceUse("every series", series, Provider.SNAPSHOT, Provider.SNAPSHOT, UseStatus.PRIMARY, str(folder))
        return Extraction(payloads, [use])
    run = _Run(
        settings,
        last_stored,
        end or today_new_york(),
        validators or {},
        settings.strict_sources if strict is None else strict,
        progress,
        log,
        iorb_basis,
    )
    try:
        if kind is SourceKind.FRED:
            run.all_from_fred()
        else:
            run.live(now or dt.datetime.now(dt.UTC))
    finally:
        run.close()
    return run.result()


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
        settings: Settings,
        last_stored: dict[str, dt.date],
        end: dt.date,
        validators: Mapping[str, Validators],
        strict: bool,
        progress: Progress,
        log: Log,
        iorb_basis: IorbBasis | None = None,
    ):
        self.last_stored = last_stored
        self.iorb_basis = iorb_basis
        self.starts = start_dates(last_stored, settings.overlap_days)
        self.end = end
        # a replay asks FRED to stop where the primaries stop; a run of today leaves the end open, so
        # its URLs stay the same from day to day and FRED's validators keep answering 304
        self.fred_end = end if end < today_new_york() else None
        self.strict = strict
        self.progress = progress
        self.log = log
        self.nyfed, self.ddp, self.fred = clients(settings, log, validators)
        self.payloads: list[Payload] = []
        self.uses: list[SourceUse] = []
        self.validators: dict[str, tuple[str, Validators]] = {}
        self.failures: list[SourceError] = []
        self.missing: list[str] = []
        self.steps = 0
        self.total = 0

    def close(self) -> None:
        for client in (self.nyfed, self.ddp, self.fred):
            client.http.close()

    def result(self) -> Extraction:
        if self.missing:
            raise SourcesUnavailable(self.failures, self.missing)
        return Extraction(self.payloads, self.uses, self.validators)

    def _step(self, label: str, total: int) -> None:
        self.progress(label, self.steps, total)
        self.steps += 1

    def group_start(self, group: Group) -> dt.date:
        """Where a group's requests start: its lead series' incremental start, or the start of
        history when any series of the group was never stored (a series added to the catalog
        after the warehouse was built is backfilled once, with its group)."""
        if any(sid not in self.last_stored for sid in group.series):
            return HISTORY_START
        return self.starts[group.series[0]]

    def fred_start(self, sid: str) -> dt.date | None:
        return self.starts[sid] if sid in self.last_stored else None

    # -- plans -------------------------------------------------------------------------------

    def live(self, now: dt.datetime) -> None:
        starts, end = self.starts, self.end
        spans = {kind: windows(kind, self.group_start(group), end) for kind, group in RATES.items()}
        operations = windows("OPERATIONS", min(self.group_start(RRP), self.group_start(REPO)), end)
        due, why = h41_due(self.last_stored, now)
        policy = (IORB,) + (() if "IOER" in self.last_stored else (IOER,))
        fred_groups = [BANK_ASSETS]
        total = self.total = sum(map(len, spans.values())) + len(operations) + (1 if due else 0) + 1 + len(fred_groups)

        def rates(group: Group, kind: str, spans: list[tuple[dt.date, dt.date]]) -> list[Payload | NotModified]:
            out: list[Payload | NotModified] = []
            for a, b in spans:
                self._step(f"NY Fed {group.name} {a}..{b}", total)
                out.append(self.nyfed.fetch_rates(kind, a, b))
            return out

        def operation_results() -> list[Payload | NotModified]:
            out: list[Payload | NotModified] = []
            for a, b in operations:
                self._step(f"NY Fed ON RRP and repo operations {a}..{b}", total)
                out.append(self.nyfed.fetch_operations(a, b))
            return out

        def h41() -> list[Payload | NotModified]:
            source = f"package {self.ddp.settings.ddp_h41_package}" if self.ddp.uses_package else "release archive"
            self._step(f"Board H.4.1 ({source}): {why}", total)
            since = {sid: starts[sid] for sid in H41.series if sid in self.last_stored}
            return [self.ddp.fetch_h41(since, end)]

        def prates() -> list[Payload | NotModified]:
            wanted = tuple(sid for group in policy for sid in group.series)
            self._step(f"Board policy rates (PRATES release archive): {', '.join(wanted)}", total)
            since = {sid: starts[sid] for sid in wanted if sid in self.last_stored}
            result = self.ddp.fetch_prates(wanted, since, end)
            if isinstance(result, Payload):
                self.check_against_range(result)
            return [result]

        for kind, group in RATES.items():
            self.primary(group, functools.partial(rates, group, kind, spans[kind]))
        self.primary(RRP, operation_results, served_with=(REPO,))
        if due:
            self.primary(H41, h41)
        else:
            self.uses.append(SourceUse(H41.name, H41.series, H41.primary, None, UseStatus.NOT_DUE, why))
        self.primary(policy[0], prates, served_with=policy[1:])
        self.settle_iorb()
        for group in fred_groups:
            sid = group.series[0]

            def one(sid: str = sid) -> list[Payload | NotModified]:
                self._step(f"FRED {sid}", total)
                return [self.fred.fetch(sid, self.fred_start(sid), self.fred_end)]

            self.primary(group, one)
        self.progress("live sources done", total, total)

    def all_from_fred(self) -> None:
        ids = list(SERIES)
        self.total = len(ids)
        for sid in ids:
            group = Group(sid, Provider.FRED, (sid,))

            def one(sid: str = sid) -> list[Payload | NotModified]:
                self._step(f"FRED {sid} from {self.fred_start(sid) or 'the start'}", len(ids))
                return [self.fred.fetch(sid, self.fred_start(sid), self.fred_end)]

            self.primary(group, one)
        self.progress("FRED done", len(ids), len(ids))

    # -- one group -----------------------------------------------------------------------------

    def primary(
        self, group: Group, fetch: Callable[[], list[Payload | NotModified]], *, served_with: tuple[Group, ...] = ()
    ) -> None:
        """Fetch ``group`` from its primary; on failure, fail over (or record why not).

        ``served_with``: other groups the same requests serve (each gets its own line, and its
        own failover when the requests fail).
        """
        try:
            results = fetch()
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
                        self.fail_over(each, (sid,), exc, exc.problems[sid], label=sid if kept else each.name)
            return
        except SourceError as exc:
            for each in (group, *served_with):
                self.fail_over(each, each.series, exc, exc.problem)
            return
        except Exception as exc:  # whatever else a primary raises is its failure, never the run's
            error = unexpected(group.primary, exc)
            for each in (group, *served_with):
                self.fail_over(each, each.series, error, error.problem)
            return
        self.landed(group, results)
        for each in served_with:
            self.landed(each, results, payloads_kept=True)

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

    def settle_iorb(self) -> None:
        """A failover's IORB passes the same range check; IORB no source served carries forward or stays missing."""
        for payload in self.payloads:
            if payload.source == Provider.FRED and any(sid in ("IORB", "IOER") for sid in payload.series):
                self.check_against_range(payload)
        basis = self.iorb_basis
        if "IORB" not in self.missing or basis is None:
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
        self, group: Group, series: tuple[str, ...], error: SourceError, why: str, *, label: str | None = None
    ) -> None:
        """Take ``series`` from FRED because the primary failed with ``error`` (unless strict)."""
        label = label or group.name
        if self.strict or group.primary is Provider.FRED:
            self.unavailable(label, group, series, [error], why)
            return
        self.log(f"{label} from FRED: {group.primary.label} failed: {why}" + (f" ({error.url})" if error.url else ""))
        got: list[str] = []
        lost: list[tuple[str, SourceError]] = []
        for sid in series:
            self.progress(f"FRED {sid} (failover for {label})", self.steps, self.total)
            try:
                result = self.fred.fetch(sid, self.starts[sid], self.fred_end)  # the primary's window, backfill or not
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
