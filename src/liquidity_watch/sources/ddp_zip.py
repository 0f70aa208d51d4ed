"""The Board's whole-release ZIPs (H.4.1, and PRATES for IORB): checks, then an incremental parse.

One core serves every release; a ``ReleaseFormat`` says what differs (the member names, the
unit attributes, the weekday observations fall on), and a release whose series are known by
their description rather than a name passes a ``Picker``. H.4.1 is the default and is
described below; PRATES is in ``sources.prates``.

Wire format (docs/sources.md): exactly four members, ``H41_data.xml``,
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
from collections.abc import Callable
from dataclasses import dataclass, field
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
class ReleaseFormat:
    """What one release's archive must hold and what its series must say.

    Attributes
    ----------
    label : the release in messages (``H.4.1``).
    data_member : the SDMX data member.
    members : the exact member list, or ``None`` when only the data member is documented (then
        the others may be any ``.xml`` or ``.xsd`` within the small bound).
    attributes : ``(name, value)`` every series used must carry (its unit).
    unit_words : those attributes in words, for messages.
    weekday : the weekday every observation falls on (``None``: any day).
    """

    label: str
    data_member: str
    members: frozenset[str] | None
    attributes: tuple[tuple[str, str], ...]
    unit_words: str
    weekday: int | None = None


H41_FORMAT = ReleaseFormat("H.4.1", DATA_MEMBER, MEMBERS, EXPECTED_ATTRIBUTES, "millions of USD", weekday=2)
#: Chooses a series' canonical id from its ``SERIES_NAME``, attributes and description, or ``None``.
Picker = Callable[[str, dict[str, str], str], str | None]
#: the annotation elements a ``Picker`` reads the description from
ANNOTATION_TEXT = frozenset({"AnnotationType", "AnnotationText"})


@dataclass(frozen=True)
class H41Release:
    """What the archive held.

    Attributes
    ----------
    observations : the observations of the series asked for that passed their checks.
    prepared : when the Board prepared the file (``message:Prepared``), if it says.
    problems : canonical id -> why that series was refused (missing, unit drift).
    picked : canonical id -> the ``SERIES_NAME`` it was read from.
    """

    observations: pl.DataFrame
    prepared: str | None
    problems: dict[str, str]
    picked: dict[str, str] = field(default_factory=dict)


def member_problem(info: zipfile.ZipInfo, max_data_bytes: int, fmt: ReleaseFormat = H41_FORMAT) -> str | None:
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
    bound = max_data_bytes if name == fmt.data_member else OTHER_MEMBER_MAX_BYTES
    if info.file_size > bound:
        mb, limit = info.file_size / 2**20, round(bound / 2**20, 3)
        return f"member {name} expands to {mb:.1f} MB, more than the bound of {limit:g} MB"
    return None


def check_members(
    archive: zipfile.ZipFile, *, url: str, max_data_bytes: int, fmt: ReleaseFormat = H41_FORMAT
) -> zipfile.ZipInfo:
    """Check the member list and sizes before reading anything; return the data member."""
    infos = archive.infolist()
    for info in infos:
        problem = member_problem(info, max_data_bytes, fmt)
        if problem:
            raise ParseError(SOURCE, url, f"refused the {fmt.label} archive: {problem}")
    names = [info.filename for info in infos]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    documented = fmt.members if fmt.members is not None else frozenset({fmt.data_member})
    missing = sorted(documented - set(names))
    extra = sorted(set(names) - documented)
    if fmt.members is None:  # only the data member is documented: small schema and structure files may come with it
        extra = [n for n in extra if not n.endswith((".xml", ".xsd")) or "/" in n]
    if duplicates or missing or extra:
        found = ", ".join(sorted(set(names))) or "nothing"
        parts = [f"missing {missing}" if missing else "", f"unexpected {extra}" if extra else ""]
        parts.append(f"duplicated {duplicates}" if duplicates else "")
        documented_words = "the documented " + ("four" if len(documented) == 4 else str(len(documented)))
        raise ParseError(
            SOURCE,
            url,
            f"refused the {fmt.label} archive: members differ from {documented_words}"
            f" ({'; '.join(p for p in parts if p)}); found {found}",
        )
    return archive.getinfo(fmt.data_member)


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
    fmt: ReleaseFormat = H41_FORMAT,
    pick: Picker | None = None,
) -> H41Release:
    """Read the observations of ``series`` (SERIES_NAME -> canonical id) from an SDMX data file (H.4.1 unless ``fmt``).

    Parameters
    ----------
    stream : the bytes of ``H41_data.xml`` (read as a stream of events, never held whole).
    url : where they came from, for messages.
    series : the series to keep, by ``SERIES_NAME``; every other series is counted, not kept.
    required : the ``SERIES_NAME`` s that must be present.
    since : per canonical id, the first date to keep (earlier observations are checked, not kept).
    end : the last date to keep.
    max_bytes : the most bytes read (the expansion bound; ``sources.safe_xml`` counts them).
    fmt : the release: its data member's name, unit attributes and weekday.
    pick : chooses the canonical id of each series from its name, attributes and description
        (its annotations) instead of ``series``, once its annotations have been read.

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
    reader = _H41Reader(url, series, since or {}, end, fmt, pick)
    member = fmt.data_member
    try:
        stream_xml(
            stream,
            what=member,
            limits=XmlLimits(max_bytes=max_bytes),
            start=reader.start,
            end=reader.end,
            text_of=frozenset({"Prepared"}) | (ANNOTATION_TEXT if pick else frozenset()),
        )
    except XmlRefused as exc:
        raise ParseError(SOURCE, url, str(exc)) from None
    except expat.ExpatError as exc:
        raise ParseError(SOURCE, url, f"{member} is not well-formed XML: {exc}") from None
    except (LookupError, UnicodeError) as exc:  # an encoding declared that no codec reads
        raise ParseError(SOURCE, url, f"{member} is not well-formed XML: {exc}") from None
    problems = reader.problems
    for name in required:
        if name not in reader.seen:
            problems[series[name]] = f"{name} ({series[name]}) is missing from {member}"
    frame = pl.DataFrame(
        {"series_id": reader.names, "date": reader.days, "value": reader.values}, schema=OBSERVATION_SCHEMA
    )
    return H41Release(frame, reader.prepared, problems, reader.picked)


class _H41Reader:
    """The release's events: series by name (or by ``pick``), their unit attributes, their available observations."""

    def __init__(
        self,
        url: str,
        series: dict[str, str],
        since: dict[str, dt.date],
        end: dt.date | None,
        fmt: ReleaseFormat = H41_FORMAT,
        pick: Picker | None = None,
    ):
        self.url, self.series, self.since, self.last = url, series, since, end
        self.fmt, self.pick = fmt, pick
        self.picked: dict[str, str] = {}
        # a series waiting for its description (its annotations come before its observations)
        self.pending: tuple[str, dict[str, str]] | None = None
        self.annotation: dict[str, str] = {}
        self.descriptions: dict[str, str] = {}
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
            if self.in_series > 1:
                return
            name = attributes.get("SERIES_NAME", "")
            if self.pick is not None:
                self.pending, self.descriptions = (name, dict(attributes)), {}
                return
            self._select(name, self.series.get(name), attributes)
        elif local == "Obs":
            self._decide()
            if self.current is not None:
                self._obs(attributes, *self.current)

    def _decide(self) -> None:
        """Choose the pending series once its description is known (at its first observation, or its end)."""
        if self.pending is None or self.pick is None:
            return
        (name, attributes), self.pending = self.pending, None
        description = self.descriptions.get("Short Description") or next(iter(self.descriptions.values()), "")
        self._select(name, self.pick(name, attributes, description), attributes)

    def _select(self, name: str, sid: str | None, attributes: dict[str, str]) -> None:
        if sid is None:
            return
        if name in self.seen:
            raise ParseError(SOURCE, self.url, f"{name} ({sid}) appears twice in {self.fmt.data_member}")
        self.seen.add(name)
        self.picked[sid] = name
        drift = _attribute_drift(attributes, name, sid, self.fmt)
        if drift:
            self.problems[sid] = drift
            return
        self.current, self.count = (name, sid), 0

    def end(self, local: str, text: str) -> None:
        if local == "Series":
            self._decide()
            self.in_series -= 1
            if not self.in_series:
                self.current = None
        elif local == "Prepared" and self.prepared is None:
            self.prepared = text.strip() or None
        elif local in ANNOTATION_TEXT and self.pending is not None:
            if local == "AnnotationType":
                self.annotation = {"type": text.strip()}
            else:
                self.descriptions.setdefault(self.annotation.pop("type", ""), text.strip())

    def _obs(self, attributes: dict[str, str], name: str, sid: str) -> None:
        self.count += 1
        if self.count > MAX_OBS_PER_SERIES:
            raise ParseError(
                SOURCE,
                self.url,
                f"{name} ({sid}) holds more than {MAX_OBS_PER_SERIES:,} observations in {self.fmt.data_member}",
            )
        day = _day(attributes.get("TIME_PERIOD"), name, sid, self.url, self.fmt)
        status = attributes.get("OBS_STATUS")
        if status is None:
            raise ParseError(SOURCE, self.url, f"{name} ({sid}) {day}: observation without OBS_STATUS")
        first = self.since.get(sid)
        if status != OBS_AVAILABLE or (first is not None and day < first) or (self.last and day > self.last):
            return  # NA, NC, ND: missing, whatever sentinel OBS_VALUE holds
        self.names.append(sid)
        self.days.append(day)
        self.values.append(_value(attributes.get("OBS_VALUE"), name, sid, day, self.url))


def _attribute_drift(attributes: dict[str, str], name: str, sid: str, fmt: ReleaseFormat = H41_FORMAT) -> str | None:
    """Why a series' unit attributes are not the release's unit, or ``None``."""
    for attribute, expected in fmt.attributes:
        found = attributes.get(attribute)
        if found != expected:
            return f"{name} ({sid}): {attribute} is {found!r} where {expected!r} is expected ({fmt.unit_words})"
    return None


def _day(text: str | None, name: str, sid: str, url: str, fmt: ReleaseFormat = H41_FORMAT) -> dt.date:
    try:
        day = parse_iso_date(text or "")
    except ValueError as exc:
        raise ParseError(SOURCE, url, f"{name} ({sid}): TIME_PERIOD {exc}") from None
    if fmt.weekday is not None and day.weekday() != fmt.weekday:
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
    fmt: ReleaseFormat = H41_FORMAT,
    pick: Picker | None = None,
) -> H41Release:
    """Check the archive in ``file`` (a seekable binary file), then parse its data member as a stream.

    Every failure to read the archive or its member, whatever the exception (a compression
    method the standard library does not have raises ``NotImplementedError``), is a
    ``ParseError`` naming it, so that the series fail over like any other refused payload.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            info = check_members(archive, url=url, max_data_bytes=max_data_bytes, fmt=fmt)
            with archive.open(info) as member:
                return parse_h41_xml(
                    member,
                    url=url,
                    series=series,
                    required=required,
                    since=since,
                    end=end,
                    max_bytes=max_data_bytes,
                    fmt=fmt,
                    pick=pick,
                )
    except ParseError:
        raise
    except zipfile.BadZipFile as exc:
        raise ParseError(SOURCE, url, f"not a readable ZIP archive (truncated download?): {exc}") from None
    except NotImplementedError as exc:
        raise ParseError(SOURCE, url, f"archive member {fmt.data_member} cannot be read: {exc}") from None
    except Exception as exc:  # zlib.error, EOFError, OSError, RuntimeError, MemoryError ... from a hostile archive
        what = f"archive member {fmt.data_member} is damaged"
        raise ParseError(SOURCE, url, f"{what}: {type(exc).__name__}: {exc}") from None
