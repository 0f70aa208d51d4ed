"""The report reads well: units on every figure, blanks that say why, legends that cover no data."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from liquidity_watch.reporting import charts
from liquidity_watch.reporting.report import episodes_table, format_value, latest_table, why_blank_latest

D = dt.date


def weekly_frame(weeks: int = 60, securities_end: int = 50) -> pl.DataFrame:
    """Weekly rows ending 2026-08-26; securities (and runoff) stop ``weeks - securities_end`` weeks earlier."""
    days = [D(2026, 8, 26) - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    securities = [6_500_000.0 - 1000 * i if i < securities_end else None for i in range(weeks)]
    return pl.DataFrame(
        {
            "week_ending": days,
            "total_assets_usd_mn": [6_700_000.0 + 500 * i for i in range(weeks)],
            "securities_usd_mn": securities,
            "reserves_usd_mn": [2_900_000.0 + 1000 * (i % 7) for i in range(weeks)],
            "qt_runoff_13w_usd_mn": [13_000.0 if s is not None else None for s in securities],
        }
    )


def daily_frame(days: int = 400, spike: float | None = 315.0) -> pl.DataFrame:
    dates = [D(2026, 8, 27) - dt.timedelta(days=days - 1 - i) for i in range(days)]
    spread = [((i * 7) % 11) - 5.0 for i in range(days)]
    if spike is not None:
        spread[days // 2] = spike
    return pl.DataFrame(
        {
            "date": dates,
            "sofr_pct": [3.6 + s / 100 for s in spread],
            "iorb_pct": [3.65] * days,
            "target_lower_pct": [3.5 if i < days - 30 else None for i in range(days)],
            "target_upper_pct": [3.75 if i < days - 30 else None for i in range(days)],
            "sofr_minus_iorb_bp": spread,
            "pressure_day": ["month_end" if (d + dt.timedelta(days=1)).day == 1 else None for d in dates],
        }
    )


EPISODES = pl.DataFrame(
    {"start": [D(2025, 9, 17)], "end": [D(2025, 12, 17)], "peak_severity": ["critical"]},
)


def test_figures_carry_their_units_with_thousands_separators():
    assert format_value("total_assets_usd_mn", 6730912.0) == "$6,731bn"
    assert format_value("reserves_min_usd_mn", 1394122.0) == "$1,394bn"
    assert format_value("qt_runoff_13w_max_usd_mn", -23000.0) == "-$23.0bn"
    assert format_value("target_upper_pct", 2.25) == "2.25%"
    assert format_value("sofr_minus_iorb_bp", -1.0) == "-1 bp"
    assert format_value("peak_date", D(2019, 8, 1)) == "2019-08-01"
    assert format_value("triggers", "easing+draining+stress") == "easing + draining + stress"
    assert format_value("securities_usd_mn", None) == "\u2014"


def test_a_blank_latest_figure_says_where_its_series_ends():
    weekly, daily = weekly_frame(), daily_frame()
    assert (
        why_blank_latest("securities_usd_mn", weekly, daily, snapshot=True)
        == "series ends 2026-06-17 in this snapshot; last value $6,451bn"
    )
    assert why_blank_latest("target_upper_pct", weekly, daily, snapshot=False).startswith(
        "series ends 2026-07-28 so far (not yet published since); last value 3.75%"
    )
    assert why_blank_latest("rules_on", weekly, daily, snapshot=True) == "no rule was on"


def test_the_latest_table_shows_values_with_units_and_the_reason_for_each_blank():
    weekly, daily = weekly_frame(), daily_frame()
    latest = pl.DataFrame(
        {
            "week_ending": [D(2026, 8, 26)],
            "total_assets_usd_mn": [6_729_500.0],
            "securities_usd_mn": pl.Series([None], dtype=pl.Float64),
            "sofr_pct": [3.64],
            "rules_on": pl.Series([None], dtype=pl.String),
        }
    )
    page = latest_table(latest, weekly, daily, {"sofr_pct": "SOFR on rates_date, percent."}, snapshot=True)
    assert "<td class='usd_mn c-total_assets_usd_mn'>$6,730bn</td>" in page
    assert "series ends 2026-06-17 in this snapshot" in page
    assert "3.64%" in page and "SOFR on rates_date, percent." in page
    assert "6729500" not in page  # no raw floats


def test_episode_blanks_say_why_and_cuts_read_one_a_line():
    details = pl.DataFrame(
        {
            "start": [D(2009, 1, 8), D(2019, 7, 31)],
            "end": [D(2009, 2, 17), D(2019, 10, 2)],
            "escalated_on": [D(2009, 1, 8), None],
            "sofr_minus_iorb_max_bp": [None, 315.0],
            "cuts": [None, "2019-08-01 -25 bp, 2019-09-19 -25 bp"],
        }
    )
    page = episodes_table(details, {})
    assert "no SOFR before 2018-04-02" in page and "no cut" in page and "stayed at watch" in page
    assert "+315 bp" in page
    assert "2019-08-01 -25 bp</span><br><span class='nowrap'>2019-09-19 -25 bp" in page
    assert "sofr_<wbr>minus_<wbr>iorb_<wbr>max_<wbr>bp" in page  # long names may break in the header


@pytest.fixture
def figures(monkeypatch) -> list:
    """What every figure a chart function draws looks like, laid out as for its PNG (not written: slow)."""
    import matplotlib.pyplot as plt

    drawn = []

    def keep(fig, **layout) -> bytes:
        charts.lay_out(fig, **layout)
        fig.draw_without_rendering()  # lays out titles and legends without painting pixels
        drawn.append(
            {
                "axes": [
                    {
                        "box": ax.get_window_extent(),
                        "legend": ax.get_legend().get_window_extent() if ax.get_legend() else None,
                        "titles": [
                            t.get_window_extent()
                            for t in ax.get_children()
                            if hasattr(t, "get_text") and t.get_text() and t.get_text() == ax.get_title(loc="left")
                        ],
                        "ylim": ax.get_ylim(),
                        "texts": [t.get_text() for t in ax.texts],
                        "legend_texts": [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else [],
                        "shade_zorders": [p.get_zorder() for p in ax.patches if p.get_zorder() == charts.SHADE_ZORDER],
                        "data_zorders": [a.get_zorder() for a in [*ax.lines, *ax.collections, *ax.patches]]
                        and [
                            a.get_zorder()
                            for a in [*ax.lines, *ax.collections, *ax.patches]
                            if a.get_zorder() != charts.SHADE_ZORDER
                        ],
                    }
                    for ax in fig.axes
                ],
                "figure_legend": [t.get_text() for legend in fig.legends for t in legend.get_texts()],
                "figure_legend_boxes": [legend.get_window_extent() for legend in fig.legends],
            }
        )
        plt.close(fig)
        return b""

    monkeypatch.setattr(charts, "_png", keep)
    return drawn


def _legends_clear(figure: dict) -> None:
    for ax in figure["axes"]:
        if ax["legend"] is None:
            continue
        assert not ax["legend"].overlaps(ax["box"]), "a legend sits on the plot area"
        for title in ax["titles"]:
            assert not ax["legend"].overlaps(title), "a legend sits on the panel title"


WEEKLY, DAILY = weekly_frame(weeks=26, securities_end=20), daily_frame(days=120)
START, END = D(2025, 9, 1), D(2026, 8, 27)  # the episode (2025-09-17 to 2025-12-17) inside


def draw(name: str) -> None:
    if name == "balance_sheet":
        charts.balance_sheet_chart(WEEKLY, DAILY, EPISODES, START, END)
    elif name == "stress":
        charts.stress_chart(DAILY, EPISODES, START, END)
    elif name == "runoff":
        charts.runoff_chart(WEEKLY, START, END)
    else:
        charts.liquidity_chart(WEEKLY, DAILY, EPISODES, END)


@pytest.mark.parametrize("name", ["balance_sheet", "stress", "liquidity"])
def test_no_legend_covers_data_or_a_title(figures, name):
    draw(name)
    [figure] = figures
    assert sum(ax["legend"] is not None for ax in figure["axes"]) >= 1
    _legends_clear(figure)


def test_a_spike_far_above_the_rest_is_cut_and_labelled_not_hidden(figures):
    daily = daily_frame(days=2000, spike=315.0)  # as long as the real SOFR history
    charts.stress_chart(daily, EPISODES, daily["date"][0], daily["date"][-1])
    [ax] = figures[0]["axes"]
    bottom, top = ax["ylim"]
    assert top == 30.0  # the 99.9th percentile of this history is 5 bp: 1.5 x 5 -> 10, but at least 30
    assert bottom < -5
    [label] = ax["texts"]
    assert label == f"{daily['date'][1000]:%Y-%m-%d}: +315 bp, off the scale"


@pytest.mark.parametrize("name", ["balance_sheet", "stress", "liquidity"])
def test_each_shaded_chart_explains_its_shades_and_draws_them_beneath_the_data(figures, name):
    draw(name)
    [figure] = figures
    assert figure["figure_legend"] == ["watch episode", "alert episode", "critical episode"]
    [below] = figure["figure_legend_boxes"]
    assert not any(below.overlaps(ax["box"]) for ax in figure["axes"]), "the legend of the shades sits on a panel"
    for ax in figure["axes"]:
        assert ax["shade_zorders"], "the episode is shaded on every panel"
        assert max(ax["shade_zorders"]) < min(ax["data_zorders"]), "a shade lies over bars or lines"


def test_the_pressure_day_ticks_are_in_the_legend(figures):
    draw("liquidity")
    stress_panel = figures[0]["axes"][2]
    assert stress_panel["legend_texts"] == ["tick: a known pressure day", "ordinary day", "known pressure day"]


def test_a_series_that_stops_before_the_chart_ends_is_marked_where_it_stops(figures):
    range_ends = DAILY.drop_nulls("target_upper_pct")["date"].max()
    securities_end = WEEKLY.drop_nulls("qt_runoff_13w_usd_mn")["week_ending"].max()
    for name in ("liquidity", "balance_sheet", "runoff"):
        draw(name)
    liquidity, balance_sheet, runoff = figures
    assert [ax["texts"] for ax in liquidity["axes"]] == [[], [f"target range ends {range_ends}"], []]
    assert [ax["texts"] for ax in balance_sheet["axes"]] == [[], [f"target range ends {range_ends}"]]
    assert runoff["axes"][0]["texts"] == [f"securities held outright ends {securities_end}"]
    assert runoff["axes"][0]["legend_texts"] == ["runoff (holdings fell)", "purchases"]
