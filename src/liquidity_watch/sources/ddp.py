"""Federal Reserve Board Data Download Program (DDP): H.4.1 from the whole-release ZIP, or from your own package;
the policy rates (IORB, IOER) from the PRATES whole-release ZIP (``sources.prates``).

By default H.4.1 comes from the Board's whole-release archive
(``Output.aspx?rel=H41&filetype=zip``, parsed in ``sources.ddp_zip``): it holds every H.4.1
series and needs no package id. A user who builds a DDP *package* of their own and sets
``LW_DDP_H41_PACKAGE`` gets that package's CSV instead (docs/sources.md says how to make
one); its ``Unique Identifier`` row is checked on every download.

CSV wire format (docs/sources.md; recorded files in tests/fixtures/h41_ddp): six
quoted header rows (``Series Description``, ``Unit:``, ``Multiplier:``, ``Currency:``,
``Unique Identifier:`` - recorded with a trailing space inside the quotes - and
``Time Period``), then ``YYYY-MM-DD,value,...`` rows, oldest first, CRLF endings.
``ND``, ``NA``, ``NC`` and empty cells are missing values.

Both parsers fail closed: a required series that is absent, or whose unit says anything but
``Currency`` x ``1000000`` ``USD``, stops the run with a message naming it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

import polars as pl

from liquidity_watch.domain.calendars import today_new_york
from liquidity_watch.domain.catalog import HISTORY_START, SERIES
from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, Validators, now_utc, sha256
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import Settings
from liquidity_watch.sources.ddp_zip import H41Release, read_h41_archive
from liquidity_watch.sources.errors import ParseError, SeriesRefused, parsing
from liquidity_watch.sources.http import HttpClient, NotModified
from liquidity_watch.sources.prates import MAX_ZIP_BYTES as PRATES_ZIP_MAX_BYTES
from liquidity_watch.sources.prates import read_prates_archive
from liquidity_watch.sources.values import (
    checked_body,
    decoded,
    looks_like_html,
    parse_decimal,
    parse_iso_date,
)

SOURCE = Provider.DDP
#: every Board call: the whole-release archives and the package CSV (the query says which)
ARCHIVE_PATH = "/datadownload/Output.aspx"

#: H.4.1 series name (the SDMX ``SERIES_NAME``; the last part of a DDP Unique Identifier) ->
#: canonical series id. All Wednesday-dated, millions of USD. The one map of H.4.1 names.
H41_SERIES: dict[str, str] = {
    "RESPPMA_N.WW": "WALCL",
    "RESPPALG_N.WW": "WSHOSHO",
    "RESPPALGUO_N.WW": "TREAST",
    "RESPPALGASMO_N.WW": "WSHOMCB",
    "RESH4R_XAW_N.WW": "WRESBAL",
    "RESH4R_N.WW": "WRBWFRBL",
    "RESPPLLDT_N.WW": "WDTGAL",
    "RESPPLLDT_XAW_N.WW": "WTREGEN",
    "RESPPLLR_N.WW": "WLRRAL",
}
#: the series names whose canonical series the catalog requires
REQUIRED_SERIES = tuple(name for name, sid in H41_SERIES.items() if SERIES[sid].required)
#: DDP Unique Identifier (``H41/H41/<SERIES_NAME>``) -> canonical series id, for the package CSV
H41_IDENTIFIERS: dict[str, str] = {f"H41/H41/{name}": sid for name, sid in H41_SERIES.items()}
REQUIRED_IDENTIFIERS = tuple(f"H41/H41/{name}" for name in REQUIRED_SERIES)
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
    checked_body(body, source=SOURCE, url=url, expected="CSV")
    text = decoded(body, source=SOURCE, url=url)
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


def board_host(settings: Settings) -> str:
    """The Board's host name: the one host whose redirects are followed.

    >>> board_host(Settings(ddp_base_url="https://www.federalreserve.gov:443/x"))
    'www.federalreserve.gov'
    """
    return settings.ddp_base_url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]


class DdpClient:
    """H.4.1 from the Board: the whole-release ZIP, or the user's own package as CSV."""

    def __init__(
        self, settings: Settings, http: HttpClient | None = None, *, on_retry: Callable[[str], None] | None = None
    ):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE, follow_redirects_on=board_host(settings), on_retry=on_retry)

    def url(self) -> str:
        return self.settings.ddp_base_url.rstrip("/") + ARCHIVE_PATH

    @property
    def uses_package(self) -> bool:
        """Whether the user configured a package of their own (CSV) instead of the release ZIP."""
        return bool(self.settings.ddp_h41_package)

    def fetch_h41(self, since: dict[str, dt.date], end: dt.date) -> Payload | NotModified:
        """H.4.1 observations from ``since`` (per canonical id; absent ids: all history) to ``end``.

        A conditional request when the HTTP client knows validators for the URL: ``NotModified``
        if the Board answers 304.
        """
        if self.uses_package:
            return self._fetch_package(min(since.values(), default=HISTORY_START), end)
        return self._fetch_archive(since, end)

    def _fetch_archive(self, since: dict[str, dt.date], end: dt.date) -> Payload | NotModified:
        s = self.settings

        def read(file: IO[bytes], url: str) -> tuple[H41Release, str]:
            release = read_h41_archive(
                file,
                url=url,
                series=H41_SERIES,
                required=REQUIRED_SERIES,
                max_data_bytes=int(s.h41_xml_max_mb * 2**20),
                since=since,
                end=end,
            )
            return release, f"file prepared {release.prepared}" if release.prepared else ""

        return self._whole_release("H41", int(s.h41_zip_max_mb * 2**20), read, end)

    def fetch_prates(self, wanted: tuple[str, ...], since: dict[str, dt.date], end: dt.date) -> Payload | NotModified:
        """The policy rates ``wanted`` (IORB, IOER) from the PRATES archive, from ``since`` (per id) to ``end``.

        The payload's note names the series picked. Raises ``SeriesRefused`` for a wanted series
        the archive does not describe (or whose unit changed), with the others as ``partial``.
        """

        def read(file: IO[bytes], url: str) -> tuple[H41Release, str]:
            return read_prates_archive(file, url=url, wanted=wanted, since=since, end=end)

        return self._whole_release("PRATES", PRATES_ZIP_MAX_BYTES, read, end)

    def _whole_release(
        self,
        rel: str,
        max_bytes: int,
        read: Callable[[IO[bytes], str], tuple[H41Release, str]],
        end: dt.date,
    ) -> Payload | NotModified:
        """Stream ``Output.aspx?rel=<rel>&filetype=zip`` to a temporary file, check it is a ZIP, then ``read`` it."""
        retrieved_at = now_utc()
        with tempfile.TemporaryFile(prefix=f"lw-{rel.lower()}-") as file:
            reply = self.http.download(
                self.url(), {"rel": rel, "filetype": "zip"}, file, conditional=True, max_bytes=max_bytes
            )
            if reply.not_modified:
                return NotModified(SOURCE, reply.url, reply.validators)
            if looks_like_html(reply.head):
                head = reply.head[:80].decode("utf-8", "replace")
                raise ParseError(SOURCE, reply.url, f"returned HTML with status 200, not a ZIP archive: {head!r}")
            if not reply.head.startswith(b"PK\x03\x04"):
                raise ParseError(
                    SOURCE,
                    reply.url,
                    f"expected a ZIP archive, got {reply.content_type or 'no content type'}: {reply.head[:40]!r}",
                )
            file.seek(0)
            with parsing(SOURCE, reply.url):
                release, note = read(file, reply.url)
        # A replay keeps only the observations up to its day: that window of the file is its own payload (its
        # hash names the window), and its validators are not kept, so a later run of today still lands
        # what the replay left out instead of hearing "not modified".
        window = end < today_new_york()
        payload = Payload(
            SOURCE,
            reply.url,
            retrieved_at,
            sha256(f"{reply.sha256} up to {end}".encode()) if window else reply.sha256,
            release.observations,
            reply.n_bytes,
            validators=Validators() if window else reply.validators,
            note=note,
        )
        if release.problems:
            raise SeriesRefused(SOURCE, reply.url, release.problems, payload if payload.observations.height else None)
        return payload

    def _fetch_package(self, start: dt.date, end: dt.date) -> Payload | NotModified:
        params = {
            "rel": "H41",
            "series": self.settings.ddp_h41_package or "",
            "lastobs": "",
            "from": start.strftime("%m/%d/%Y"),
            "to": end.strftime("%m/%d/%Y"),
            "filetype": "csv",
            "label": "include",
            "layout": "seriescolumn",
            "type": "package",
        }
        retrieved_at = now_utc()
        reply = self.http.fetch(self.url(), params, conditional=True)
        if reply.not_modified:
            return NotModified(SOURCE, reply.url, reply.validators)
        with parsing(SOURCE, reply.url):
            frame = parse_h41_csv(reply.body, url=reply.url)
        return Payload(SOURCE, reply.url, retrieved_at, reply.sha256, frame, reply.n_bytes, validators=reply.validators)
