"""The liquidity chart: reserves, the policy range and SOFR - IORB, with signal episodes shaded and the
known pressure days marked (the Slack image).

Used for the Slack image and for ``liquidity-watch report``. Headless (Agg), PNG bytes out.

Every chart explains itself: each figure that shades signal episodes carries a legend of the
shades (below the panels), bars and lines keep their legend colour because the shades lie
beneath them, the pressure-day ticks are in the legend, and a series that stops before the
chart's end is marked where it stops ("ends 2026-06-17"), so a gap is never read as a fall.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.patches import Patch

SHADE = {"watch": "#f6d55c", "alert": "#f39c12", "critical": "#e74c3c"}
SHADE_ALPHA = 0.25
#: Shades lie under everything else (grid, bars, lines), so nothing drawn takes on their colour.
SHADE_ZORDER = -1
#: A series whose last point is this much older than the chart's last day has stopped (longer
#: than a weekly series ever lags the daily ones: H.4.1 is a week, H.8 bank assets nine days).
STOPPED_AFTER = dt.timedelta(days=14)
ENDED_COLOR = "#444444"


def _shade(ax: Any, episodes: pl.DataFrame, start: dt.date, end: dt.date) -> None:
    ax.set_axisbelow(True)
    for ep in episodes.iter_rows(named=True):
        if ep["end"] >= start and ep["start"] <= end:
            ax.axvspan(
                max(ep["start"], start),
                min(ep["end"], end),
                color=SHADE.get(ep["peak_severity"], "#ddd"),
                alpha=SHADE_ALPHA,
                lw=0,
                zorder=SHADE_ZORDER,
            )


def _shade_legend(fig: Any) -> None:
    """The legend of the shades, in one row under the panels: what each colour means."""
    handles = [
        Patch(color=colour, alpha=SHADE_ALPHA, lw=0, label=f"{severity} episode") for severity, colour in SHADE.items()
    ]
    fig.legend(
        handles=handles,
        loc="lower center",
        ncol=len(handles),
        fontsize=8,
        frameon=False,
        title="Shaded: signal episodes, by the worst grade they reached",
        title_fontsize=8,
    )


def _mark_end(ax: Any, x: list[Any], y: list[Any], end: dt.date, what: str) -> None:
    """A marker and "``what`` ends D" at the last point of a series that stops well before ``end``."""
    if not x or x[-1] >= end - STOPPED_AFTER:
        return
    ax.plot([x[-1]], [y[-1]], marker="o", ms=5, mfc="white", mec=ENDED_COLOR, mew=1.2, linestyle="none", zorder=5)
    near_the_edge = (x[-1] - x[0]) > 0.8 * (end - x[0])  # the label goes left there, inside the axes
    ax.annotate(
        f"{what} ends {x[-1]:%Y-%m-%d}",
        xy=(x[-1], y[-1]),
        xytext=(-6, 8) if near_the_edge else (6, 8),
        ha="right" if near_the_edge else "left",
        textcoords="offset points",
        fontsize=7.5,
        color=ENDED_COLOR,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},  # readable over data
    )


def _xy(frame: pl.DataFrame, x: str, y: str, scale: float = 1.0) -> tuple[list[Any], list[Any]]:
    """The non-null points of one column (holidays leave gaps in some series)."""
    points = frame.select(x, y).drop_nulls()
    return points[x].to_list(), (points[y] * scale).to_list()


def _dates(fmt: str) -> Any:
    """An axis formatter for dates (matplotlib's own is untyped)."""
    return mdates.DateFormatter(fmt)  # type: ignore[no-untyped-call]


def _legend_above(ax: Any) -> None:
    """The legend above the top-right corner of the axes, in one row: it never covers data.

    Panel titles sit at the left (``loc="left"``), so the two share the strip above the axes.
    """
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=4, fontsize=8, frameon=False, borderaxespad=0.2)


def liquidity_chart(
    weekly: pl.DataFrame, daily: pl.DataFrame, episodes: pl.DataFrame, end: dt.date, years: float = 2.0
) -> bytes:
    """Three stacked panels over the ``years`` before ``end``; returns PNG bytes."""
    start = end - dt.timedelta(days=round(365.25 * years))
    w = weekly.filter(pl.col("week_ending").is_between(start, end)).sort("week_ending")
    d = daily.filter(pl.col("date").is_between(start, end)).sort("date")
    fig, axes = plt.subplots(3, 1, figsize=(10, 8.5), sharex=True, dpi=110, gridspec_kw={"height_ratios": [3, 2, 2]})
    ax = axes[0]
    reserves = _xy(w, "week_ending", "reserves_usd_mn", 1e-6)
    assets = _xy(w, "week_ending", "total_assets_usd_mn", 1e-6)
    ax.plot(*reserves, color="#1f77b4", lw=2, label="Reserve balances (week avg)")
    ax.plot(*assets, color="#7f7f7f", lw=1.5, ls="--", label="Fed total assets")
    _mark_end(ax, *reserves, end, "reserves")
    _mark_end(ax, *assets, end, "total assets")
    ax.set_ylabel("$ trillion")
    ax.set_title("Quantity of money: reserves and the Fed's balance sheet", loc="left", fontsize=11)
    _legend_above(ax)
    ax = axes[1]
    band = d.select("date", "target_lower_pct", "target_upper_pct").drop_nulls()
    ax.fill_between(
        band["date"].to_list(),
        band["target_lower_pct"].to_list(),
        band["target_upper_pct"].to_list(),
        color="#2ca02c",
        alpha=0.25,
        step="post",
        label="FOMC target range",
    )
    _mark_end(ax, band["date"].to_list(), band["target_upper_pct"].to_list(), end, "target range")
    sofr, iorb = _xy(d, "date", "sofr_pct"), _xy(d, "date", "iorb_pct")
    ax.plot(*sofr, color="#d62728", lw=1, label="SOFR")
    ax.plot(*iorb, color="#000000", lw=1, ls=":", label="IORB (IOER before 2021-07-29)")
    _mark_end(ax, *sofr, end, "SOFR")
    _mark_end(ax, *iorb, end, "IORB")
    ax.set_ylabel("percent")
    ax.set_title("Price of money: policy range, IORB and SOFR", loc="left", fontsize=11)
    _legend_above(ax)
    ax = axes[2]
    _pressure_marked_bars(ax, d)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("basis points")
    ax.set_title("Funding stress: SOFR - IORB", loc="left", fontsize=11)
    _legend_above(ax)
    for ax in axes:
        _shade(ax, episodes, start, end)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(_dates("%Y-%m"))
    fig.suptitle(f"liquidity-watch, {start} to {end}", fontsize=10)
    _shade_legend(fig)
    return _png(fig, legend_below=True)


PRESSURE_COLOR = "#7f7f7f"


def _pressure_marked_bars(ax: Any, daily: pl.DataFrame) -> None:
    """SOFR - IORB bars, red on ordinary days and grey on known pressure days (``domain.pressure_days``),
    with a tick under the axis on every pressure day (in the legend): a pop there is information, not a crisis."""
    points = daily.select("date", "sofr_minus_iorb_bp", "pressure_day").drop_nulls("sofr_minus_iorb_bp")
    pressure = points["pressure_day"].is_not_null()
    ordinary = points.filter(~pressure)
    marked = points.filter(pressure)
    ax.bar(
        ordinary["date"].to_list(),
        ordinary["sofr_minus_iorb_bp"].to_list(),
        width=1.0,
        color="#d62728",
        label="ordinary day",
    )
    ax.bar(
        marked["date"].to_list(),
        marked["sofr_minus_iorb_bp"].to_list(),
        width=1.0,
        color=PRESSURE_COLOR,
        label="known pressure day",
    )
    if marked.height:
        ax.plot(
            marked["date"].to_list(),
            [0.0] * marked.height,
            linestyle="none",
            marker="|",
            markersize=5,
            color=PRESSURE_COLOR,
            transform=ax.get_xaxis_transform(),
            label="tick: a known pressure day",
        )


#: The strip under the panels that the legend of the shades takes, in inches (a title and one row).
LEGEND_BELOW_IN = 0.6


def lay_out(fig: Any, *, legend_below: bool = False) -> None:
    """Fit the panels, leaving the strip under them to the legend of the shades when there is one."""
    fig.tight_layout(rect=(0, LEGEND_BELOW_IN / fig.get_figheight() if legend_below else 0, 1, 1))


def _png(fig: Any, *, legend_below: bool = False) -> bytes:
    lay_out(fig, legend_below=legend_below)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def balance_sheet_chart(
    weekly: pl.DataFrame, daily: pl.DataFrame, episodes: pl.DataFrame, start: dt.date, end: dt.date
) -> bytes:
    """Reserves and total assets ($tn) above the policy range (%), episodes shaded."""
    w = weekly.filter(pl.col("week_ending").is_between(start, end))
    d = daily.filter(pl.col("date").is_between(start, end))
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(11, 6.5), sharex=True, dpi=110, gridspec_kw={"height_ratios": [3, 2]}
    )
    assets = _xy(w, "week_ending", "total_assets_usd_mn", 1e-6)
    reserves = _xy(w, "week_ending", "reserves_usd_mn", 1e-6)
    top.plot(*assets, color="#7f7f7f", lw=1.5, label="Fed total assets")
    top.plot(*reserves, color="#1f77b4", lw=2, label="Reserve balances (week avg)")
    _mark_end(top, *assets, end, "total assets")
    _mark_end(top, *reserves, end, "reserves")
    top.set_ylabel("$ trillion")
    top.set_title("Reserves and total assets", loc="left", fontsize=11)
    _legend_above(top)
    band = d.select("date", "target_lower_pct", "target_upper_pct").drop_nulls()
    bottom.fill_between(
        band["date"].to_list(),
        band["target_lower_pct"].to_list(),
        band["target_upper_pct"].to_list(),
        color="#2ca02c",
        alpha=0.35,
        step="post",
        label="FOMC target range",
    )
    _mark_end(bottom, band["date"].to_list(), band["target_upper_pct"].to_list(), end, "target range")
    bottom.set_ylabel("percent")
    bottom.set_title("The policy range: FOMC target range (from 2008-12-16)", loc="left", fontsize=11)
    _legend_above(bottom)
    for ax in (top, bottom):
        _shade(ax, episodes, start, end)
        ax.grid(alpha=0.3)
    bottom.xaxis.set_major_formatter(_dates("%Y"))
    fig.suptitle(f"{start} to {end}", fontsize=9)
    _shade_legend(fig)
    return _png(fig, legend_below=True)


def stress_scale_bp(values: list[float]) -> float:
    """Where the SOFR - IORB axis is cut: 1.5 x the 99.9th percentile, rounded up to 10 bp (at least 30).

    On the bundled history (2018-04-02 on) the 99.9th percentile is 59.5 bp, so the axis ends at
    90 bp and one day lies above it (2019-09-17, +315 bp); at full scale that day flattens every
    other into a line at zero.

    >>> stress_scale_bp([float(v) for v in range(-10, 41)])
    60.0
    """
    if not values:
        return 30.0
    ordered = sorted(values)
    p999 = ordered[min(len(ordered) - 1, round(0.999 * (len(ordered) - 1)))]
    return float(max(30, math.ceil(1.5 * p999 / 10) * 10))


def stress_chart(daily: pl.DataFrame, episodes: pl.DataFrame, start: dt.date, end: dt.date) -> bytes:
    """SOFR - IORB (bp) with the signal episodes shaded; the axis is cut (``stress_scale_bp``) and says so.

    Days above the cut are drawn to the top edge, marked with a triangle and labelled with
    their date and value, so the 2019 spike is neither hidden nor flattening the rest.
    """
    d = daily.filter(pl.col("date").is_between(start, end))
    x, y = _xy(d, "date", "sofr_minus_iorb_bp")
    top = stress_scale_bp(y)
    bottom = min([*y, 0.0]) - 5
    fig, ax = plt.subplots(figsize=(11, 4.6), dpi=110)
    shown = [min(v, top) for v in y]
    ax.fill_between(x, shown, 0, step="mid", color="#d62728", lw=0, label="SOFR - IORB (IOER before 2021-07-29)")
    ax.step(x, shown, where="mid", color="#d62728", lw=0.6)
    ax.axhline(0, color="black", lw=0.6)
    _shade(ax, episodes, start, end)
    above = [(day, v) for day, v in zip(x, y, strict=True) if v > top]
    if above:
        ax.plot(
            [day for day, _ in above],
            [top] * len(above),
            "^",
            color="#7b0000",
            ms=7,
            clip_on=False,
            label=f"above {top:g} bp (axis cut)",
        )
        day, value = max(above, key=lambda point: point[1])
        more = f" and {len(above) - 1} more day(s) above {top:g} bp" if len(above) > 1 else ""
        ax.annotate(
            f"{day:%Y-%m-%d}: {value:+.0f} bp, off the scale{more}",
            xy=(day, top),
            xytext=(12, -14),
            textcoords="offset points",
            fontsize=8,
            color="#7b0000",
            va="top",
        )
    _mark_end(ax, x, shown, end, "SOFR - IORB")
    ax.set_ylim(bottom, top)
    ax.set_ylabel("basis points")
    ax.set_title(f"Funding stress: SOFR - IORB (axis cut at {top:g} bp)", loc="left", fontsize=11)
    _legend_above(ax)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(_dates("%Y"))
    _shade_legend(fig)
    return _png(fig, legend_below=True)


RUNOFF, PURCHASES = "#9467bd", "#bcbd22"


def runoff_chart(weekly: pl.DataFrame, start: dt.date, end: dt.date) -> bytes:
    """The pace of QT: 13-week runoff of securities held outright ($bn; positive = runoff)."""
    w = weekly.filter(pl.col("week_ending").is_between(start, end))
    x, y = _xy(w, "week_ending", "qt_runoff_13w_usd_mn", 1e-3)
    fig, ax = plt.subplots(figsize=(11, 4), dpi=110)
    ax.bar(x, y, width=7, color=[RUNOFF if v > 0 else PURCHASES for v in y])
    ax.axhline(0, color="black", lw=0.6)
    _mark_end(ax, x, y, end, "securities held outright")
    ax.set_ylabel("$ billion over 13 weeks")
    ax.set_title("QT pace: fall of securities held outright over 13 weeks", loc="left", fontsize=11)
    ax.legend(
        handles=[Patch(color=RUNOFF, label="runoff (holdings fell)"), Patch(color=PURCHASES, label="purchases")],
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=2,
        fontsize=8,
        frameon=False,
        borderaxespad=0.2,
    )
    ax.set_axisbelow(True)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(_dates("%Y"))
    return _png(fig)
