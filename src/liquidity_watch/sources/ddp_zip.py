"""The Board's whole H.4.1 release as one ZIP (``Output.aspx?rel=H41&filetype=zip``): checks, then an incremental parse.

Wire format (shared/spec/sources.md 2.5): exactly four members, ``H41_data.xml``,
``H41_struct.xml``, ``H41_H41.xsd`` and ``frb_common.xsd``. ``H41_data.xml`` is SDMX-ML
(compact): ``message:MessageGroup`` > ``message:Header`` (with ``message:Prepared``) and
``frb:DataSet`` > ``kf:Series`` elements, one per series, whose attributes name the series
(``SERIES_NAME``, e.g. ``RESPPMA_N.WW``) and its unit (``UNIT="Currency"``,
``UNIT_MULT="1000000"``, ``CURRENCY="USD"``), each holding ``frb:Obs`` elements
(``TIME_PERIOD``, ``OBS_VALUE``, ``OBS_STATUS``). ``OBS_STATUS`` other than ``A`` marks a
missing value, whatever sentinel ``OBS_VALUE`` then holds.

Everything is checked before anything is believed, and every check fails closed with a
message naming what it found:

* the member list is exactly the four documented names, with no absolute or ``..`` path,
  no encryption, and sizes within the bounds (``LW_H41_XML_MAX_MB`` for the data member);
  ``zipfile`` stops reading a member at its declared size, so the declared sizes bound the
  expansion;
* the XML has no DTD (no entity expansion), and is parsed with ``iterparse``: each series is
  handled when it ends and then cleared, so memory holds one series at a time, whatever the
  file's size;
* each series the catalog uses is present once, with the expected unit, multiplier and
  currency; dates are ISO ``YYYY-MM-DD`` Wednesdays; values are plain ASCII decimals.

A required series that is missing, or whose unit, multiplier or currency drifted, is refused
by itself (``H41Release.problems``): the caller may take that series from elsewhere and keep
the others. Everything else that is wrong refuses the whole file.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from xml.etree import ElementTree

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA
from liquidity_watch.domain.sources import Provider
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.values import parse_decimal, parse_iso_date

SOURCE = Provider.DDP
DATA_MEMBER = "H41_data.xml"
MEMBERS = frozenset({DATA_MEMBER, "H41_struct.xml", "H41_H41.xsd", "frb_common.xsd"})
#: the structure and schema members are small (kilobytes); anything near this is not them
OTHER_MEMBER_MAX_BYTES = 16 * 2**20
#: ``(UNIT, UNIT_MULT, CURRENCY)`` of every H.4.1 series used: millions of U.S. dollars
EXPECTED_ATTRIBUTES = (("UNIT", "Currency"), ("UNIT_MULT", "1000000"), ("CURRENCY", "USD"))
OBS_AVAILABLE = "A"

_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")


@dataclass(frozen=True)
class H41Release:
    """What the archive held.

    Attributes
    ----------
    observations : the observations of the series asked for that passed their checks.
    prepared : when the Board prepared the file (``message:Prepared``), if it says.
    problems : canonical id -> why that series was refused (missing, unit drift).
    """

    observations: pl.DataFrame
    prepared: str | None
    problems: dict[str, str]


def member_problem(info: zipfile.ZipInfo, max_data_bytes: int) -> str | None:
    """Why a member may not be read, or ``None``.

    >>> member_problem(zipfile.ZipInfo("../H41_data.xml"), 10)
    "unsafe member path '../H41_data.xml'"
    """
    name = info.filename
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or "\\" in name or ".." in path.parts or re.match(r"[A-Za-z]:", name):
        return f"unsafe member path {name!r}"
    if info.flag_bits & 0x1:
        return f"member {name} is encrypted"
    bound = max_data_bytes if name == DATA_MEMBER else OTHER_MEMBER_MAX_BYTES
    if info.file_size > bound:
        mb, limit = info.file_size / 2**20, round(bound / 2**20, 3)
        return f"member {name} expands to {mb:.1f} MB, more than the bound of {limit:g} MB"
    return None


def check_members(archive: zipfile.ZipFile, *, url: str, max_data_bytes: int) -> zipfile.ZipInfo:
    """Check the member list and sizes before reading anything; return the data member."""
    infos = archive.infolist()
    for info in infos:
        problem = member_problem(info, max_data_bytes)
        if problem:
            raise ParseError(SOURCE, url, f"refused the H.4.1 archive: {problem}")
    names = [info.filename for info in infos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    missing = sorted(MEMBERS - set(names))
    extra = sorted(set(names) - MEMBERS)
    if duplicates or missing or extra:
        found = ", ".join(sorted(set(names))) or "nothing"
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
        parts.append(f"duplicated {duplicates}" if duplicates else "")
        raise ParseError(
            SOURCE,
            url,
            f"refused the H.4.1 archive: members differ from the documented four ({'; '.join(p for p in parts if p)});"
            f" found {found}",
        )
    return archive.getinfo(DATA_MEMBER)


class _NoDoctype:
    """Hands the stream to the XML parser, refusing a DTD in the prolog (no entity expansion, no external entities)."""

    def __init__(self, raw: IO[bytes], url: str):
        self.raw = raw
        self.url = url
        self.prolog = b""
        self.checked = False

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size and size > 0 else 1 << 16)
        if not self.checked:
            self.prolog += data
            first = _FIRST_ELEMENT.search(self.prolog)
            head = (self.prolog if first is None else self.prolog[: first.start()]).upper()
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ParseError(SOURCE, self.url, f"{DATA_MEMBER} declares a DTD; refused (entity expansion)")
            if first is not None or not data or len(self.prolog) > 1 << 20:
                self.checked = True
                self.prolog = b""
        return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_h41_xml(
    stream: IO[bytes],
    *,
    url: str,
    series: dict[str, str],
    required: tuple[str, ...] = (),
    since: dict[str, dt.date] | None = None,
    end: dt.date | None = None,
) -> H41Release:
    """Read the observations of ``series`` (SERIES_NAME -> canonical id) from an SDMX H.4.1 data file.

    Parameters
    ----------
    stream : the bytes of ``H41_data.xml`` (read incrementally, never whole).
    url : where they came from, for messages.
    series : the series to keep, by ``SERIES_NAME``; every other series is skipped unread.
    required : the ``SERIES_NAME`` s that must be present.
    since : per canonical id, the first date to keep (earlier observations are checked, not kept).
    end : the last date to keep.

    A required series that is missing, or whose ``UNIT``, ``UNIT_MULT`` or ``CURRENCY`` is
    not millions of USD, is left out and named in ``H41Release.problems``.

    Raises
    ------
    ParseError
        Not well-formed XML; a DTD; a series given twice; an observation without
        ``OBS_STATUS``; a date that is not an ISO Wednesday; a value of an available
        observation that is not a plain decimal number.
    """
    since = since or {}
    names: list[str] = []
    days: list[dt.date] = []
    values: list[float] = []
    seen: set[str] = set()
    problems: dict[str, str] = {}
    prepared: str | None = None
    try:
        for _event, element in ElementTree.iterparse(_NoDoctype(stream, url), events=("end",)):
            tag = element.tag
            if not tag.endswith("Series"):
                if prepared is None and tag.endswith("Prepared"):
                    prepared = (element.text or "").strip() or None
                continue
            name = element.get("SERIES_NAME", "")
            sid = series.get(name)
            if sid is not None and _local(tag) == "Series":
                if name in seen:
                    raise ParseError(SOURCE, url, f"{name} ({sid}) appears twice in {DATA_MEMBER}")
                seen.add(name)
                drift = _attribute_drift(element, name, sid)
                if drift:
                    problems[sid] = drift
                    element.clear()
                    continue
                first = since.get(sid)
                for obs in element:
                    if not obs.tag.endswith("Obs"):
                        continue
                    day = _day(obs.get("TIME_PERIOD"), name, sid, url)
                    status = obs.get("OBS_STATUS")
                    if status is None:
                        raise ParseError(SOURCE, url, f"{name} ({sid}) {day}: observation without OBS_STATUS")
                    if status != OBS_AVAILABLE or (first is not None and day < first) or (end and day > end):
                        continue  # NA, NC, ND: missing, whatever sentinel OBS_VALUE holds
                    names.append(sid)
                    days.append(day)
                    values.append(_value(obs.get("OBS_VALUE"), name, sid, day, url))
            element.clear()
    except ElementTree.ParseError as exc:
        raise ParseError(SOURCE, url, f"{DATA_MEMBER} is not well-formed XML: {exc}") from None
    for name in required:
        if name not in seen:
            problems[series[name]] = f"{name} ({series[name]}) is missing from {DATA_MEMBER}"
    frame = pl.DataFrame({"series_id": names, "date": days, "value": values}, schema=OBSERVATION_SCHEMA)
    return H41Release(frame, prepared, problems)


def _attribute_drift(element: ElementTree.Element, name: str, sid: str) -> str | None:
    """Why a series' unit attributes are not millions of USD, or ``None``."""
    for attribute, expected in EXPECTED_ATTRIBUTES:
        found = element.get(attribute)
        if found != expected:
            return f"{name} ({sid}): {attribute} is {found!r} where {expected!r} is expected (millions of USD)"
    return None


def _day(text: str | None, name: str, sid: str, url: str) -> dt.date:
    try:
        day = parse_iso_date(text or "")
    except ValueError as exc:
        raise ParseError(SOURCE, url, f"{name} ({sid}): TIME_PERIOD {exc}") from None
    if day.weekday() != 2:
        raise ParseError(SOURCE, url, f"{name} ({sid}): {day} is a {day:%A}; H.4.1 weekly data are dated Wednesdays")
    return day


def _value(text: str | None, name: str, sid: str, day: dt.date, url: str) -> float:
    try:
        return parse_decimal(text or "")
    except ValueError as exc:
        raise ParseError(SOURCE, url, f"{name} ({sid}) {day}: OBS_VALUE {exc}") from None


def read_h41_archive(
    file: IO[bytes],
    *,
    url: str,
    series: dict[str, str],
    required: tuple[str, ...],
    max_data_bytes: int,
    since: dict[str, dt.date] | None = None,
    end: dt.date | None = None,
) -> H41Release:
    """Check the archive in ``file`` (a seekable binary file), then parse its data member incrementally."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ParseError(SOURCE, url, f"not a readable ZIP archive (truncated download?): {exc}") from None
    with archive:
        info = check_members(archive, url=url, max_data_bytes=max_data_bytes)
        try:
            with archive.open(info) as member:
                return parse_h41_xml(member, url=url, series=series, required=required, since=since, end=end)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ParseError(SOURCE, url, f"archive member {DATA_MEMBER} is damaged: {exc}") from None
