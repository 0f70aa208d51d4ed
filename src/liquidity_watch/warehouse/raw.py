"""Landing observations in ``raw`` (idempotent upsert) and reading them back point in time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from liquidity_watch.domain.calendars import with_published_at
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload
from liquidity_watch.warehouse.db import transaction


@dataclass(frozen=True)
class LandResult:
    """What landing did: counts per series of inserted and changed rows."""

    inserted: dict[str, int]
    changed: dict[str, int]

    @property
    def rows_out(self) -> int:
        return sum(self.inserted.values()) + sum(self.changed.values())


def incoming_frame(payloads: list[Payload]) -> pl.DataFrame:
    """All observations of a run with their provenance, one row per payload row.

    A later payload's value for the same (series, date) wins (live windows overlap only
    by the revision overlap, where the newer fetch is the better value).
    """
    frames = [
        p.observations.with_columns(
            source=pl.lit(p.source),
            url=pl.lit(p.url),
            retrieved_at=pl.lit(p.retrieved_at, dtype=pl.Datetime("us", "UTC")),
            payload_sha256=pl.lit(p.sha256),
            payload_order=pl.lit(i, dtype=pl.Int32),
        )
        for i, p in enumerate(payloads)
    ]
    if not frames:
        return pl.DataFrame(
            schema={
                "series_id": pl.String,
                "date": pl.Date,
                "value": pl.Float64,
                "source": pl.String,
                "url": pl.String,
                "retrieved_at": pl.Datetime("us", "UTC"),
                "payload_sha256": pl.String,
                "payload_order": pl.Int32,
            }
        )
    return pl.concat(frames, how="vertical")


def fresh_payloads(con: duckdb.DuckDBPyConnection, payloads: list[Payload]) -> list[Payload]:
    """The payloads whose hash is not yet in ``raw.payloads`` (the rest were landed before)."""
    known = {row[0] for row in con.execute("SELECT payload_sha256 FROM raw.payloads").fetchall()}
    return [p for p in payloads if p.sha256 not in known]


def stored_values(con: duckdb.DuckDBPyConnection, series: list[str]) -> pl.DataFrame:
    """``series_id, date, value`` already stored for ``series``."""
    con.execute("SET VARIABLE lw_series = ?", [series])
    return con.sql(
        "SELECT series_id, date, value FROM raw.observations WHERE list_contains(getvariable('lw_series'), series_id)"
    ).pl()


def land(con: duckdb.DuckDBPyConnection, fresh: list[Payload], run_id: str) -> LandResult:
    """Upsert the observations of ``fresh`` payloads (see ``fresh_payloads``) into ``raw.observations``.

    Rows whose value is unchanged are not touched, and a payload already in ``raw.payloads``
    is not recorded twice, so landing the same inputs twice changes nothing.
    """
    incoming = incoming_frame(fresh)
    if incoming.height == 0:
        return LandResult({}, {})
    latest = (
        incoming.sort("payload_order")
        .unique(subset=["series_id", "date"], keep="last", maintain_order=True)
        .drop("payload_order")
    )
    units = pl.DataFrame({"series_id": list(SERIES), "unit": [s.unit for s in SERIES.values()]})
    latest = with_published_at(latest.join(units, on="series_id", how="left"))
    manifest = pl.DataFrame(
        {
            "payload_sha256": [p.sha256 for p in fresh],
            "source": [p.source for p in fresh],
            "url": [p.url for p in fresh],
            "retrieved_at": pl.Series([p.retrieved_at for p in fresh], dtype=pl.Datetime("us", "UTC")),
            "n_bytes": [p.n_bytes for p in fresh],
            "n_observations": [p.observations.height for p in fresh],
            "series": [p.series for p in fresh],
            "run_id": [run_id] * len(fresh),
        }
    ).unique(subset="payload_sha256", keep="first", maintain_order=True)
    con.register("incoming", latest)
    con.register("manifest", manifest)
    try:
        with transaction(con):
            diff = con.sql(
                """
                SELECT i.series_id,
                       count(*) FILTER (WHERE o.series_id IS NULL) AS inserted,
                       count(*) FILTER (WHERE o.series_id IS NOT NULL AND o.value <> i.value) AS changed
                FROM incoming i LEFT JOIN raw.observations o USING (series_id, date)
                GROUP BY i.series_id
                """
            ).fetchall()
            con.execute(
                """
                INSERT INTO raw.observations
                SELECT i.series_id, i.date, i.value, i.unit, i.source, i.url, i.retrieved_at, i.payload_sha256,
                       i.published_at, ? AS first_run_id, ? AS changed_run_id
                FROM incoming i
                ON CONFLICT (series_id, date) DO UPDATE SET
                    value = excluded.value, unit = excluded.unit, source = excluded.source, url = excluded.url,
                    retrieved_at = excluded.retrieved_at, payload_sha256 = excluded.payload_sha256,
                    published_at = excluded.published_at, changed_run_id = excluded.changed_run_id
                WHERE raw.observations.value <> excluded.value
                """,
                [run_id, run_id],
            )
            con.execute("INSERT INTO raw.payloads SELECT * FROM manifest ON CONFLICT DO NOTHING")
    finally:
        con.unregister("incoming")
        con.unregister("manifest")
    return LandResult({s: n for s, n, _ in diff if n}, {s: n for s, _, n in diff if n})


def last_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """The last stored observation date per series (what an incremental fetch starts from)."""
    return dict(con.execute("SELECT series_id, max(date) FROM raw.observations GROUP BY series_id").fetchall())


def observations_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.datetime | None) -> pl.DataFrame:
    """``series_id, date, value`` of everything published before ``as_of`` (UTC); all if ``None``."""
    if as_of is None:
        query = con.sql("SELECT series_id, date, value FROM raw.observations ORDER BY series_id, date")
    else:
        con.execute("SET VARIABLE lw_as_of = ?", [as_of])
        query = con.sql(
            "SELECT series_id, date, value FROM raw.observations"
            " WHERE published_at < getvariable('lw_as_of') ORDER BY series_id, date"
        )
    return query.pl()
