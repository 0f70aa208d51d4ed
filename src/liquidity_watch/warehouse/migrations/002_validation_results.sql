-- 002: results of the quality gate, one row per expectation per run (passed and failed).

CREATE TABLE meta.validation_results (
    run_id            VARCHAR  NOT NULL,
    suite             VARCHAR  NOT NULL,
    expectation       VARCHAR  NOT NULL,
    column_name       VARCHAR,
    series            VARCHAR,
    bound             VARCHAR,
    observed_value    VARCHAR,
    element_count     BIGINT,
    unexpected_count  BIGINT,
    examples          VARCHAR,
    success           BOOLEAN  NOT NULL
);
COMMENT ON TABLE meta.validation_results IS 'One row per expectation per run: the suite (raw_observations or a core table), what was checked (expectation, column, series, the documented bound), what was observed, how many rows failed with up to 5 examples, and whether it passed.';
COMMENT ON COLUMN meta.validation_results.run_id IS 'The run (meta.runs.run_id).';
COMMENT ON COLUMN meta.validation_results.suite IS 'raw_observations, core.weekly_liquidity, core.daily_rates or core.policy_changes.';
COMMENT ON COLUMN meta.validation_results.expectation IS 'Great Expectations expectation type.';
COMMENT ON COLUMN meta.validation_results.column_name IS 'Column checked (comma-separated for compound checks).';
COMMENT ON COLUMN meta.validation_results.series IS 'Series or column the check guards (* for all).';
COMMENT ON COLUMN meta.validation_results.bound IS 'The documented bound (expectations/bounds.py).';
COMMENT ON COLUMN meta.validation_results.observed_value IS 'Observed value as JSON, where the expectation reports one.';
COMMENT ON COLUMN meta.validation_results.element_count IS 'Rows the expectation looked at.';
COMMENT ON COLUMN meta.validation_results.unexpected_count IS 'Rows that failed it.';
COMMENT ON COLUMN meta.validation_results.examples IS 'Up to 5 failing rows (series, date, value) as JSON.';
COMMENT ON COLUMN meta.validation_results.success IS 'Whether the expectation passed.';
