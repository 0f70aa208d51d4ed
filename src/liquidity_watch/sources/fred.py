"""FRED keyless CSV (``fredgraph.csv``): parser and client. Also the format of the snapshot folder.

Wire format (shared/spec/sources.md 3.4, confirmed by recorded files): a header
``observation_date,<ID>[,<ID>...]`` (before 2025: ``DATE,<ID>``), one row per date, ISO
dates, missing values as an empty field (before 2025: ``.``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Callable

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.http import HttpClient, NotModified

SOURCE = "fred"
DATE_HEADERS = ("observation_date", "DATE")
MISSING = ("", ".")


def looks_like_html(body: bytes) -> bool:
    """An error page served with status 200 (seen from the Board and from WAFs)."""
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


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
    body : the raw bytes.
    url : where they came from, for error messages.
    source : the source name used in error messages.
    expected : series ids that must be columns of the file.
    allow_empty : a header with no observations is "nothing new" rather than an error
        (an incremental request past the last observation).

    Raises
    ------
    ParseError
        On an empty body, HTML, an unknown header, a last line without its newline
        (FRED ends every file with one, so this is a truncated download), a bad date or a
        non-numeric value; the message names the series, the line and the offending text.

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
    if not body.strip():
        raise ParseError(source, url, "empty body")
    if looks_like_html(body):
        raise ParseError(source, url, f"expected CSV, got an HTML page: {body[:80]!r}")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, url, f"not UTF-8 text: {exc}") from exc
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ParseError(source, url, f"not a readable CSV file: {exc}") from None
    header = records[0] if records else None
    if not header or header[0].strip() not in DATE_HEADERS or len(header) < 2:
        raise ParseError(source, url, f"unexpected header {header!r}; expected 'observation_date,<SERIES_ID>'")
    series_ids = [h.strip() for h in header[1:]]
    if not text.endswith("\n"):
        last = text.rsplit("\n", 1)[-1]
        raise ParseError(
            source, url, f"{','.join(series_ids)}: the file ends mid-line ({last!r}, no final newline): truncated?"
        )
    if expected:
        missing = sorted(set(expected) - set(series_ids))
        if missing:
            raise ParseError(source, url, f"series {missing} missing; the file has columns {series_ids}")
    label = ",".join(series_ids)
    rows: list[tuple[str, dt.date, float]] = []
    for line_no, record in enumerate(records[1:], start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != len(header):
            raise ParseError(
                source, url, f"{label} line {line_no}: {len(record)} fields, header has {len(header)}: {record!r}"
            )
        try:
            day = dt.date.fromisoformat(record[0].strip())
        except ValueError:
            raise ParseError(source, url, f"{label} line {line_no}: bad date {record[0]!r}") from None
        for sid, cell in zip(series_ids, record[1:], strict=False):
            cell = cell.strip()
            if cell in MISSING:
                continue
            try:
                value = float(cell)
                if not math.isfinite(value):
                    raise ValueError(cell)
                rows.append((sid, day, value))
            except ValueError:
                raise ParseError(source, url, f"{sid} line {line_no} ({day}): value {cell!r} is not a number") from None
    if not rows and not allow_empty:
        raise ParseError(source, url, f"no observations for {series_ids}")
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


class FredClient:
    """Keyless ``fredgraph.csv`` downloads, one series per request."""

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, on_retry: Callable[[str], None] | None = None
    ):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE, on_retry=on_retry)

    def url(self) -> str:
        return self.settings.fred_base_url.rstrip("/") + "/graph/fredgraph.csv"

    def fetch(self, series_id: str, start: dt.date | None = None) -> Payload | NotModified:
        """``series_id`` from ``start`` (all history if ``None``).

        A conditional request when the HTTP client knows validators for the URL:
        ``NotModified`` if FRED answers 304.
        """
        params = {"id": series_id}
        if start is not None:
            params["cosd"] = start.isoformat()
        retrieved_at = now_utc()
        reply = self.http.fetch(self.url(), params, conditional=True)
        if reply.not_modified:
            return NotModified(SOURCE, reply.url, reply.validators)
        frame = parse_fredgraph_csv(reply.body, url=reply.url, expected=[series_id], allow_empty=start is not None)
        return Payload(SOURCE, reply.url, retrieved_at, reply.sha256, frame, reply.n_bytes, validators=reply.validators)
