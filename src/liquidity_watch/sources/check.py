"""Is every upstream answering its contract? Used by ``liquidity-watch sources check``.

Each upstream call a run makes is made once, for a short recent window, through the same
clients, parsers and identity and unit checks as a run: the NY Fed (SOFR, TGCR, BGCR, EFFR
with the target range, the operations search for ON RRP and the repo take-up), the Board (the
H.4.1 release archive, or the user's package, and the PRATES archive for IORB), and FRED for
every required series (the failover; the official API when ``FRED_API_KEY`` is set). One row
per call says whether its contract held: the path answered, the body had its documented shape
and units (the parser's checks), and the latest date of each series is as fresh as its
publication calendar says; and what the call picked (the PRATES series). Nothing is written:
no warehouse is opened, and the archives go to temporary files that are deleted. A required
series is *unavailable* when no call returned an observation of it."""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import polars as pl

from liquidity_watch.domain import freshness
from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp import ARCHIVE_PATH
from liquidity_watch.sources.errors import SeriesRefused, SourceError
from liquidity_watch.sources.extract import clients
from liquidity_watch.sources.fred import API_PATH, CSV_PATH
from liquidity_watch.sources.http import NotModified
from liquidity_watch.sources.nyfed import OPERATIONS_PATH, RATE_PATHS
from liquidity_watch.sources.plan import H41, IORB, RATES, REPO, RRP, Group

#: how far back each request reaches: enough for a weekly series to have an observation
WINDOW_DAYS = {Provider.NYFED: 14, Provider.DDP: 35, Provider.FRED: 35}

Log = Callable[[str], None]


@dataclass(frozen=True)
class CheckRow:
    """One upstream call and whether its contract held.

    Attributes
    ----------
    source : who answered (``NY Fed``, ``Board``, ``FRED``).
    call : the method and path (``GET /api/rp/results/search.json``).
    series : the canonical ids the call should serve.
    latest : the latest date among the series it served (``None``: nothing served).
    status : ``ok``; ``stale: ...``; ``no data in the window: ...``; ``refused ...``; ``failed: ...``.
    seconds : how long the call took.
    url : the URL asked (secrets redacted).
    served : the series of which the call returned an observation.
    note : what the payload says about itself (the PRATES series picked, when the file was prepared).
    """

    source: str
    call: str
    series: tuple[str, ...]
    latest: dt.date | None
    status: str
    seconds: float
    url: str
    served: tuple[str, ...] = ()
    note: str = ""

    @property
    def available(self) -> bool:
        return bool(self.served)


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
    """Make every upstream call once; one row per call."""
    today = today or today_new_york()
    now = now or dt.datetime.now(dt.UTC)
    say = progress or (lambda message: None)
    nyfed, ddp, fred = clients(settings, log)
    rows: list[CheckRow] = []

    def start(provider: Provider) -> dt.date:
        return today - dt.timedelta(days=WINDOW_DAYS[provider])

    def ask(group: Group, call: str, fetch: Callable[[], Payload | NotModified], wanted: tuple[str, ...]) -> None:
        say(f"{group.primary.label}: {call}")
        started = time.perf_counter()
        try:
            result = fetch()
        except SeriesRefused as exc:
            seconds = time.perf_counter() - started
            refused = "; ".join(f"refused {sid}: {exc.problems[sid]}" for sid in wanted if sid in exc.problems)
            if exc.partial is None:
                rows.append(CheckRow(group.primary.label, call, wanted, None, refused, seconds, exc.url))
            else:
                row = _row(group.primary, call, exc.partial, wanted, seconds, now, skip=set(exc.problems))
                rows.append(replace(row, status=f"{refused}; the others {row.status}"))
            return
        except SourceError as exc:
            seconds = time.perf_counter() - started
            rows.append(CheckRow(group.primary.label, call, wanted, None, f"failed: {exc.problem}", seconds, exc.url))
            return
        seconds = time.perf_counter() - started
        if isinstance(result, NotModified):  # no validators are sent, but be exact if a server answers 304 anyway
            rows.append(CheckRow(group.primary.label, call, wanted, None, "not modified (304)", seconds, result.url))
            return
        rows.append(_row(group.primary, call, result, wanted, seconds, now))

    required = set(required_series())
    try:
        a = start(Provider.NYFED)
        for kind, group in RATES.items():
            fetch = functools.partial(nyfed.fetch_rates, kind, a, today)
            ask(group, f"GET {RATE_PATHS[kind]}", fetch, _wanted(group, required))
        operations = Group(f"{RRP.name} and {REPO.name}", Provider.NYFED, RRP.series + REPO.series)
        fetch_operations = functools.partial(nyfed.fetch_operations, a, today)
        ask(operations, f"GET {OPERATIONS_PATH}", fetch_operations, _wanted(operations, required))
        since = {sid: start(Provider.DDP) for sid in H41.series}
        what = "package CSV" if ddp.uses_package else "rel=H41 zip"
        ask(H41, f"GET {ARCHIVE_PATH} ({what})", lambda: ddp.fetch_h41(since, today), _wanted(H41, required))
        policy = IORB.series
        fetch_prates = functools.partial(ddp.fetch_prates, policy, {sid: start(Provider.DDP) for sid in policy}, today)
        ask(IORB, f"GET {ARCHIVE_PATH} (rel=PRATES zip)", fetch_prates, policy)
        b = start(Provider.FRED)
        path = API_PATH if fred.uses_api else CSV_PATH
        for sid in required_series():
            group = Group(sid, Provider.FRED, (sid,))
            ask(group, f"GET {path} ({sid})", functools.partial(fred.fetch, sid, b), (sid,))
    finally:
        for client in (nyfed, ddp, fred):
            client.http.close()
    return rows


def _wanted(group: Group, required: set[str]) -> tuple[str, ...]:
    """The group's required series, then the others."""
    return tuple(sorted(group.series, key=lambda sid: (sid not in required, group.series.index(sid))))


def _row(
    provider: Provider,
    call: str,
    payload: Payload,
    wanted: tuple[str, ...],
    seconds: float,
    now: dt.datetime,
    skip: set[str] | None = None,
) -> CheckRow:
    """The row of a call that answered: ``ok``, or which series are stale or absent from the window."""
    latest = dict(payload.observations.group_by("series_id").agg(pl.col("date").max()).iter_rows())
    report = {f.series_id: f for f in freshness.check(latest, now)}
    asked = tuple(sid for sid in wanted if not (skip and sid in skip))
    stale: list[str] = []
    absent: list[str] = []
    optional: list[str] = []
    for sid in asked:
        if sid not in latest:
            (absent if SERIES[sid].required else optional).append(sid)
        elif report[sid].status == "stale":
            due = report[sid].due_by
            stale.append(f"{sid} (next was due {due:%Y-%m-%d %H:%M} UTC)" if due else sid)
    problems = [
        f"stale: {', '.join(stale)}" if stale else "",
        f"no data in the window: {', '.join(absent)}" if absent else "",
    ]
    status = "; ".join(p for p in problems if p) or "ok"
    if optional:
        status += f" (optional, none in the window: {', '.join(optional)})"
    served = tuple(sid for sid in asked if sid in latest)
    newest = max((latest[sid] for sid in served), default=None)
    return CheckRow(provider.label, call, wanted, newest, status, seconds, payload.url, served, payload.note)


def unavailable_required(rows: list[CheckRow]) -> list[str]:
    """The required series no call returned an observation of."""
    found = {sid for row in rows for sid in row.served}
    return [sid for sid in required_series() if sid not in found]
