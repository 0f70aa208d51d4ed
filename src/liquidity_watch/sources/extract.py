"""Which requests a run makes, per source kind, and in what order.

``live``: NY Fed (SOFR, EFFR + target range, ON RRP), the Board's DDP (H.4.1) and FRED
for what the primary sources lack (IORB, and IOER history). ``fred``: every series from
FRED's keyless CSV. ``snapshot``: a local folder of FRED-format CSVs.

Live sources are incremental: each series is fetched from its last stored observation
minus ``overlap_days`` (to pick up revisions), or from the start of history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.catalog import HISTORY_START, SERIES
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp import DdpClient
from liquidity_watch.sources.fred import FredClient
from liquidity_watch.sources.nyfed import NyFedClient, windows
from liquidity_watch.sources.snapshot import read_snapshot

Progress = Callable[[str, int, int], None]


def _no_progress(message: str, done: int, total: int) -> None:
    return None


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


def extract(
    kind: str,
    settings: Settings,
    last_stored: dict[str, dt.date],
    *,
    snapshot_dir: Path | None = None,
    end: dt.date | None = None,
    progress: Progress = _no_progress,
) -> list[Payload]:
    """Fetch every payload a run of ``kind`` needs and return them in fetch order."""
    kind = SourceKind(kind)
    if kind is SourceKind.SNAPSHOT:
        folder = snapshot_dir or settings.resolved_snapshot_dir()
        progress(f"reading snapshot {folder}", 0, 1)
        payloads = read_snapshot(folder)
        progress(f"read {len(payloads)} series from {folder}", 1, 1)
        return payloads
    end = end or today_new_york()
    starts = start_dates(last_stored, settings.overlap_days)
    if kind is SourceKind.FRED:
        client = FredClient(settings)
        ids = list(SERIES)
        payloads = []
        for i, sid in enumerate(ids):
            progress(f"FRED {sid} from {starts[sid]}", i, len(ids))
            payloads.append(client.fetch(sid, starts[sid] if sid in last_stored else None))
        progress("FRED done", len(ids), len(ids))
        return payloads
    return _extract_live(settings, starts, last_stored, end, progress)


def _extract_live(
    settings: Settings,
    starts: dict[str, dt.date],
    last_stored: dict[str, dt.date],
    end: dt.date,
    progress: Progress,
) -> list[Payload]:
    nyfed, ddp, fred = NyFedClient(settings), DdpClient(settings), FredClient(settings)
    fred_ids = ["IORB"] + ([] if "IOER" in last_stored else ["IOER"])
    plan: list[tuple[str, Callable[[], Payload]]] = []
    for rate in ("SOFR", "EFFR"):
        for a, b in windows(rate, starts[rate], end):
            plan.append((f"NY Fed {rate} {a}..{b}", lambda r=rate, a=a, b=b: nyfed.fetch_rates(r, a, b)))
    for a, b in windows("RRP", starts["RRPONTSYD"], end):
        plan.append((f"NY Fed ON RRP {a}..{b}", lambda a=a, b=b: nyfed.fetch_rrp(a, b)))
    plan.append((f"Board H.4.1 {starts['WALCL']}..{end}", lambda: ddp.fetch_h41(starts["WALCL"], end)))
    for sid in fred_ids:
        plan.append((f"FRED {sid}", lambda s=sid: fred.fetch(s, starts[s] if s in last_stored else None)))
    payloads: list[Payload] = []
    try:
        for i, (label, step) in enumerate(plan):
            progress(label, i, len(plan))
            payloads.append(step())
        progress("live sources done", len(plan), len(plan))
    finally:
        for client in (nyfed, ddp, fred):
            client.http.close()
    return payloads
