-- 005: the gate records failing rows' keys only for a suite that failed (a passing suite
-- is validated without them; see expectations/gate.py).

COMMENT ON COLUMN meta.validation_results.examples IS 'Up to 5 failing rows (series, date, value) as JSON; recorded when the suite failed (a passing suite is checked without row keys).';
