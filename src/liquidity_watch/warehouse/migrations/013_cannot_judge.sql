-- 013: a day whose inputs stopped is graded unknown, never calm. core.signals says why per rule (the
-- "stale" key of inputs), and core.latest_state says since when the signal cannot be judged, and why.
-- Critical also covers the Fed's full test (all three signs persisting together).

COMMENT ON COLUMN core.signals.status IS 'on, off, or no_data: the rule''s inputs do not exist yet on that day, or one of them is past its staleness limit (the next observation its release calendar expects is overdue; inputs.stale says which, since when, and how many business days old).';
COMMENT ON COLUMN core.signals.severity IS 'The day''s severity: none; watch = easing and draining; alert = watch and (one of the three signs persisted, or scarcity); critical = watch and (the Fed''s full test: all three signs persisted together, or stress); unknown = the frame (easing and draining) or, at watch, every sign cannot be judged (never counted as calm).';
COMMENT ON COLUMN core.signals.inputs IS 'The inputs the rule read on that day (JSON, units in the keys), as published by the end of that day; "stale" names the input past its staleness limit (then status is no_data), null otherwise.';

CREATE OR REPLACE VIEW core.latest_state AS
WITH w AS (SELECT * FROM core.weekly_liquidity ORDER BY week_ending DESC LIMIT 1),
     r AS (SELECT * FROM core.daily_rates WHERE sofr_pct IS NOT NULL OR effr_pct IS NOT NULL ORDER BY date DESC LIMIT 1),
     s AS (SELECT date, any_value(severity) AS severity,
                  string_agg(rule, '+' ORDER BY rule) FILTER (WHERE status = 'on') AS rules_on,
                  string_agg(rule || ' (' || coalesce(inputs->>'stale', 'no data') || ')', '; ' ORDER BY rule)
                      FILTER (WHERE status = 'no_data') AS no_data_why
           FROM core.signals WHERE date = (SELECT max(date) FROM core.signals) GROUP BY date),
     g AS (SELECT max(date) AS graded FROM core.signals WHERE severity <> 'unknown'),
     u AS (SELECT min(date) AS since FROM core.signals, g WHERE date > coalesce(g.graded, DATE '0001-01-01'))
SELECT w.week_ending, w.total_assets_usd_mn, w.securities_usd_mn, w.reserves_usd_mn, w.reserves_change_13w_usd_mn,
       w.tga_usd_mn, w.rrp_usd_mn, w.net_liquidity_usd_mn, w.qt_runoff_13w_usd_mn,
       r.date AS rates_date, r.sofr_pct, r.effr_pct, r.iorb_pct, r.target_lower_pct, r.target_upper_pct,
       r.sofr_minus_iorb_bp, r.sofr_minus_target_upper_bp,
       s.date AS signal_date, s.severity, s.rules_on,
       CASE WHEN s.severity = 'unknown' THEN u.since END AS cannot_judge_since,
       CASE WHEN s.severity = 'unknown' THEN s.no_data_why END AS cannot_judge_why
FROM w, r LEFT JOIN s ON true LEFT JOIN u ON true;
COMMENT ON VIEW core.latest_state IS 'Grain: one row. The latest H.4.1 week, the latest rates fixing and the latest signal side by side; when the latest signal day cannot be judged, since when and why.';
COMMENT ON COLUMN core.latest_state.week_ending IS 'The latest H.4.1 week (core.weekly_liquidity.week_ending).';
COMMENT ON COLUMN core.latest_state.total_assets_usd_mn IS 'Fed total assets that week, $mn (core.weekly_liquidity).';
COMMENT ON COLUMN core.latest_state.securities_usd_mn IS 'Securities held outright that week, $mn; null where the source series ended earlier.';
COMMENT ON COLUMN core.latest_state.reserves_usd_mn IS 'Reserve balances that week (week average), $mn.';
COMMENT ON COLUMN core.latest_state.reserves_change_13w_usd_mn IS 'Reserves now minus 13 weeks earlier, $mn.';
COMMENT ON COLUMN core.latest_state.tga_usd_mn IS 'Treasury General Account that Wednesday, $mn.';
COMMENT ON COLUMN core.latest_state.rrp_usd_mn IS 'ON RRP that Wednesday, $mn.';
COMMENT ON COLUMN core.latest_state.net_liquidity_usd_mn IS 'Total assets - TGA - RRP that week, $mn; null if one of them is missing.';
COMMENT ON COLUMN core.latest_state.qt_runoff_13w_usd_mn IS 'Fall of securities held outright over 13 weeks, $mn (positive = runoff).';
COMMENT ON COLUMN core.latest_state.rates_date IS 'The latest day with a SOFR or EFFR fixing (core.daily_rates.date).';
COMMENT ON COLUMN core.latest_state.sofr_pct IS 'SOFR on rates_date, percent.';
COMMENT ON COLUMN core.latest_state.effr_pct IS 'EFFR on rates_date, percent.';
COMMENT ON COLUMN core.latest_state.iorb_pct IS 'IORB on rates_date, percent; null where the source series ended earlier.';
COMMENT ON COLUMN core.latest_state.target_lower_pct IS 'FOMC target range lower bound on rates_date, percent; null where the source series ended earlier.';
COMMENT ON COLUMN core.latest_state.target_upper_pct IS 'FOMC target range upper bound on rates_date, percent; null where the source series ended earlier.';
COMMENT ON COLUMN core.latest_state.sofr_minus_iorb_bp IS '(SOFR - IORB) x 100 on rates_date, basis points.';
COMMENT ON COLUMN core.latest_state.sofr_minus_target_upper_bp IS '(SOFR - top of the target range) x 100 on rates_date, basis points; above 0 = SOFR over the range.';
COMMENT ON COLUMN core.latest_state.signal_date IS 'The latest evaluated signal day (core.signals.date); null before the first signals run.';
COMMENT ON COLUMN core.latest_state.severity IS 'That day''s severity: none, watch, alert, critical, or unknown (it cannot be judged).';
COMMENT ON COLUMN core.latest_state.rules_on IS 'Rules on that day, joined by + (easing, draining, repo_rates, facility_use, effr_rising, scarcity, stress); null if none.';
COMMENT ON COLUMN core.latest_state.cannot_judge_since IS 'When severity is unknown: the first day of the unbroken run of unknown days that ends at signal_date; null when the day has a grade.';
COMMENT ON COLUMN core.latest_state.cannot_judge_why IS 'When severity is unknown: each rule that is no_data, with the input past its staleness limit (or "no data"), joined by "; "; null when the day has a grade.';
