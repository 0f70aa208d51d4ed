"""The revision report (``raw.revisions``) and the operator's accepted revisions (``meta.revision_acceptances``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import polars as pl

from liquidity_watch.domain.revisions import RevisionAcceptance

#: The columns ``liquidity-watch revisions`` prints, in order (all from ``raw.revisions``).
REPORT_COLUMNS = (
    "series_id",
    "date",
    "version",
    "previous_value",
    "value",
    "change",
    "change_pct",
    "unit",
    "source",
    "known_at",
    "age_days",
    "run_id",
    "accepted_as",
)


class NotUpgraded(Exception):
    """The warehouse predates revision tracking (migration 008) and was opened read-only."""


def has_versions(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the warehouse has ``raw.observation_versions`` (a writable connection migrates it)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND table_name = 'observation_versions'"
        " AND database_name = current_database()"
    ).fetchone()
    return bool(found and found[0])


def revision_report(
    con: duckdb.DuckDBPyConnection, series: str | None = None, since: dt.date | None = None
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Revisions, newest learned first: optionally of one series, optionally learned on or after ``since``.

    ``since`` is a New York calendar day compared with ``known_at`` (when the revision
    became visible to ``--as-of``; for a revision, when we retrieved it). Raises
    ``NotUpgraded`` on a warehouse that predates revision tracking.
    """
    if not has_versions(con):
        raise NotUpgraded("this warehouse predates revision tracking; a run upgrades it")
    where: list[str] = []
    params: list[object] = []
    if series is not None:
        where.append("series_id = ?")
        params.append(series)
    if since is not None:
        where.append("CAST(timezone('America/New_York', known_at) AS DATE) >= ?")
        params.append(since)
    sql = f"SELECT {', '.join(REPORT_COLUMNS)} FROM raw.revisions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY known_at DESC, series_id, date, version"
    return list(REPORT_COLUMNS), con.execute(sql, params).fetchall()


def revisions_in(frame: pl.DataFrame, acceptance: RevisionAcceptance) -> int:
    """How many rows of ``frame`` (``series_id``, ``date``) fall inside ``acceptance``."""
    return frame.filter(
        (pl.col("series_id") == acceptance.series_id) & pl.col("date").is_between(acceptance.start, acceptance.end)
    ).height


def revised_keys(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """``series_id, date`` of every revision (version > 1) the run landed."""
    rows = con.execute(
        "SELECT series_id, date FROM raw.observation_versions WHERE run_id = ? AND version > 1", [run_id]
    ).fetchall()
    return pl.DataFrame(rows, schema={"series_id": pl.String, "date": pl.Date}, orient="row")


def record_acceptances(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    accepted_at: dt.datetime,
    acceptances: Sequence[RevisionAcceptance],
) -> dict[str, int]:
    """Record the run's accepted ranges with how many of its revisions each covered; return those counts.

    Call it in the run's working copy after landing, so only a run that publishes records them.
    """
    if not acceptances:
        return {}
    revised = revised_keys(con, run_id)
    counts = {str(a): revisions_in(revised, a) for a in acceptances}
    con.executemany(
        "INSERT OR REPLACE INTO meta.revision_acceptances VALUES (?, ?, ?, ?, ?, ?)",
        [[run_id, a.series_id, a.start, a.end, accepted_at, counts[str(a)]] for a in acceptances],
    )
    return counts
