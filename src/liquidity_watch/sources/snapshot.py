"""A folder of FRED-format CSVs (``<SERIES_ID>.csv`` with ``observation_date,<SERIES_ID>``).

The package ships one (``liquidity_watch/data/snapshot``) as its offline default; ``--snapshot-dir`` reads
any other folder of the same format.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload, sha256
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import parse_fredgraph_csv

SOURCE = "snapshot"


def read_snapshot(folder: Path) -> list[Payload]:
    """Read every known series in ``folder``; fail if a required series is missing.

    Files whose name is not a known series id are ignored; the README lists the ids.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ParseError(
            SOURCE, folder.as_uri() if folder.is_absolute() else str(folder), "snapshot folder does not exist"
        )
    missing = sorted(sid for sid, s in SERIES.items() if s.required and not (folder / f"{sid}.csv").is_file())
    if missing:
        raise ParseError(SOURCE, folder.resolve().as_uri(), f"required series missing from the snapshot: {missing}")
    payloads = []
    for sid in SERIES:
        path = folder / f"{sid}.csv"
        if not path.is_file():
            continue
        body = path.read_bytes()
        url = path.resolve().as_uri()
        frame = parse_fredgraph_csv(body, url=url, source=SOURCE, expected=[sid])
        mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        payloads.append(Payload(SOURCE, url, mtime, sha256(body), frame.filter(frame["series_id"] == sid), len(body)))
    return payloads
