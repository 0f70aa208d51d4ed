-- 004: views for the questions analysts ask most.

CREATE VIEW core.latest_state AS
WITH w AS (SELECT * FROM core.weekly_liquidity ORDER BY week_ending DESC LIMIT 1),
     r AS (SELECT * FROM core.daily_rates WHERE sofr_pct IS NOT NULL OR effr_pct IS NOT NULL ORDER BY date DESC LIMIT 1),
     s AS (SELECT date, any_value(severity) AS severity,
                  string_agg(rule, '+' ORDER BY rule) FILTER (WHERE status = 'on') AS rules_on
           FROM core.signals WHERE date = (SELECT max(date) FROM core.signals) GROUP BY date)
SELECT w.week_ending, w.total_assets_usd_mn, w.securities_usd_mn, w.reserves_usd_mn, w.reserves_change_13w_usd_mn,
       w.tga_usd_mn, w.rrp_usd_mn, w.net_liquidity_usd_mn, w.qt_runoff_13w_usd_mn,
       r.date AS rates_date, r.sofr_pct, r.effr_pct, r.iorb_pct, r.target_lower_pct, r.target_upper_pct,
       r.sofr_minus_iorb_bp, r.sofr_minus_target_upper_bp,
       s.date AS signal_date, s.severity, s.rules_on
FROM w, r LEFT JOIN s ON true;
COMMENT ON VIEW core.latest_state IS 'Grain: one row. The latest H.4.1 week, the latest rates fixing and the latest signal side by side.';

CREATE VIEW core.monthly_summary AS
WITH w AS (
    SELECT date_trunc('month', week_ending)::DATE AS month,
           avg(reserves_usd_mn) AS reserves_avg_usd_mn,
           arg_max(total_assets_usd_mn, week_ending) AS total_assets_end_usd_mn,
           arg_max(securities_usd_mn, week_ending) AS securities_end_usd_mn,
           arg_max(net_liquidity_usd_mn, week_ending) AS net_liquidity_end_usd_mn
    FROM core.weekly_liquidity GROUP BY ALL),
r AS (
    SELECT date_trunc('month', date)::DATE AS month,
           avg(sofr_pct) AS sofr_avg_pct, avg(effr_pct) AS effr_avg_pct,
           avg(sofr_minus_iorb_bp) AS sofr_minus_iorb_avg_bp, max(sofr_minus_iorb_bp) AS sofr_minus_iorb_max_bp,
           arg_max(target_upper_pct, date) AS target_upper_end_pct
    FROM core.daily_rates GROUP BY ALL)
SELECT month, w.reserves_avg_usd_mn, w.total_assets_end_usd_mn, w.securities_end_usd_mn,
       lag(w.securities_end_usd_mn) OVER (ORDER BY month) - w.securities_end_usd_mn AS qt_runoff_month_usd_mn,
       w.net_liquidity_end_usd_mn, r.sofr_avg_pct, r.effr_avg_pct, r.sofr_minus_iorb_avg_bp, r.sofr_minus_iorb_max_bp,
       r.target_upper_end_pct
FROM w FULL JOIN r USING (month)
ORDER BY month;
COMMENT ON VIEW core.monthly_summary IS 'Grain: one row per calendar month. Averages and month-end values of the weekly and daily tables; qt_runoff_month_usd_mn = fall of securities held outright from the previous month end (positive = runoff).';

CREATE VIEW core.signal_episode_details AS
SELECT e.*,
       (SELECT min(reserves_usd_mn) FROM core.weekly_liquidity w WHERE w.week_ending BETWEEN e.start - 7 AND e."end") AS reserves_min_usd_mn,
       (SELECT max(sofr_minus_iorb_bp) FROM core.daily_rates d WHERE d.date BETWEEN e.start AND e."end") AS sofr_minus_iorb_max_bp,
       (SELECT max(qt_runoff_13w_usd_mn) FROM core.weekly_liquidity w WHERE w.week_ending BETWEEN e.start - 7 AND e."end") AS qt_runoff_13w_max_usd_mn,
       (SELECT string_agg(date::VARCHAR || ' ' || change_bp::INTEGER || ' bp', ', ' ORDER BY date) FROM core.policy_changes p
         WHERE p.date BETWEEN e.start - 90 AND e."end" + 1 AND p.change_bp < 0) AS cuts
FROM core.signal_episodes e
ORDER BY e.start;
COMMENT ON VIEW core.signal_episode_details IS 'Grain: one row per signal episode, with what happened during it: the lowest reserves, the widest SOFR - IORB, the fastest 13-week runoff, and the cuts behind it.';
