"""A loopback stand-in for the NY Fed, the Board's DDP and FRED, in their real wire formats.

It serves the bundled snapshot history the way each upstream would: NY Fed JSON (newest
first, JSON numbers, EFFR records with the target range, SOFR with its percentiles and volume,
TGCR and BGCR, reverse repo and repo operations in dollars with the award rate), the
Board's whole H.4.1 release as a ZIP (``filetype=zip``; built by ``tests.h41_archive``, with
an ETag and Last-Modified, answering 304 to a matching conditional request), DDP package
CSV (``filetype=csv``: six quoted header rows, CRLF, no final newline) and FRED keyless CSV.
Handlers can be told to fail (a status with headers, or any body such as an HTML page with
status 200) once or until healed, to exercise retries and failover.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
from collections import defaultdict
from pathlib import Path
from urllib.parse import parse_qs

import polars as pl
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from liquidity_watch.sources.ddp import H41_IDENTIFIERS
from tests.h41_archive import archive_bytes

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
LAST_MODIFIED = email.utils.format_datetime(dt.datetime(2026, 8, 27, 20, 30, tzinfo=dt.UTC), usegmt=True)


class FakeFed:
    """Answers every upstream request from a long ``series_id, date, value`` frame.

    ``archive``: the bytes (or a file) of the H.4.1 release ZIP to serve; default: one built
    from ``observations`` without filler (small).
    """

    def __init__(self, server: HTTPServer, observations: pl.DataFrame, archive: bytes | Path | None = None):
        self.server = server
        self.by_series: dict[str, dict[dt.date, float]] = defaultdict(dict)
        for sid, day, value in observations.iter_rows():
            self.by_series[sid][day] = value
        self.archive = archive if archive is not None else archive_bytes(observations)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.headers: list[dict[str, str]] = []
        self.failures: list[tuple[str, Response, bool, dict[str, str]]] = []
        for kind, path in (
            ("SOFR", "/api/rates/secured/sofr/search.json"),
            ("TGCR", "/api/rates/secured/tgcr/search.json"),
            ("BGCR", "/api/rates/secured/bgcr/search.json"),
            ("EFFR", "/api/rates/unsecured/effr/search.json"),
        ):
            server.expect_request(path).respond_with_handler(lambda request, kind=kind: self._rates(request, kind))
        server.expect_request("/api/rp/reverserepo/all/results/search.json").respond_with_handler(self._rrp)
        server.expect_request("/api/rp/repo/all/results/search.json").respond_with_handler(self._repo)
        server.expect_request("/datadownload/Output.aspx").respond_with_handler(self._ddp)
        server.expect_request("/graph/fredgraph.csv").respond_with_handler(self._fred)

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

    def _record(self, request: Request) -> tuple[dict[str, str], Response | None]:
        args = {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}
        self.requests.append((request.path, args))
        self.headers.append(dict(request.headers))
        for i, (path, response, persistent, query) in enumerate(self.failures):
            if path == request.path and all(args.get(k) == v for k, v in query.items()):
                if not persistent:
                    del self.failures[i]
                return args, response
        return args, None

    def requests_to(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def _window(self, sid: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, float]]:
        return sorted(((d, v) for d, v in self.by_series.get(sid, {}).items() if start <= d <= end), reverse=True)

    def _rates(self, request: Request, kind: str) -> Response:
        args, failure = self._record(request)
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

    def _rrp(self, request: Request) -> Response:
        args, failure = self._record(request)
        if failure:
            return failure
        start, end = dt.date.fromisoformat(args["startDate"]), dt.date.fromisoformat(args["endDate"])
        operations = [
            {
                "operationId": f"RP {day:%m%d%y} 1",
                "operationDate": day.isoformat(),
                "operationType": "Reverse Repo",
                "operationMethod": "Fixed Rate",
                "term": "Overnight",
                "note": "",
                "totalAmtAccepted": round(value * 1e9),
                "details": [
                    {
                        "securityType": "Treasury",
                        "amtAccepted": round(value * 1e9),
                        **(
                            {"percentAwardRate": self.by_series["RRPONTSYAWARD"][day]}
                            if day in self.by_series.get("RRPONTSYAWARD", {})
                            else {}
                        ),
                    }
                ],
            }
            for day, value in self._window("RRPONTSYD", start, end)
        ]
        return Response(json.dumps({"repo": {"operations": operations}}), content_type="application/json")

    def _repo(self, request: Request) -> Response:
        args, failure = self._record(request)
        if failure:
            return failure
        start, end = dt.date.fromisoformat(args["startDate"]), dt.date.fromisoformat(args["endDate"])
        operations = [
            {
                "operationId": f"RP {day:%m%d%y} 2",
                "operationDate": day.isoformat(),
                "operationType": "Repo",
                "operationMethod": "Multiple Price",
                "term": "Overnight",
                "note": "",
                "totalAmtAccepted": round(value * 1e9),
                "details": [
                    {"securityType": "Treasury", "amtAccepted": round(value * 1e9)},
                    {"securityType": "Mortgage-Backed", "amtAccepted": 0},
                ],
            }
            for day, value in self._window("RPONTSYD", start, end)
        ]
        return Response(json.dumps({"repo": {"operations": operations}}), content_type="application/json")

    def _ddp(self, request: Request) -> Response:
        args, failure = self._record(request)
        if failure:
            return failure
        if args.get("filetype") == "zip":
            return self._archive(request)
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

    def _archive(self, request: Request) -> Response:
        body = self.archive_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        validators = {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=validators)
        return Response(body, content_type="application/x-zip-compressed", headers=validators)

    def _fred(self, request: Request) -> Response:
        args, failure = self._record(request)
        if failure:
            return failure
        sid = args["id"]
        start = dt.date.fromisoformat(args["cosd"]) if "cosd" in args else dt.date.min
        end = dt.date.fromisoformat(args["coed"]) if "coed" in args else dt.date.max
        rows = sorted((d, v) for d, v in self.by_series.get(sid, {}).items() if start <= d <= end)
        body = f"observation_date,{sid}\n" + "".join(f"{d.isoformat()},{_fred_number(v)}\n" for d, v in rows)
        return Response(body, content_type="text/csv")


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
