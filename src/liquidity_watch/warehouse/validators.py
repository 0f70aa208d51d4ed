"""``meta.http_validators``: the ETag / Last-Modified of each URL, kept for the next run's conditional requests."""

from __future__ import annotations

import datetime as dt

import duckdb

from liquidity_watch.domain.payload import Validators

#: validators not refreshed for this long are dropped (windowed URLs change as data arrive)
KEEP_FOR = dt.timedelta(days=30)


def stored_validators(con: duckdb.DuckDBPyConnection) -> dict[str, Validators]:
    """URL -> the validators stored for it."""
    rows = con.execute("SELECT url, etag, last_modified FROM meta.http_validators").fetchall()
    return {url: Validators(etag, last_modified) for url, etag, last_modified in rows}


def store_validators(
    con: duckdb.DuckDBPyConnection,
    validators: dict[str, tuple[str, Validators]],
    run_id: str,
    now: dt.datetime | None = None,
) -> int:
    """Upsert ``validators`` (URL -> (source, validators)) and drop rows not refreshed for ``KEEP_FOR``.

    Returns the number of rows written.
    """
    now = now or dt.datetime.now(dt.UTC)
    rows = [(url, source, v.etag, v.last_modified, now, run_id) for url, (source, v) in validators.items() if v]
    if rows:
        con.executemany("INSERT OR REPLACE INTO meta.http_validators VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("DELETE FROM meta.http_validators WHERE stored_at < ?", [now - KEEP_FOR])
    return len(rows)
