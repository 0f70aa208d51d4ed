"""How old what a day sees is: the series each rule reads, and why one is past its staleness limit.

An input counts from the instant its release makes it public; it is stale once the next
observation the calendar expects is later than its due time plus grace (``domain.freshness``,
the same limit ``liquidity-watch status`` applies). A rule that reads a stale input is
``no_data``, with the reason in its inputs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.calendars import business_days
from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.freshness import due_by_series
from liquidity_watch.domain.rules import Rule
from liquidity_watch.signals.visibility import visible


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


def staleness(frame: pl.DataFrame, weekly: pl.DataFrame, daily: pl.DataFrame, judged_at: pl.Expr) -> pl.DataFrame:
    """``frame`` (one row per day, at least one, with its ``cutoff``) with one ``stale_<rule>`` column per rule: why an
    input it reads is past its limit at ``judged_at`` (every reason, "; "-joined), else null."""
    frame = _stale_inputs(frame, weekly, daily, judged_at)
    reasons = {
        rule: pl.concat_str([pl.col(f"stale_{name}") for name in names], separator="; ", ignore_nulls=True)
        for rule, names in RULE_SERIES.items()
    }
    frame = frame.with_columns(**{stale_column(rule): pl.when(expr != "").then(expr) for rule, expr in reasons.items()})
    return frame.drop([f"stale_{name}" for name in INPUTS])


def _stale_inputs(frame: pl.DataFrame, weekly: pl.DataFrame, daily: pl.DataFrame, judged_at: pl.Expr) -> pl.DataFrame:
    """One ``stale_<input>`` column per input: why it is past its limit at ``judged_at``, else null.

    A series never observed by then is not stale: it is absent, and the rule's own check says ``no_data``.
    """
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
        release = SERIES[spec.series_id].release
        if seen.height:
            seen = visible(seen, release, "last_seen")
            seen = seen.with_columns(due_by=due_by_series(spec.series_id, seen["last_seen"])).join_asof(
                bdays.select(pl.col("bd").alias("last_seen"), last_n="n"), on="last_seen", strategy="backward"
            )
        else:
            seen = seen.with_columns(
                visible_at=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
                due_by=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
                last_n=pl.lit(None, dtype=pl.UInt32),
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
