-- 010: a COMMENT on every table, view and column of core, raw and meta that lacked one
-- (every view column, raw.payloads, meta.runs, meta.outbox, meta.schema_migrations).
-- tests/test_analysts.py fails on any column without one.

-- raw.payloads
COMMENT ON COLUMN raw.payloads.payload_sha256 IS 'SHA-256 of the payload bytes (hex); the key raw.observations.payload_sha256 refers to. A payload already here is skipped on landing.';
COMMENT ON COLUMN raw.payloads.source IS 'nyfed, ddp, fred or snapshot.';
COMMENT ON COLUMN raw.payloads.url IS 'Where the payload came from (file:// for a snapshot file).';
COMMENT ON COLUMN raw.payloads.retrieved_at IS 'When the payload was fetched or read (UTC).';
COMMENT ON COLUMN raw.payloads.n_bytes IS 'Size of the payload in bytes.';
COMMENT ON COLUMN raw.payloads.n_observations IS 'Observations parsed from the payload (rows offered to raw.observations).';
COMMENT ON COLUMN raw.payloads.series IS 'Series ids the payload carries (FRED ids), e.g. [WRESBAL].';
COMMENT ON COLUMN raw.payloads.run_id IS 'The run that landed it (meta.runs.run_id).';

-- meta.runs
COMMENT ON COLUMN meta.runs.run_id IS 'Run id: UTC start time and a random suffix, e.g. 20261130T232118Z-291b65; Data Docs list validations under it.';
COMMENT ON COLUMN meta.runs.flow_run_id IS 'The Prefect flow run id (UUID), null outside a flow run.';
COMMENT ON COLUMN meta.runs.started_at IS 'When the run started (UTC).';
COMMENT ON COLUMN meta.runs.ended_at IS 'When it ended (UTC); null while running, or if the process died.';
COMMENT ON COLUMN meta.runs.source IS 'live (NY Fed + Board + FRED), fred or snapshot.';
COMMENT ON COLUMN meta.runs.as_of IS 'The --as-of day the core tables were built for (data published by its end, New York); null = everything.';
COMMENT ON COLUMN meta.runs.rows_in IS 'Observations fetched (all payloads, including ones already landed).';
COMMENT ON COLUMN meta.runs.rows_out IS 'raw.observations rows inserted or changed.';
COMMENT ON COLUMN meta.runs.status IS 'running, completed or failed.';
COMMENT ON COLUMN meta.runs.error IS 'Why a failed run failed (exception type and message); null otherwise.';
COMMENT ON COLUMN meta.runs.summary IS 'What the run printed, as JSON: rows and latest date per core table, new and changed observations, the signal, alerts, stale series.';

-- meta.outbox (message_id, destination, status and last_error are commented in 003)
COMMENT ON COLUMN meta.outbox.kind IS 'signal: a signal episode reached a severity (ops notifications are sent at once and not queued here).';
COMMENT ON COLUMN meta.outbox.episode_start IS 'First day of the signal episode it announces (core.signal_episodes.start).';
COMMENT ON COLUMN meta.outbox.severity IS 'watch, alert or critical: the severity the message announces.';
COMMENT ON COLUMN meta.outbox.created_run_id IS 'The run that queued it (meta.runs.run_id).';
COMMENT ON COLUMN meta.outbox.created_at IS 'When it was queued (UTC).';
COMMENT ON COLUMN meta.outbox.payload IS 'The message as JSON: {"text": plain text with every figure, "blocks": Slack Block Kit}; never a token or webhook URL.';
COMMENT ON COLUMN meta.outbox.attempts IS 'Delivery attempts so far (successful or not).';
COMMENT ON COLUMN meta.outbox.sent_at IS 'When it was delivered or printed (UTC); null while pending.';
COMMENT ON COLUMN meta.outbox.sent_run_id IS 'The run that delivered it (meta.runs.run_id); null while pending.';

-- meta.schema_migrations (created by warehouse/db.py before the numbered files run)
COMMENT ON TABLE meta.schema_migrations IS 'One row per applied schema migration (warehouse/migrations/NNN_name.sql); a writable connect applies the missing ones in order.';
COMMENT ON COLUMN meta.schema_migrations.version IS 'The migration number NNN.';
COMMENT ON COLUMN meta.schema_migrations.name IS 'The migration file name.';
COMMENT ON COLUMN meta.schema_migrations.applied_at IS 'When it was applied to this file (UTC).';

-- core.latest_state (view)
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
COMMENT ON COLUMN core.latest_state.severity IS 'That day''s severity: none, watch, alert or critical.';
COMMENT ON COLUMN core.latest_state.rules_on IS 'Rules on that day, joined by + (easing, draining, stress, scarcity); null if none.';

-- core.monthly_summary (view)
COMMENT ON COLUMN core.monthly_summary.month IS 'First day of the calendar month.';
COMMENT ON COLUMN core.monthly_summary.reserves_avg_usd_mn IS 'Average of the weekly reserves (week averages) of the H.4.1 weeks ending in the month, $mn.';
COMMENT ON COLUMN core.monthly_summary.total_assets_end_usd_mn IS 'Fed total assets in the last H.4.1 week of the month, $mn.';
COMMENT ON COLUMN core.monthly_summary.securities_end_usd_mn IS 'Securities held outright in the last H.4.1 week of the month, $mn.';
COMMENT ON COLUMN core.monthly_summary.qt_runoff_month_usd_mn IS 'securities_end_usd_mn of the previous month minus this month, $mn (positive = runoff).';
COMMENT ON COLUMN core.monthly_summary.net_liquidity_end_usd_mn IS 'Total assets - TGA - RRP in the last H.4.1 week of the month, $mn.';
COMMENT ON COLUMN core.monthly_summary.sofr_avg_pct IS 'Average SOFR over the month''s fixings, percent (null before 2018-04).';
COMMENT ON COLUMN core.monthly_summary.effr_avg_pct IS 'Average EFFR over the month''s fixings, percent.';
COMMENT ON COLUMN core.monthly_summary.sofr_minus_iorb_avg_bp IS 'Average of the daily SOFR - IORB over the month, basis points.';
COMMENT ON COLUMN core.monthly_summary.sofr_minus_iorb_max_bp IS 'Widest daily SOFR - IORB in the month, basis points.';
COMMENT ON COLUMN core.monthly_summary.target_upper_end_pct IS 'Top of the FOMC target range on the month''s last day with rates, percent.';

-- core.signal_episode_details (view)
COMMENT ON COLUMN core.signal_episode_details.start IS 'First day at watch or worse (core.signal_episodes.start).';
COMMENT ON COLUMN core.signal_episode_details."end" IS 'Last day at watch or worse.';
COMMENT ON COLUMN core.signal_episode_details.days IS 'Business days in the episode.';
COMMENT ON COLUMN core.signal_episode_details.peak_severity IS 'Worst severity reached: watch, alert or critical.';
COMMENT ON COLUMN core.signal_episode_details.peak_date IS 'First day at the peak severity.';
COMMENT ON COLUMN core.signal_episode_details.escalated_on IS 'First day at alert or worse (null if it stayed at watch).';
COMMENT ON COLUMN core.signal_episode_details.triggers IS 'Rules that were on at some point, joined by +.';
COMMENT ON COLUMN core.signal_episode_details.is_open IS 'Still at watch or worse on the last evaluated day.';
COMMENT ON COLUMN core.signal_episode_details.reserves_min_usd_mn IS 'Lowest weekly reserves from the week before start to end, $mn.';
COMMENT ON COLUMN core.signal_episode_details.sofr_minus_iorb_max_bp IS 'Widest daily SOFR - IORB from start to end, basis points.';
COMMENT ON COLUMN core.signal_episode_details.qt_runoff_13w_max_usd_mn IS 'Fastest 13-week runoff of securities held outright from the week before start to end, $mn.';
COMMENT ON COLUMN core.signal_episode_details.cuts IS 'Cuts of the target range from 90 days before start to the day after end, as "date -25 bp", joined by commas; null if none.';
