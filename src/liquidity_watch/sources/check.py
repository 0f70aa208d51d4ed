"""Is every upstream answering, with what the run expects? Used by ``liquidity-watch sources check``.

Each upstream is asked once, for a short recent window, through the same clients, parsers
and identity and unit checks as a run: the NY Fed (SOFR, TGCR, BGCR, EFFR with the target
range, ON RRP, repo operations), the Board (the H.4.1 release archive, or the user's
package), and FRED's keyless CSV for every required series (the failover). Nothing is
written: no warehouse is opened, and the archive goes to a temporary file that is deleted. A
required series is *unavailable* when no source returned an observation of it."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain import freshness
from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import SeriesRefused, SourceError
from liquidity_watch.sources.extract import H41, RATES, REPO, RRP, Group, clients
from liquidity_watch.sources.http import NotModified

#: how far back each request reaches: enough for a weekly series to have an observation
WINDOW_DAYS = {Provider.NYFED: 14, Provider.DDP: 35, Provider.FRED: 35}

Log = Callable[[str], None]


@dataclass(frozen=True)
class CheckRow:
    """One series as one source served it."""

    source: str
    series: str
    latest: dt.date | None
    status: str  # ok, stale (...), no data in the window, failed: ...
    seconds: float
    url: str

    @property
    def available(self) -> bool:
        return self.latest is not None


def required_series() -> list[str]:
    """The series a run cannot do without (discontinued ones excepted)."""
    return [sid for sid, s in SERIES.items() if s.required and s.discontinued is None]


def check_sources(
    settings: Settings,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    log: Log | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[CheckRow]:
    """Ask every upstream once; one row per (source, series)."""
    today = today or today_new_york()
    now = now or dt.datetime.now(dt.UTC)
    say = progress or (lambda message: None)
    nyfed, ddp, fred = clients(settings, log)
    rows: list[CheckRow] = []

    def start(provider: Provider) -> dt.date:
        return today - dt.timedelta(days=WINDOW_DAYS[provider])

    def ask(group: Group, label: str, fetch: Callable[[], Payload | NotModified], wanted: tuple[str, ...]) -> None:
        say(f"{group.primary.label}: {label}")
        started = time.perf_counter()
        try:
            result = fetch()
        except SeriesRefused as exc:
            seconds = time.perf_counter() - started
            if exc.partial is not None:
                rows.extend(_rows(group.primary, exc.partial, wanted, seconds, now, skip=set(exc.problems)))
            rows.extend(
                CheckRow(group.primary.label, sid, None, f"failed: {exc.problems[sid]}", seconds, exc.url)
                for sid in wanted
                if sid in exc.problems
            )
            return
        except SourceError as exc:
            seconds = time.perf_counter() - started
            label = group.primary.label
            rows.extend(CheckRow(label, sid, None, f"failed: {exc.problem}", seconds, exc.url) for sid in wanted)
            return
        seconds = time.perf_counter() - started
        if isinstance(result, NotModified):  # no validators are sent, but be exact if a server answers 304 anyway
            label = group.primary.label
            rows.extend(CheckRow(label, sid, None, "not modified (304)", seconds, result.url) for sid in wanted)
            return
        rows.extend(_rows(group.primary, result, wanted, seconds, now))

    required = set(required_series())
    try:
        a = start(Provider.NYFED)
        for kind, group in RATES.items():
            fetch = functools.partial(nyfed.fetch_rates, kind, a, today)
            ask(group, f"{kind} {a}..{today}", fetch, _wanted(group, required))
        operations = Group(f"{RRP.name} and {REPO.name}", Provider.NYFED, RRP.series + REPO.series)
        ask(
            operations,
            f"operations {a}..{today}",
            lambda: nyfed.fetch_operations(a, today),
            _wanted(operations, required),
        )
        since = {sid: start(Provider.DDP) for sid in H41.series}
        what = "your package" if ddp.uses_package else "the H.4.1 release archive"
        ask(H41, what, lambda: ddp.fetch_h41(since, today), _wanted(H41, required))
        b = start(Provider.FRED)
        for sid in required_series():
            group = Group(sid, Provider.FRED, (sid,))
            ask(group, f"{sid} from {b}", functools.partial(fred.fetch, sid, b), (sid,))
    finally:
        for client in (nyfed, ddp, fred):
            client.http.close()
    return rows


def _wanted(group: Group, required: set[str]) -> tuple[str, ...]:
    """The group's required series, then the others."""
    return tuple(sorted(group.series, key=lambda sid: (sid not in required, group.series.index(sid))))


def _rows(
    provider: Provider,
    payload: Payload,
    wanted: tuple[str, ...],
    seconds: float,
    now: dt.datetime,
    skip: set[str] | None = None,
) -> list[CheckRow]:
    latest = dict(payload.observations.group_by("series_id").agg(pl.col("date").max()).iter_rows())
    report = {f.series_id: f for f in freshness.check(latest, now)}
    out = []
    for sid in wanted:
        if skip and sid in skip:
            continue
        day = latest.get(sid)
        if day is None:
            status = "no data in the window" if SERIES[sid].required else "no data in the window (optional)"
        elif report[sid].status == "stale":
            due = report[sid].due_by
            status = f"stale (next was due {due:%Y-%m-%d %H:%M} UTC)" if due else "stale"
        else:
            status = "ok"
        out.append(CheckRow(provider.label, sid, day, status, seconds, payload.url))
    return out


def unavailable_required(rows: list[CheckRow]) -> list[str]:
    """The required series no source returned an observation of."""
    found = {row.series for row in rows if row.available}
    return [sid for sid in required_series() if sid not in found]
