"""The ``meta`` tables: what each run did, checked and queued."""

from __future__ import annotations

from liquidity_watch.domain.tables.spec import BIGINT, BOOLEAN, DATE, INTEGER, JSON, TIMESTAMPTZ, VARCHAR, Column, Table

HTTP_VALIDATORS = Table(
    schema="meta",
    name="http_validators",
    grain="one row per URL whose response carried validators (latest response wins)",
    about="What the next run sends as If-None-Match / If-Modified-Since. Rows not refreshed for 30 days are dropped.",
    key=("url",),
    columns=(
        Column(
            "url", VARCHAR, "The URL asked for, secrets redacted (the key of a conditional request).", nullable=False
        ),
        Column("source", VARCHAR, "nyfed, ddp or fred: who answered.", nullable=False),
        Column("etag", VARCHAR, "The ETag response header, sent back as If-None-Match (NULL if the server sent none)."),
        Column(
            "last_modified",
            VARCHAR,
            "The Last-Modified response header, sent back as If-Modified-Since (NULL if the server sent none).",
        ),
        Column(
            "stored_at", TIMESTAMPTZ, "When the run that stored these validators received them (UTC).", nullable=False
        ),
        Column("run_id", VARCHAR, "The run that stored them; see meta.runs.", nullable=False),
    ),
)

OUTBOX = Table(
    schema="meta",
    name="outbox",
    grain="one row per message to deliver",
    about=(
        "A signal is queued once per (episode, severity, destination) in the same publish as the signals "
        "that caused it. Delivery happens after the publish and is recorded step by step in the delivery "
        "journal next to the warehouse; the status columns here mirror that journal as of the last "
        "publish. Secrets never appear here."
    ),
    key=("message_id",),
    columns=(
        Column(
            "message_id",
            VARCHAR,
            "signal:<episode start>:<severity>:<destination> - the exactly-once key.",
            nullable=False,
        ),
        Column(
            "kind",
            VARCHAR,
            "signal: a signal episode reached a severity (ops notifications are sent at once and not queued here).",
            nullable=False,
        ),
        Column(
            "destination", VARCHAR, "A Slack channel, webhook (the URL is never stored), or terminal.", nullable=False
        ),
        Column("episode_start", DATE, "First day of the signal episode it announces (core.signal_episodes.start)."),
        Column("severity", VARCHAR, "watch, alert or critical: the severity the message announces."),
        Column("created_run_id", VARCHAR, "The run that queued it (meta.runs.run_id).", nullable=False),
        Column("created_at", TIMESTAMPTZ, "When it was queued (UTC).", nullable=False),
        Column(
            "payload",
            JSON,
            (
                'The message as JSON: {"text": plain text with every figure, "blocks": Slack Block Kit}; never a '
                "token or webhook URL."
            ),
            nullable=False,
        ),
        Column(
            "status",
            VARCHAR,
            (
                "pending (queued, never tried), sending (an attempt whose outcome was never recorded), sent, "
                "printed (terminal), or failed (last attempt failed; tried again next run)."
            ),
            nullable=False,
        ),
        Column("attempts", INTEGER, "Delivery attempts so far (successful or not).", nullable=False),
        Column("last_error", VARCHAR, "Last delivery error, with tokens and webhook URLs redacted."),
        Column("sent_at", TIMESTAMPTZ, "When it was delivered or printed (UTC); null while pending."),
        Column("sent_run_id", VARCHAR, "The run that delivered it (meta.runs.run_id); null while pending."),
        Column(
            "first_attempt_at",
            TIMESTAMPTZ,
            "When the first attempt started (bounds the channel-history check before a resend).",
        ),
        Column("last_attempt_at", TIMESTAMPTZ, "When the latest attempt started."),
        Column(
            "uncertain",
            BOOLEAN,
            (
                "True when the last failed attempt may still have reached Slack (timeout, 5xx, process died): a "
                "bot message is then looked up in the channel history before any resend."
            ),
            nullable=False,
        ),
        Column("delivery_ref", VARCHAR, "Slack's message ts for a bot message (ok for a webhook); null until sent."),
        Column(
            "reconciled",
            BOOLEAN,
            (
                "True when the message was found in the channel history (posted by an attempt whose outcome was "
                "lost) instead of being posted again."
            ),
            nullable=False,
        ),
    ),
)

REVISION_ACCEPTANCES = Table(
    schema="meta",
    name="revision_acceptances",
    grain=(
        "one row per revision range an operator accepted for a run (liquidity-watch run "
        "--accept-revisions SERIES:START:END)"
    ),
    about=(
        "Revisions inside an accepted range are exempt from the revision guard of that run. Written only "
        "by a run that published."
    ),
    key=("run_id", "series_id", "start_date", "end_date"),
    columns=(
        Column("run_id", VARCHAR, "The run the acceptance was given to (meta.runs.run_id).", nullable=False),
        Column("series_id", VARCHAR, "The series whose revisions were accepted.", nullable=False),
        Column("start_date", DATE, "First observation date of the accepted range (inclusive).", nullable=False),
        Column("end_date", DATE, "Last observation date of the accepted range (inclusive).", nullable=False),
        Column("accepted_at", TIMESTAMPTZ, "When the run started (UTC).", nullable=False),
        Column(
            "revisions",
            BIGINT,
            "How many revisions the run landed inside the range (0 if the range matched none).",
            nullable=False,
        ),
    ),
)

RUNS = Table(
    schema="meta",
    name="runs",
    grain="one row per pipeline run",
    about=(
        "What it read (rows_in: observations fetched), what it wrote (rows_out: raw rows inserted or "
        "changed), how it ended."
    ),
    key=("run_id",),
    columns=(
        Column(
            "run_id",
            VARCHAR,
            (
                "Run id: UTC start time and a random suffix, e.g. 20261130T232118Z-291b65; Data Docs list "
                "validations under it."
            ),
            nullable=False,
        ),
        Column("flow_run_id", VARCHAR, "The Prefect flow run id (UUID), null outside a flow run."),
        Column("started_at", TIMESTAMPTZ, "When the run started (UTC).", nullable=False),
        Column("ended_at", TIMESTAMPTZ, "When it ended (UTC); null while running, or if the process died."),
        Column("source", VARCHAR, "live (NY Fed + Board + FRED), fred or snapshot.", nullable=False),
        Column(
            "as_of",
            DATE,
            (
                "The --as-of day the core tables were built for (data published by its end, New York); null = "
                "everything."
            ),
        ),
        Column("rows_in", BIGINT, "Observations fetched (all payloads, including ones already landed)."),
        Column("rows_out", BIGINT, "raw.observations rows inserted or changed."),
        Column("status", VARCHAR, "running, completed or failed.", nullable=False),
        Column("error", VARCHAR, "Why a failed run failed (exception type and message); null otherwise."),
        Column(
            "summary",
            JSON,
            (
                "What the run printed, as JSON: rows and latest date per core table, new and changed "
                "observations, the signal, alerts, stale series."
            ),
        ),
    ),
)

SCHEMA_MIGRATIONS = Table(
    schema="meta",
    name="schema_migrations",
    grain="one row per applied schema migration (warehouse/migrations/NNN_name.sql)",
    about="A writable connect applies the missing ones in order, then the comments of the table specs.",
    key=("version",),
    columns=(
        Column("version", INTEGER, "The migration number NNN.", nullable=False),
        Column("name", VARCHAR, "The migration file name.", nullable=False),
        Column("applied_at", TIMESTAMPTZ, "When it was applied to this file (UTC).", nullable=False),
    ),
)

TABLE_SPECS = Table(
    schema="meta",
    name="table_specs",
    grain="one row, the version of the table specs whose comments this file carries",
    about=(
        "A writable connect that finds another version (or applied a migration) writes the specs' comments"
        " where they differ and replaces this row."
    ),
    key=("fingerprint",),
    columns=(
        Column(
            "fingerprint",
            VARCHAR,
            "SHA-256 of every spec'd table's name, comment and column comments, in spec order.",
            nullable=False,
        ),
        Column("applied_at", TIMESTAMPTZ, "When those comments were written to this file (UTC).", nullable=False),
    ),
)

VALIDATION_RESULTS = Table(
    schema="meta",
    name="validation_results",
    grain="one row per expectation per run",
    about=(
        "The suite (raw_observations or a core table), what was checked (expectation, column, series, the"
        " documented bound), what was observed, how many rows failed with up to 5 examples, and whether "
        "it passed."
    ),
    key=(),
    columns=(
        Column("run_id", VARCHAR, "The run (meta.runs.run_id).", nullable=False),
        Column(
            "suite",
            VARCHAR,
            "raw_observations, core.weekly_liquidity, core.daily_rates or core.policy_changes.",
            nullable=False,
        ),
        Column("expectation", VARCHAR, "Great Expectations expectation type.", nullable=False),
        Column("column_name", VARCHAR, "Column checked (comma-separated for compound checks)."),
        Column("series", VARCHAR, "Series or column the check guards (* for all)."),
        Column("bound", VARCHAR, "The documented bound (expectations/bounds.py)."),
        Column("observed_value", VARCHAR, "Observed value as JSON, where the expectation reports one."),
        Column("element_count", BIGINT, "Rows the expectation looked at."),
        Column("unexpected_count", BIGINT, "Rows that failed it."),
        Column(
            "examples",
            VARCHAR,
            (
                "Up to 5 failing rows (series, date, value) as JSON; recorded when the suite failed (a passing "
                "suite is checked without row keys)."
            ),
        ),
        Column("success", BOOLEAN, "Whether the expectation passed.", nullable=False),
    ),
)

#: Every ``meta`` table, in the order docs/warehouse.md lists them.
TABLES = (
    HTTP_VALIDATORS,
    OUTBOX,
    REVISION_ACCEPTANCES,
    RUNS,
    SCHEMA_MIGRATIONS,
    TABLE_SPECS,
    VALIDATION_RESULTS,
)
