-- 006: the validators (ETag, Last-Modified) of the last response parsed from each URL, so the
-- next run can ask conditionally and take a 304 as "nothing new". They are written in the
-- run's working copy with the data they describe, so they are published only with it.

CREATE TABLE meta.http_validators (
    url            VARCHAR     PRIMARY KEY,
    source         VARCHAR     NOT NULL,
    etag           VARCHAR,
    last_modified  VARCHAR,
    stored_at      TIMESTAMPTZ NOT NULL,
    run_id         VARCHAR     NOT NULL
);
COMMENT ON TABLE meta.http_validators IS 'One row per URL whose response carried validators (latest response wins): what the next run sends as If-None-Match / If-Modified-Since. Rows not refreshed for 30 days are dropped.';
COMMENT ON COLUMN meta.http_validators.url IS 'The URL asked for, secrets redacted (the key of a conditional request).';
COMMENT ON COLUMN meta.http_validators.source IS 'nyfed, ddp or fred: who answered.';
COMMENT ON COLUMN meta.http_validators.etag IS 'The ETag response header, sent back as If-None-Match (NULL if the server sent none).';
COMMENT ON COLUMN meta.http_validators.last_modified IS 'The Last-Modified response header, sent back as If-Modified-Since (NULL if the server sent none).';
COMMENT ON COLUMN meta.http_validators.stored_at IS 'When the run that stored these validators received them (UTC).';
COMMENT ON COLUMN meta.http_validators.run_id IS 'The run that stored them; see meta.runs.';
