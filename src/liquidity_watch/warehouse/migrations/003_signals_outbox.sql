-- 003: signals (one row per date and rule), their episodes, and the alert outbox.

CREATE TABLE core.signals (
    date               DATE     NOT NULL,
    rule               VARCHAR  NOT NULL,
    status             VARCHAR  NOT NULL,
    severity           VARCHAR  NOT NULL,
    inputs             JSON     NOT NULL,
    thresholds         JSON     NOT NULL,
    first_seen_run_id  VARCHAR  NOT NULL,
    PRIMARY KEY (date, rule)
);
COMMENT ON TABLE core.signals IS 'Grain: one row per Fed business day and rule (easing, draining, stress, scarcity), evaluated with only what was published by the end of that day. Thresholds from config/thresholds.toml are echoed in every row.';
COMMENT ON COLUMN core.signals.date IS 'Evaluation day (data published before the end of it, New York).';
COMMENT ON COLUMN core.signals.rule IS 'easing, draining, stress or scarcity.';
COMMENT ON COLUMN core.signals.status IS 'on, off, or no_data when the inputs did not exist yet (no target range before 2008-12-16, no SOFR before 2018-04-02).';
COMMENT ON COLUMN core.signals.severity IS 'The day''s severity: none; watch = easing and draining; alert = watch and (stress or scarcity); critical = watch and SOFR above the top of the target range.';
COMMENT ON COLUMN core.signals.inputs IS 'The values the rule saw (JSON; units in the keys).';
COMMENT ON COLUMN core.signals.thresholds IS 'Every threshold in force (JSON).';
COMMENT ON COLUMN core.signals.first_seen_run_id IS 'The run that first computed this date and rule.';

CREATE TABLE core.signal_episodes (
    start          DATE     NOT NULL PRIMARY KEY,
    "end"          DATE     NOT NULL,
    days           INTEGER  NOT NULL,
    peak_severity  VARCHAR  NOT NULL,
    peak_date      DATE     NOT NULL,
    escalated_on   DATE,
    triggers       VARCHAR  NOT NULL,
    is_open        BOOLEAN  NOT NULL
);
COMMENT ON TABLE core.signal_episodes IS 'Grain: one row per episode, a run of consecutive business days at severity watch or worse.';
COMMENT ON COLUMN core.signal_episodes.start IS 'First day at watch or worse.';
COMMENT ON COLUMN core.signal_episodes."end" IS 'Last day at watch or worse.';
COMMENT ON COLUMN core.signal_episodes.days IS 'Business days in the episode.';
COMMENT ON COLUMN core.signal_episodes.peak_severity IS 'Worst severity reached.';
COMMENT ON COLUMN core.signal_episodes.peak_date IS 'First day at the peak severity.';
COMMENT ON COLUMN core.signal_episodes.escalated_on IS 'First day at alert or worse (null if it stayed at watch).';
COMMENT ON COLUMN core.signal_episodes.triggers IS 'Rules that were on at some point, joined by +.';
COMMENT ON COLUMN core.signal_episodes.is_open IS 'Still at watch or worse on the last evaluated day.';

CREATE TABLE meta.outbox (
    message_id      VARCHAR      PRIMARY KEY,
    kind            VARCHAR      NOT NULL,
    destination     VARCHAR      NOT NULL,
    episode_start   DATE,
    severity        VARCHAR,
    created_run_id  VARCHAR      NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL,
    payload         JSON         NOT NULL,
    status          VARCHAR      NOT NULL,
    attempts        INTEGER      NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    sent_at         TIMESTAMPTZ,
    sent_run_id     VARCHAR
);
COMMENT ON TABLE meta.outbox IS 'One row per message to deliver: a signal is queued once per (episode, severity, destination); status pending until delivered (sent), or printed when no Slack is configured. Secrets never appear here.';
COMMENT ON COLUMN meta.outbox.message_id IS 'signal:<episode start>:<severity>:<destination> - the exactly-once key.';
COMMENT ON COLUMN meta.outbox.destination IS 'A Slack channel, webhook (the URL is never stored), or terminal.';
COMMENT ON COLUMN meta.outbox.status IS 'pending, sent or printed.';
COMMENT ON COLUMN meta.outbox.last_error IS 'Last delivery error, with tokens and webhook URLs redacted.';
