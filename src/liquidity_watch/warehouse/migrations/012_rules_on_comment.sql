-- 012: core.latest_state.rules_on names every rule that can be on, as core.signals and
-- core.signal_episodes already do (its comment listed four of the seven).

COMMENT ON COLUMN core.latest_state.rules_on IS 'Rules on that day, joined by + (easing, draining, repo_rates, facility_use, effr_rising, scarcity, stress); null if none.';
