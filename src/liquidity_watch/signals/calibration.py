"""Where every threshold comes from: the distributions on history they are percentiles of.

``calibrate`` recomputes each threshold of the rules from the core tables with the same
measures the rules use (``measures.rate_measures``), so ``liquidity-watch backtest --evaluate``
can print, next to each value in force, the percentile it was chosen as and what that
percentile is on the data now. On the bundled snapshot the recomputed values equal the
packaged ``thresholds.toml`` (a test checks it). Nothing here is fitted to a named date:
each threshold is a fixed percentile of a stated population over a stated period.

The frame (easing, draining) keeps the first release's thresholds and reasoning
(``docs/signals.md``); windows and day counts are design choices, not percentiles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from liquidity_watch.domain.catalog import SOFR_START
from liquidity_watch.domain.pressure_days import PressureKind
from liquidity_watch.signals.measures import rate_measures
from liquidity_watch.signals.thresholds import Thresholds

#: Start of the period the thresholds are computed on: SOFR and TGCR begin here.
SINCE = SOFR_START
#: Start of the Standing Repo Facility (before it, the Fed chose the size of its operations).
SRF_SINCE = dt.date(2021, 7, 29)


@dataclass(frozen=True)
class Calibrated:
    """One threshold: how it was chosen and what that choice gives on the data."""

    key: str
    table: str
    rule: str  # e.g. "90th percentile", "design"
    population: str
    since: dt.date | None
    value: float | None  # recomputed; None for a design choice


def _pct(values: pl.Series, q: float) -> float | None:
    values = values.drop_nulls()
    if values.is_empty():
        return None
    return round(float(values.quantile(q, interpolation="nearest")), 2)  # type: ignore[arg-type]


def _ordinal(q: float) -> str:
    n = q * 100
    text = f"{n:g}"
    suffix = "th" if text.endswith(("11", "12", "13")) else {"1": "st", "2": "nd", "3": "rd"}.get(text[-1], "th")
    return f"{text}{suffix} percentile"


def calibrate(weekly: pl.DataFrame, daily: pl.DataFrame, t: Thresholds) -> list[Calibrated]:
    """Each threshold of the signs, of scarcity and of stress, recomputed on ``weekly`` and ``daily``.

    The rolling measures use the windows in force (``t.window_days``, ``t.change_lag_days``).
    """
    rates = rate_measures(daily, t).filter(pl.col("date") >= SINCE)
    fixings = rates.filter(pl.col("sofr_minus_iorb_bp").is_not_null())
    effr = rates.filter(pl.col("effr_minus_iorb_bp").is_not_null())
    pressure = pl.col("pressure_day").is_not_null()
    srf = daily.filter((pl.col("date") >= SRF_SINCE) & pl.col("repo_ops_takeup_usd_mn").is_not_null())
    weeks = weekly.filter(pl.col("week_ending") >= SINCE)
    n = t.window_days

    def row(key: str, table: str, q: float, population: str, values: pl.Series, since: dt.date = SINCE) -> Calibrated:
        return Calibrated(key, table, _ordinal(q), population, since, _pct(values, q))

    def design(key: str, table: str, why: str) -> Calibrated:
        return Calibrated(key, table, "design", why, None, None)

    return [
        design("window_days", "persistence", "one month of fixings: a month-end and a mid-month date"),
        row(
            "sofr_above_iorb_share_pct",
            "repo_rates",
            0.90,
            f"share of the last {n} fixings with SOFR > IORB, every fixing",
            fixings["sofr_above_iorb_share_pct"],
        ),
        row(
            "tgcr_above_iorb_share_pct",
            "repo_rates",
            0.90,
            f"share of the last {n} fixings with TGCR > IORB, every fixing",
            fixings["tgcr_above_iorb_share_pct"],
        ),
        row(
            "sofr_minus_iorb_median_bp",
            "repo_rates",
            0.90,
            f"median SOFR - IORB of the last {n} fixings, every fixing",
            fixings["sofr_minus_iorb_median_bp"],
        ),
        row(
            "takeup_floor_usd_mn",
            "facility_use",
            0.975,
            "daily repo operation take-up, days with an operation, Standing Repo Facility era",
            srf["repo_ops_takeup_usd_mn"],
            SRF_SINCE,
        ),
        design("takeup_days", "facility_use", "repeated use: two days within the window"),
        design("change_lag_days", "effr_rising", "a quarter of fixings"),
        row(
            "effr_minus_iorb_rise_bp",
            "effr_rising",
            0.90,
            f"change over {t.change_lag_days} fixings of the {n}-fixing median EFFR - IORB, every fixing",
            effr["effr_minus_iorb_rise_bp"],
        ),
        row(
            "reserves_to_bank_assets_pct",
            "scarcity",
            0.10,
            "reserves / commercial banks' total assets, every week",
            weeks["reserves_to_bank_assets_pct"],
        ),
        row(
            "reserves_below_52w_high_pct",
            "scarcity",
            0.90,
            "fall of reserves from their 52-week high, every week",
            weeks["reserves_below_52w_high_pct"],
        ),
        row(
            "off_calendar_sofr_minus_iorb_bp",
            "stress",
            0.95,
            "SOFR - IORB on known pressure days",
            fixings.filter(pressure)["sofr_minus_iorb_bp"],
        ),
        design("off_calendar_days", "stress", "repeated: three ordinary days within the window"),
        row(
            "break_sofr_minus_iorb_bp",
            "stress",
            0.99,
            "SOFR - IORB on known pressure days",
            fixings.filter(pressure)["sofr_minus_iorb_bp"],
        ),
        row(
            "break_effr_minus_iorb_bp",
            "stress",
            0.99,
            "EFFR - IORB on known pressure days",
            effr.filter(pressure)["effr_minus_iorb_bp"],
        ),
    ]


def calibration_frame(rows: list[Calibrated], t: Thresholds) -> pl.DataFrame:
    """The calibration as a table: key, value in force, how it was chosen, the recomputed value."""
    values = t.values()
    return pl.DataFrame(
        {
            "key": [f"{r.table}.{r.key}" for r in rows],
            "in_force": [float(values[r.key]) for r in rows],
            "chosen_as": [r.rule for r in rows],
            "population": [r.population for r in rows],
            "since": [r.since for r in rows],
            "recomputed": [r.value for r in rows],
        },
        schema_overrides={"since": pl.Date, "recomputed": pl.Float64},
    )


#: Ordinary days next to the pressure days, shown to justify where the pressure days stop.
NEXT_TO_MONTH_END = "ordinary: 3rd fixing after a month-end"
NEXT_TO_MID_MONTH = "ordinary: fixing after the two mid-month days"


def pressure_day_profile(daily: pl.DataFrame) -> pl.DataFrame:
    """SOFR - IORB by kind of day since 2018-04: why the known pressure days are the ones they are.

    One row per kind, ``ordinary`` for the rest, and two subsets of ordinary days: the day
    after the last "after_month_end" day and the day after the two mid-month days. Each
    row has the number of fixings and the 50th, 90th, 95th and 99th percentiles and the
    maximum of SOFR - IORB (bp).
    """
    ends = [PressureKind.MONTH_END.value, PressureKind.QUARTER_END.value, PressureKind.YEAR_END.value]
    mids = [PressureKind.MID_MONTH.value, PressureKind.TAX_DATE.value]
    kinds = [*(k.value for k in PressureKind), "ordinary", NEXT_TO_MONTH_END, NEXT_TO_MID_MONTH]
    frame = (
        daily.filter((pl.col("date") >= SINCE) & pl.col("sofr_minus_iorb_bp").is_not_null())
        .sort("date")
        .with_columns(kind=pl.col("pressure_day").fill_null("ordinary"))
    )
    ordinary = pl.col("kind") == "ordinary"
    frame = pl.concat(
        [
            frame,
            frame.filter(ordinary & pl.col("kind").shift(3).is_in(ends)).with_columns(kind=pl.lit(NEXT_TO_MONTH_END)),
            frame.filter(
                ordinary & pl.col("kind").shift(1).is_in(mids) & pl.col("kind").shift(2).is_in(mids)
            ).with_columns(kind=pl.lit(NEXT_TO_MID_MONTH)),
        ]
    )
    spread = pl.col("sofr_minus_iorb_bp")
    out = frame.group_by("kind").agg(
        fixings=pl.len(),
        p50_bp=spread.quantile(0.5, interpolation="nearest"),
        p90_bp=spread.quantile(0.9, interpolation="nearest"),
        p95_bp=spread.quantile(0.95, interpolation="nearest"),
        p99_bp=spread.quantile(0.99, interpolation="nearest"),
        max_bp=spread.max(),
    )
    order = pl.DataFrame({"kind": kinds}).with_row_index("order")
    return order.join(out, on="kind", how="inner").sort("order").drop("order")
