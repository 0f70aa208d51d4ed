"""A loopback stand-in for the NY Fed, the Board's DDP and FRED, in their real wire formats and on their documented paths only.

It serves the bundled snapshot history the way each upstream would: NY Fed JSON (newest
first, JSON numbers, EFFR records with the target range, SOFR with its percentiles and volume,
TGCR and BGCR), repo and reverse repo operations from the one documented date search in the
recorded shape (both operation types in one body whatever ``operationTypes`` says, dollars,
the award rate, term operations that are neither ON RRP nor repo take-up, small value
exercises flagged in ``note``, two Standing Repo Facility operations a day since mid-2025),
the Board's whole H.4.1 and PRATES releases as ZIPs (``rel=H41|PRATES&filetype=zip``; built by
``tests.h41_archive``, with an ETag and Last-Modified, answering 304 to a matching conditional
request), DDP package
CSV (``filetype=csv``: six quoted header rows, CRLF, no final newline) and FRED keyless CSV.

It is stricter than the real services: a path they do not document, or a query without its
documented arguments or with others, is answered 400 (as the NY Fed answers the
``/api/rp/{type}/{method}/results/search.json`` variants), so code that asks anything else
fails in tests. Handlers can be told to fail (a status with headers, or any body such as an
HTML page with status 200) once or until healed, to exercise retries and failover.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from liquidity_watch.sources.ddp import H41_IDENTIFIERS
from tests.h41_archive import archive_bytes, prates_archive_bytes

DDP_SERIES = ["WALCL", "TREAST", "WSHOMCB", "WRESBAL", "WDTGAL"]
#: NY Fed rate type -> (canonical id of percentRate, {record key: canonical id} of the other fields)
RATE_RECORDS = {
    "SOFR": (
        "SOFR",
        {
            "percentPercentile1": "SOFR1",
            "percentPercentile25": "SOFR25",
            "percentPercentile75": "SOFR75",
            "percentPercentile99": "SOFR99",
            "volumeInBillions": "SOFRVOL",
        },
    ),
    "EFFR": ("EFFR", {"targetRateFrom": "DFEDTARL", "targetRateTo": "DFEDTARU"}),
    "TGCR": ("TGCRRATE", {}),
    "BGCR": ("BGCRRATE", {}),
}
ARCHIVE_PATH = "/datadownload/Output.aspx"
FRED_CSV_PATH = "/graph/fredgraph.csv"
OPERATIONS_PATH = "/api/rp/results/search.json"
RATE_PATHS = {
    "SOFR": "/api/rates/secured/sofr/search.json",
    "TGCR": "/api/rates/secured/tgcr/search.json",
    "BGCR": "/api/rates/secured/bgcr/search.json",
    "EFFR": "/api/rates/unsecured/effr/search.json",
}
#: the documented query arguments of each search: (required, optional)
SEARCH_QUERY = (frozenset({"startDate", "endDate"}), frozenset())
OPERATIONS_QUERY = (
    frozenset({"startDate", "endDate"}),
    frozenset({"operationTypes", "method", "securityType", "term"}),
)
ARCHIVE_QUERY = {"filetype": "zip"}
ARCHIVE_RELEASES = frozenset({"H41", "PRATES"})
PACKAGE_QUERY = (
    frozenset({"rel", "series", "from", "to", "filetype", "label", "layout"}),
    frozenset({"lastobs", "type"}),
)
FRED_CSV_QUERY = (frozenset({"id"}), frozenset({"cosd", "coed"}))
FRED_API_PATH = "/fred/series/observations"
FRED_API_QUERY = (frozenset({"series_id", "api_key", "file_type"}), frozenset({"observation_start", "observation_end"}))
#: the key the fake FRED API knows (FRED's keys are 32 lower-case letters and digits)
FRED_API_KEY = "plantedfredkey0123456789abcdef00"
#: everything else under these prefixes is answered 400 (the paths of a fake Slack on the same server are left alone)
UNDOCUMENTED = re.compile(r"^/(api/(rates|rp)|datadownload|graph|fred)(/.*)?$")
#: The Standing Repo Facility runs a morning and an afternoon operation from mid-2025 (the day is the fake's choice).
SRF_TWICE_FROM = dt.date(2025, 6, 26)
LAST_MODIFIED = email.utils.format_datetime(dt.datetime(2026, 8, 27, 20, 30, tzinfo=dt.UTC), usegmt=True)


class FakeFed:
    """Answers every upstream request from a long ``series_id, date, value`` frame.

    ``archive``: the bytes (or a file) of the H.4.1 release ZIP to serve; default: one built
    from ``observations`` without filler (small).
    """

    def __init__(self, server: HTTPServer, observations: pl.DataFrame, archive: bytes | Path | None = None):
        self.server = server
        served = _served(observations)
        self.by_series: dict[str, dict[dt.date, float]] = defaultdict(
            dict, {k: dict(v) for k, v in served.by_series.items()}
        )
        self.archive = archive if archive is not None else served.archive
        self.prates = served.prates
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.headers: list[dict[str, str]] = []
        self.failures: list[tuple[str, Response, bool, dict[str, str]]] = []
        for kind, path in RATE_PATHS.items():
            server.expect_request(path).respond_with_handler(lambda request, kind=kind: self._rates(request, kind))
        server.expect_request(OPERATIONS_PATH).respond_with_handler(self._operations)
        server.expect_request(ARCHIVE_PATH).respond_with_handler(self._ddp)
        server.expect_request(FRED_CSV_PATH).respond_with_handler(self._fred)
        server.expect_request(FRED_API_PATH).respond_with_handler(self._fred_api)
        server.expect_request(UNDOCUMENTED).respond_with_handler(self._undocumented)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail_next(
        self,
        path: str,
        status: int,
        headers: dict[str, str] | None = None,
        *,
        body: str | bytes = '{"message":"Too Many Requests"}',
        content_type: str = "application/json",
        until_healed: bool = False,
        query: dict[str, str] | None = None,
    ) -> None:
        """The next request to ``path`` (every one, ``until_healed``) gets this response instead of data.

        ``query``: only requests whose query has these arguments (for example ``{"id": "SOFR99"}``).
        """
        response = Response(body, status=status, headers=headers or {}, content_type=content_type)
        self.failures.append((path, response, until_healed, query or {}))

    def heal(self, path: str | None = None) -> None:
        """Forget the failures set for ``path`` (every path if ``None``)."""
        self.failures = [f for f in self.failures if path is not None and f[0] != path]

    def _record(
        self, request: Request, query: tuple[frozenset[str], frozenset[str]] | None = None
    ) -> tuple[dict[str, str], Response | None]:
        """Note the request; then a 400 if its query is not the documented one, else a failure set for it, if any."""
        args = {k: v[0] for k, v in parse_qs(request.query_string.decode(), keep_blank_values=True).items()}
        self.requests.append((request.path, args))
        self.headers.append(dict(request.headers))
        if query is not None:
            problem = _query_problem(args, *query)
            if problem:
                return args, _bad_request(f"{request.path}: {problem}")
        for i, (path, response, persistent, query) in enumerate(self.failures):
            if path == request.path and all(args.get(k) == v for k, v in query.items()):
                if not persistent:
                    del self.failures[i]
                return args, response
        return args, None

    def requests_to(self, path: str, query: dict[str, str] | None = None) -> int:
        """How many requests asked ``path`` (with these query arguments, if given)."""
        wanted = (query or {}).items()
        return sum(1 for p, args in self.requests if p == path and all(args.get(k) == v for k, v in wanted))

    def _window(self, sid: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
        return sorted(((d, v) for d, v in self.by_series.get(sid, {}).items() if start <= d <= end), reverse=True)

    def _undocumented(self, request: Request) -> Response:
        self._record(request)
        return _bad_request(f"{request.path} is not a documented path")

    def _rates(self, request: Request, kind: str) -> Response:
        args, failure = self._record(request, SEARCH_QUERY)
        if failure:
            return failure
        start, end = dt.date.fromisoformat(args["startDate"]), dt.date.fromisoformat(args["endDate"])
        rate_id, fields = RATE_RECORDS[kind]
        records = []
        for day, value in self._window(rate_id, start, end):
            record = {"effectiveDate": day.isoformat(), "type": kind, "percentRate": value}
            for key, sid in fields.items():
                if day in self.by_series.get(sid, {}):
                    record[key] = self.by_series[sid][day]
            record["revisionIndicator"] = ""
            records.append(record)
        return Response(json.dumps({"refRates": records}), content_type="application/json; charset=utf-8")

    def _operations(self, request: Request) -> Response:
        """Both operation types in one body, newest first, whatever ``operationTypes`` asks for."""
        args, failure = self._record(request, OPERATIONS_QUERY)
        if failure:
            return failure
        start, end = dt.date.fromisoformat(args["startDate"]), dt.date.fromisoformat(args["endDate"])
        operations: list[dict[str, object]] = []
        for day, value in self._window("RRPONTSYD", start, end):
            award = self.by_series.get("RRPONTSYAWARD", {}).get(day)
            operations += reverse_repos(day, value, award)
        for day, value in self._window("RPONTSYD", start, end):
            operations += repos(day, value)
        operations.sort(key=lambda op: (str(op["operationDate"]), str(op["operationId"])), reverse=True)
        return Response(json.dumps({"repo": {"operations": operations}}), content_type="application/json")

    def _ddp(self, request: Request) -> Response:
        args = {k: v[0] for k, v in parse_qs(request.query_string.decode(), keep_blank_values=True).items()}
        if args.get("filetype") == "zip":
            args, failure = self._record(request, (frozenset({"rel", "filetype"}), frozenset()))
            if failure:
                return failure
            if args["rel"] not in ARCHIVE_RELEASES:
                return _bad_request(f"no release archive {args['rel']!r}")
            return self._archive(request, self.archive_bytes() if args["rel"] == "H41" else self.prates)
        args, failure = self._record(request, PACKAGE_QUERY)
        if failure:
            return failure
        start = dt.datetime.strptime(args["from"], "%m/%d/%Y").date()
        end = dt.datetime.strptime(args["to"], "%m/%d/%Y").date()
        ident = {sid: ident for ident, sid in H41_IDENTIFIERS.items()}
        header = [
            ["Series Description"] + [f"{sid} description" for sid in DDP_SERIES],
            ["Unit:"] + ["Currency"] * len(DDP_SERIES),
            ["Multiplier:"] + ["1000000"] * len(DDP_SERIES),
            ["Currency:"] + ["USD"] * len(DDP_SERIES),
            ["Unique Identifier: "] + [ident[sid] for sid in DDP_SERIES],
            ["Time Period"] + [ident[sid].split("/")[-1] for sid in DDP_SERIES],
        ]
        lines = [",".join(f'"{cell}"' for cell in row) for row in header]
        days = sorted({d for sid in DDP_SERIES for d in self.by_series[sid] if start <= d <= end})
        for day in days:
            cells = [self.by_series[sid].get(day) for sid in DDP_SERIES]
            lines.append(",".join([day.isoformat()] + ["ND" if c is None else f"{c:.0f}" for c in cells]))
        return Response("\r\n".join(lines), content_type="text/csv")

    def archive_bytes(self) -> bytes:
        return self.archive.read_bytes() if isinstance(self.archive, Path) else self.archive

    def _archive(self, request: Request, body: bytes) -> Response:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=validators)
        return Response(body, content_type="application/x-zip-compressed", headers=validators)

    def _fred_api(self, request: Request) -> Response:
        """``series/observations`` JSON as recorded: oldest first, values as strings, the key checked."""
        args, failure = self._record(request, FRED_API_QUERY)
        if failure:
            return failure
        if args["api_key"] != FRED_API_KEY:
            return _fred_api_error(400, "Bad Request.  The value for variable api_key is not registered.")
        if args["file_type"] != "json":
            return _fred_api_error(400, "Bad Request.  This fake serves file_type=json only.")
        sid = args["series_id"]
        if sid not in self.by_series:
            return _fred_api_error(400, "Bad Request.  The series does not exist.")
        start = dt.date.fromisoformat(args.get("observation_start", "1776-07-04"))
        end = dt.date.fromisoformat(args.get("observation_end", "9999-12-31"))
        rows = sorted((d, v) for d, v in self.by_series[sid].items() if start <= d <= end)
        observations = [
            {
                "realtime_start": "2026-09-14",
                "realtime_end": "2026-09-14",
                "date": d.isoformat(),
                "value": _fred_number(v),
            }
            for d, v in rows
        ]
        body = {"units": "lin", "sort_order": "asc", "count": len(rows), "offset": 0, "limit": 100000}
        return Response(json.dumps({**body, "observations": observations}), content_type="application/json")

    def _fred(self, request: Request) -> Response:
        args, failure = self._record(request, FRED_CSV_QUERY)
        if failure:
            return failure
        sid = args["id"]
        start = dt.date.fromisoformat(args["cosd"]) if "cosd" in args else dt.date.min
        end = dt.date.fromisoformat(args["coed"]) if "coed" in args else dt.date.max
        rows = sorted((d, v) for d, v in self.by_series.get(sid, {}).items() if start <= d <= end)
        body = f"observation_date,{sid}\n" + "".join(f"{d.isoformat()},{_fred_number(v)}\n" for d, v in rows)
        return Response(body, content_type="text/csv")


class _Served:
    """What a fake serves from one observations frame: its values by series and day, its PRATES ZIP, and its
    H.4.1 ZIP when a fake asks for the default one. The frame is read once: one changed in place later would be
    served stale (no test changes a frame in place)."""

    def __init__(self, observations: pl.DataFrame):
        self.observations = observations
        self.by_series: dict[str, dict[dt.date, float]] = defaultdict(dict)
        for sid, day, value in observations.iter_rows():
            self.by_series[sid][day] = value
        _even_out_the_range(self.by_series)
        self.prates = prates_archive_bytes(observations)

    @functools.cached_property
    def archive(self) -> bytes:
        return archive_bytes(self.observations)


#: the last few frames served, by identity: most tests serve the session's snapshot frame, and building what it
#: serves costs ~0.1 s a fake (the entry holds its frame, so an id is never reused while it is kept)
_SERVED: dict[int, _Served] = {}


def _served(observations: pl.DataFrame) -> _Served:
    found = _SERVED.get(id(observations))
    if found is None:
        found = _Served(observations)
        if len(_SERVED) >= 4:
            del _SERVED[next(iter(_SERVED))]
        _SERVED[id(observations)] = found
    return found


def _even_out_the_range(by_series: dict[str, dict[dt.date, float]]) -> None:
    """Give the lower bound of the target range every day the upper bound has, at the same width.

    The bundled snapshot's two files end on different days (they were saved apart), but every
    EFFR record that carries the range carries both bounds, and so does FRED on any one day.
    """
    lower, upper = by_series.get("DFEDTARL", {}), by_series.get("DFEDTARU", {})
    if not lower or not upper:
        return
    last = max(lower)
    width = upper[last] - lower[last]
    for day in sorted(d for d in upper if d > last):
        lower[day] = round(upper[day] - width, 2)


def _query_problem(args: dict[str, str], required: frozenset[str], optional: frozenset[str]) -> str:
    """Why a query is not the documented one ("" if it is); dates must be ISO where the name says so."""
    missing = sorted(required - args.keys())
    extra = sorted(args.keys() - required - optional)
    if missing or extra:
        return f"missing {missing}, undocumented {extra}"
    for key in ("startDate", "endDate", "cosd", "coed", "observation_start", "observation_end"):
        if key in args:
            try:
                dt.date.fromisoformat(args[key])
            except ValueError:
                return f"{key}={args[key]!r} is not YYYY-MM-DD"
    return ""


def _bad_request(message: str) -> Response:
    return Response(json.dumps({"message": message}), status=400, content_type="application/json")


def _dollars(billions: float) -> int:
    return round(billions * 1e9)


def _operation(
    day: dt.date, number: int, kind: str, term: str, amount: int, *, note: str = "", award: float | None = None
) -> dict[str, object]:
    """One operation in the recorded shape (amounts in dollars; ``note`` empty unless it says something)."""
    detail: dict[str, object] = {"securityType": "Treasury", "amtSubmitted": amount, "amtAccepted": amount}
    if award is not None:
        detail["percentAwardRate"] = award
    details = [detail]
    if kind == "Repo":
        details.append({"securityType": "Mortgage-Backed", "amtSubmitted": 0, "amtAccepted": 0})
    return {
        "operationId": f"RP {day:%m%d%y} {number}",
        "auctionStatus": "Results",
        "operationDate": day.isoformat(),
        "operationType": kind,
        "operationMethod": "Fixed Rate" if kind == "Reverse Repo" else "Full Allotment",
        "settlementType": "Same Day",
        "term": term,
        "termCalenderDays": 1 if term == "Overnight" else 7,
        "note": note,
        "totalAmtSubmitted": amount,
        "totalAmtAccepted": amount,
        "details": details,
    }


SVE_NOTE = "This operation is a Small Value Exercise (SVE); the daily {} operation will still take place"


def _sve_day(day: dt.date) -> bool:
    """The first Wednesday of every month carries a small value exercise (the choice of day is the fake's)."""
    return day.weekday() == 2 and day.day <= 7


def _term_day(day: dt.date) -> bool:
    """The 8th of every month also has a term operation, which counts neither as ON RRP nor as repo take-up."""
    return day.day == 8


def reverse_repos(day: dt.date, billions: float, award: float | None) -> list[dict[str, object]]:
    """A day's reverse repos summing to ``billions`` of overnight Treasury take-up (a small value exercise's included)."""
    total = _dollars(billions)
    sve = 1_000_000 if _sve_day(day) and total > 1_000_000 else 0
    ops = [_operation(day, 1, "Reverse Repo", "Overnight", total - sve, award=award)]
    if sve:
        ops.append(_operation(day, 99, "Reverse Repo", "Overnight", sve, note=SVE_NOTE.format("ON RRP"), award=0.0))
    if _term_day(day):
        ops.append(_operation(day, 2, "Reverse Repo", "Term", 5_000_000_000))
    return ops


def repos(day: dt.date, billions: float) -> list[dict[str, object]]:
    """A day's repos whose overnight Treasury take-up, small value exercises left out, is ``billions``."""
    total = _dollars(billions)
    if day >= SRF_TWICE_FROM:
        morning = total // 2
        ops = [
            _operation(day, 3, "Repo", "Overnight", morning),
            _operation(day, 4, "Repo", "Overnight", total - morning),
        ]
    else:
        ops = [_operation(day, 3, "Repo", "Overnight", total)]
    if _sve_day(day):
        ops.append(_operation(day, 98, "Repo", "Overnight", 27_000_000, note=SVE_NOTE.format("Repo")))
    if _term_day(day):
        ops.append(_operation(day, 5, "Repo", "Term", 24_000_000))
    return ops


def _fred_api_error(status: int, message: str) -> Response:
    """FRED's error body (docs/sources.md): ``{"error_code": ..., "error_message": ...}`` with the same status."""
    body = json.dumps({"error_code": status, "error_message": message})
    return Response(body, status=status, content_type="application/json; charset=UTF-8")


def _fred_number(value: float) -> str:
    """As FRED writes it: integers without a decimal point, other values with their digits."""
    return str(int(value)) if value == int(value) else repr(value)


def carried_forward(observations: pl.DataFrame, until: dt.date) -> pl.DataFrame:
    """The snapshot with its ragged ends evened out: weekly and daily-policy series that stop early carry their
    last value to ``until`` (weekly: every Wednesday), so that every series looks current at ``until``."""
    from liquidity_watch.domain.catalog import SERIES, Frequency

    extra: list[tuple[str, dt.date, float]] = []
    for (sid,), group in observations.group_by("series_id"):
        series = SERIES.get(str(sid))
        if series is None or series.discontinued or series.frequency is Frequency.BUSINESS_DAILY:
            continue
        last_day, last_value = group.sort("date").row(-1)[1:]
        step = dt.timedelta(days=7 if series.frequency is Frequency.WEEKLY_WEDNESDAY else 1)
        day = last_day + step
        while day <= until:
            extra.append((str(sid), day, last_value))
            day += step
    return pl.concat([observations, pl.DataFrame(extra, schema=observations.schema, orient="row")])


#: The series the NY Fed publishes (the target range comes with its EFFR records).
NYFED_SERIES = (
    "SOFR", "SOFR1", "SOFR25", "SOFR75", "SOFR99", "SOFRVOL", "TGCRRATE", "BGCRRATE", "EFFR",
    "RRPONTSYD", "RPONTSYD", "DFEDTARU", "DFEDTARL",
)  # fmt: skip


def nyfed_dark(observations: pl.DataFrame, today: dt.date, dark_bd: int) -> pl.DataFrame:
    """The snapshot brought up to ``today``, except the NY Fed's series, which stop ``dark_bd`` Fed business
    days before it: the NY Fed has published nothing since. Every series carries its last value on its own
    calendar (IORB daily, H.8 to the last week published by ``today``), and the H.4.1 keeps running off at
    $10bn a week (Treasuries 6, MBS 4), so the balance sheet still drains."""
    from liquidity_watch.domain.calendars import business_days
    from liquidity_watch.domain.catalog import SERIES, Frequency

    last_nyfed = business_days(today - dt.timedelta(days=dark_bd * 2 + 30), today)[-(dark_bd + 1)]
    runoff = {"TREAST": 6_000.0, "WSHOMCB": 4_000.0, "WALCL": 10_000.0}
    extra: list[tuple[str, dt.date, float]] = []
    for (sid,), group in observations.group_by("series_id"):
        series = SERIES.get(str(sid))
        if series is None or series.discontinued or sid == "RRPONTSYAWARD":
            continue
        last_day, last_value = group.sort("date").row(-1)[1:]
        if series.frequency is Frequency.BUSINESS_DAILY:
            until = last_nyfed if sid in NYFED_SERIES else today
            days = business_days(last_day + dt.timedelta(days=1), until, series.calendar)
        elif series.frequency is Frequency.DAILY:
            until = last_nyfed if sid in NYFED_SERIES else today
            days = [last_day + dt.timedelta(days=i) for i in range(1, (until - last_day).days + 1)]
        else:  # Wednesdays: H.4.1 to the last one published (Thursday), H.8 nine days later
            until = today - dt.timedelta(days=1 if sid != "TLAACBW027SBOG" else 10)
            days = [last_day + dt.timedelta(days=7 * i) for i in range(1, (until - last_day).days // 7 + 1)]
        step = runoff.get(str(sid), 0.0)
        extra += [(str(sid), day, last_value - step * (i + 1)) for i, day in enumerate(days)]
    return pl.concat([observations, pl.DataFrame(extra, schema=observations.schema, orient="row")])
