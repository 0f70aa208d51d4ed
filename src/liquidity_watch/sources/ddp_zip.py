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
* the XML is read as a stream of events (``sources.safe_xml``): no DTD, entity or processing
  instruction in any encoding, and bounds on bytes expanded, elements, elements outside the
  series, nesting and token length, each refused the moment it is passed; memory holds the
  observations kept and nothing of the series skipped;
* each series the catalog uses is present once, with the expected unit, multiplier and
  currency; dates are ISO ``YYYY-MM-DD`` Wednesdays; values are plain ASCII decimals.

A required series that is missing, or whose unit, multiplier or currency drifted, is refused
by itself (``H41Release.problems``): the caller may take that series from elsewhere and keep
the others. Everything else that is wrong refuses the whole file, whatever exception the archive raised.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO
from xml.parsers import expat

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA
from liquidity_watch.domain.sources import Provider
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.safe_xml import XmlLimits, XmlRefused, stream_xml
from liquidity_watch.sources.values import parse_decimal, parse_iso_date

SOURCE = Provider.DDP
DATA_MEMBER = "H41_data.xml"
MEMBERS = frozenset({DATA_MEMBER, "H41_struct.xml", "H41_H41.xsd", "frb_common.xsd"})
#: the structure and schema members are small (kilobytes); anything near this is not them
OTHER_MEMBER_MAX_BYTES = 16 * 2**20
#: ``(UNIT, UNIT_MULT, CURRENCY)`` of every H.4.1 series used: millions of U.S. dollars
EXPECTED_ATTRIBUTES = (("UNIT", "Currency"), ("UNIT_MULT", "1000000"), ("CURRENCY", "USD"))
OBS_AVAILABLE = "A"


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


#: Weekly data from the Fed's founding (1914) to 2100 are fewer than 9,700 Wednesdays: no real
#: series holds more observations than this, so one that does is refused before it grows.
MAX_OBS_PER_SERIES = 20_000


def parse_h41_xml(
    stream: IO[bytes],
    *,
    url: str,
    series: dict[str, str],
    required: tuple[str, ...] = (),
    since: dict[str, dt.date] | None = None,
    end: dt.date | None = None,
    max_bytes: int = 2**62,
) -> H41Release:
    """Read the observations of ``series`` (SERIES_NAME -> canonical id) from an SDMX H.4.1 data file.

    Parameters
    ----------
    stream : the bytes of ``H41_data.xml`` (read as a stream of events, never held whole).
    url : where they came from, for messages.
    series : the series to keep, by ``SERIES_NAME``; every other series is counted, not kept.
    required : the ``SERIES_NAME`` s that must be present.
    since : per canonical id, the first date to keep (earlier observations are checked, not kept).
    end : the last date to keep.
    max_bytes : the most bytes read (the expansion bound; ``sources.safe_xml`` counts them).

    A required series that is missing, or whose ``UNIT``, ``UNIT_MULT`` or ``CURRENCY`` is
    not millions of USD, is left out and named in ``H41Release.problems``.

    Raises
    ------
    ParseError
        Not well-formed XML; a DTD, entity or processing instruction; a bound of
        ``sources.safe_xml`` passed; a series given twice or holding more than
        ``MAX_OBS_PER_SERIES`` observations; an observation without ``OBS_STATUS``; a date
        that is not an ISO Wednesday; a value of an available observation that is not a
        plain decimal number.
    """
    reader = _H41Reader(url, series, since or {}, end)
    try:
        stream_xml(
            stream,
            what=DATA_MEMBER,
            limits=XmlLimits(max_bytes=max_bytes),
            start=reader.start,
            end=reader.end,
            text_of=frozenset({"Prepared"}),
        )
    except XmlRefused as exc:
        raise ParseError(SOURCE, url, str(exc)) from None
    except expat.ExpatError as exc:
        raise ParseError(SOURCE, url, f"{DATA_MEMBER} is not well-formed XML: {exc}") from None
    except (LookupError, UnicodeError) as exc:  # an encoding declared that no codec reads
        raise ParseError(SOURCE, url, f"{DATA_MEMBER} is not well-formed XML: {exc}") from None
    problems = reader.problems
    for name in required:
        if name not in reader.seen:
            problems[series[name]] = f"{name} ({series[name]}) is missing from {DATA_MEMBER}"
    frame = pl.DataFrame(
        {"series_id": reader.names, "date": reader.days, "value": reader.values}, schema=OBSERVATION_SCHEMA
    )
    return H41Release(frame, reader.prepared, problems)


class _H41Reader:
    """The H.4.1 events: series by name, their unit attributes, their available observations."""

    def __init__(self, url: str, series: dict[str, str], since: dict[str, dt.date], end: dt.date | None):
        self.url, self.series, self.since, self.last = url, series, since, end
        self.names: list[str] = []
        self.days: list[dt.date] = []
        self.values: list[float] = []
        self.seen: set[str] = set()
        self.problems: dict[str, str] = {}
        self.prepared: str | None = None
        self.current: tuple[str, str] | None = None  # (SERIES_NAME, canonical id) of the series being kept
        self.in_series = 0
        self.count = 0

    def start(self, local: str, attributes: dict[str, str]) -> None:
        if local == "Series":
            self.in_series += 1
            name = attributes.get("SERIES_NAME", "")
            sid = self.series.get(name)
            if sid is None or self.in_series > 1:
                return
            if name in self.seen:
                raise ParseError(SOURCE, self.url, f"{name} ({sid}) appears twice in {DATA_MEMBER}")
            self.seen.add(name)
            drift = _attribute_drift(attributes, name, sid)
            if drift:
                self.problems[sid] = drift
                return
            self.current, self.count = (name, sid), 0
        elif local == "Obs" and self.current is not None:
            self._obs(attributes, *self.current)

    def end(self, local: str, text: str) -> None:
        if local == "Series":
            self.in_series -= 1
            if not self.in_series:
                self.current = None
        elif local == "Prepared" and self.prepared is None:
            self.prepared = text.strip() or None

    def _obs(self, attributes: dict[str, str], name: str, sid: str) -> None:
        self.count += 1
        if self.count > MAX_OBS_PER_SERIES:
            raise ParseError(
                SOURCE, self.url, f"{name} ({sid}) holds more than {MAX_OBS_PER_SERIES:,} observations in {DATA_MEMBER}"
            )
        day = _day(attributes.get("TIME_PERIOD"), name, sid, self.url)
        status = attributes.get("OBS_STATUS")
        if status is None:
            raise ParseError(SOURCE, self.url, f"{name} ({sid}) {day}: observation without OBS_STATUS")
        first = self.since.get(sid)
        if status != OBS_AVAILABLE or (first is not None and day < first) or (self.last and day > self.last):
            return  # NA, NC, ND: missing, whatever sentinel OBS_VALUE holds
        self.names.append(sid)
        self.days.append(day)
        self.values.append(_value(attributes.get("OBS_VALUE"), name, sid, day, self.url))


def _attribute_drift(attributes: dict[str, str], name: str, sid: str) -> str | None:
    """Why a series' unit attributes are not millions of USD, or ``None``."""
    for attribute, expected in EXPECTED_ATTRIBUTES:
        found = attributes.get(attribute)
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
    """Check the archive in ``file`` (a seekable binary file), then parse its data member as a stream.

    Every failure to read the archive or its member, whatever the exception (a compression
    method the standard library does not have raises ``NotImplementedError``), is a
    ``ParseError`` naming it, so that the series fail over like any other refused payload.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            info = check_members(archive, url=url, max_data_bytes=max_data_bytes)
            with archive.open(info) as member:
                return parse_h41_xml(
                    member, url=url, series=series, required=required, since=since, end=end, max_bytes=max_data_bytes
                )
    except ParseError:
        raise
    except zipfile.BadZipFile as exc:
        raise ParseError(SOURCE, url, f"not a readable ZIP archive (truncated download?): {exc}") from None
    except NotImplementedError as exc:
        raise ParseError(SOURCE, url, f"archive member {DATA_MEMBER} cannot be read: {exc}") from None
    except Exception as exc:  # zlib.error, EOFError, OSError, RuntimeError, MemoryError ... from a hostile archive
        raise ParseError(SOURCE, url, f"archive member {DATA_MEMBER} is damaged: {type(exc).__name__}: {exc}") from None
