"""FRED: the keyless CSV or, with ``FRED_API_KEY`` set, the official API. Also the snapshot folder's format.

Keyless CSV (docs/sources.md, confirmed by recorded files): a header
``observation_date,<ID>[,<ID>...]`` (before 2025: ``DATE,<ID>``), one row per date, ISO
dates, missing values as an empty field (before 2025: ``.``).

Official API (docs/sources.md, recorded bodies in tests/fixtures/fred): ``GET
/fred/series/observations?series_id=&api_key=&file_type=json[&observation_start=][&observation_end=]``
returns ``{"observations": [{"date": "YYYY-MM-DD", "value": "5.35", ...}]}``, oldest first,
values as strings, ``"."`` for a missing one. The key is a secret: it is read from the
environment when a client is made, never a setting or a Prefect parameter, and every URL
shown or stored has it replaced by ``***`` (``sources.http.redact_url``).

FRED says no with 403 (the keyless CSV refused keyless requests for weeks in 2026)
or 429 (its rate limit): that is reported as "blocked", in one line, not as a broken payload.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import FredSecrets, Settings
from liquidity_watch.sources.errors import FetchError, ParseError, parsing
from liquidity_watch.sources.http import HttpClient, NotModified
from liquidity_watch.sources.values import (
    InputTooLarge,
    checked_body,
    decoded,
    parse_decimal,
    parse_iso_date,
)

#: the environment variable that holds the key of FRED's official API (a secret)
API_KEY_ENV = "FRED_API_KEY"
API_PATH = "/fred/series/observations"
CSV_PATH = "/graph/fredgraph.csv"
#: what FRED's keys look like (FRED's API documentation): 32 lower-case letters and digits
API_KEY_FORMAT = re.compile(r"[a-z0-9]{32}")

SOURCE = Provider.FRED
#: statuses with which FRED says no to a client (the keyless CSV answered 403 to keyless requests
#: for weeks in 2026; 429 is its rate limit): "blocked", not a broken payload
BLOCKED_STATUSES = frozenset({403, 429})
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


@contextlib.contextmanager
def blocked_said_so() -> Iterator[None]:
    """Turn FRED's 403 or 429 (after its retries) into one line that says FRED is blocking us."""
    try:
        yield
    except FetchError as exc:
        if exc.status not in BLOCKED_STATUSES:
            raise
        after = exc.problem.split(" after ", 1)[1] if " after " in exc.problem else ""
        why = "refuses this client" if exc.status == 403 else "rate-limits this client"
        problem = f"blocked: HTTP {exc.status} (FRED {why}" + (f"; after {after})" if after else ")")
        raise FetchError(exc.source, exc.url, problem, exc.status) from None


def parse_fred_api_json(body: bytes, *, url: str, series_id: str, allow_empty: bool = False) -> pl.DataFrame:
    """``series/observations`` JSON into ``series_id, date, value`` rows (``"."`` values dropped).

    >>> body = b'{"observations":[{"date":"2024-06-03","value":"5.35"},{"date":"2024-06-04","value":"."}]}'
    >>> parse_fred_api_json(body, url="x", series_id="SOFR").rows()
    [('SOFR', datetime.date(2024, 6, 3), 5.35)]
    """
    checked_body(body, source=SOURCE, url=url, expected="JSON")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(SOURCE, url, f"{series_id}: not valid JSON: {exc}") from None
    records = doc.get("observations") if isinstance(doc, dict) else None
    if not isinstance(records, list):
        found = sorted(doc)[:10] if isinstance(doc, dict) else type(doc).__name__
        raise ParseError(SOURCE, url, f"{series_id}: expected an 'observations' list, found {found}")
    rows: list[tuple[str, dt.date, float]] = []
    for record in records:
        if not isinstance(record, dict):
            raise ParseError(SOURCE, url, f"{series_id}: observation is not an object: {record!r:.80}")
        try:
            day = parse_iso_date(record["date"])
        except (KeyError, TypeError, ValueError):
            raise ParseError(SOURCE, url, f"{series_id}: bad date {record.get('date')!r}") from None
        value = record.get("value")
        if value in MISSING:
            continue
        try:
            rows.append((series_id, day, parse_decimal(value if isinstance(value, str) else "")))
        except ValueError:
            raise ParseError(SOURCE, url, f"{series_id} {day}: value {value!r} is not a number") from None
    if not rows and not allow_empty:
        raise ParseError(SOURCE, url, f"no observations for {series_id}")
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def api_key_from_environment() -> str | None:
    """``FRED_API_KEY`` from the environment or ``.env``, if set (empty counts as unset)."""
    key = FredSecrets().fred_api_key
    return key.get_secret_value() or None if key is not None else None


class FredClient:
    """One series per request: the keyless ``fredgraph.csv``, or the official API when a key is given.

    ``api_key``: default, ``FRED_API_KEY`` from the environment (pass ``""`` for none).
    """

    def __init__(
        self,
        settings: Settings,
        http: HttpClient | None = None,
        *,
        on_retry: Callable[[str], None] | None = None,
        api_key: str | None = None,
    ):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE, on_retry=on_retry)
        self._api_key = api_key_from_environment() if api_key is None else (api_key or None)

    @property
    def uses_api(self) -> bool:
        """Whether requests go to the official API (a key is set) rather than the keyless CSV."""
        return self._api_key is not None

    def url(self) -> str:
        if self.uses_api:
            return self.settings.fred_api_base_url.rstrip("/") + API_PATH
        return self.settings.fred_base_url.rstrip("/") + CSV_PATH

    def fetch(self, series_id: str, start: dt.date | None = None, end: dt.date | None = None) -> Payload | NotModified:
        """``series_id`` from ``start`` (all history if ``None``) to ``end`` (the latest if ``None``).

        A conditional request when the HTTP client knows validators for the URL:
        ``NotModified`` if FRED answers 304.
        """
        if self._api_key is not None:
            return self._fetch_api(self._api_key, series_id, start, end)
        params = {"id": series_id}
        if start is not None:
            params["cosd"] = start.isoformat()
        if end is not None:
            params["coed"] = end.isoformat()
        retrieved_at = now_utc()
        with blocked_said_so():
            reply = self.http.fetch(self.url(), params, conditional=True)
        if reply.not_modified:
            return NotModified(SOURCE, reply.url, reply.validators)
        with parsing(SOURCE, reply.url):
            frame = parse_fredgraph_csv(reply.body, url=reply.url, expected=[series_id], allow_empty=start is not None)
        return Payload(SOURCE, reply.url, retrieved_at, reply.sha256, frame, reply.n_bytes, validators=reply.validators)

    def _fetch_api(self, key: str, series_id: str, start: dt.date | None, end: dt.date | None) -> Payload | NotModified:
        if not API_KEY_FORMAT.fullmatch(key):
            raise FetchError(SOURCE, self.url(), f"{API_KEY_ENV} is not a 32-character lower-case alphanumeric key")
        params = {"series_id": series_id, "api_key": key, "file_type": "json"}
        if start is not None:
            params["observation_start"] = start.isoformat()
        if end is not None:
            params["observation_end"] = end.isoformat()
        retrieved_at = now_utc()
        with blocked_said_so():
            reply = self.http.fetch(self.url(), params, conditional=True)
        if reply.not_modified:
            return NotModified(SOURCE, reply.url, reply.validators)
        with parsing(SOURCE, reply.url):
            frame = parse_fred_api_json(reply.body, url=reply.url, series_id=series_id, allow_empty=start is not None)
        return Payload(SOURCE, reply.url, retrieved_at, reply.sha256, frame, reply.n_bytes, validators=reply.validators)
