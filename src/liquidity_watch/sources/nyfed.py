"""New York Fed Markets API (keyless JSON): reference rates and reverse repo operations.

Wire format (docs/sources.md; recorded responses in tests/fixtures/nyfed):

* ``/api/rates/{secured|unsecured}/{sofr|effr}/search.json?startDate=&endDate=`` returns
  ``{"refRates": [...]}``, newest first, numbers as JSON numbers, absent keys (never
  ``null``) for missing fields. EFFR records carry the target range
  (``targetRateFrom``/``targetRateTo``).
* ``/api/rp/results/search.json?startDate=&endDate=`` (the one date search the Markets API
  documents for operations; the ``/api/rp/{type}/{method}/results/search.json`` variants answer
  400) returns ``{"repo": {"operations": [...]}}`` holding both operation types, whatever
  ``operationTypes`` asks for, so none is sent and each operation is sorted by its
  ``operationType`` and ``term``. Amounts are in **dollars**.
* ON RRP: the daily total of overnight (``term`` "Overnight") reverse repos equals FRED's
  RRPONTSYD ($bn) as the sum of Treasury ``amtAccepted`` over that day's operations (checked
  on 249 days of the recorded file, including a small value exercise). The same operations
  carry the award rate (``percentAwardRate``), FRED's RRPONTSYAWARD. Term reverse repos are
  not ON RRP.
* Repo take-up: the Fed's overnight repo operations, since 2021-07-29 the Standing Repo
  Facility, which runs twice a day since mid-2025: the day's total is summed over every
  overnight operation of the day. It equals FRED's RPONTSYD on 247 of the 248 days of the
  recorded file; the other day is a small value exercise (a test trade, flagged in ``note``),
  which FRED counts and this parser leaves out.
* TGCR and BGCR come from ``/api/rates/secured/{tgcr|bgcr}/search.json`` in the SOFR
  record format (``percentRate`` only is kept).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import polars as pl

from liquidity_watch.domain.catalog import SOFR_START
from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc, sha256
from liquidity_watch.domain.sources import Provider
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import ParseError, parsing
from liquidity_watch.sources.http import HttpClient
from liquidity_watch.sources.values import (
    checked_body,
    json_number,
    parse_iso_date,
)

SOURCE = Provider.NYFED

#: (record type, JSON key) -> canonical series id
RATE_FIELDS: dict[str, dict[str, str]] = {
    "SOFR": {
        "percentRate": "SOFR",
        "percentPercentile1": "SOFR1",
        "percentPercentile25": "SOFR25",
        "percentPercentile75": "SOFR75",
        "percentPercentile99": "SOFR99",
        "volumeInBillions": "SOFRVOL",
    },
    "EFFR": {"percentRate": "EFFR", "targetRateFrom": "DFEDTARL", "targetRateTo": "DFEDTARU"},
    "TGCR": {"percentRate": "TGCRRATE"},
    "BGCR": {"percentRate": "BGCRRATE"},
}
RATE_PATHS = {
    "SOFR": "/api/rates/secured/sofr/search.json",
    "EFFR": "/api/rates/unsecured/effr/search.json",
    "TGCR": "/api/rates/secured/tgcr/search.json",
    "BGCR": "/api/rates/secured/bgcr/search.json",
}
#: The one documented date search for repo and reverse repo operations (both kinds in one body).
OPERATIONS_PATH = "/api/rp/results/search.json"
#: The NY Fed publishes SOFR, TGCR and BGCR from 2018-04-02; EFFR (in this API) back to 2000.
#: Operations: FRED's RPONTSYD starts 2000-01-03, RRPONTSYD 2003-02-07 (how far back the search
#: answers is unconfirmed; public code asks it one calendar year at a time, as ``windows`` does).
FIRST_DATE = {
    "SOFR": SOFR_START,
    "TGCR": SOFR_START,
    "BGCR": SOFR_START,
    "EFFR": dt.date(2000, 7, 3),
    "OPERATIONS": dt.date(2000, 1, 3),
}
#: ``term`` of an overnight operation (the others are "Term", which are neither ON RRP nor RPONTSYD)
OVERNIGHT = "Overnight"
#: The target range's bounds in an EFFR record: stored only together (before 2008-12-16 the FOMC
#: set a single target, and a record may carry one bound or none).
RANGE_KEYS = ("targetRateFrom", "targetRateTo")
#: Words in an operation's ``note`` that mark a small value exercise (a test trade).
SMALL_VALUE_EXERCISE = "small value exercise"


def _load_json(body: bytes, url: str, key: str) -> object:
    checked_body(body, source=SOURCE, url=url, expected="JSON")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(SOURCE, url, f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ParseError(SOURCE, url, "not valid JSON: nested too deeply to parse") from None
    if not isinstance(doc, dict) or key not in doc:
        found = sorted(doc)[:10] if isinstance(doc, dict) else type(doc).__name__
        raise ParseError(SOURCE, url, f"expected a {key!r} key, found {found}")
    return doc[key]


def _date(record: dict[str, Any], key: str, url: str) -> dt.date:
    try:
        return parse_iso_date(record[key])
    except (KeyError, TypeError, ValueError):
        raise ParseError(SOURCE, url, f"record without a valid {key}: {record!r:.200}") from None


def _number(record: dict[str, Any], key: str, url: str, day: dt.date) -> float | None:
    value = record.get(key)
    if value is None or value == "":
        return None
    try:
        return json_number(value)
    except ValueError:
        raise ParseError(SOURCE, url, f"{record.get('type')} {day} {key}: {value!r} is not a number") from None


def parse_reference_rates(body: bytes, *, url: str, rate_type: str | None = None) -> pl.DataFrame:
    """Parse a ``refRates`` payload into canonical observations.

    Parameters
    ----------
    body : raw bytes of a ``rates/.../search.json`` or ``latest.json`` response.
    url : for error messages.
    rate_type : if given (``SOFR``/``EFFR``), every record must be of that type.

    Examples
    --------
    >>> body = b'{"refRates":[{"effectiveDate":"2019-09-17","type":"SOFR","percentRate":5.25}]}'
    >>> parse_reference_rates(body, url="x").rows()
    [('SOFR', datetime.date(2019, 9, 17), 5.25)]
    """
    records = _load_json(body, url, "refRates")
    if not isinstance(records, list):
        raise ParseError(SOURCE, url, f"'refRates' is a {type(records).__name__}, expected a list")
    rows: list[tuple[str, dt.date, float]] = []
    for record in records:
        if not isinstance(record, dict):
            raise ParseError(SOURCE, url, f"record is not an object: {record!r:.100}")
        kind = record.get("type")
        if rate_type is not None and kind != rate_type:
            raise ParseError(SOURCE, url, f"expected {rate_type} records, got type {kind!r}")
        fields = RATE_FIELDS.get(kind) if isinstance(kind, str) else None
        if fields is None:
            continue  # other rates (OBFR, SOFRAI) are not used
        day = _date(record, "effectiveDate", url)
        if "percentRate" not in record:
            raise ParseError(SOURCE, url, f"{kind} {day}: no percentRate (fields: {sorted(record)})")
        values = {key: _number(record, key, url, day) for key in fields}
        if any(values.get(key) is None for key in RANGE_KEYS if key in values):
            for key in RANGE_KEYS:
                values.pop(key, None)
        rows += [(sid, day, value) for key, sid in fields.items() if (value := values.get(key)) is not None]
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def _operations(body: bytes, url: str) -> list[dict[str, Any]]:
    repo = _load_json(body, url, "repo")
    operations = repo.get("operations") if isinstance(repo, dict) else None
    if not isinstance(operations, list):
        raise ParseError(SOURCE, url, "expected repo.operations to be a list")
    return [op for op in operations if isinstance(op, dict)]


def _details(op: dict[str, Any], day: dt.date, url: str) -> list[dict[str, Any]]:
    kind = str(op.get("operationType", "operation")).lower()
    details = op.get("details")
    if not isinstance(details, list):
        raise ParseError(SOURCE, url, f"{kind} {op.get('operationId')} on {day}: no details list")
    for detail in details:
        if not isinstance(detail, dict):
            raise ParseError(
                SOURCE, url, f"{kind} {op.get('operationId')} on {day}: detail is not an object: {detail!r:.80}"
            )
    return details


def is_small_value_exercise(op: dict[str, Any]) -> bool:
    """A small value exercise: a test trade the NY Fed flags in the operation's ``note``.

    >>> is_small_value_exercise({"note": "This operation is a Small Value Exercise (SVE); ..."})
    True
    """
    return SMALL_VALUE_EXERCISE in str(op.get("note") or "").lower()


def parse_operations(body: bytes, *, url: str) -> pl.DataFrame:
    """ON RRP (RRPONTSYD, RRPONTSYAWARD) and repo take-up (RPONTSYD) from one ``rp/results/search.json`` body."""
    operations = _operations(body, url)
    return pl.DataFrame(
        _rrp_rows(operations, url) + _repo_rows(operations, url), schema=OBSERVATION_SCHEMA, orient="row"
    )


def _overnight(op: dict[str, Any], kind: str) -> bool:
    return op.get("operationType") == kind and op.get("term") == OVERNIGHT


def parse_rrp_results(body: bytes, *, url: str) -> pl.DataFrame:
    """Daily ON RRP totals ($bn, as FRED's RRPONTSYD) and award rates (%, RRPONTSYAWARD).

    Only overnight ``Reverse Repo`` operations count (a term reverse repo is not ON RRP); the
    day's total is the sum of the Treasury ``amtAccepted`` of its operations (small value
    exercises included, as in FRED), rounded to the $1 mn FRED publishes. The award rate is
    the Treasury ``percentAwardRate`` of the day's regular operation (not a small value
    exercise), given only when it accepted something: FRED has no award rate on a day without
    take-up.
    """
    return pl.DataFrame(_rrp_rows(_operations(body, url), url), schema=OBSERVATION_SCHEMA, orient="row")


def _rrp_rows(operations: list[dict[str, Any]], url: str) -> list[tuple[str, dt.date, float]]:
    totals: dict[dt.date, float] = defaultdict(float)
    awards: dict[dt.date, float] = {}
    for op in operations:
        if not _overnight(op, "Reverse Repo"):
            continue
        day = _date(op, "operationDate", url)
        for detail in _details(op, day, url):
            if detail.get("securityType") != "Treasury":
                continue
            amount = _number(detail, "amtAccepted", url, day) or 0.0
            totals[day] += amount
            award = _number(detail, "percentAwardRate", url, day)
            if award is not None and amount > 0 and not is_small_value_exercise(op):
                awards[day] = award
    rows = [("RRPONTSYD", day, round(total / 1e9, 3)) for day, total in sorted(totals.items())]
    rows += [("RRPONTSYAWARD", day, rate) for day, rate in sorted(awards.items())]
    return rows


def parse_repo_results(body: bytes, *, url: str) -> pl.DataFrame:
    """Daily take-up at the Fed's overnight repo operations ($bn, as FRED's RPONTSYD).

    Only overnight ``Repo`` operations count (term repos are FRED's other series), summed over
    every operation of the day (the Standing Repo Facility runs morning and afternoon), and
    only their Treasury leg (RPONTSYD is the Treasury series; agency and MBS take-up are left
    out). Small value exercises (test trades, flagged in ``note``) are left out: a day whose
    only operation was one has no row. A day whose operations took nothing is 0.

    Examples
    --------
    >>> body = (b'{"repo":{"operations":[{"operationId":"RP 091719 1","operationType":"Repo",'
    ...         b'"operationDate":"2019-09-17","term":"Overnight","note":"",'
    ...         b'"details":[{"securityType":"Treasury","amtAccepted":40850000000},'
    ...         b'{"securityType":"Mortgage-Backed","amtAccepted":12350000000}]}]}}')
    >>> parse_repo_results(body, url="x").rows()
    [('RPONTSYD', datetime.date(2019, 9, 17), 40.85)]
    """
    return pl.DataFrame(_repo_rows(_operations(body, url), url), schema=OBSERVATION_SCHEMA, orient="row")


def _repo_rows(operations: list[dict[str, Any]], url: str) -> list[tuple[str, dt.date, float]]:
    totals: dict[dt.date, float] = {}
    for op in operations:
        if not _overnight(op, "Repo") or is_small_value_exercise(op):
            continue
        day = _date(op, "operationDate", url)
        for detail in _details(op, day, url):
            if detail.get("securityType") == "Treasury":
                totals[day] = totals.get(day, 0.0) + (_number(detail, "amtAccepted", url, day) or 0.0)
            else:
                totals.setdefault(day, 0.0)
    return [("RPONTSYD", day, round(total / 1e9, 3)) for day, total in sorted(totals.items())]


def year_windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Split ``[start, end]`` into calendar-year requests (the API's size limit is unknown)."""
    windows = []
    while start <= end:
        stop = min(dt.date(start.year, 12, 31), end)
        windows.append((start, stop))
        start = stop + dt.timedelta(days=1)
    return windows


class NyFedClient:
    """SOFR, TGCR, BGCR, EFFR (with the target range), ON RRP and repo take-up from the Markets API."""

    def __init__(self, settings: Settings, http: HttpClient | None = None):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE)

    def _fetch(self, path: str, start: dt.date, end: dt.date, parse: Callable[..., pl.DataFrame], **kw: str) -> Payload:
        url = self.settings.nyfed_base_url.rstrip("/") + path
        retrieved_at = now_utc()
        body, final_url = self.http.get(url, {"startDate": start.isoformat(), "endDate": end.isoformat()})
        with parsing(SOURCE, final_url):
            frame = parse(body, url=final_url, **kw)
        return Payload(SOURCE, final_url, retrieved_at, sha256(body), frame, len(body))

    def fetch_rates(self, rate_type: str, start: dt.date, end: dt.date) -> Payload:
        """One ``search.json`` request for ``[start, end]`` (callers split long ranges with ``windows``).

        ``rate_type``: SOFR, EFFR, TGCR or BGCR.
        """
        return self._fetch(RATE_PATHS[rate_type], start, end, parse_reference_rates, rate_type=rate_type)

    def fetch_operations(self, start: dt.date, end: dt.date) -> Payload:
        """ON RRP (RRPONTSYD, RRPONTSYAWARD) and repo take-up (RPONTSYD) for ``[start, end]``: one request."""
        return self._fetch(OPERATIONS_PATH, start, end, parse_operations)


def windows(kind: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The year-long requests needed for ``kind`` (a key of ``FIRST_DATE``), from its first date on.

    >>> windows("SOFR", dt.date(2002, 12, 18), dt.date(2019, 2, 1))
    [(datetime.date(2018, 4, 2), datetime.date(2018, 12, 31)), (datetime.date(2019, 1, 1), datetime.date(2019, 2, 1))]
    """
    return year_windows(max(start, FIRST_DATE[kind]), end)
