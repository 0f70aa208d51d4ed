"""A folder of FRED-format CSVs (``<SERIES_ID>.csv`` with ``observation_date,<SERIES_ID>``).

The package ships one (``liquidity_watch/data/snapshot``) as its offline default; ``--snapshot-dir`` reads
any other folder of the same format.

Each file is streamed: its size is checked before it is opened (``sources.values.MAX_INPUT_BYTES``),
it is hashed while it is parsed, and reading stops at the limit whatever ``stat`` said.
Its ``retrieved_at`` is when this run read it: when we learned its values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload, now_utc
from liquidity_watch.domain.sources import Provider
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import parse_fredgraph_lines
from liquidity_watch.sources.values import MAX_INPUT_BYTES, BoundedTextFile, InputTooLarge

SOURCE = Provider.SNAPSHOT


def read_snapshot(folder: Path, *, max_bytes: int = MAX_INPUT_BYTES) -> list[Payload]:
    """Read every known series in ``folder``; fail if a required series is missing.

    Files whose name is not a known series id are ignored; the README lists the ids. A file
    over ``max_bytes`` is refused before it is read.
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
        url = path.resolve().as_uri()
        retrieved_at = now_utc()
        try:
            with BoundedTextFile(path, max_bytes) as file:
                assert file.text is not None
                frame = parse_fredgraph_lines(
                    file.text,
                    url=url,
                    source=SOURCE,
                    expected=[sid],
                    ends_with_newline=_ends_with_newline(file),
                )
        except InputTooLarge as exc:
            raise ParseError(SOURCE, url, f"{exc}; refused before reading it") from None
        except OSError as exc:
            raise ParseError(SOURCE, url, f"{sid}: cannot read the file: {exc.strerror or exc}") from None
        payloads.append(
            Payload(SOURCE, url, retrieved_at, file.sha256, frame.filter(frame["series_id"] == sid), file.n_bytes)
        )
    return payloads


def _ends_with_newline(file: BoundedTextFile) -> Callable[[], bool]:
    """Asked once the file is read: whether its last byte was a newline."""
    return lambda: file.ends_with_newline
