"""Federal Reserve Board Data Download Program (DDP): the H.4.1 CSV package.

Wire format (shared/spec/sources.md 2.2; recorded files in tests/fixtures/h41_ddp): six
quoted header rows (``Series Description``, ``Unit:``, ``Multiplier:``, ``Currency:``,
``Unique Identifier:`` - recorded with a trailing space inside the quotes - and
``Time Period``), then ``YYYY-MM-DD,value,...`` rows, oldest first, CRLF endings.
``ND``, ``NA``, ``NC`` and empty cells are missing values.

The parser fails closed: a required identifier that is absent, or whose unit row says
anything but ``Currency`` x ``1000000`` ``USD``, stops the run with a message naming it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc, sha256
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import looks_like_html
from liquidity_watch.sources.http import HttpClient
from liquidity_watch.sources.values import InputTooLarge, check_size, parse_decimal, parse_iso_date

SOURCE = "ddp"

#: DDP Unique Identifier -> canonical series id (all Wednesday-dated, millions of USD).
H41_IDENTIFIERS: dict[str, str] = {
    "H41/H41/RESPPMA_N.WW": "WALCL",
    "H41/H41/RESPPALG_N.WW": "WSHOSHO",
    "H41/H41/RESPPALGUO_N.WW": "TREAST",
    "H41/H41/RESPPALGASMO_N.WW": "WSHOMCB",
    "H41/H41/RESH4R_XAW_N.WW": "WRESBAL",
    "H41/H41/RESH4R_N.WW": "WRBWFRBL",
    "H41/H41/RESPPLLDT_N.WW": "WDTGAL",
    "H41/H41/RESPPLLDT_XAW_N.WW": "WTREGEN",
    "H41/H41/RESPPLLR_N.WW": "WLRRAL",
}
REQUIRED_IDENTIFIERS = tuple(
    k for k, v in H41_IDENTIFIERS.items() if v in {"WALCL", "TREAST", "WSHOMCB", "WRESBAL", "WDTGAL"}
)
HEADER_LABELS = ("Series Description", "Unit:", "Multiplier:", "Currency:", "Unique Identifier:", "Time Period")
EXPECTED_UNIT = ("Currency", "1000000", "USD")
MISSING = frozenset({"", "ND", "NA", "NC"})


def parse_h41_csv(body: bytes, *, url: str, required: tuple[str, ...] = REQUIRED_IDENTIFIERS) -> pl.DataFrame:
    """Parse a DDP H.4.1 CSV (``label=include``, ``layout=seriescolumn``).

    Columns are chosen by their Unique Identifier, never by position; identifiers not in
    ``H41_IDENTIFIERS`` are ignored.

    Raises
    ------
    ParseError
        An oversized, HTML or empty body; header rows out of order; a required identifier
        missing; a unit, multiplier or currency other than ``Currency``/``1000000``/``USD``;
        a date that is not ``YYYY-MM-DD`` or not a Wednesday; a value that is not a plain
        decimal (``sources.values``).
    """
    try:
        check_size(len(body), "the body")
    except InputTooLarge as exc:
        raise ParseError(SOURCE, url, str(exc)) from None
    if not body.strip():
        raise ParseError(SOURCE, url, "empty body")
    if looks_like_html(body):
        raise ParseError(SOURCE, url, f"expected CSV, got an HTML page: {body[:80]!r}")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(SOURCE, url, f"not UTF-8 text: {exc}") from exc
    try:
        return _parse_records(csv.reader(io.StringIO(text, newline="")), url, required)
    except csv.Error as exc:
        raise ParseError(SOURCE, url, f"not a readable CSV file: {exc}") from None


def _parse_records(records: Iterator[list[str]], url: str, required: tuple[str, ...]) -> pl.DataFrame:
    """The header rows, then the data rows one at a time."""
    header = [row for _, row in zip(HEADER_LABELS, records, strict=False)]
    if len(header) < len(HEADER_LABELS):
        raise ParseError(SOURCE, url, f"only {len(header)} lines; expected {len(HEADER_LABELS)} header rows and data")
    for row, label in zip(header, HEADER_LABELS, strict=False):
        if not row or row[0].strip() != label:
            raise ParseError(SOURCE, url, f"header row {label!r} expected, found {row[:1]!r}")
    width = len(header[0])
    if any(len(row) != width for row in header):
        raise ParseError(SOURCE, url, "header rows have different numbers of columns")
    identifiers = [cell.strip() for cell in header[4]]
    missing = [i for i in required if i not in identifiers]
    if missing:
        raise ParseError(SOURCE, url, f"required series missing from the package: {missing}")
    columns: dict[int, str] = {}
    for col, ident in enumerate(identifiers):
        if col == 0 or ident not in H41_IDENTIFIERS:
            continue
        unit = tuple(header[r][col].strip() for r in (1, 2, 3))
        if unit != EXPECTED_UNIT:
            raise ParseError(
                SOURCE,
                url,
                f"{ident} ({H41_IDENTIFIERS[ident]}): unit {unit} differs from the expected {EXPECTED_UNIT}",
            )
        columns[col] = H41_IDENTIFIERS[ident]
    ids: list[str] = []
    days: list[dt.date] = []
    values: list[float] = []
    for line_no, record in enumerate(records, start=len(HEADER_LABELS) + 1):
        if not record or not "".join(record).strip():
            continue
        if len(record) != width:
            raise ParseError(SOURCE, url, f"line {line_no}: {len(record)} fields, header has {width} (truncated file?)")
        try:
            day = parse_iso_date(record[0].strip())
        except ValueError:
            raise ParseError(SOURCE, url, f"line {line_no}: bad date {record[0]!r}") from None
        if day.weekday() != 2:
            raise ParseError(
                SOURCE, url, f"line {line_no}: {day} is a {day:%A}; H.4.1 weekly data must be dated Wednesdays"
            )
        for col, sid in columns.items():
            cell = record[col].strip()
            if cell in MISSING:
                continue
            try:
                values.append(parse_decimal(cell))
            except ValueError:
                raise ParseError(SOURCE, url, f"{sid} {day}: value {cell!r} is not a number") from None
            ids.append(sid)
            days.append(day)
    return pl.DataFrame({"series_id": ids, "date": days, "value": values}, schema=OBSERVATION_SCHEMA)


class DdpClient:
    """Downloads the configured H.4.1 package as CSV for a date range."""

    def __init__(self, settings: Settings, http: HttpClient | None = None):
        self.settings = settings
        host = settings.ddp_base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        self.http = http or HttpClient(settings, SOURCE, follow_redirects_on=host)

    def fetch_h41(self, start: dt.date, end: dt.date) -> Payload:
        url = self.settings.ddp_base_url.rstrip("/") + "/datadownload/Output.aspx"
        params = {
            "rel": "H41",
            "series": self.settings.ddp_h41_package,
            "lastobs": "",
            "from": start.strftime("%m/%d/%Y"),
            "to": end.strftime("%m/%d/%Y"),
            "filetype": "csv",
            "label": "include",
            "layout": "seriescolumn",
            "type": "package",
        }
        retrieved_at = now_utc()
        body, final_url = self.http.get(url, params)
        frame = parse_h41_csv(body, url=final_url)
        return Payload(SOURCE, final_url, retrieved_at, sha256(body), frame, len(body))
