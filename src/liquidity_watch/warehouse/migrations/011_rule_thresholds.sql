-- 011: core.signals.thresholds holds the thresholds each rule reads, not every threshold in force
-- (a backfill's ~42,000 rows were ~75 MB heavier to write with all 20 in each). Rows written by
-- earlier runs are rewritten by the next run, which sees their thresholds change; the
-- first_seen_run_id of each row is kept.

COMMENT ON TABLE core.signals IS 'Grain: one row per Fed business day and rule (easing, draining, repo_rates, facility_use, effr_rising, scarcity, stress), evaluated with only what was published by the end of that day. Each row echoes the thresholds its rule reads; docs/signals.md defines each rule and grade.';
COMMENT ON COLUMN core.signals.thresholds IS 'The thresholds this rule reads, from the thresholds file (JSON): its own table, and [persistence] window_days for repo_rates, facility_use, effr_rising and stress.';
