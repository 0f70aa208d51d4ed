"""What every source returns: typed observation rows plus the provenance of the payload."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import polars as pl

#: The schema of ``Payload.observations``; every parser returns exactly these columns.
OBSERVATION_SCHEMA: dict[str, pl.DataType] = {
    "series_id": pl.String(),
    "date": pl.Date(),
    "value": pl.Float64(),
}


def observations_frame(rows: list[tuple[str, dt.date, float]]) -> pl.DataFrame:
    """Build an observation frame from ``(series_id, date, value)`` tuples."""
    return pl.DataFrame(rows, schema=OBSERVATION_SCHEMA, orient="row")


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Validators:
    """An HTTP response's validators, sent back on the next request for the same URL.

    A server that honours them answers ``304 Not Modified`` when nothing changed
    (``If-None-Match`` carries the ETag, ``If-Modified-Since`` the Last-Modified date).
    """

    etag: str | None = None
    last_modified: str | None = None

    def __bool__(self) -> bool:
        return bool(self.etag or self.last_modified)

    def request_headers(self) -> dict[str, str]:
        """The conditional-request headers these validators give.

        >>> Validators(etag='"abc"').request_headers()
        {'If-None-Match': '"abc"'}
        """
        headers: dict[str, str] = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Payload:
    """One fetched payload and the observations parsed from it.

    Attributes
    ----------
    source : ``nyfed``, ``ddp``, ``fred`` or ``snapshot``.
    url : where the bytes came from (``file://`` for a snapshot).
    retrieved_at : when they were fetched (UTC).
    sha256 : hash of the raw bytes; landing the same hash twice is a no-op.
    observations : ``series_id``, ``date``, ``value`` rows, one per observed value.
    n_bytes : size of the raw bytes.
    validators : the response's ETag / Last-Modified, for the next conditional request.
    note : what the payload says about itself, for the run summary (``prepared 2026-08-27T16:30:00``).
    """

    source: str
    url: str
    retrieved_at: dt.datetime
    sha256: str
    observations: pl.DataFrame = field(repr=False)
    n_bytes: int = 0
    validators: Validators = field(default_factory=Validators)
    note: str = ""

    @property
    def series(self) -> list[str]:
        return sorted(self.observations["series_id"].unique().to_list())


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
