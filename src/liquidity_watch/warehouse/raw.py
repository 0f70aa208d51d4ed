"""Landing observations in ``raw`` (every version kept) and reading them back point in time.

``raw.observation_versions`` only ever receives inserts: a value seen for the first time is
version 1, a different value for a (series, date) already stored is the next version, and
an unchanged value adds nothing. ``raw.observations`` is a view of the latest versions.

When each version counts as known (``known_at``, what ``--as-of`` filters on): version 1 at
its publication time (``published_at``): whether it came from a snapshot or from a live
backfill, the first value landed stands for what was published then. A revision at the later
of its publication and the moment we retrieved it, so an as-of before that moment sees the
value it replaced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from liquidity_watch.domain.calendars import with_published_at
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.payload import Payload
from liquidity_watch.domain.sources import IorbBasis, RangeAt
from liquidity_watch.warehouse.db import transaction


@dataclass(frozen=True)
class LandResult:
    """What landing did, per series: observations seen for the first time and revisions (new versions)."""

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


def incoming_values(payloads: list[Payload]) -> pl.DataFrame:
    """``series_id, date, value, payload_order``: every observation of a run, one row per payload row.

    Without the provenance, which is the same for every row of a payload (``payload_table``):
    repeated per row, its URL and hash alone are ~8 MB on a backfill, copied again by every
    step that reorders the frame.
    """
    frames = [
        p.observations.select("series_id", "date", "value").with_columns(payload_order=pl.lit(i, dtype=pl.Int32))
        for i, p in enumerate(payloads)
    ]
    if not frames:
        return pl.DataFrame(
            schema={"series_id": pl.String, "date": pl.Date, "value": pl.Float64, "payload_order": pl.Int32}
        )
    return pl.concat(frames, how="vertical")


def payload_table(payloads: list[Payload]) -> pl.DataFrame:
    """``payload_order, source, url, retrieved_at, payload_sha256``: one row per payload, in order."""
    return pl.DataFrame(
        {
            "payload_order": pl.Series(range(len(payloads)), dtype=pl.Int32),
            "source": pl.Series([p.source for p in payloads], dtype=pl.String),
            "url": pl.Series([p.url for p in payloads], dtype=pl.String),
            "retrieved_at": pl.Series([p.retrieved_at for p in payloads], dtype=pl.Datetime("us", "UTC")),
            "payload_sha256": pl.Series([p.sha256 for p in payloads], dtype=pl.String),
        }
    )


def fresh_payloads(con: duckdb.DuckDBPyConnection, payloads: list[Payload]) -> list[Payload]:
    """The payloads whose hash is not yet in ``raw.payloads`` (the rest were landed before)."""
    known = {row[0] for row in con.execute("SELECT payload_sha256 FROM raw.payloads").fetchall()}
    return [p for p in payloads if p.sha256 not in known]


def stored_values(con: duckdb.DuckDBPyConnection, series: list[str]) -> pl.DataFrame:
    """``series_id, date, value``: the current value of every stored observation of ``series``."""
    con.execute("SET VARIABLE lw_series = ?", [series])
    frame: pl.DataFrame = con.sql(
        "SELECT series_id, date, value FROM raw.observations WHERE list_contains(getvariable('lw_series'), series_id)"
    ).pl()
    return frame


def land(con: duckdb.DuckDBPyConnection, fresh: list[Payload], run_id: str) -> LandResult:
    """Add the observations of ``fresh`` payloads (see ``fresh_payloads``) to ``raw.observation_versions``.

    A value equal to the current version adds nothing, and a payload already in
    ``raw.payloads`` is not recorded twice, so landing the same inputs twice changes nothing.
    Nothing stored is ever updated or deleted.
    """
    incoming = incoming_values(fresh)
    if incoming.height == 0:
        return LandResult({}, {})
    # payloads are in order, so the last row of a (series, date) is the later payload's
    latest = incoming.unique(subset=["series_id", "date"], keep="last", maintain_order=True).sort("series_id", "date")
    latest = with_published_at(latest)
    units = pl.DataFrame({"series_id": list(SERIES), "unit": [s.unit for s in SERIES.values()]})
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
    registered = {
        "incoming": latest,
        "incoming_payloads": payload_table(fresh),
        "series_units": units,
        "manifest": manifest,
    }
    for name, frame in registered.items():
        con.register(name, frame)
    try:
        with transaction(con):
            before = _landed_by(con, run_id)  # empty, unless this run id landed before
            # straight into the versions table (a temporary table cost ~30 MB more at the backfill's
            # peak); each row's provenance joins from its payload here, in DuckDB's stream, rather
            # than in a frame; ``incoming`` is sorted by series and date, so the rows land clustered
            con.execute(
                """
                INSERT INTO raw.observation_versions
                SELECT i.series_id, i.date, coalesce(o.version, 0) + 1 AS version, i.value, u.unit, p.source, p.url,
                       p.payload_sha256, p.retrieved_at, i.published_at,
                       CASE WHEN o.series_id IS NULL THEN i.published_at
                            ELSE greatest(i.published_at, p.retrieved_at) END AS known_at,
                       $run_id AS run_id, coalesce(o.first_run_id, $run_id) AS first_run_id
                FROM incoming i
                JOIN incoming_payloads p USING (payload_order)
                LEFT JOIN series_units u USING (series_id)
                LEFT JOIN raw.observations o USING (series_id, date)
                WHERE o.series_id IS NULL OR o.value <> i.value OR (o.source = 'carried' AND p.source <> 'carried')
                """,
                {"run_id": run_id},
            )
            after = _landed_by(con, run_id)
            con.execute("INSERT INTO raw.payloads SELECT * FROM manifest ON CONFLICT DO NOTHING")
    finally:
        for name in registered:
            con.unregister(name)
    new = {s: n - before.get(s, (0, 0))[0] for s, (n, _) in after.items()}
    changed = {s: n - before.get(s, (0, 0))[1] for s, (_, n) in after.items()}
    return LandResult({s: n for s, n in new.items() if n}, {s: n for s, n in changed.items() if n})


def _landed_by(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, tuple[int, int]]:
    """Series -> (first versions, revisions) that ``run_id`` has landed."""
    rows = con.execute(
        "SELECT series_id, count(*) FILTER (WHERE version = 1), count(*) FILTER (WHERE version > 1)"
        " FROM raw.observation_versions WHERE run_id = ? GROUP BY series_id",
        [run_id],
    ).fetchall()
    return {series: (new, changed) for series, new, changed in rows}


def last_dates(con: duckdb.DuckDBPyConnection) -> dict[str, dt.date]:
    """The last observation date per series that a source served (what an incremental fetch starts from).

    Values carried forward do not count: the next fetch starts before them, so a source's
    answer replaces them.
    """
    # the view, not the versions table: a read-only connection to a warehouse that predates
    # migration 008 (not migrated yet) still has raw.observations
    return dict(
        con.execute(
            "SELECT series_id, max(date) FROM raw.observations WHERE source <> 'carried' GROUP BY series_id"
        ).fetchall()
    )


def iorb_basis(con: duckdb.DuckDBPyConnection) -> IorbBasis | None:
    """The last IORB a source served, with the target range on that day and the latest range stored."""
    last = con.execute(
        "SELECT date, value FROM raw.observations WHERE series_id = 'IORB' AND source <> 'carried'"
        " ORDER BY date DESC LIMIT 1"
    ).fetchone()
    if last is None:
        return None
    day, value = last

    def range_on(until: dt.date | None) -> RangeAt | None:
        row = con.execute(
            "SELECT l.date, l.value, u.value FROM raw.observations l JOIN raw.observations u USING (date)"
            " WHERE l.series_id = 'DFEDTARL' AND u.series_id = 'DFEDTARU' AND (? IS NULL OR l.date <= ?)"
            " ORDER BY l.date DESC LIMIT 1",
            [until, until],
        ).fetchone()
        return RangeAt(row[0], row[1], row[2]) if row else None

    return IorbBasis(day, value, range_on(day), range_on(None))


def observations_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.datetime | None) -> pl.DataFrame:
    """``series_id, date, value`` as known before ``as_of`` (UTC): per series and date, the latest
    version whose ``known_at`` is before it. ``None``: the current values."""
    if as_of is None:
        query = con.sql("SELECT series_id, date, value FROM raw.observations ORDER BY series_id, date")
    else:
        con.execute("SET VARIABLE lw_as_of = ?", [as_of])
        query = con.sql(
            "SELECT series_id, date, value FROM raw.observation_versions"
            " WHERE known_at < getvariable('lw_as_of')"
            " QUALIFY row_number() OVER (PARTITION BY series_id, date ORDER BY version DESC) = 1"
            " ORDER BY series_id, date"
        )
    frame: pl.DataFrame = query.pl()
    return frame
