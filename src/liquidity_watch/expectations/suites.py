"""The Great Expectations suites, built in code from the table specs and ``expectations.bounds``.

One suite per staged dataset: ``raw_observations`` (this run's fresh rows), and one per
core table. A core table's suite starts with what its spec (``domain.tables``) declares: its
grain (the key is unique), the columns that may not be null, the closed sets of values; then
the bounds on history. Every expectation carries ``meta.series`` (the series or column it
guards) and ``meta.bound`` (the documented bound), which the failure message and
``meta.validation_results`` echo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import pandas as pd

from liquidity_watch.domain.catalog import SERIES
from liquidity_watch.domain.tables.core import DAILY_RATES, POLICY_CHANGES, WEEKLY_LIQUIDITY
from liquidity_watch.domain.tables.spec import Table
from liquidity_watch.expectations.bounds import (
    CORROBORATING_RATES,
    DAILY_JUMP_LIMIT_BP,
    FOREIGN_REVERSE_REPO_RANGE_USD_MN,
    MAX_HISTORY_REVISION_SHARE,
    NEIGHBOURS,
    NET_LIQUIDITY_TOLERANCE_USD_MN,
    PLAUSIBLE_RANGE,
    POLICY_CHANGE_LIMIT_BP,
    REVISION_AGE_DAYS,
    SOFR_OUTSIDE_IQR_LIMIT_BP,
    UNCORROBORATED_SPIKE_LIMIT_BP,
    UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP,
    WEEKLY_JUMP_LIMIT_USD_MN,
)
from liquidity_watch.expectations.staging import DAY_ON_DAY_PCT, day_on_day_column, week_on_week_column


def _gx() -> tuple[Any, Any]:
    """Great Expectations and its expectations module, imported on first use (see ``bootstrap``)."""
    from liquidity_watch.expectations.gate import _gx as loaded

    gx = loaded()
    import great_expectations.expectations as gxe

    return gx, gxe


RAW_COLUMNS = [
    "series_id",
    "date",
    "value",
    "frequency",
    "calendar",
    "day",
    "weekday",
    "revises_history",
    "revision_accepted",
    "breaks_revision_guard",
    "neighbour_factor",
    "neighbour_factor_limit",
    "uncorroborated_spike_bp",
    "uncorroborated_spike_limit_bp",
    "sofr_outside_iqr_bp",
    "h41_reverse_repos_less_on_rrp_usd_mn",
    "on_calendar",
    "gap_days",
]

#: Which columns the balance-sheet identities compare with total assets (core.weekly_liquidity).
AT_MOST_TOTAL_ASSETS = ("securities_usd_mn", "reserves_usd_mn", "tga_usd_mn", "rrp_usd_mn")
#: core.daily_rates' rates held to -1..25 percent (a sign or unit error, not a market move).
RATES_PCT = ("sofr_pct", "effr_pct", "iorb_pct", "target_lower_pct", "target_upper_pct")


def _corroborators() -> str:
    return "; ".join(
        f"{rate} by {', '.join([*c.same_market, *c.other_markets])}" for rate, c in CORROBORATING_RATES.items()
    )


def _for(series_id: str) -> dict[str, str]:
    return {"row_condition": f'series_id=="{series_id}"', "condition_parser": "pandas"}


def _meta(series: str, bound: object) -> dict[str, dict[str, str]]:
    return {"meta": {"series": series, "bound": str(bound)}}


def _from_spec(table: Table) -> Any:
    """A suite named ``core.<table>`` holding what the table's spec declares.

    The key is unique (the grain), every column that is NOT NULL or ``required`` has no null,
    and a column with declared ``values`` holds only those.
    """
    gx, gxe = _gx()
    suite = gx.ExpectationSuite(name=table.qualified)
    add = suite.add_expectation
    grain = _meta(",".join(table.key), f"grain: {table.grain}")
    if len(table.key) == 1:
        add(gxe.ExpectColumnValuesToBeUnique(column=table.key[0], **grain))
    else:
        add(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.key), **grain))
    for column in table.columns:
        if column.not_null:
            add(gxe.ExpectColumnValuesToNotBeNull(column=column.name, **_meta(column.name, "required")))
    for column in table.columns:
        if column.values:
            add(
                gxe.ExpectColumnValuesToBeInSet(
                    column=column.name, value_set=list(column.values), **_meta(column.name, " or ".join(column.values))
                )
            )
    return suite


def raw_observations_suite(today: dt.date, present: Collection[str] | None = None) -> Any:
    """Fresh observations: shape, uniqueness, calendar, no future dates, the revision guard, unit
    slips against neighbours, corroborated rate spikes, cross-series identities, plausible values.

    ``present``: the series this batch holds (default: every catalogued series). A
    plausible-range expectation is added for each of them; one for a series the batch
    does not hold would check no rows, and each costs GX ~10 ms. An unknown series
    fails ``known series``.
    """
    gx, gxe = _gx()
    suite = gx.ExpectationSuite(name="raw_observations")
    add = suite.add_expectation
    add(gxe.ExpectTableColumnsToMatchSet(column_set=RAW_COLUMNS, exact_match=True, **_meta("*", RAW_COLUMNS)))
    add(gxe.ExpectColumnValuesToBeOfType(column="value", type_="float64", **_meta("*", "float64")))
    add(gxe.ExpectColumnValuesToNotBeNull(column="value", **_meta("*", "not null")))
    add(gxe.ExpectColumnValuesToBeInSet(column="series_id", value_set=list(SERIES), **_meta("*", "known series")))
    add(
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["series_id", "date"], **_meta("*", "one row per series and date")
        )
    )
    add(
        gxe.ExpectColumnValuesToBeBetween(
            column="date", max_value=pd.Timestamp(today), **_meta("*", f"date <= {today}")
        )
    )
    add(
        gxe.ExpectColumnValuesToBeInSet(
            column="on_calendar",
            value_set=[True],
            **_meta("*", "H.4.1 on Wednesdays; business-day series on weekdays outside their Fed or SIFMA holidays"),
        )
    )
    add(
        gxe.ExpectColumnValuesToBeInSet(
            column="gap_days",
            value_set=[7],
            **_meta("weekly series", "no Wednesday missing inside a payload"),
        )
    )
    add(
        gxe.ExpectColumnValuesToBeInSet(
            column="breaks_revision_guard",
            value_set=[False],
            **_meta(
                "*",
                f"per series: at most {MAX_HISTORY_REVISION_SHARE:.0%} of the series' own rows rewrite values older"
                f" than {REVISION_AGE_DAYS} days, unless accepted with --accept-revisions SERIES:START:END",
            ),
        )
    )
    add(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="neighbour_factor_limit",
            column_B="neighbour_factor",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_meta(
                "*",
                f"no unit slip: a value within its series' factor (UNIT_SLIP) of the median of its {NEIGHBOURS}"
                " neighbours on each side",
            ),
        )
    )
    add(
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="uncorroborated_spike_limit_bp",
            column_B="uncorroborated_spike_bp",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            **_meta(
                ",".join(CORROBORATING_RATES),
                f"a spike is corroborated by the same day's rates ({_corroborators()}): at most"
                f" {UNCORROBORATED_SPIKE_LIMIT_BP:g} bp uncorroborated,"
                f" {UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP:g} bp when only other markets are present",
            ),
        )
    )
    add(
        gxe.ExpectColumnValuesToBeBetween(
            column="sofr_outside_iqr_bp",
            max_value=SOFR_OUTSIDE_IQR_LIMIT_BP,
            **_meta("SOFR", f"SOFR25 <= SOFR <= SOFR75 (within {SOFR_OUTSIDE_IQR_LIMIT_BP:g} bp)"),
        )
    )
    low, high = FOREIGN_REVERSE_REPO_RANGE_USD_MN
    add(
        gxe.ExpectColumnValuesToBeBetween(
            column="h41_reverse_repos_less_on_rrp_usd_mn",
            min_value=low,
            max_value=high,
            **_meta("RRPONTSYD", f"{low:,} <= WLRRAL - RRPONTSYD x 1000 <= {high:,.0f} $mn on Wednesdays"),
        )
    )
    for sid, (low, high) in PLAUSIBLE_RANGE.items():
        if present is not None and sid not in present:
            continue
        add(
            gxe.ExpectColumnValuesToBeBetween(
                column="value",
                min_value=low,
                max_value=high,
                **_for(sid),
                **_meta(sid, f"{low:,} <= value <= {high:,} {SERIES[sid].unit}"),
            )
        )
    return suite


def weekly_liquidity_suite() -> Any:
    _, gxe = _gx()
    suite = _from_spec(WEEKLY_LIQUIDITY)
    add = suite.add_expectation
    add(gxe.ExpectColumnValuesToBeInSet(column="weekday", value_set=[3], **_meta("week_ending", "Wednesdays")))
    add(
        gxe.ExpectColumnValuesToBeInSet(
            column="days_since_previous",
            value_set=[7],
            **_meta("week_ending", "no Wednesday missing inside the range"),
        )
    )
    for column in AT_MOST_TOTAL_ASSETS:
        add(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="total_assets_usd_mn",
                column_B=column,
                or_equal=True,
                ignore_row_if="either_value_is_missing",
                **_meta(column, f"{column} <= total_assets_usd_mn"),
            )
        )
    tol = NET_LIQUIDITY_TOLERANCE_USD_MN
    add(
        gxe.ExpectColumnValuesToBeBetween(
            column="net_liquidity_residual_usd_mn",
            min_value=-tol,
            max_value=tol,
            **_meta("net_liquidity_usd_mn", "= total_assets_usd_mn - tga_usd_mn - rrp_usd_mn"),
        )
    )
    for column, limit in WEEKLY_JUMP_LIMIT_USD_MN.items():
        add(
            gxe.ExpectColumnValuesToBeBetween(
                column=week_on_week_column(column),
                min_value=-limit,
                max_value=limit,
                **_meta(column, f"|week-on-week change| <= {limit:,.0f} $mn"),
            )
        )
    return suite


def daily_rates_suite() -> Any:
    _, gxe = _gx()
    suite = _from_spec(DAILY_RATES)
    add = suite.add_expectation
    add(gxe.ExpectColumnValuesToBeInSet(column="weekday", value_set=[1, 2, 3, 4, 5], **_meta("date", "business days")))
    for column in RATES_PCT:
        add(
            gxe.ExpectColumnValuesToBeBetween(
                column=column, min_value=-1, max_value=25, **_meta(column, "-1 <= pct <= 25")
            )
        )
    for column in DAY_ON_DAY_PCT:
        add(
            gxe.ExpectColumnValuesToBeBetween(
                column=day_on_day_column(column),
                min_value=-DAILY_JUMP_LIMIT_BP,
                max_value=DAILY_JUMP_LIMIT_BP,
                **_meta(column, f"|day-on-day change| <= {DAILY_JUMP_LIMIT_BP:g} bp"),
            )
        )
    return suite


def policy_changes_suite() -> Any:
    _, gxe = _gx()
    suite = _from_spec(POLICY_CHANGES)
    add = suite.add_expectation
    limit = POLICY_CHANGE_LIMIT_BP
    add(
        gxe.ExpectColumnValuesToBeBetween(
            column="change_bp",
            min_value=-limit,
            max_value=limit,
            **_meta("change_bp", f"|change| <= {limit:g} bp"),
        )
    )
    add(
        gxe.ExpectColumnValuesToNotBeInSet(
            column="change_bp", value_set=[0.0], **_meta("change_bp", "a change is not 0")
        )
    )
    return suite
