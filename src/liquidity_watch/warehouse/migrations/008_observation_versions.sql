-- 008: a bitemporal raw layer. Every version of every observation is kept, nothing is updated in
-- place, and the current values become a view. The rows of raw.observations (one value per series
-- and date, written by earlier versions) move into raw.observation_versions as version 1 with all
-- their provenance; a value revised before this upgrade keeps only its latest value, as before.

CREATE TABLE raw.observation_versions (
    series_id       VARCHAR     NOT NULL,
    date            DATE        NOT NULL,
    version         INTEGER     NOT NULL,
    value           DOUBLE      NOT NULL,
    unit            VARCHAR     NOT NULL,
    source          VARCHAR     NOT NULL,
    url             VARCHAR     NOT NULL,
    payload_sha256  VARCHAR     NOT NULL,
    retrieved_at    TIMESTAMPTZ NOT NULL,
    published_at    TIMESTAMPTZ NOT NULL,
    known_at        TIMESTAMPTZ NOT NULL,
    run_id          VARCHAR     NOT NULL,
    first_run_id    VARCHAR     NOT NULL,
    PRIMARY KEY (series_id, date, version)
);
COMMENT ON TABLE raw.observation_versions IS 'Grain: one row per version of an observation (series, date, version), as landed; rows are only ever inserted. Version 1 is the first value landed; each later version is a revision with a different value. --as-of D reads the latest version with known_at before the end of D. Values are in the unit column: usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observation_versions.series_id IS 'Canonical series id (FRED id), e.g. WRESBAL.';
COMMENT ON COLUMN raw.observation_versions.date IS 'Observation date (H.4.1: the Wednesday; rates: the effective date).';
COMMENT ON COLUMN raw.observation_versions.version IS '1 for the first value landed for this series and date, then 2, 3, ... for each revision (a different value).';
COMMENT ON COLUMN raw.observation_versions.value IS 'Value in the unit named by the unit column.';
COMMENT ON COLUMN raw.observation_versions.unit IS 'usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observation_versions.source IS 'nyfed, ddp, fred or snapshot: who served this version.';
COMMENT ON COLUMN raw.observation_versions.url IS 'Where the payload came from (file:// for a snapshot).';
COMMENT ON COLUMN raw.observation_versions.payload_sha256 IS 'SHA-256 of the payload bytes this version came from; see raw.payloads.';
COMMENT ON COLUMN raw.observation_versions.retrieved_at IS 'When we learned this version (UTC): the fetch, or the run that read the snapshot file.';
COMMENT ON COLUMN raw.observation_versions.published_at IS 'When the observation first became public (UTC), from the publication calendar (domain/calendars.py).';
COMMENT ON COLUMN raw.observation_versions.known_at IS 'From when --as-of sees this version (UTC): published_at for version 1 (the first value landed, live or snapshot, stands for what was published then), the later of published_at and retrieved_at for a revision.';
COMMENT ON COLUMN raw.observation_versions.run_id IS 'The run that landed this version (meta.runs.run_id).';
COMMENT ON COLUMN raw.observation_versions.first_run_id IS 'The run that landed version 1 of this series and date.';

INSERT INTO raw.observation_versions
SELECT series_id, date, 1, value, unit, source, url, payload_sha256, retrieved_at, published_at,
       published_at, changed_run_id, first_run_id
FROM raw.observations;

DROP TABLE raw.observations;

CREATE VIEW raw.observations AS
SELECT series_id, date, value, unit, source, url, retrieved_at, payload_sha256, published_at,
       first_run_id, run_id AS changed_run_id, version, known_at
FROM raw.observation_versions
QUALIFY row_number() OVER (PARTITION BY series_id, date ORDER BY version DESC) = 1;
COMMENT ON VIEW raw.observations IS 'Grain: one row per series and observation date: its current (latest) version in raw.observation_versions. Values are in the unit column: usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observations.series_id IS 'Canonical series id (FRED id), e.g. WRESBAL.';
COMMENT ON COLUMN raw.observations.date IS 'Observation date (H.4.1: the Wednesday; rates: the effective date).';
COMMENT ON COLUMN raw.observations.value IS 'Current value, in the unit named by the unit column.';
COMMENT ON COLUMN raw.observations.unit IS 'usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observations.source IS 'nyfed, ddp, fred or snapshot: who served the current version.';
COMMENT ON COLUMN raw.observations.url IS 'Where the current version''s payload came from (file:// for a snapshot).';
COMMENT ON COLUMN raw.observations.retrieved_at IS 'When we learned the current version (UTC).';
COMMENT ON COLUMN raw.observations.payload_sha256 IS 'SHA-256 of the current version''s payload bytes; see raw.payloads.';
COMMENT ON COLUMN raw.observations.published_at IS 'When the value became public (UTC), from the publication calendar.';
COMMENT ON COLUMN raw.observations.first_run_id IS 'Run that first landed this observation.';
COMMENT ON COLUMN raw.observations.changed_run_id IS 'Run that landed the current version (equals first_run_id if never revised).';
COMMENT ON COLUMN raw.observations.version IS 'Number of the current version: 1 if never revised.';
COMMENT ON COLUMN raw.observations.known_at IS 'From when --as-of sees the current version (UTC); see raw.observation_versions.known_at.';

CREATE TABLE meta.revision_acceptances (
    run_id        VARCHAR     NOT NULL,
    series_id     VARCHAR     NOT NULL,
    start_date    DATE        NOT NULL,
    end_date      DATE        NOT NULL,
    accepted_at   TIMESTAMPTZ NOT NULL,
    revisions     BIGINT      NOT NULL,
    PRIMARY KEY (run_id, series_id, start_date, end_date)
);
COMMENT ON TABLE meta.revision_acceptances IS 'Grain: one row per revision range an operator accepted for a run (liquidity-watch run --accept-revisions SERIES:START:END). Revisions inside an accepted range are exempt from the revision guard of that run. Written only by a run that published.';
COMMENT ON COLUMN meta.revision_acceptances.run_id IS 'The run the acceptance was given to (meta.runs.run_id).';
COMMENT ON COLUMN meta.revision_acceptances.series_id IS 'The series whose revisions were accepted.';
COMMENT ON COLUMN meta.revision_acceptances.start_date IS 'First observation date of the accepted range (inclusive).';
COMMENT ON COLUMN meta.revision_acceptances.end_date IS 'Last observation date of the accepted range (inclusive).';
COMMENT ON COLUMN meta.revision_acceptances.accepted_at IS 'When the run started (UTC).';
COMMENT ON COLUMN meta.revision_acceptances.revisions IS 'How many revisions the run landed inside the range (0 if the range matched none).';

CREATE VIEW raw.revisions AS
SELECT v.series_id, v.date, v.version,
       p.value AS previous_value, v.value, v.value - p.value AS change,
       CASE WHEN p.value <> 0 THEN round((v.value - p.value) / abs(p.value) * 100, 6) END AS change_pct,
       v.unit, p.source AS previous_source, v.source, v.retrieved_at, v.known_at,
       date_diff('day', v.date, CAST(timezone('America/New_York', v.known_at) AS DATE)) AS age_days,
       v.run_id, p.run_id AS previous_run_id,
       (SELECT a.series_id || ':' || a.start_date || ':' || a.end_date FROM meta.revision_acceptances a
         WHERE a.run_id = v.run_id AND a.series_id = v.series_id AND v.date BETWEEN a.start_date AND a.end_date
         ORDER BY a.start_date LIMIT 1) AS accepted_as
FROM raw.observation_versions v
JOIN raw.observation_versions p ON p.series_id = v.series_id AND p.date = v.date AND p.version = v.version - 1;
COMMENT ON VIEW raw.revisions IS 'Grain: one row per revision (a version after the first) of an observation: what changed, when we learned it, and by how much. liquidity-watch revisions prints it.';
COMMENT ON COLUMN raw.revisions.series_id IS 'Canonical series id.';
COMMENT ON COLUMN raw.revisions.date IS 'Observation date that was revised.';
COMMENT ON COLUMN raw.revisions.version IS 'The new version number (2 for the first revision).';
COMMENT ON COLUMN raw.revisions.previous_value IS 'The value before this revision, in the unit column''s unit.';
COMMENT ON COLUMN raw.revisions.value IS 'The value after this revision, in the unit column''s unit.';
COMMENT ON COLUMN raw.revisions.change IS 'value - previous_value, in the unit column''s unit.';
COMMENT ON COLUMN raw.revisions.change_pct IS 'change as percent of |previous_value| (null when it was 0).';
COMMENT ON COLUMN raw.revisions.unit IS 'usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.revisions.previous_source IS 'Who served the previous version.';
COMMENT ON COLUMN raw.revisions.source IS 'Who served the revised version.';
COMMENT ON COLUMN raw.revisions.retrieved_at IS 'When we learned the revision (UTC).';
COMMENT ON COLUMN raw.revisions.known_at IS 'From when --as-of sees the revision (UTC); an as-of before it sees previous_value.';
COMMENT ON COLUMN raw.revisions.age_days IS 'Days from the observation date to known_at (New York): how old the value was when revised.';
COMMENT ON COLUMN raw.revisions.run_id IS 'The run that landed the revision.';
COMMENT ON COLUMN raw.revisions.previous_run_id IS 'The run that landed the previous version.';
COMMENT ON COLUMN raw.revisions.accepted_as IS 'SERIES:START:END of the operator acceptance it was landed under (meta.revision_acceptances), or null if it was within the revision guard.';
