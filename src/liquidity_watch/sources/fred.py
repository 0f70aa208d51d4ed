"""FRED keyless CSV (``fredgraph.csv``): parser and client. Also the format of the snapshot folder.

Wire format (shared/spec/sources.md 3.4, confirmed by recorded files): a header
``observation_date,<ID>[,<ID>...]`` (before 2025: ``DATE,<ID>``), one row per date, ISO
dates, missing values as an empty field (before 2025: ``.``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import ParseError, parsing
from liquidity_watch.sources.http import HttpClient, NotModified
from liquidity_watch.sources.values import (
    InputTooLarge,
    checked_body,
    decoded,
    parse_decimal,
    parse_iso_date,
)

SOURCE = Provider.FRED
DATE_HEADERS = ("observation_date", "DATE")
MISSING = ("", ".")


def parse_fredgraph_csv(
    body: bytes,
    *,
    url: str,
    source: str = SOURCE,
    expected: list[str] | None = None,
    allow_empty: bool = False,
) -> pl.DataFrame:
    """Parse a FRED-format CSV into ``series_id, date, value`` rows (missing values dropped).

    Parameters
    ----------
    body : the raw bytes (at most ``sources.values.MAX_INPUT_BYTES``).
    url : where they came from, for error messages.
    source : the source name used in error messages.
    expected : series ids that must be columns of the file.
    allow_empty : a header with no observations is "nothing new" rather than an error
        (an incremental request past the last observation).

    Raises
    ------
    ParseError
        On an oversized or empty body, HTML, an unknown header, a last line without its
        newline (FRED ends every file with one, so this is a truncated download), a date
        that is not ``YYYY-MM-DD`` or a value that is not a plain decimal; the message names
        the series, the line and the offending text.

    Examples
    --------
    >>> parse_fredgraph_csv(b"observation_date,SOFR\\n2019-09-17,5.25\\n2019-09-18,\\n", url="x")
    shape: (1, 3)
    ┌───────────┬────────────┬───────┐
    │ series_id ┆ date       ┆ value │
    │ ---       ┆ ---        ┆ ---   │
    │ str       ┆ date       ┆ f64   │
    ╞═══════════╪════════════╪═══════╡
    │ SOFR      ┆ 2019-09-17 ┆ 5.25  │
    └───────────┴────────────┴───────┘
    """
    checked_body(body, source=source, url=url, expected="CSV")
    text = decoded(body, source=source, url=url)
    return parse_fredgraph_lines(
        io.StringIO(text, newline=""),
        url=url,
        source=source,
        expected=expected,
        allow_empty=allow_empty,
        ends_with_newline=lambda: text.endswith("\n"),
    )


def _read_rows(
    records: Iterator[list[str]],
    series_ids: list[str],
    width: int,
    label: str,
    url: str,
    source: str,
    ids: list[str],
    days: list[dt.date],
    values: list[float],
) -> None:
    """Append every observation of ``records`` to ``ids``, ``days`` and ``values``."""
    for line_no, record in enumerate(records, start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != width:
            raise ParseError(
                source, url, f"{label} line {line_no}: {len(record)} fields, header has {width}: {record!r}"
            )
        try:
            day = parse_iso_date(record[0].strip())
        except ValueError:
            raise ParseError(source, url, f"{label} line {line_no}: bad date {record[0]!r}") from None
        for sid, cell in zip(series_ids, record[1:], strict=False):
            cell = cell.strip()
            if cell in MISSING:
                continue
            try:
                values.append(parse_decimal(cell))
            except ValueError:
                raise ParseError(source, url, f"{sid} line {line_no} ({day}): value {cell!r} is not a number") from None
            ids.append(sid)
            days.append(day)


def _truncated(stream: _LastLine, series_ids: list[str], url: str, source: str) -> ParseError:
    last = stream.last.rsplit("\n", 1)[-1]
    return ParseError(
        source, url, f"{','.join(series_ids)}: the file ends mid-line ({last!r}, no final newline): truncated?"
    )


class _LastLine:
    """Iterate lines, remembering the last one (for the truncation message)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.last = ""

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        self.last = next(self._lines)
        return self.last


def parse_fredgraph_lines(
    lines: Iterable[str],
    *,
    url: str,
    source: str = SOURCE,
    expected: list[str] | None = None,
    allow_empty: bool = False,
    ends_with_newline: Callable[[], bool],
) -> pl.DataFrame:
    """``parse_fredgraph_csv`` on a stream of text lines (a file is never held whole).

    ``ends_with_newline`` is asked once the stream is exhausted: whether the last byte was
    a newline (a file cut short ends mid-line).
    """
    stream = _LastLine(lines)
    try:
        records = csv.reader(stream)
        header = next(records, None)
        if header is None:
            raise ParseError(source, url, "empty body")
        if header and header[0].lstrip().startswith("<"):
            raise ParseError(source, url, f"expected CSV, got an HTML page: {stream.last[:80]!r}")
        if not header or header[0].strip() not in DATE_HEADERS or len(header) < 2:
            raise ParseError(source, url, f"unexpected header {header!r}; expected 'observation_date,<SERIES_ID>'")
        series_ids = [h.strip() for h in header[1:]]
        if expected:
            missing = sorted(set(expected) - set(series_ids))
            if missing:
                raise ParseError(source, url, f"series {missing} missing; the file has columns {series_ids}")
        label = ",".join(series_ids)
        ids: list[str] = []
        days: list[dt.date] = []
        values: list[float] = []
        try:
            _read_rows(records, series_ids, len(header), label, url, source, ids, days, values)
        except ParseError:
            # a bad last line of a file cut short: say it was cut short
            if next(stream, None) is None and not ends_with_newline():
                raise _truncated(stream, series_ids, url, source) from None
            raise
    except csv.Error as exc:
        raise ParseError(source, url, f"not a readable CSV file: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ParseError(source, url, f"not UTF-8 text: {exc}") from None
    except InputTooLarge as exc:
        raise ParseError(source, url, str(exc)) from None
    if not ends_with_newline():
        raise _truncated(stream, series_ids, url, source)
    if not ids and not allow_empty:
        raise ParseError(source, url, f"no observations for {series_ids}")
    return pl.DataFrame(
        {"series_id": ids, "date": days, "value": values},
        schema=OBSERVATION_SCHEMA,
    )


class FredClient:
    """Keyless ``fredgraph.csv`` downloads, one series per request."""

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, on_retry: Callable[[str], None] | None = None
    ):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE, on_retry=on_retry)

    def url(self) -> str:
        return self.settings.fred_base_url.rstrip("/") + "/graph/fredgraph.csv"

    def fetch(self, series_id: str, start: dt.date | None = None, end: dt.date | None = None) -> Payload | NotModified:
        """``series_id`` from ``start`` (all history if ``None``) to ``end`` (the latest if ``None``).

        A conditional request when the HTTP client knows validators for the URL:
        ``NotModified`` if FRED answers 304.
        """
        params = {"id": series_id}
        if start is not None:
            params["cosd"] = start.isoformat()
        if end is not None:
            params["coed"] = end.isoformat()
        retrieved_at = now_utc()
        reply = self.http.fetch(self.url(), params, conditional=True)
        if reply.not_modified:
            return NotModified(SOURCE, reply.url, reply.validators)
        with parsing(SOURCE, reply.url):
            frame = parse_fredgraph_csv(reply.body, url=reply.url, expected=[series_id], allow_empty=start is not None)
        return Payload(SOURCE, reply.url, retrieved_at, reply.sha256, frame, reply.n_bytes, validators=reply.validators)
