"""The input contract every parser shares: ISO dates, plain ASCII decimals, and a bounded size.

Python's own parsers are generous: ``date.fromisoformat`` takes ISO-week dates
(``2019-W38-2``) and basic dates (``20190917``), and ``float`` takes underscores
(``4_465_360``), non-ASCII digits (``٤٥``), ``nan``, ``inf`` and exponents. None of these
appears in what the NY Fed, the Board or FRED publish, so each is refused here, in one
place, with a message that quotes the text. Callers strip surrounding whitespace first
(FRED and DDP files may carry it) and turn ``ValueError`` into their ``ParseError``.

Size: a text payload (a CSV file or body) larger than ``MAX_INPUT_BYTES`` is refused before
it is parsed, and a file is read as a stream that stops at the limit (a file whose size
changes while it is read, or a special file that never ends, is refused the same way).
The largest real input is a few hundred kilobytes (a daily FRED series since 1954 is about
0.5 MB), so 16 MiB leaves 30x room while keeping a run's memory bounded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import math
import re
from pathlib import Path
from typing import BinaryIO

from liquidity_watch.sources.errors import ParseError

#: Largest CSV file or body a parser accepts (bytes).
MAX_INPUT_BYTES = 16 * 1024 * 1024
#: Largest magnitude of any value read. The largest number any source publishes is the ON RRP
#: take-up in dollars (about 2.6e12 at its 2022 peak); 1e15 is 400 times that, and far below
#: where a float loses whole units or a sum overflows.
MAX_MAGNITUDE = 1e15

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def parse_iso_date(text: str) -> dt.date:
    """A calendar date written exactly ``YYYY-MM-DD`` (ASCII digits), and valid.

    >>> parse_iso_date("2019-09-17")
    datetime.date(2019, 9, 17)
    >>> parse_iso_date("2019-W38-2")
    Traceback (most recent call last):
    ValueError: '2019-W38-2' is not a date written YYYY-MM-DD
    >>> parse_iso_date("2019-02-30")
    Traceback (most recent call last):
    ValueError: '2019-02-30' is not a valid date: day is out of range for month
    """
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date written YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a valid date: {exc}") from None


def parse_decimal(text: str) -> float:
    """A plain decimal number: optional minus, ASCII digits, optional fraction. Nothing else.

    >>> parse_decimal("-0.05")
    -0.05
    >>> parse_decimal("4_465_360")
    Traceback (most recent call last):
    ValueError: '4_465_360' is not a plain decimal number
    """
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text):
        raise ValueError(f"{text!r} is not a plain decimal number")
    return _in_range(float(text), text)


def _in_range(value: float, shown: object) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        text = f"{shown!r:.40}" + ("..." if len(repr(shown)) > 40 else "")
        raise ValueError(f"{text} is out of range (more than {MAX_MAGNITUDE:g} in magnitude)")
    return value


def json_number(value: object) -> float:
    """A JSON number that is finite (``json`` accepts ``NaN``, ``Infinity`` and ``1e400`` as inf).

    >>> json_number(5.25)
    5.25
    >>> json_number(float("nan"))
    Traceback (most recent call last):
    ValueError: nan is not a finite number
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r:.60} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    if isinstance(value, int) and abs(value) > MAX_MAGNITUDE:  # float() of a huge int overflows
        raise ValueError(f"an integer of {len(str(abs(value)))} digits is out of range")
    return _in_range(float(value), value)


class InputTooLarge(ValueError):
    """An input is over ``MAX_INPUT_BYTES``."""


def check_size(n_bytes: int, what: str, limit: int = MAX_INPUT_BYTES) -> None:
    """Refuse an input of ``n_bytes`` over ``limit``, naming it."""
    if n_bytes > limit:
        raise InputTooLarge(f"{what} is {n_bytes:,} bytes, over the {limit:,}-byte limit for one input")


class _BoundedHashingReader(io.RawIOBase):
    """A binary stream that hashes what it reads and refuses to go past ``limit`` bytes."""

    def __init__(self, raw: BinaryIO, limit: int, what: str) -> None:
        self._raw = raw
        self._limit = limit
        self._what = what
        self.hash = hashlib.sha256()
        self.n_bytes = 0
        self.last_byte = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._raw.read(len(buffer))
        if not chunk:
            return 0
        self.n_bytes += len(chunk)
        check_size(self.n_bytes, self._what, self._limit)
        self.hash.update(chunk)
        self.last_byte = chunk[-1:]
        buffer[: len(chunk)] = chunk
        return len(chunk)


class BoundedTextFile:
    """Read a text file as a stream of lines: size-checked first, hashed while read, never whole.

    ``with BoundedTextFile(path) as f: for line in f.text: ...``; afterwards ``sha256``,
    ``n_bytes`` and ``ends_with_newline`` describe exactly the bytes that were read. UTF-8
    with or without a BOM; ``newline=''`` so the ``csv`` module sees the file's own endings.
    """

    def __init__(self, path: Path, limit: int = MAX_INPUT_BYTES) -> None:
        self.path = Path(path)
        self.limit = limit
        self._reader: _BoundedHashingReader | None = None
        self.text: io.TextIOWrapper | None = None

    def __enter__(self) -> BoundedTextFile:
        check_size(self.path.stat().st_size, self.path.name, self.limit)
        raw = self.path.open("rb")
        self._reader = _BoundedHashingReader(raw, self.limit, self.path.name)
        self.text = io.TextIOWrapper(io.BufferedReader(self._reader), encoding="utf-8-sig", newline="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader._raw.close()

    @property
    def sha256(self) -> str:
        assert self._reader is not None
        return self._reader.hash.hexdigest()

    @property
    def n_bytes(self) -> int:
        assert self._reader is not None
        return self._reader.n_bytes

    @property
    def ends_with_newline(self) -> bool:
        assert self._reader is not None
        return self._reader.last_byte == b"\n"


def looks_like_html(body: bytes) -> bool:
    """An error page served with status 200 (seen from the Board and from WAFs).

    >>> looks_like_html(b"  <!DOCTYPE html><html>..."), looks_like_html(b"observation_date,SOFR")
    (True, False)
    """
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body"))


def checked_body(body: bytes, *, source: str, url: str, expected: str) -> None:
    """What every body must pass before it is parsed: bounded, not empty, not an HTML error page.

    Raises ``ParseError`` naming ``source`` and ``url``; ``expected`` (``CSV``, ``JSON``) words the
    HTML case.
    """
    try:
        check_size(len(body), "the body")
    except InputTooLarge as exc:
        raise ParseError(source, url, str(exc)) from None
    if not body.strip():
        raise ParseError(source, url, "empty body")
    if looks_like_html(body):
        raise ParseError(source, url, f"expected {expected}, got an HTML page: {body[:80]!r}")


def decoded(body: bytes, *, source: str, url: str) -> str:
    """``body`` as UTF-8 text (a byte-order mark dropped), or a ``ParseError``."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(source, url, f"not UTF-8 text: {exc}") from exc
