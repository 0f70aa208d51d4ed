"""The rules: is the Fed easing the price of money while it drains the quantity, and are reserves still abundant?

Evaluated for each Fed business day D with only what had been published before the end
of D (New York): each core row carries the instant it became visible
(``domain.calendars``) and is joined "as of" D. The same function serves a run (today's
signal), the backtest (every day) and ``core.signals``. ``docs/signals.md`` explains each
rule and grade for subscribers; every number comes from the thresholds file.

The frame (unchanged from the first release):

* easing: the target range's upper bound was cut within ``cut_lookback_days``, or IORB fell
  by ``iorb_drop_bp`` or more over ``iorb_lookback_days``;
* draining: 13-week or 4-week runoff of securities held outright, or a 4-week fall of
  total assets, beyond its threshold.

The Fed's three signs that reserves are no longer abundant (the Chair, 2025-10-29), each
"on" only when it persisted over the last ``window_days`` published fixings:

* repo_rates (a): the share of fixings with SOFR above IORB and the share with TGCR above
  IORB both at their thresholds, or the median of SOFR - IORB at its threshold;
* facility_use (b): take-up at the Fed's repo operations (the Standing Repo Facility since
  2021-07-29) of at least ``takeup_floor_usd_mn`` on ``takeup_days`` or more days;
* effr_rising (c): the median of EFFR - IORB rose by ``effr_minus_iorb_rise_bp`` or more
  against the same median ``change_lag_days`` fixings earlier (its change, not its level).

And two more:

* scarcity: reserves at or below ``reserves_to_bank_assets_pct`` of commercial banks'
  total assets (H.8), or ``reserves_below_52w_high_pct`` or more below their 52-week high;
* stress: SOFR - IORB at pressure-day levels (``off_calendar_sofr_minus_iorb_bp``) on
  ``off_calendar_days`` or more *ordinary* days of the window (``domain.pressure_days``),
  or a break: the latest SOFR - IORB or EFFR - IORB at or beyond what pressure days
  ordinarily show (``break_*``).

Severity: ``watch`` = easing and draining; ``alert`` = watch and (a sign persisted, or
scarcity); ``critical`` = watch and (the Fed's full test: all three signs persisted together,
or stress). A rule whose inputs do not exist yet on D is ``no_data``, never ``off`` by guess;
so is a rule whose input is past its staleness limit on D (``domain.freshness``: the next
observation's publication plus its release's grace), with the reason in its inputs; and so
are the rules that read a spread to IORB on a day whose rates row has no IORB (no source
served it and it could not be carried forward). A day whose frame, or every sign, cannot be
judged is ``unknown``, never ``none``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.calendars import business_days, end_of_day_series, published_at_series
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.freshness import due_by_series
from liquidity_watch.domain.rules import SIGNS, Rule
from liquidity_watch.domain.severity import SEVERITY_RANK, Severity
from liquidity_watch.signals.thresholds import Thresholds, rule_thresholds

RULES: tuple[str, ...] = tuple(Rule)


def _status(condition: pl.Expr, available: pl.Expr) -> pl.Expr:
    return pl.when(~available).then(pl.lit("no_data")).when(condition).then(pl.lit("on")).otherwise(pl.lit("off"))


def _min_samples(window: int) -> int:
    """A rolling measure needs at least half its window (holidays and a series' first days leave gaps)."""
    return max(1, (window + 1) // 2)


def rate_measures(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """``core.daily_rates`` with the rolling measures of signs (a) and (c) and of stress, per fixing.

    Each measure at a row uses that row and the fixings before it only, so it is public
    when the row is. SOFR measures run over the last ``window_days`` rows with a SOFR
    fixing, EFFR measures over the rows with an EFFR fixing; a row without one carries
    the last value forward (Good Friday has EFFR, no SOFR).

    Examples
    --------
    >>> from liquidity_watch.signals.thresholds import load_thresholds
    >>> days = pl.date_range(dt.date(2019, 7, 1), dt.date(2019, 7, 26), "1d", eager=True)
    >>> days = days.filter(days.dt.weekday() <= 5)
    >>> daily = pl.DataFrame({"date": days, "sofr_minus_iorb_bp": [5.0] * len(days),
    ...     "tgcr_minus_iorb_bp": [-1.0] * len(days), "effr_minus_iorb_bp": [3.0] * len(days),
    ...     "sofr_pct": 2.4, "effr_pct": 2.38, "pressure_day": None})
    >>> rate_measures(daily, load_thresholds()).select(
    ...     "sofr_above_iorb_share_pct", "tgcr_above_iorb_share_pct", "sofr_minus_iorb_median_bp").row(-1)
    (100.0, 0.0, 5.0)
    """
    window, lag = t.window_days, t.change_lag_days
    need = _min_samples(window)
    frame = daily.sort("date")
    sofr = frame.filter(pl.col("sofr_minus_iorb_bp").is_not_null()).select(
        "date",
        sofr_above_iorb_share_pct=((pl.col("sofr_minus_iorb_bp") > 0).cast(pl.Float64) * 100)
        .rolling_mean(window, min_samples=need)
        .round(1),
        tgcr_above_iorb_share_pct=((pl.col("tgcr_minus_iorb_bp") > 0).cast(pl.Float64) * 100)
        .rolling_mean(window, min_samples=need)
        .round(1),
        sofr_minus_iorb_median_bp=pl.col("sofr_minus_iorb_bp").rolling_median(window, min_samples=need).round(2),
        off_calendar_stress_days=(
            pl.col("pressure_day").is_null() & (pl.col("sofr_minus_iorb_bp") >= t.off_calendar_sofr_minus_iorb_bp)
        )
        .cast(pl.Int32)
        .rolling_sum(window, min_samples=1),
    )
    median = pl.col("effr_minus_iorb_bp").rolling_median(window, min_samples=need)
    effr = frame.filter(pl.col("effr_minus_iorb_bp").is_not_null()).select(
        "date",
        effr_minus_iorb_median_bp=median.round(2),
        effr_minus_iorb_rise_bp=(median - median.shift(lag)).round(2),
    )
    measures = [c for c in (*sofr.columns, *effr.columns) if c != "date"]
    frame = frame.join(sofr, on="date", how="left").join(effr, on="date", how="left")
    return frame.with_columns(pl.col(measures).forward_fill())


def _visible_weekly(weekly: pl.DataFrame) -> pl.DataFrame:
    frame = weekly.sort("week_ending")
    return frame.with_columns(visible_at=published_at_series("h41", frame["week_ending"])).sort("visible_at")


def _visible_bank_assets(weekly: pl.DataFrame) -> pl.DataFrame:
    """H.8 bank assets with the instant each week's figure came out (about nine days after H.4.1's)."""
    frame = weekly.select("week_ending", "bank_assets_usd_mn").drop_nulls().sort("week_ending")
    return frame.select(
        pl.col("week_ending").alias("bank_week_ending"),
        "bank_assets_usd_mn",
        visible_at=published_at_series("h8", frame["week_ending"]),
    ).sort("visible_at")


def _visible_daily(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    frame = rate_measures(daily, t)
    past = frame.select(pl.col("date").alias("past_date"), pl.col("iorb_pct").alias("iorb_past_pct")).drop_nulls()
    frame = frame.with_columns(lookup=pl.col("date") - pl.duration(days=t.iorb_lookback_days)).join_asof(
        past, left_on="lookup", right_on="past_date", strategy="backward"
    )
    sofr_at = published_at_series("sofr", frame["date"])
    effr_at = published_at_series("effr", frame["date"])
    frame = frame.with_columns(
        iorb_change_bp=((pl.col("iorb_pct") - pl.col("iorb_past_pct")) * 100).round(2),
        visible_at=pl.when(pl.col("sofr_pct").is_not_null())
        .then(pl.max_horizontal(sofr_at, effr_at))
        .otherwise(effr_at),
    )
    return frame.drop("lookup", "past_date").sort("visible_at")


def _visible_takeup(daily: pl.DataFrame, t: Thresholds) -> pl.DataFrame:
    """Repo operation take-up, public the afternoon of its day (not a day later with the rates)."""
    frame = daily.select("date", "repo_ops_takeup_usd_mn").sort("date")
    takeup = pl.col("repo_ops_takeup_usd_mn")
    frame = frame.select(
        pl.col("date").alias("takeup_date"),
        "repo_ops_takeup_usd_mn",
        takeup_material_days=(takeup >= t.takeup_floor_usd_mn)
        .fill_null(False)
        .cast(pl.Int32)
        .rolling_sum(t.window_days),
        takeup_max_usd_mn=takeup.rolling_max(t.window_days, min_samples=1),
        takeup_seen_days=takeup.is_not_null().cast(pl.Int32).rolling_sum(t.window_days),
        visible_at=published_at_series("repo", frame["date"]),
    )
    return frame.sort("visible_at")


def _visible_changes(policy: pl.DataFrame) -> pl.DataFrame:
    """The last change of the target range, cut or hike (the message's "last policy action")."""
    return _visible_policy(
        policy, "last_change_date", "last_change_bp", "last_change_lower_pct", "last_change_upper_pct"
    )


def _visible_cuts(policy: pl.DataFrame) -> pl.DataFrame:
    cuts = policy.filter(pl.col("change_bp") < 0)
    return _visible_policy(cuts, "last_cut_date", "last_cut_bp", "cut_new_lower_pct", "cut_new_upper_pct")


def _visible_policy(changes: pl.DataFrame, date: str, bp: str, lower: str, upper: str) -> pl.DataFrame:
    """Policy changes under the given column names, each with when it became public."""
    changes = changes.sort("date")
    return changes.select(
        pl.col("date").alias(date),
        pl.col("change_bp").alias(bp),
        pl.col("new_lower_pct").alias(lower),
        pl.col("new_upper_pct").alias(upper),
        visible_at=published_at_series("policy", changes["date"]),
    ).sort("visible_at")


@dataclass(frozen=True)
class Input:
    """One series a rule reads: where its values are in the core tables, and how its staleness is told."""

    label: str  # as a subscriber reads it
    series_id: str  # its release calendar and staleness limit (domain.freshness)
    weekly: bool  # core.weekly_liquidity (else core.daily_rates)
    column: str
    noun: str  # "last <noun> <date>"


INPUTS: dict[str, Input] = {
    "sofr": Input("SOFR", "SOFR", False, "sofr_pct", "fixing"),
    "tgcr": Input("TGCR", "TGCRRATE", False, "tgcr_pct", "fixing"),
    "effr": Input("EFFR", "EFFR", False, "effr_pct", "fixing"),
    "iorb": Input("IORB", "IORB", False, "iorb_pct", "value"),
    "target": Input("target range", "DFEDTARU", False, "target_upper_pct", "value"),
    "takeup": Input("repo operations", "RPONTSYD", False, "repo_ops_takeup_usd_mn", "operation"),
    "securities": Input("H.4.1 securities", "TREAST", True, "securities_usd_mn", "week"),
    "total_assets": Input("H.4.1 total assets", "WALCL", True, "total_assets_usd_mn", "week"),
    "reserves": Input("H.4.1 reserves", "WRESBAL", True, "reserves_usd_mn", "week"),
    "bank_assets": Input("H.8 bank assets", "TLAACBW027SBOG", True, "bank_assets_usd_mn", "week"),
}
#: The series each rule reads: one past its staleness limit makes the rule no_data.
RULE_SERIES: dict[str, tuple[str, ...]] = {
    Rule.EASING: ("target", "iorb"),
    Rule.DRAINING: ("securities", "total_assets"),
    Rule.REPO_RATES: ("sofr", "tgcr", "iorb"),
    Rule.FACILITY_USE: ("takeup",),
    Rule.EFFR_RISING: ("effr", "iorb"),
    Rule.SCARCITY: ("reserves", "bank_assets"),
    Rule.STRESS: ("sofr", "effr", "iorb"),
}


def stale_column(rule: str) -> str:
    """The column of ``evaluate`` saying why ``rule``'s input is past its staleness limit (null when none is)."""
    return f"stale_{rule}"


def _staleness(frame: pl.DataFrame, weekly: pl.DataFrame, daily: pl.DataFrame, judged_at: pl.Expr) -> pl.DataFrame:
    """One ``stale_<input>`` column per input: why it is past its limit at ``judged_at``, else null.

    An input counts from the instant its release makes it public; it is stale once the next
    observation the calendar expects is later than its due time plus grace (the same limit
    ``liquidity-watch status`` applies). A series never observed by then is not stale: it is
    absent, and the rule's own check says ``no_data``.
    """
    if frame.is_empty():
        return frame
    last_day: dt.date = frame["date"].max()  # type: ignore[assignment]  # a Date column's max is a date
    starts = [weekly["week_ending"].min(), daily["date"].min(), frame["date"].min()]
    first = min(d for d in starts if isinstance(d, dt.date))
    bdays = pl.DataFrame({"bd": business_days(first, last_day)}, schema={"bd": pl.Date}).with_row_index("n")
    out = frame.with_columns(judged_at=judged_at).join_asof(
        bdays.select(pl.col("bd").alias("date"), day_n="n"), on="date", strategy="backward"
    )
    for name, spec in INPUTS.items():
        table, key = (weekly, "week_ending") if spec.weekly else (daily, "date")
        if spec.column not in table.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(f"stale_{name}"))
            continue
        seen = table.filter(pl.col(spec.column).is_not_null()).select(pl.col(key).alias("last_seen")).sort("last_seen")
        release = SERIES[spec.series_id].release.value
        seen = (
            seen.with_columns(
                visible_at=published_at_series(release, seen["last_seen"]),
                due_by=due_by_series(spec.series_id, seen["last_seen"]),
            )
            .sort("visible_at")
            .join_asof(bdays.select(pl.col("bd").alias("last_seen"), last_n="n"), on="last_seen", strategy="backward")
            if seen.height
            else seen.with_columns(
                visible_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
                due_by=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
                last_n=pl.lit(None, dtype=pl.UInt32),
            )
        )
        joined = out.join_asof(
            seen, left_on="cutoff", right_on="visible_at", strategy="backward", allow_exact_matches=False
        )
        out = out.with_columns(
            pl.when(joined["judged_at"] > joined["due_by"])
            .then(
                pl.format(
                    "{}: last {} {}, {} business days old",
                    pl.lit(spec.label),
                    pl.lit(spec.noun),
                    joined["last_seen"],
                    (joined["day_n"].cast(pl.Int64) - joined["last_n"].fill_null(-1).cast(pl.Int64)),
                )
            )
            .otherwise(None)
            .alias(f"stale_{name}")
        )
    # IORB's rows in core.daily_rates are the days with a fixing: when SOFR and EFFR have both stopped,
    # its own last date cannot be told from them, and their reasons already say why the rules stop
    rates_stopped = pl.col("stale_sofr").is_not_null() & pl.col("stale_effr").is_not_null()
    out = out.with_columns(stale_iorb=pl.when(~rates_stopped).then(pl.col("stale_iorb")))
    return out.drop("judged_at", "day_n")


WEEKLY_INPUTS = [
    "week_ending",
    "reserves_usd_mn",
    "reserves_change_13w_usd_mn",
    "reserves_below_52w_high_pct",
    "qt_runoff_4w_usd_mn",
    "qt_runoff_13w_usd_mn",
    "total_assets_change_4w_usd_mn",
    "net_liquidity_usd_mn",
]
DAILY_INPUTS = [
    "sofr_pct",
    "sofr_p99_pct",
    "tgcr_pct",
    "effr_pct",
    "iorb_pct",
    "iorb_change_bp",
    "target_lower_pct",
    "target_upper_pct",
    "sofr_minus_iorb_bp",
    "tgcr_minus_iorb_bp",
    "effr_minus_iorb_bp",
    "sofr_minus_target_upper_bp",
    "sofr_above_iorb_share_pct",
    "tgcr_above_iorb_share_pct",
    "sofr_minus_iorb_median_bp",
    "off_calendar_stress_days",
    "effr_minus_iorb_median_bp",
    "effr_minus_iorb_rise_bp",
]


def evaluate(
    weekly: pl.DataFrame,
    daily: pl.DataFrame,
    policy: pl.DataFrame,
    days: list[dt.date],
    t: Thresholds,
    now: dt.datetime | None = None,
) -> pl.DataFrame:
    """One row per day in ``days``: the inputs seen as of that day, each rule's status, the severity.

    Parameters
    ----------
    weekly, daily, policy : ``core.weekly_liquidity``, ``core.daily_rates``, ``core.policy_changes``.
    days : evaluation days (normally Fed business days).
    t : thresholds.
    now : when a run evaluates today, the instant it runs: today's inputs are judged stale
        against it, not against the end of the day (default: the end of each day).

    Examples
    --------
    See ``tests/test_signals.py``: synthetic series (a quarter-end pop against a persistent
    drift) and the real 2019 episode; 2020 and 2022-23 stay quiet.
    """
    if not days:
        return pl.DataFrame()
    frame = pl.DataFrame({"date": days}, schema={"date": pl.Date}).sort("date")
    frame = frame.with_columns(cutoff=end_of_day_series(frame["date"]))
    daily_v = _visible_daily(daily, t).select(
        "visible_at",
        pl.col("date").alias("rates_date"),
        pl.col("pressure_day").alias("rates_pressure_day"),
        *DAILY_INPUTS,
    )
    for visible in (
        _visible_weekly(weekly).select("visible_at", *WEEKLY_INPUTS),
        _visible_bank_assets(weekly),
        daily_v,
        _visible_takeup(daily, t),
        _visible_cuts(policy),
        _visible_changes(policy),
    ):
        frame = frame.join_asof(
            visible, left_on="cutoff", right_on="visible_at", strategy="backward", allow_exact_matches=False
        ).drop("visible_at")
    frame = frame.with_columns(
        days_since_cut=(pl.col("date") - pl.col("last_cut_date")).dt.total_days(),
        reserves_to_bank_assets_pct=(pl.col("reserves_usd_mn") / pl.col("bank_assets_usd_mn") * 100).round(3),
    )
    cutoff = pl.col("cutoff")
    judged_at = cutoff if now is None else pl.min_horizontal(cutoff, pl.lit(now).dt.convert_time_zone("UTC"))
    frame = _staleness(frame, weekly, daily, judged_at)
    stale = {
        rule: pl.concat_str([pl.col(f"stale_{name}") for name in names], separator="; ", ignore_nulls=True)
        for rule, names in RULE_SERIES.items()
    }
    frame = frame.with_columns(
        **{stale_column(rule): pl.when(expr != "").then(expr) for rule, expr in stale.items()}
    ).drop([f"stale_{name}" for name in INPUTS])
    frame = frame.with_columns(**statuses(t))
    frame = frame.with_columns(**_severity(), stress_why=_stress_why(t), thresholds=pl.lit(t.to_json()))
    return frame.with_columns(grade_why=_grade_why(t)).drop("cutoff")


def statuses(t: Thresholds, *, staleness: bool = True) -> dict[str, pl.Expr]:
    """Each rule's status from the evaluated inputs; with ``staleness``, no_data where an input is past its limit."""
    found = _statuses(t)
    if not staleness:
        return found
    return {
        rule: pl.when(pl.col(stale_column(rule)).is_not_null()).then(pl.lit("no_data")).otherwise(expr)
        for rule, expr in found.items()
    }


def _statuses(t: Thresholds) -> dict[str, pl.Expr]:
    has_weekly = pl.col("week_ending").is_not_null()
    # a day whose rates row has no IORB (no source served it, and it could not be carried) has no
    # spread to IORB: the rules that read one say no_data rather than judge a value from before
    has_iorb = pl.col("iorb_pct").is_not_null()
    has_sofr = pl.col("sofr_above_iorb_share_pct").is_not_null() & has_iorb
    cut_recent = pl.col("days_since_cut").is_not_null() & (pl.col("days_since_cut") <= t.cut_lookback_days)
    iorb_fell = pl.col("iorb_change_bp") <= -t.iorb_drop_bp
    shares = (pl.col("sofr_above_iorb_share_pct") >= t.sofr_above_iorb_share_pct) & (
        pl.col("tgcr_above_iorb_share_pct") >= t.tgcr_above_iorb_share_pct
    )
    median = pl.col("sofr_minus_iorb_median_bp") >= t.sofr_minus_iorb_median_bp
    breaks = (pl.col("sofr_minus_iorb_bp") >= t.break_sofr_minus_iorb_bp).fill_null(False) | (
        pl.col("effr_minus_iorb_bp") >= t.break_effr_minus_iorb_bp
    ).fill_null(False)
    return {
        Rule.EASING: _status(
            cut_recent.fill_null(False) | iorb_fell.fill_null(False),
            pl.col("target_upper_pct").is_not_null() | pl.col("iorb_change_bp").is_not_null(),
        ),
        Rule.DRAINING: _status(
            (pl.col("qt_runoff_13w_usd_mn") >= t.qt_runoff_13w_usd_mn).fill_null(False)
            | (pl.col("qt_runoff_4w_usd_mn") >= t.qt_runoff_4w_usd_mn).fill_null(False)
            | (pl.col("total_assets_change_4w_usd_mn") <= -t.total_assets_fall_4w_usd_mn).fill_null(False),
            has_weekly & pl.col("qt_runoff_13w_usd_mn").is_not_null(),
        ),
        Rule.REPO_RATES: _status(shares.fill_null(False) | median.fill_null(False), has_sofr),
        Rule.FACILITY_USE: _status(
            (pl.col("takeup_material_days") >= t.takeup_days).fill_null(False),
            pl.col("takeup_seen_days").fill_null(0) > 0,
        ),
        Rule.EFFR_RISING: _status(
            (pl.col("effr_minus_iorb_rise_bp") >= t.effr_minus_iorb_rise_bp).fill_null(False),
            pl.col("effr_minus_iorb_rise_bp").is_not_null() & has_iorb,
        ),
        Rule.SCARCITY: _status(
            (pl.col("reserves_to_bank_assets_pct") <= t.reserves_to_bank_assets_pct).fill_null(False)
            | (pl.col("reserves_below_52w_high_pct") >= t.reserves_below_52w_high_pct).fill_null(False),
            pl.col("reserves_to_bank_assets_pct").is_not_null() | pl.col("reserves_below_52w_high_pct").is_not_null(),
        ),
        Rule.STRESS: _status(
            (pl.col("off_calendar_stress_days") >= t.off_calendar_days).fill_null(False) | breaks, has_sofr
        ),
    }


def _stress_why(t: Thresholds) -> pl.Expr:
    """Why ``stress`` is on, in words (null when it is not): the message and the evaluation show it."""
    sofr, effr = pl.col("sofr_minus_iorb_bp"), pl.col("effr_minus_iorb_bp")
    kind = pl.col("rates_pressure_day").fill_null("ordinary day")
    parts = [
        pl.when(sofr >= t.break_sofr_minus_iorb_bp).then(
            pl.format(
                "break: SOFR - IORB {} bp on {} ({}; >= {} bp)",
                sofr.cast(pl.Int64),
                pl.col("rates_date"),
                kind,
                pl.lit(f"{t.break_sofr_minus_iorb_bp:g}"),
            )
        ),
        pl.when(effr >= t.break_effr_minus_iorb_bp).then(
            pl.format(
                "break: EFFR - IORB {} bp on {} ({}; >= {} bp)",
                effr.cast(pl.Int64),
                pl.col("rates_date"),
                kind,
                pl.lit(f"{t.break_effr_minus_iorb_bp:g}"),
            )
        ),
        pl.when(pl.col("off_calendar_stress_days") >= t.off_calendar_days).then(
            pl.format(
                "repeats: {} ordinary days with SOFR - IORB >= {} bp in the last {} fixings",
                pl.col("off_calendar_stress_days"),
                pl.lit(f"{t.off_calendar_sofr_minus_iorb_bp:g}"),
                pl.lit(t.window_days),
            )
        ),
    ]
    return pl.when(pl.col(Rule.STRESS) == "on").then(pl.concat_str(parts, separator="; ", ignore_nulls=True))


def _severity() -> dict[str, pl.Expr]:
    """The day's grade. The frame is judged as a three-valued "and": off when easing or draining
    is off, on when both are on, and unknown otherwise (one cannot be judged). With the frame on,
    a day on which none of the three signs can be judged, and neither stress nor scarcity is on,
    is unknown too: no grade of calm (or of watch) rests on signs nobody could read."""
    on = {rule: pl.col(rule) == "on" for rule in RULES}
    watch = on[Rule.EASING] & on[Rule.DRAINING]
    frame_off = (pl.col(Rule.EASING) == "off") | (pl.col(Rule.DRAINING) == "off")
    signs = pl.sum_horizontal([on[rule].cast(pl.Int8) for rule in SIGNS])
    no_sign = pl.all_horizontal([pl.col(rule) == "no_data" for rule in SIGNS])
    full_test = signs == len(SIGNS)
    alert = watch & ((signs > 0) | on[Rule.SCARCITY])
    critical = watch & (full_test | on[Rule.STRESS])
    return {
        "signs_persisted": signs,
        "severity": pl.when(critical)
        .then(pl.lit(Severity.CRITICAL.value))
        .when(alert)
        .then(pl.lit(Severity.ALERT.value))
        .when(frame_off)
        .then(pl.lit(Severity.NONE.value))
        .when(watch & ~no_sign)
        .then(pl.lit(Severity.WATCH.value))
        .otherwise(pl.lit(Severity.UNKNOWN.value)),
    }


SIGN_NAMES = {
    Rule.REPO_RATES: "repo rates above IORB",
    Rule.FACILITY_USE: "repo facility use",
    Rule.EFFR_RISING: "EFFR rising against IORB",
}


def _grade_why(t: Thresholds) -> pl.Expr:
    """The grade and its reason in one line: the first line of every message, and what ``run`` prints.

    ``critical: the Fed's full test is met, 3 of 3 signs``, ``critical: a break, SOFR - IORB 315 bp``,
    ``alert: 1 of 3 of the Fed's signs persisted (repo rates above IORB)``, ``unknown: cannot judge: ...``.
    """
    sofr, effr = pl.col("sofr_minus_iorb_bp"), pl.col("effr_minus_iorb_bp")
    persisted = pl.concat_str(
        [pl.when(pl.col(rule) == "on").then(pl.lit(name)) for rule, name in SIGN_NAMES.items()],
        separator=", ",
        ignore_nulls=True,
    )
    stress = pl.concat_str(
        [
            pl.when(sofr >= t.break_sofr_minus_iorb_bp).then(
                pl.format("a break, SOFR - IORB {} bp", sofr.cast(pl.Int64))
            ),
            pl.when((effr >= t.break_effr_minus_iorb_bp) & ~(sofr >= t.break_sofr_minus_iorb_bp).fill_null(False)).then(
                pl.format("a break, EFFR - IORB {} bp", effr.cast(pl.Int64))
            ),
            pl.when(pl.col("off_calendar_stress_days") >= t.off_calendar_days).then(
                pl.format(
                    "stress repeating, {} ordinary days with SOFR - IORB >= {} bp in {} fixings",
                    pl.col("off_calendar_stress_days"),
                    pl.lit(f"{t.off_calendar_sofr_minus_iorb_bp:g}"),
                    pl.lit(t.window_days),
                )
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    full = pl.col("signs_persisted") == len(SIGNS)
    critical = pl.concat_str(
        [
            pl.when(full).then(pl.lit(f"the Fed's full test is met, {len(SIGNS)} of {len(SIGNS)} signs")),
            pl.when(pl.col(Rule.STRESS) == "on").then(stress),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    alert = pl.concat_str(
        [
            pl.when(pl.col("signs_persisted") > 0).then(
                pl.format("{} of 3 of the Fed's signs persisted ({})", pl.col("signs_persisted"), persisted)
            ),
            pl.when(pl.col(Rule.SCARCITY) == "on").then(
                pl.format("reserves scarce against banks' assets ({} %)", pl.col("reserves_to_bank_assets_pct"))
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    unjudged = pl.concat_str(
        [
            pl.when(pl.col(rule) == "no_data").then(
                pl.format("{} ({})", pl.lit(str(rule)), pl.col(stale_column(rule)).fill_null("no data"))
            )
            for rule in RULES
        ],
        separator="; ",
        ignore_nulls=True,
    )
    severity = pl.col("severity")
    return (
        pl.when(severity == Severity.CRITICAL.value)
        .then(pl.format("critical: {}", critical))
        .when(severity == Severity.ALERT.value)
        .then(pl.format("alert: {}", alert))
        .when(severity == Severity.WATCH.value)
        .then(pl.lit("watch: the Fed is easing while it drains; none of its 3 signs persisted"))
        .when(severity == Severity.UNKNOWN.value)
        .then(pl.format("unknown: cannot judge: {}", unjudged))
        .otherwise(pl.lit("none: the Fed is not easing while it drains"))
    )


#: Inputs echoed with each rule in core.signals (units in the keys).
RULE_INPUTS: dict[str, list[str]] = {
    Rule.EASING: [
        "last_cut_date",
        "last_cut_bp",
        "days_since_cut",
        "iorb_pct",
        "iorb_change_bp",
        "target_lower_pct",
        "target_upper_pct",
    ],
    Rule.DRAINING: ["week_ending", "qt_runoff_4w_usd_mn", "qt_runoff_13w_usd_mn", "total_assets_change_4w_usd_mn"],
    Rule.REPO_RATES: [
        "rates_date",
        "sofr_pct",
        "tgcr_pct",
        "iorb_pct",
        "sofr_minus_iorb_bp",
        "tgcr_minus_iorb_bp",
        "sofr_above_iorb_share_pct",
        "tgcr_above_iorb_share_pct",
        "sofr_minus_iorb_median_bp",
    ],
    Rule.FACILITY_USE: ["takeup_date", "repo_ops_takeup_usd_mn", "takeup_material_days", "takeup_max_usd_mn"],
    Rule.EFFR_RISING: [
        "rates_date",
        "effr_pct",
        "effr_minus_iorb_bp",
        "effr_minus_iorb_median_bp",
        "effr_minus_iorb_rise_bp",
    ],
    Rule.SCARCITY: [
        "week_ending",
        "bank_week_ending",
        "reserves_usd_mn",
        "bank_assets_usd_mn",
        "reserves_to_bank_assets_pct",
        "reserves_below_52w_high_pct",
    ],
    Rule.STRESS: [
        "rates_date",
        "rates_pressure_day",
        "sofr_minus_iorb_bp",
        "effr_minus_iorb_bp",
        "sofr_minus_target_upper_bp",
        "off_calendar_stress_days",
    ],
}


def signals_long(evaluated: pl.DataFrame) -> pl.DataFrame:
    """``core.signals`` rows: one per date and rule, with status, the day's severity, inputs and the
    thresholds that rule reads (not all of them: a backfill's ~42,000 rows are ~75 MB lighter to write)."""
    if evaluated.is_empty():
        return pl.DataFrame(
            schema={
                "date": pl.Date,
                "rule": pl.String,
                "status": pl.String,
                "severity": pl.String,
                "inputs": pl.String,
                "thresholds": pl.String,
            }
        )
    every = json.loads(evaluated["thresholds"][0])  # one set of thresholds per evaluation
    parts = []
    for rule in RULES:
        # "stale" says why an input is past its limit (then the rule is no_data), null otherwise
        columns = [pl.col(c) for c in RULE_INPUTS[rule]]
        inputs = pl.struct([*columns, pl.col(stale_column(rule)).alias("stale")]).struct.json_encode()
        parts.append(
            evaluated.select(
                "date",
                pl.lit(rule).alias("rule"),
                pl.col(rule).alias("status"),
                "severity",
                inputs.alias("inputs"),
                pl.lit(json.dumps(rule_thresholds(every, rule), sort_keys=True)).alias("thresholds"),
            )
        )
    return pl.concat(parts).sort("date", "rule")


def episodes(evaluated: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive evaluated days with severity watch or worse.

    One row per episode: ``start``, ``end`` (last day at watch or worse), ``days``,
    ``peak_severity``, ``peak_date`` (first day at the peak), ``escalated_on`` (first day
    at alert or worse), ``triggers`` (the rules that were on at some point) and
    ``is_open`` (still on at the last day that could be judged).

    Days that cannot be judged (``unknown``) neither end nor extend an episode: they are
    left out, so an episode that goes on after a source comes back is the same episode
    (and its subscribers get no second message for the same severity).
    """
    if evaluated.is_empty():
        return pl.DataFrame()
    frame = evaluated.filter(pl.col("severity") != Severity.UNKNOWN.value)
    if frame.is_empty():
        return _no_episodes()
    frame = frame.sort("date").with_columns(
        active=pl.col("severity") != "none",
        rank=pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
    )
    frame = frame.with_columns(episode=(pl.col("active") & ~pl.col("active").shift(1, fill_value=False)).cum_sum())
    active = frame.filter(pl.col("active"))
    if active.is_empty():
        return _no_episodes()
    last_day = frame["date"].max()
    out = (
        active.group_by("episode", maintain_order=True)
        .agg(
            start=pl.col("date").min(),
            end=pl.col("date").max(),
            days=pl.len(),
            peak_rank=pl.col("rank").max(),
            peak_date=pl.col("date").filter(pl.col("rank") == pl.col("rank").max()).min(),
            escalated_on=pl.col("date").filter(pl.col("rank") >= Severity.ALERT.rank).min(),
            **{f"{rule}_on": (pl.col(rule) == "on").any() for rule in RULES},
        )
        .with_columns(
            peak_severity=pl.col("peak_rank").replace_strict(
                {v: k for k, v in SEVERITY_RANK.items()}, return_dtype=pl.String
            ),
            triggers=pl.concat_str(
                [pl.when(pl.col(f"{rule}_on")).then(pl.lit(rule)) for rule in RULES], separator="+", ignore_nulls=True
            ),
            is_open=pl.col("end") == last_day,
        )
    )
    return out.select("start", "end", "days", "peak_severity", "peak_date", "escalated_on", "triggers", "is_open")


def _no_episodes() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "start": pl.Date,
            "end": pl.Date,
            "days": pl.UInt32,
            "peak_severity": pl.String,
            "peak_date": pl.Date,
            "escalated_on": pl.Date,
            "triggers": pl.String,
            "is_open": pl.Boolean,
        }
    )


def unknown_since(evaluated: pl.DataFrame) -> tuple[dt.date, str] | None:
    """When the last evaluated day cannot be judged: the first day of that stretch, and why (its last day's
    reason). None when the last day has a grade."""
    if evaluated.is_empty():
        return None
    frame = evaluated.sort("date").select("date", "severity", "grade_why")
    last = frame.row(-1, named=True)
    if last["severity"] != Severity.UNKNOWN.value:
        return None
    graded = frame.filter(pl.col("severity") != Severity.UNKNOWN.value)
    after = graded["date"].max() if graded.height else None
    stretch = frame.filter(pl.col("date") > after) if after is not None else frame
    since: dt.date = stretch["date"].min()  # type: ignore[assignment]  # a Date column's min is a date
    return since, str(last["grade_why"]).removeprefix("unknown: cannot judge: ")
