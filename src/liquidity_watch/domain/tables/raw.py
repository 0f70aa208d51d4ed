"""The ``raw`` tables: observations and payloads as landed, never rewritten."""

from __future__ import annotations

from liquidity_watch.domain.tables.spec import (
    BIGINT,
    DATE,
    DOUBLE,
    INTEGER,
    TIMESTAMPTZ,
    VARCHAR,
    VARCHAR_LIST,
    Column,
    Table,
)

OBSERVATION_VERSIONS = Table(
    schema="raw",
    name="observation_versions",
    grain="one row per version of an observation (series, date, version), as landed; rows are only ever inserted",
    about=(
        "Version 1 is the first value landed; each later version is a revision with a different value. "
        "--as-of D reads the latest version with known_at before the end of D. Values are in the unit "
        "column: usd_mn, usd_bn or pct."
    ),
    key=("series_id", "date", "version"),
    columns=(
        Column("series_id", VARCHAR, "Canonical series id (FRED id), e.g. WRESBAL.", nullable=False),
        Column("date", DATE, "Observation date (H.4.1: the Wednesday; rates: the effective date).", nullable=False),
        Column(
            "version",
            INTEGER,
            (
                "1 for the first value landed for this series and date, then 2, 3, ... for each revision (a "
                "different value)."
            ),
            nullable=False,
        ),
        Column("value", DOUBLE, "Value in the unit named by the unit column.", nullable=False),
        Column("unit", VARCHAR, "usd_mn, usd_bn or pct.", nullable=False),
        Column(
            "source",
            VARCHAR,
            (
                "nyfed, ddp, fred or snapshot: who served this version; carried: no source answered and the last "
                "value was carried forward (IORB while the target range stood), replaced by the next version a "
                "source serves."
            ),
            nullable=False,
        ),
        Column("url", VARCHAR, "Where the payload came from (file:// for a snapshot).", nullable=False),
        Column(
            "payload_sha256",
            VARCHAR,
            "SHA-256 of the payload bytes this version came from; see raw.payloads.",
            nullable=False,
        ),
        Column(
            "retrieved_at",
            TIMESTAMPTZ,
            "When we learned this version (UTC): the fetch, or the run that read the snapshot file.",
            nullable=False,
        ),
        Column(
            "published_at",
            TIMESTAMPTZ,
            "When the observation first became public (UTC), from the publication calendar (domain/calendars.py).",
            nullable=False,
        ),
        Column(
            "known_at",
            TIMESTAMPTZ,
            (
                "From when --as-of sees this version (UTC): published_at for version 1 (the first value landed, "
                "live or snapshot, stands for what was published then), the later of published_at and "
                "retrieved_at for a revision."
            ),
            nullable=False,
        ),
        Column("run_id", VARCHAR, "The run that landed this version (meta.runs.run_id).", nullable=False),
        Column("first_run_id", VARCHAR, "The run that landed version 1 of this series and date.", nullable=False),
    ),
)

PAYLOADS = Table(
    schema="raw",
    name="payloads",
    grain="one row per distinct payload landed (manifest)",
    about="A payload whose hash is already here is skipped.",
    key=("payload_sha256",),
    columns=(
        Column(
            "payload_sha256",
            VARCHAR,
            (
                "SHA-256 of the payload bytes (hex); the key raw.observations.payload_sha256 refers to. A payload"
                " already here is skipped on landing."
            ),
            nullable=False,
        ),
        Column(
            "source",
            VARCHAR,
            (
                "nyfed, ddp, fred or snapshot; carried: a payload made by the run itself, the last IORB carried "
                "forward (its url says from when and to when)."
            ),
            nullable=False,
        ),
        Column("url", VARCHAR, "Where the payload came from (file:// for a snapshot file).", nullable=False),
        Column("retrieved_at", TIMESTAMPTZ, "When the payload was fetched or read (UTC).", nullable=False),
        Column("n_bytes", BIGINT, "Size of the payload in bytes.", nullable=False),
        Column(
            "n_observations",
            BIGINT,
            "Observations parsed from the payload (rows offered to raw.observations).",
            nullable=False,
        ),
        Column("series", VARCHAR_LIST, "Series ids the payload carries (FRED ids), e.g. [WRESBAL].", nullable=False),
        Column("run_id", VARCHAR, "The run that landed it (meta.runs.run_id).", nullable=False),
    ),
)

#: Every ``raw`` table, in the order docs/warehouse.md lists them.
TABLES = (
    OBSERVATION_VERSIONS,
    PAYLOADS,
)
