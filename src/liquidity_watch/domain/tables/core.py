"""The ``core`` tables: what analysts read, rebuilt by every run that publishes."""

from __future__ import annotations

from liquidity_watch.domain.tables.spec import BOOLEAN, DATE, DOUBLE, INTEGER, JSON, VARCHAR, Column, Table

WEEKLY_LIQUIDITY = Table(
    schema="core",
    name="weekly_liquidity",
    grain="one row per H.4.1 week (week_ending = the Wednesday)",
    about=(
        "Millions of USD unless the name says otherwise. Sources: WALCL, WSHOSHO (or TREAST + WSHOMCB), "
        "WRESBAL, WDTGAL, RRPONTSYD; commercial banks' total assets from H.8 (TLAACBW027SBOG)."
    ),
    key=("week_ending",),
    columns=(
        Column("week_ending", DATE, "The Wednesday the H.4.1 week ends on.", nullable=False),
        Column(
            "total_assets_usd_mn",
            DOUBLE,
            "Total assets less eliminations, Wednesday level (WALCL, H.4.1 RESPPMA_N.WW).",
            nullable=False,
        ),
        Column("securities_usd_mn", DOUBLE, "Securities held outright, Wednesday level; see securities_basis."),
        Column(
            "securities_basis",
            VARCHAR,
            (
                "held_outright: H.4.1 RESPPALG_N.WW / FRED WSHOSHO; treasuries_plus_mbs: TREAST + WSHOMCB where "
                "that series is absent (omits agency debt: about $2bn since 2015, up to $170bn in 2009-2010)."
            ),
        ),
        Column(
            "treasuries_usd_mn",
            DOUBLE,
            "U.S. Treasury securities held outright, Wednesday level (TREAST, RESPPALGUO_N.WW).",
        ),
        Column(
            "mbs_usd_mn",
            DOUBLE,
            "Mortgage-backed securities held outright, Wednesday level (WSHOMCB, RESPPALGASMO_N.WW).",
        ),
        Column(
            "reserves_usd_mn",
            DOUBLE,
            "Reserve balances with Federal Reserve Banks, week average (WRESBAL, RESH4R_XAW_N.WW).",
            required=True,
        ),
        Column(
            "reserves_wednesday_usd_mn",
            DOUBLE,
            "Reserve balances, Wednesday level (RESH4R_N.WW), where the source has it.",
        ),
        Column(
            "tga_usd_mn", DOUBLE, "Treasury General Account, Wednesday level (WDTGAL, RESPPLLDT_N.WW).", required=True
        ),
        Column(
            "rrp_usd_mn",
            DOUBLE,
            (
                "ON RRP on that Wednesday (RRPONTSYD x 1000); a Wednesday holiday carries the last business day, "
                "a business day with no operation is 0."
            ),
        ),
        Column("net_liquidity_usd_mn", DOUBLE, "total_assets_usd_mn - tga_usd_mn - rrp_usd_mn."),
        Column(
            "qt_runoff_1w_usd_mn", DOUBLE, "securities_usd_mn 1 week earlier minus now; positive means runoff (QT)."
        ),
        Column("qt_runoff_4w_usd_mn", DOUBLE, "securities_usd_mn 4 weeks earlier minus now; positive means runoff."),
        Column("qt_runoff_13w_usd_mn", DOUBLE, "securities_usd_mn 13 weeks earlier minus now; positive means runoff."),
        Column("total_assets_change_4w_usd_mn", DOUBLE, "total_assets_usd_mn now minus 4 weeks earlier."),
        Column("reserves_change_4w_usd_mn", DOUBLE, "reserves_usd_mn now minus 4 weeks earlier."),
        Column("reserves_change_13w_usd_mn", DOUBLE, "reserves_usd_mn now minus 13 weeks earlier."),
        Column(
            "bank_assets_usd_mn",
            DOUBLE,
            (
                "Total assets of all commercial banks in the U.S., seasonally adjusted, the same Wednesday (H.8, "
                "TLAACBW027SBOG x 1000). H.8 comes out about nine days after H.4.1, so the latest weeks are null "
                "until it does."
            ),
        ),
        Column(
            "reserves_to_bank_assets_pct",
            DOUBLE,
            (
                "reserves_usd_mn / bank_assets_usd_mn x 100: reserves relative to banks' balance sheets (how the "
                "Fed's researchers judge ampleness). Null while bank_assets_usd_mn is."
            ),
        ),
        Column("reserves_52w_high_usd_mn", DOUBLE, "Highest reserves_usd_mn of this week and the 51 before it."),
        Column(
            "reserves_below_52w_high_pct",
            DOUBLE,
            (
                "(1 - reserves_usd_mn / reserves_52w_high_usd_mn) x 100: how far reserves stand below their "
                "52-week high."
            ),
        ),
    ),
)

DAILY_RATES = Table(
    schema="core",
    name="daily_rates",
    grain="one row per business day with an EFFR or SOFR fixing",
    about=(
        "Percent, basis points, and $ for volumes and take-up (unit in each name). Sources: SOFR (with "
        "its 1st/25th/75th/99th percentiles and volume), TGCR, BGCR, EFFR, IORB/IOER, DFEDTARU/DFEDTARL, "
        "the Fed's repo operations (RPONTSYD) and the ON RRP award rate (RRPONTSYAWARD)."
    ),
    key=("date",),
    columns=(
        Column("date", DATE, "Effective date of the rates.", nullable=False),
        Column("sofr_pct", DOUBLE, "SOFR (from 2018-04-02; null before and on SIFMA holidays such as Good Friday)."),
        Column("sofr_p99_pct", DOUBLE, "SOFR 99th percentile, where the source has it."),
        Column("effr_pct", DOUBLE, "Effective federal funds rate."),
        Column("iorb_pct", DOUBLE, "Interest on reserve balances; IOER before 2021-07-29 (see iorb_series)."),
        Column("iorb_series", VARCHAR, "IORB or IOER: which series iorb_pct comes from.", values=("IORB", "IOER")),
        Column("target_lower_pct", DOUBLE, "FOMC target range lower bound (DFEDTARL; from 2008-12-16)."),
        Column("target_upper_pct", DOUBLE, "FOMC target range upper bound (DFEDTARU; from 2008-12-16)."),
        Column("sofr_minus_iorb_bp", DOUBLE, "(sofr_pct - iorb_pct) x 100."),
        Column(
            "sofr_minus_target_upper_bp",
            DOUBLE,
            "(sofr_pct - target_upper_pct) x 100; above 0 means SOFR printed over the top of the range.",
        ),
        Column("effr_minus_iorb_bp", DOUBLE, "(effr_pct - iorb_pct) x 100."),
        Column(
            "sofr_p1_pct", DOUBLE, "SOFR 1st percentile of the day's transactions (SOFR1), where the source has it."
        ),
        Column("sofr_p25_pct", DOUBLE, "SOFR 25th percentile (SOFR25), where the source has it."),
        Column("sofr_p75_pct", DOUBLE, "SOFR 75th percentile (SOFR75), where the source has it."),
        Column("sofr_volume_usd_bn", DOUBLE, "Volume of the transactions behind SOFR, billions of USD (SOFRVOL)."),
        Column(
            "tgcr_pct",
            DOUBLE,
            "Tri-Party General Collateral Rate (TGCRRATE; from 2018-04-02; SIFMA calendar like SOFR).",
        ),
        Column("bgcr_pct", DOUBLE, "Broad General Collateral Rate (BGCRRATE; from 2018-04-02)."),
        Column(
            "repo_ops_takeup_usd_mn",
            DOUBLE,
            (
                "Take-up at the Fed's overnight repo operations that day, Treasury collateral, millions of USD "
                "(RPONTSYD x 1000): the 2019-20 operations and the Standing Repo Facility from 2021-07-29. Null "
                "on a day without an operation. Live data leave out small-value exercises (test trades); FRED's "
                "history includes them (a few $mn)."
            ),
        ),
        Column(
            "rrp_award_pct",
            DOUBLE,
            (
                "Award rate of the day's overnight reverse repo (ON RRP) operation, Treasury securities "
                "(RRPONTSYAWARD); null on a day with no take-up or no source."
            ),
        ),
        Column("tgcr_minus_iorb_bp", DOUBLE, "(tgcr_pct - iorb_pct) x 100."),
        Column(
            "pressure_day",
            VARCHAR,
            (
                "The known pressure day this date is (domain/pressure_days.py): year_end, quarter_end, month_end,"
                " after_month_end, tax_date or mid_month; null on an ordinary day."
            ),
        ),
    ),
)

POLICY_CHANGES = Table(
    schema="core",
    name="policy_changes",
    grain="one row per change of the FOMC target range (from 2008-12-16), dated the day the new range took effect",
    about="Percent; change_bp in basis points.",
    key=("date",),
    columns=(
        Column(
            "date", DATE, "First day of the new range (FRED dating: the day after the FOMC decision).", nullable=False
        ),
        Column("old_lower_pct", DOUBLE, "Lower bound before the change.", nullable=False),
        Column("old_upper_pct", DOUBLE, "Upper bound before the change.", nullable=False),
        Column("new_lower_pct", DOUBLE, "Lower bound from date on.", nullable=False),
        Column("new_upper_pct", DOUBLE, "Upper bound from date on.", nullable=False),
        Column("change_bp", DOUBLE, "(new_upper_pct - old_upper_pct) x 100; negative is a cut.", nullable=False),
    ),
)

SIGNALS = Table(
    schema="core",
    name="signals",
    grain=(
        "one row per Fed business day and rule (easing, draining, repo_rates, facility_use, effr_rising, "
        "scarcity, stress), evaluated with only what was published by the end of that day"
    ),
    about="Each row echoes the thresholds its rule reads; docs/signals.md defines each rule and grade.",
    key=("date", "rule"),
    columns=(
        Column("date", DATE, "Evaluation day (data published before the end of it, New York).", nullable=False),
        Column(
            "rule",
            VARCHAR,
            (
                "easing and draining (the frame: rates falling while the balance sheet shrinks); the Fed's three "
                "signs, each on when it persisted: repo_rates (SOFR and TGCR above IORB), facility_use (repo "
                "operation / Standing Repo Facility take-up), effr_rising (EFFR - IORB rising); scarcity "
                "(reserves low against banks' assets or far below their 52-week high); stress (SOFR - IORB at "
                "pressure-day levels repeatedly off the known pressure days, or a break beyond what pressure days"
                " ordinarily show)."
            ),
            nullable=False,
        ),
        Column(
            "status",
            VARCHAR,
            (
                "on, off, or no_data: the rule's inputs do not exist yet on that day, or one of them is past its "
                "staleness limit (the next observation its release calendar expects is overdue; inputs.stale says"
                " which, since when, and how many business days old)."
            ),
            nullable=False,
        ),
        Column(
            "severity",
            VARCHAR,
            (
                "The day's severity: none; watch = easing and draining; alert = watch and (one of the three signs"
                " persisted, or scarcity); critical = watch and (the Fed's full test: all three signs persisted "
                "together, or stress); unknown = the frame (easing and draining) or, at watch, every sign cannot "
                "be judged (never counted as calm)."
            ),
            nullable=False,
        ),
        Column(
            "inputs",
            JSON,
            (
                "The inputs the rule read on that day (JSON, units in the keys), as published by the end of that "
                'day; "stale" names the input past its staleness limit (then status is no_data), null otherwise.'
            ),
            nullable=False,
        ),
        Column(
            "thresholds",
            JSON,
            (
                "The thresholds this rule reads, from the thresholds file (JSON): its own table, and "
                "[persistence] window_days for repo_rates, facility_use, effr_rising and stress."
            ),
            nullable=False,
        ),
        Column("first_seen_run_id", VARCHAR, "The run that first computed this date and rule.", nullable=False),
    ),
)

SIGNAL_EPISODES = Table(
    schema="core",
    name="signal_episodes",
    grain="one row per episode, a run of consecutive business days at severity watch or worse",
    about="",
    key=("start",),
    columns=(
        Column("start", DATE, "First day at watch or worse.", nullable=False),
        Column("end", DATE, "Last day at watch or worse.", nullable=False),
        Column("days", INTEGER, "Business days in the episode.", nullable=False),
        Column("peak_severity", VARCHAR, "Worst severity reached.", nullable=False),
        Column("peak_date", DATE, "First day at the peak severity.", nullable=False),
        Column("escalated_on", DATE, "First day at alert or worse (null if it stayed at watch)."),
        Column(
            "triggers",
            VARCHAR,
            (
                "Rules that were on at some point, joined by + (easing, draining, repo_rates, facility_use, "
                "effr_rising, scarcity, stress)."
            ),
            nullable=False,
        ),
        Column("is_open", BOOLEAN, "Still at watch or worse on the last evaluated day.", nullable=False),
    ),
)

#: The core tables the transforms build from observations (the signals' tables come from ``signals``).
BUILT = (WEEKLY_LIQUIDITY, DAILY_RATES, POLICY_CHANGES)
#: Every ``core`` table, in the order docs/warehouse.md lists them.
TABLES = (
    WEEKLY_LIQUIDITY,
    DAILY_RATES,
    POLICY_CHANGES,
    SIGNALS,
    SIGNAL_EPISODES,
)
