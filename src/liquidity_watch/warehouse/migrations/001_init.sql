-- 001: schemas raw (as landed), stage (this run, never read by users), core (published), meta (runs).

CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS stage;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS meta;

CREATE TABLE raw.observations (
    series_id       VARCHAR     NOT NULL,
    date            DATE        NOT NULL,
    value           DOUBLE      NOT NULL,
    unit            VARCHAR     NOT NULL,
    source          VARCHAR     NOT NULL,
    url             VARCHAR     NOT NULL,
    retrieved_at    TIMESTAMPTZ NOT NULL,
    payload_sha256  VARCHAR     NOT NULL,
    published_at    TIMESTAMPTZ NOT NULL,
    first_run_id    VARCHAR     NOT NULL,
    changed_run_id  VARCHAR     NOT NULL,
    PRIMARY KEY (series_id, date)
);
COMMENT ON TABLE raw.observations IS 'One row per series and observation date, as landed (latest value wins; changed_run_id says when it last changed). Values are in the unit column: usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observations.series_id IS 'Canonical series id (FRED id), e.g. WRESBAL.';
COMMENT ON COLUMN raw.observations.date IS 'Observation date (H.4.1: the Wednesday; rates: the effective date).';
COMMENT ON COLUMN raw.observations.value IS 'Value in the unit named by the unit column.';
COMMENT ON COLUMN raw.observations.unit IS 'usd_mn, usd_bn or pct.';
COMMENT ON COLUMN raw.observations.source IS 'nyfed, ddp, fred or snapshot.';
COMMENT ON COLUMN raw.observations.url IS 'Where the payload came from (file:// for a snapshot).';
COMMENT ON COLUMN raw.observations.retrieved_at IS 'When the payload was fetched (UTC).';
COMMENT ON COLUMN raw.observations.payload_sha256 IS 'SHA-256 of the payload bytes; see raw.payloads.';
COMMENT ON COLUMN raw.observations.published_at IS 'When the value became public (UTC), from the publication calendar; as-of queries filter on it.';
COMMENT ON COLUMN raw.observations.first_run_id IS 'Run that first landed this observation.';
COMMENT ON COLUMN raw.observations.changed_run_id IS 'Run that last changed its value (equals first_run_id if never revised).';

CREATE TABLE raw.payloads (
    payload_sha256  VARCHAR     PRIMARY KEY,
    source          VARCHAR     NOT NULL,
    url             VARCHAR     NOT NULL,
    retrieved_at    TIMESTAMPTZ NOT NULL,
    n_bytes         BIGINT      NOT NULL,
    n_observations  BIGINT      NOT NULL,
    series          VARCHAR[]   NOT NULL,
    run_id          VARCHAR     NOT NULL
);
COMMENT ON TABLE raw.payloads IS 'One row per distinct payload landed (manifest). A payload whose hash is already here is skipped.';

CREATE TABLE meta.runs (
    run_id       VARCHAR     PRIMARY KEY,
    flow_run_id  VARCHAR,
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    source       VARCHAR     NOT NULL,
    as_of        DATE,
    rows_in      BIGINT,
    rows_out     BIGINT,
    status       VARCHAR     NOT NULL,
    error        VARCHAR,
    summary      JSON
);
COMMENT ON TABLE meta.runs IS 'One row per pipeline run: what it read (rows_in: observations fetched), what it wrote (rows_out: raw rows inserted or changed), how it ended.';

CREATE TABLE core.weekly_liquidity (
    week_ending                      DATE    NOT NULL PRIMARY KEY,
    total_assets_usd_mn              DOUBLE  NOT NULL,
    securities_usd_mn                DOUBLE,
    securities_basis                 VARCHAR,
    treasuries_usd_mn                DOUBLE,
    mbs_usd_mn                       DOUBLE,
    reserves_usd_mn                  DOUBLE,
    reserves_wednesday_usd_mn        DOUBLE,
    tga_usd_mn                       DOUBLE,
    rrp_usd_mn                       DOUBLE,
    net_liquidity_usd_mn             DOUBLE,
    qt_runoff_1w_usd_mn              DOUBLE,
    qt_runoff_4w_usd_mn              DOUBLE,
    qt_runoff_13w_usd_mn             DOUBLE,
    total_assets_change_4w_usd_mn    DOUBLE,
    reserves_change_4w_usd_mn        DOUBLE,
    reserves_change_13w_usd_mn       DOUBLE
);
COMMENT ON TABLE core.weekly_liquidity IS 'Grain: one row per H.4.1 week (week_ending = the Wednesday). Millions of USD. Sources: WALCL, WSHOSHO (or TREAST + WSHOMCB), WRESBAL, WDTGAL, RRPONTSYD.';
COMMENT ON COLUMN core.weekly_liquidity.week_ending IS 'The Wednesday the H.4.1 week ends on.';
COMMENT ON COLUMN core.weekly_liquidity.total_assets_usd_mn IS 'Total assets less eliminations, Wednesday level (WALCL, H.4.1 RESPPMA_N.WW).';
COMMENT ON COLUMN core.weekly_liquidity.securities_usd_mn IS 'Securities held outright, Wednesday level; see securities_basis.';
COMMENT ON COLUMN core.weekly_liquidity.securities_basis IS 'held_outright: H.4.1 RESPPALG_N.WW / FRED WSHOSHO; treasuries_plus_mbs: TREAST + WSHOMCB where that series is absent (omits agency debt: about $2bn since 2015, up to $170bn in 2009-2010).';
COMMENT ON COLUMN core.weekly_liquidity.treasuries_usd_mn IS 'U.S. Treasury securities held outright, Wednesday level (TREAST, RESPPALGUO_N.WW).';
COMMENT ON COLUMN core.weekly_liquidity.mbs_usd_mn IS 'Mortgage-backed securities held outright, Wednesday level (WSHOMCB, RESPPALGASMO_N.WW).';
COMMENT ON COLUMN core.weekly_liquidity.reserves_usd_mn IS 'Reserve balances with Federal Reserve Banks, week average (WRESBAL, RESH4R_XAW_N.WW).';
COMMENT ON COLUMN core.weekly_liquidity.reserves_wednesday_usd_mn IS 'Reserve balances, Wednesday level (RESH4R_N.WW), where the source has it.';
COMMENT ON COLUMN core.weekly_liquidity.tga_usd_mn IS 'Treasury General Account, Wednesday level (WDTGAL, RESPPLLDT_N.WW).';
COMMENT ON COLUMN core.weekly_liquidity.rrp_usd_mn IS 'ON RRP on that Wednesday (RRPONTSYD x 1000); a Wednesday holiday carries the last business day, a business day with no operation is 0.';
COMMENT ON COLUMN core.weekly_liquidity.net_liquidity_usd_mn IS 'total_assets_usd_mn - tga_usd_mn - rrp_usd_mn.';
COMMENT ON COLUMN core.weekly_liquidity.qt_runoff_1w_usd_mn IS 'securities_usd_mn 1 week earlier minus now; positive means runoff (QT).';
COMMENT ON COLUMN core.weekly_liquidity.qt_runoff_4w_usd_mn IS 'securities_usd_mn 4 weeks earlier minus now; positive means runoff.';
COMMENT ON COLUMN core.weekly_liquidity.qt_runoff_13w_usd_mn IS 'securities_usd_mn 13 weeks earlier minus now; positive means runoff.';
COMMENT ON COLUMN core.weekly_liquidity.total_assets_change_4w_usd_mn IS 'total_assets_usd_mn now minus 4 weeks earlier.';
COMMENT ON COLUMN core.weekly_liquidity.reserves_change_4w_usd_mn IS 'reserves_usd_mn now minus 4 weeks earlier.';
COMMENT ON COLUMN core.weekly_liquidity.reserves_change_13w_usd_mn IS 'reserves_usd_mn now minus 13 weeks earlier.';

CREATE TABLE core.daily_rates (
    date                          DATE    NOT NULL PRIMARY KEY,
    sofr_pct                      DOUBLE,
    sofr_p99_pct                  DOUBLE,
    effr_pct                      DOUBLE,
    iorb_pct                      DOUBLE,
    iorb_series                   VARCHAR,
    target_lower_pct              DOUBLE,
    target_upper_pct              DOUBLE,
    sofr_minus_iorb_bp            DOUBLE,
    sofr_minus_target_upper_bp    DOUBLE,
    effr_minus_iorb_bp            DOUBLE
);
COMMENT ON TABLE core.daily_rates IS 'Grain: one row per business day with an EFFR or SOFR fixing. Percent and basis points. Sources: SOFR, SOFR99, EFFR, IORB/IOER, DFEDTARU/DFEDTARL.';
COMMENT ON COLUMN core.daily_rates.date IS 'Effective date of the rates.';
COMMENT ON COLUMN core.daily_rates.sofr_pct IS 'SOFR (from 2018-04-02; null before and on SIFMA holidays such as Good Friday).';
COMMENT ON COLUMN core.daily_rates.sofr_p99_pct IS 'SOFR 99th percentile, where the source has it.';
COMMENT ON COLUMN core.daily_rates.effr_pct IS 'Effective federal funds rate.';
COMMENT ON COLUMN core.daily_rates.iorb_pct IS 'Interest on reserve balances; IOER before 2021-07-29 (see iorb_series).';
COMMENT ON COLUMN core.daily_rates.iorb_series IS 'IORB or IOER: which series iorb_pct comes from.';
COMMENT ON COLUMN core.daily_rates.target_lower_pct IS 'FOMC target range lower bound (DFEDTARL; from 2008-12-16).';
COMMENT ON COLUMN core.daily_rates.target_upper_pct IS 'FOMC target range upper bound (DFEDTARU; from 2008-12-16).';
COMMENT ON COLUMN core.daily_rates.sofr_minus_iorb_bp IS '(sofr_pct - iorb_pct) x 100.';
COMMENT ON COLUMN core.daily_rates.sofr_minus_target_upper_bp IS '(sofr_pct - target_upper_pct) x 100; above 0 means SOFR printed over the top of the range.';
COMMENT ON COLUMN core.daily_rates.effr_minus_iorb_bp IS '(effr_pct - iorb_pct) x 100.';

CREATE TABLE core.policy_changes (
    date              DATE    NOT NULL PRIMARY KEY,
    old_lower_pct     DOUBLE  NOT NULL,
    old_upper_pct     DOUBLE  NOT NULL,
    new_lower_pct     DOUBLE  NOT NULL,
    new_upper_pct     DOUBLE  NOT NULL,
    change_bp         DOUBLE  NOT NULL
);
COMMENT ON TABLE core.policy_changes IS 'Grain: one row per change of the FOMC target range (from 2008-12-16), dated the day the new range took effect. Percent; change_bp in basis points.';
COMMENT ON COLUMN core.policy_changes.date IS 'First day of the new range (FRED dating: the day after the FOMC decision).';
COMMENT ON COLUMN core.policy_changes.old_lower_pct IS 'Lower bound before the change.';
COMMENT ON COLUMN core.policy_changes.old_upper_pct IS 'Upper bound before the change.';
COMMENT ON COLUMN core.policy_changes.new_lower_pct IS 'Lower bound from date on.';
COMMENT ON COLUMN core.policy_changes.new_upper_pct IS 'Upper bound from date on.';
COMMENT ON COLUMN core.policy_changes.change_bp IS '(new_upper_pct - old_upper_pct) x 100; negative is a cut.';
