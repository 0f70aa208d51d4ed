"""Which requests a run makes: per group of series, its window and its providers in order.

The plan is pure: it comes from what is stored (the last date of each series), the release
calendar (whether H.4.1 is due) and the settings (strict sources, the snapshot folder, the
user's H.4.1 package), and ``sources.extract`` carries it out. Nothing here opens a connection.

``live``: each group of series from its primary source - SOFR (with its percentiles and
volume), TGCR, BGCR, EFFR (with the target range), ON RRP (with its award rate) and the repo
operations' take-up from the NY Fed, H.4.1 and IORB (with IOER history) from the Board's
whole-release archives (H.4.1 and PRATES), and commercial banks' total assets (H.8) from FRED.
ON RRP and the repo take-up come from the same operations search (one request per window
serves both groups). FRED is every group's failover unless sources are strict (or FRED is
already the primary); IORB is checked against the target range of the run's EFFR records,
and when no source serves it, it is carried forward while the range stands (when the
warehouse holds one to carry). ``fred``: every series from FRED, no failover. ``snapshot``: a
local folder of FRED-format CSVs.

Live sources are incremental: each series is fetched from its last stored observation minus
``overlap_days`` (to pick up revisions), or from the start of history; a group with a series
never stored is backfilled whole. H.4.1 is asked for only when a release is due after the last
stored week, or to backfill: the archive holds the whole history, so a run between releases
records "not due" instead of downloading it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from liquidity_watch.domain.calendars import NEW_YORK, published_at
from liquidity_watch.domain.catalog import HISTORY_START, SERIES, Release
from liquidity_watch.domain.freshness import next_observation
from liquidity_watch.domain.sources import Provider, SourceKind
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp import H41_SERIES
from liquidity_watch.sources.nyfed import RATE_FIELDS, windows


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


class Endpoint(StrEnum):
    """What one request asks for (``sources.extract`` calls the client that serves it)."""

    RATES = "rates"  # one NY Fed reference rate over a window
    OPERATIONS = "operations"  # the NY Fed's operations search: ON RRP and repo take-up over a window
    H41 = "h41"  # the Board's H.4.1 (its release archive, or the user's package)
    PRATES = "prates"  # the Board's policy rates archive (IORB, IOER)
    FRED = "fred"  # one FRED series


@dataclass(frozen=True)
class Request:
    """One request of a group's primary.

    Attributes
    ----------
    label : the progress line said before it is sent.
    endpoint : what it asks for.
    start, end : its window (``start`` None: from the start of the series; ``end`` None: open).
    rate : the NY Fed rate type (``RATES``).
    series : the series asked for (``PRATES``: every one wanted; ``FRED``: the one).
    since : where each series starts (``H41``, ``PRATES``; a series absent: all its history).
    """

    label: str
    endpoint: Endpoint
    start: dt.date | None = None
    end: dt.date | None = None
    rate: str = ""
    series: tuple[str, ...] = ()
    since: tuple[tuple[str, dt.date], ...] = ()


@dataclass(frozen=True)
class Step:
    """One group: the requests to its primary, and who serves it, in order, when they fail.

    Attributes
    ----------
    group : the series and their primary.
    requests : sent in order; none (and ``not_due`` empty) means nothing new to ask.
    fallbacks : after the primary: ``fred`` (each failed series, over its own window) and
        ``carried`` (IORB's last value, while the target range stands).
    served_with : other groups the same requests serve (each gets its own line and failover).
    not_due : why the primary is not asked (H.4.1 between releases); empty when it is.
    range_checked : IORB and IOER in what serves it are checked against the target range.
    """

    group: Group
    requests: tuple[Request, ...]
    fallbacks: tuple[Provider, ...] = ()
    served_with: tuple[Group, ...] = ()
    not_due: str = ""
    range_checked: bool = False

    @property
    def providers(self) -> tuple[Provider, ...]:
        """Who may serve the group, in the order they are tried."""
        return (self.group.primary, *self.fallbacks)


@dataclass(frozen=True)
class Plan:
    """Every request of a run, group by group.

    Attributes
    ----------
    kind : the kind of run.
    steps : the groups, in the order they are fetched (IORB's range check reads the EFFR
        records fetched before it).
    starts : each series' first date; a failover asks FRED for the primary's window.
    fred_end : the last date asked of FRED (None: open, so a run of today keeps the same URL).
    snapshot : the folder a ``snapshot`` run reads.
    """

    kind: SourceKind
    steps: tuple[Step, ...] = ()
    starts: Mapping[str, dt.date] = field(default_factory=dict)
    fred_end: dt.date | None = None
    snapshot: Path | None = None

    @property
    def total(self) -> int:
        """How many requests the plan makes (failovers aside): the progress bar's length."""
        return sum(len(step.requests) for step in self.steps)

    @property
    def done(self) -> str:
        """The last progress line."""
        return "FRED done" if self.kind is SourceKind.FRED else "live sources done"


def start_dates(last_stored: Mapping[str, dt.date], overlap_days: int) -> dict[str, dt.date]:
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


def h41_due(last_stored: Mapping[str, dt.date], now: dt.datetime) -> tuple[bool, str]:
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


def plan(
    kind: SourceKind | str,
    settings: Settings,
    last_stored: Mapping[str, dt.date],
    *,
    end: dt.date,
    today: dt.date,
    now: dt.datetime,
    strict: bool,
    carry_iorb: bool = False,
    snapshot_dir: Path | None = None,
) -> Plan:
    """The requests of a run of ``kind``.

    Parameters
    ----------
    kind : ``live``, ``fred`` or ``snapshot``.
    settings : the overlap of incremental windows, the snapshot folder, the user's H.4.1 package.
    last_stored : the last stored date per series.
    end : the last date to ask for.
    today : today in New York: a run of today leaves FRED's end open; a replay (``end`` before
        today) asks FRED to stop where the primaries stop.
    now : the time that decides whether H.4.1 is due.
    strict : primary sources or nothing (no failover to FRED).
    carry_iorb : the warehouse holds an IORB to carry forward when no source serves one.
    snapshot_dir : the folder for ``snapshot`` (default: the setting, else the bundled one).
    """
    kind = SourceKind(kind)
    if kind is SourceKind.SNAPSHOT:
        return Plan(kind, snapshot=snapshot_dir or settings.resolved_snapshot_dir())
    starts = start_dates(last_stored, settings.overlap_days)
    # a replay asks FRED to stop where the primaries stop; a run of today leaves the end open, so
    # its URLs stay the same from day to day and FRED's validators keep answering 304
    fred_end = end if end < today else None

    def _from(sid: str) -> str:
        return str(starts[sid]) if sid in last_stored else "the start"

    def from_fred(sid: str, label: str) -> Request:
        return Request(label, Endpoint.FRED, starts[sid] if sid in last_stored else None, fred_end, series=(sid,))

    if kind is SourceKind.FRED:
        every = tuple(
            Step(Group(sid, Provider.FRED, (sid,)), (from_fred(sid, f"FRED {sid} from {_from(sid)}"),))
            for sid in SERIES
        )
        return Plan(kind, every, starts, fred_end)

    def group_start(group: Group) -> dt.date:
        # a series added to the catalog after the warehouse was built is backfilled once, with its group
        if any(sid not in last_stored for sid in group.series):
            return HISTORY_START
        return starts[group.series[0]]

    def since(series: tuple[str, ...]) -> tuple[tuple[str, dt.date], ...]:
        return tuple((sid, starts[sid]) for sid in series if sid in last_stored)

    failover = () if strict else (Provider.FRED,)
    steps: list[Step] = []
    for rate, group in RATES.items():
        spans = windows(rate, group_start(group), end)
        requests = tuple(Request(f"NY Fed {group.name} {a}..{b}", Endpoint.RATES, a, b, rate=rate) for a, b in spans)
        steps.append(Step(group, requests, failover))
    spans = windows("OPERATIONS", min(group_start(RRP), group_start(REPO)), end)
    operations = tuple(
        Request(f"NY Fed ON RRP and repo operations {a}..{b}", Endpoint.OPERATIONS, a, b) for a, b in spans
    )
    steps.append(Step(RRP, operations, failover, served_with=(REPO,)))
    due, why = h41_due(last_stored, now)
    if due:
        source = f"package {settings.ddp_h41_package}" if settings.ddp_h41_package else "release archive"
        h41 = Request(f"Board H.4.1 ({source}): {why}", Endpoint.H41, end=end, since=since(H41.series))
        steps.append(Step(H41, (h41,), failover))
    else:
        steps.append(Step(H41, (), failover, not_due=why))
    policy = (IORB,) + (() if "IOER" in last_stored else (IOER,))
    wanted = tuple(sid for group in policy for sid in group.series)
    prates = Request(
        f"Board policy rates (PRATES release archive): {', '.join(wanted)}",
        Endpoint.PRATES,
        end=end,
        series=wanted,
        since=since(wanted),
    )
    carried = (Provider.CARRIED,) if carry_iorb else ()
    steps.append(Step(IORB, (prates,), failover + carried, served_with=policy[1:], range_checked=True))
    sid = BANK_ASSETS.series[0]
    steps.append(Step(BANK_ASSETS, (from_fred(sid, f"FRED {sid}"),)))
    return Plan(kind, tuple(steps), starts, fred_end)
