-- 007: the data behind the Fed's three signs of less-than-abundant reserves: TGCR and
-- BGCR, SOFR's percentiles and volume, the Fed's repo operations (Standing Repo Facility), the ON RRP
-- award rate, the known pressure days; commercial banks' total assets and reserves relative to them.
-- The signal rules changed with them: the comments on core.signals say how.

ALTER TABLE core.daily_rates ADD COLUMN sofr_p1_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN sofr_p25_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN sofr_p75_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN sofr_volume_usd_bn DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN tgcr_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN bgcr_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN repo_ops_takeup_usd_mn DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN rrp_award_pct DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN tgcr_minus_iorb_bp DOUBLE;
ALTER TABLE core.daily_rates ADD COLUMN pressure_day VARCHAR;

COMMENT ON TABLE core.daily_rates IS 'Grain: one row per business day with an EFFR or SOFR fixing. Percent, basis points, and $ for volumes and take-up (unit in each name). Sources: SOFR (with its 1st/25th/75th/99th percentiles and volume), TGCR, BGCR, EFFR, IORB/IOER, DFEDTARU/DFEDTARL, the Fed''s repo operations (RPONTSYD) and the ON RRP award rate (RRPONTSYAWARD).';
COMMENT ON COLUMN core.daily_rates.sofr_p1_pct IS 'SOFR 1st percentile of the day''s transactions (SOFR1), where the source has it.';
COMMENT ON COLUMN core.daily_rates.sofr_p25_pct IS 'SOFR 25th percentile (SOFR25), where the source has it.';
COMMENT ON COLUMN core.daily_rates.sofr_p75_pct IS 'SOFR 75th percentile (SOFR75), where the source has it.';
COMMENT ON COLUMN core.daily_rates.sofr_volume_usd_bn IS 'Volume of the transactions behind SOFR, billions of USD (SOFRVOL).';
COMMENT ON COLUMN core.daily_rates.tgcr_pct IS 'Tri-Party General Collateral Rate (TGCRRATE; from 2018-04-02; SIFMA calendar like SOFR).';
COMMENT ON COLUMN core.daily_rates.bgcr_pct IS 'Broad General Collateral Rate (BGCRRATE; from 2018-04-02).';
COMMENT ON COLUMN core.daily_rates.repo_ops_takeup_usd_mn IS 'Take-up at the Fed''s overnight repo operations that day, Treasury collateral, millions of USD (RPONTSYD x 1000): the 2019-20 operations and the Standing Repo Facility from 2021-07-29. Null on a day without an operation. Live data leave out small-value exercises (test trades); FRED''s history includes them (a few $mn).';
COMMENT ON COLUMN core.daily_rates.rrp_award_pct IS 'Award rate of the day''s overnight reverse repo (ON RRP) operation, Treasury securities (RRPONTSYAWARD); null on a day with no take-up or no source.';
COMMENT ON COLUMN core.daily_rates.tgcr_minus_iorb_bp IS '(tgcr_pct - iorb_pct) x 100.';
COMMENT ON COLUMN core.daily_rates.pressure_day IS 'The known pressure day this date is (domain/pressure_days.py): year_end, quarter_end, month_end, after_month_end, tax_date or mid_month; null on an ordinary day.';

ALTER TABLE core.weekly_liquidity ADD COLUMN bank_assets_usd_mn DOUBLE;
ALTER TABLE core.weekly_liquidity ADD COLUMN reserves_to_bank_assets_pct DOUBLE;
ALTER TABLE core.weekly_liquidity ADD COLUMN reserves_52w_high_usd_mn DOUBLE;
ALTER TABLE core.weekly_liquidity ADD COLUMN reserves_below_52w_high_pct DOUBLE;

COMMENT ON TABLE core.weekly_liquidity IS 'Grain: one row per H.4.1 week (week_ending = the Wednesday). Millions of USD unless the name says otherwise. Sources: WALCL, WSHOSHO (or TREAST + WSHOMCB), WRESBAL, WDTGAL, RRPONTSYD; commercial banks'' total assets from H.8 (TLAACBW027SBOG).';
COMMENT ON COLUMN core.weekly_liquidity.bank_assets_usd_mn IS 'Total assets of all commercial banks in the U.S., seasonally adjusted, the same Wednesday (H.8, TLAACBW027SBOG x 1000). H.8 comes out about nine days after H.4.1, so the latest weeks are null until it does.';
COMMENT ON COLUMN core.weekly_liquidity.reserves_to_bank_assets_pct IS 'reserves_usd_mn / bank_assets_usd_mn x 100: reserves relative to banks'' balance sheets (how the Fed''s researchers judge ampleness). Null while bank_assets_usd_mn is.';
COMMENT ON COLUMN core.weekly_liquidity.reserves_52w_high_usd_mn IS 'Highest reserves_usd_mn of this week and the 51 before it.';
COMMENT ON COLUMN core.weekly_liquidity.reserves_below_52w_high_pct IS '(1 - reserves_usd_mn / reserves_52w_high_usd_mn) x 100: how far reserves stand below their 52-week high.';

COMMENT ON TABLE core.signals IS 'Grain: one row per Fed business day and rule (easing, draining, repo_rates, facility_use, effr_rising, scarcity, stress), evaluated with only what was published by the end of that day. Thresholds from the thresholds file are echoed in every row; docs/signals.md defines each rule and grade.';
COMMENT ON COLUMN core.signals.rule IS 'easing and draining (the frame: rates falling while the balance sheet shrinks); the Fed''s three signs, each on when it persisted: repo_rates (SOFR and TGCR above IORB), facility_use (repo operation / Standing Repo Facility take-up), effr_rising (EFFR - IORB rising); scarcity (reserves low against banks'' assets or far below their 52-week high); stress (SOFR - IORB at pressure-day levels repeatedly off the known pressure days, or a break beyond what pressure days ordinarily show).';
COMMENT ON COLUMN core.signals.status IS 'on, off, or no_data when the inputs did not exist yet (no target range before 2008-12-16, no SOFR or TGCR before 2018-04, no repo operations history before 2000, no bank assets).';
COMMENT ON COLUMN core.signals.severity IS 'The day''s severity: none; watch = easing and draining; alert = watch and (one of the three signs persisted, or scarcity); critical = watch and stress.';
COMMENT ON COLUMN core.signal_episodes.triggers IS 'Rules that were on at some point, joined by + (easing, draining, repo_rates, facility_use, effr_rising, scarcity, stress).';
