"""New York Fed Markets API (keyless JSON): reference rates and reverse repo operations.

Wire format (shared/spec/sources.md 1.3, 1.8; recorded responses in tests/fixtures/nyfed):

* ``/api/rates/{secured|unsecured}/{sofr|effr}/search.json?startDate=&endDate=`` returns
  ``{"refRates": [...]}``, newest first, numbers as JSON numbers, absent keys (never
  ``null``) for missing fields. EFFR records carry the target range
  (``targetRateFrom``/``targetRateTo``).
* ``/api/rp/reverserepo/all/results/search.json?startDate=&endDate=`` returns
  ``{"repo": {"operations": [...]}}``; amounts are in **dollars**. The daily ON RRP total
  equals FRED's RRPONTSYD ($bn) as the sum of Treasury ``amtAccepted`` over that day's
  reverse repo operations (checked on 249 days of the recorded file, including a small
  value exercise).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable

import polars as pl

from liquidity_watch.domain.payload import OBSERVATION_SCHEMA, Payload, now_utc, sha256
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import ParseError
from liquidity_watch.sources.fred import looks_like_html
from liquidity_watch.sources.http import HttpClient
from liquidity_watch.sources.values import InputTooLarge, check_size, json_number, parse_iso_date

SOURCE = "nyfed"

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
}
RATE_PATHS = {"SOFR": "/api/rates/secured/sofr/search.json", "EFFR": "/api/rates/unsecured/effr/search.json"}
RRP_PATH = "/api/rp/reverserepo/all/results/search.json"
#: The NY Fed publishes SOFR from 2018-04-02; EFFR (in this API) back to 2000.
FIRST_DATE = {"SOFR": dt.date(2018, 4, 2), "EFFR": dt.date(2000, 7, 3), "RRP": dt.date(2003, 2, 7)}


def _load_json(body: bytes, url: str, key: str) -> object:
    try:
        check_size(len(body), "the body")
    except InputTooLarge as exc:
        raise ParseError(SOURCE, url, str(exc)) from None
    if not body.strip():
        raise ParseError(SOURCE, url, "empty body")
    if looks_like_html(body):
        raise ParseError(SOURCE, url, f"expected JSON, got an HTML page: {body[:80]!r}")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(SOURCE, url, f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or key not in doc:
        found = sorted(doc)[:10] if isinstance(doc, dict) else type(doc).__name__
        raise ParseError(SOURCE, url, f"expected a {key!r} key, found {found}")
    return doc[key]


def _date(record: dict, key: str, url: str) -> dt.date:
    try:
        return parse_iso_date(record[key])
    except (KeyError, TypeError, ValueError):
        raise ParseError(SOURCE, url, f"record without a valid {key}: {record!r:.200}") from None


def _number(record: dict, key: str, url: str, day: dt.date) -> float | None:
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
        fields = RATE_FIELDS.get(kind)
        if fields is None:
            continue  # other rates (OBFR, TGCR, BGCR, SOFRAI) are not used
        day = _date(record, "effectiveDate", url)
        if "percentRate" not in record:
            raise ParseError(SOURCE, url, f"{kind} {day}: no percentRate (fields: {sorted(record)})")
        for key, sid in fields.items():
            value = _number(record, key, url, day)
            if value is not None:
                rows.append((sid, day, value))
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def parse_rrp_results(body: bytes, *, url: str) -> pl.DataFrame:
    """Daily ON RRP totals ($bn, as FRED's RRPONTSYD) from repo operation results.

    Only ``Reverse Repo`` operations count; the day's total is the sum of the Treasury
    ``amtAccepted`` of its operations (small value exercises included), rounded to the
    $1 mn FRED publishes.
    """
    repo = _load_json(body, url, "repo")
    operations = repo.get("operations") if isinstance(repo, dict) else None
    if not isinstance(operations, list):
        raise ParseError(SOURCE, url, "expected repo.operations to be a list")
    totals: dict[dt.date, float] = defaultdict(float)
    for op in operations:
        if not isinstance(op, dict) or op.get("operationType") != "Reverse Repo":
            continue
        day = _date(op, "operationDate", url)
        details = op.get("details")
        if not isinstance(details, list):
            raise ParseError(SOURCE, url, f"reverse repo {op.get('operationId')} on {day}: no details list")
        for detail in details:
            if not isinstance(detail, dict):
                raise ParseError(
                    SOURCE,
                    url,
                    f"reverse repo {op.get('operationId')} on {day}: detail is not an object: {detail!r:.80}",
                )
            if detail.get("securityType") == "Treasury":
                amount = _number(detail, "amtAccepted", url, day)
                totals[day] += amount or 0.0
    rows = [("RRPONTSYD", day, round(total / 1e9, 3)) for day, total in sorted(totals.items())]
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def year_windows(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Split ``[start, end]`` into calendar-year requests (the API's size limit is unknown)."""
    windows = []
    while start <= end:
        stop = min(dt.date(start.year, 12, 31), end)
        windows.append((start, stop))
        start = stop + dt.timedelta(days=1)
    return windows


class NyFedClient:
    """SOFR, EFFR (with the target range) and ON RRP from the Markets API."""

    def __init__(self, settings: Settings, http: HttpClient | None = None):
        self.settings = settings
        self.http = http or HttpClient(settings, SOURCE)

    def _fetch(self, path: str, start: dt.date, end: dt.date, parse: Callable[..., pl.DataFrame], **kw: str) -> Payload:
        url = self.settings.nyfed_base_url.rstrip("/") + path
        retrieved_at = now_utc()
        body, final_url = self.http.get(url, {"startDate": start.isoformat(), "endDate": end.isoformat()})
        frame = parse(body, url=final_url, **kw)
        return Payload(SOURCE, final_url, retrieved_at, sha256(body), frame, len(body))

    def fetch_rates(self, rate_type: str, start: dt.date, end: dt.date) -> Payload:
        """One ``search.json`` request for ``[start, end]`` (callers split long ranges with ``windows``)."""
        return self._fetch(RATE_PATHS[rate_type], start, end, parse_reference_rates, rate_type=rate_type)

    def fetch_rrp(self, start: dt.date, end: dt.date) -> Payload:
        return self._fetch(RRP_PATH, start, end, parse_rrp_results)


def windows(kind: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The year-long requests needed for ``kind`` (SOFR, EFFR or RRP), from its first date on.

    >>> windows("SOFR", dt.date(2002, 12, 18), dt.date(2019, 2, 1))
    [(datetime.date(2018, 4, 2), datetime.date(2018, 12, 31)), (datetime.date(2019, 1, 1), datetime.date(2019, 2, 1))]
    """
    return year_windows(max(start, FIRST_DATE[kind]), end)
