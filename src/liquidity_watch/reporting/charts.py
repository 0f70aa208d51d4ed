"""The liquidity chart: reserves, the policy range and SOFR - IORB, with signal episodes shaded and the
known pressure days marked (the Slack image).

Used for the Slack image and for ``liquidity-watch report``. Headless (Agg), PNG bytes out.
"""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import polars as pl

SHADE = {"watch": "#f6d55c", "alert": "#f39c12", "critical": "#e74c3c"}


def _shade(ax, episodes: pl.DataFrame, start: dt.date, end: dt.date) -> None:
    for ep in episodes.iter_rows(named=True):
        if ep["end"] >= start and ep["start"] <= end:
            ax.axvspan(
                max(ep["start"], start),
                min(ep["end"], end),
                color=SHADE.get(ep["peak_severity"], "#ddd"),
                alpha=0.25,
                lw=0,
            )


def _xy(frame: pl.DataFrame, x: str, y: str, scale: float = 1.0) -> tuple[list, list]:
    """The non-null points of one column (holidays leave gaps in some series)."""
    points = frame.select(x, y).drop_nulls()
    return points[x].to_list(), (points[y] * scale).to_list()


def liquidity_chart(
    weekly: pl.DataFrame, daily: pl.DataFrame, episodes: pl.DataFrame, end: dt.date, years: float = 2.0
) -> bytes:
    """Three stacked panels over the ``years`` before ``end``; returns PNG bytes."""
    start = end - dt.timedelta(days=round(365.25 * years))
    w = weekly.filter(pl.col("week_ending").is_between(start, end)).sort("week_ending")
    d = daily.filter(pl.col("date").is_between(start, end)).sort("date")
    fig, axes = plt.subplots(3, 1, figsize=(10, 8.5), sharex=True, dpi=110, gridspec_kw={"height_ratios": [3, 2, 2]})
    ax = axes[0]
    ax.plot(*_xy(w, "week_ending", "reserves_usd_mn", 1e-6), color="#1f77b4", lw=2, label="Reserve balances (week avg)")
    ax.plot(
        *_xy(w, "week_ending", "total_assets_usd_mn", 1e-6), color="#7f7f7f", lw=1.5, ls="--", label="Fed total assets"
    )
    ax.set_ylabel("$ trillion")
    ax.set_title("Quantity of money: reserves and the Fed's balance sheet", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
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
    ax.plot(*_xy(d, "date", "sofr_pct"), color="#d62728", lw=1, label="SOFR")
    ax.plot(*_xy(d, "date", "iorb_pct"), color="#000000", lw=1, ls=":", label="IORB (IOER before 2021-07-29)")
    ax.set_ylabel("percent")
    ax.set_title("Price of money: policy range, IORB and SOFR", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax = axes[2]
    _pressure_marked_bars(ax, d)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("basis points")
    ax.set_title("Funding stress: SOFR - IORB (known pressure days marked)", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    for ax in axes:
        _shade(ax, episodes, start, end)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    fig.suptitle(
        f"liquidity-watch, {start} to {end} (shaded: signal episodes; yellow watch, orange alert, red critical)",
        fontsize=10,
    )
    return _png(fig)


PRESSURE_COLOR = "#7f7f7f"


def _pressure_marked_bars(ax, daily: pl.DataFrame) -> None:
    """SOFR - IORB bars, red on ordinary days and grey on known pressure days (``domain.pressure_days``),
    with a tick under the axis on every pressure day: a pop there is information, not a crisis."""
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
        label="known pressure day (month-end, turn, mid-month, tax date)",
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
        )


def _png(fig) -> bytes:
    fig.tight_layout()
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
    top.plot(*_xy(w, "week_ending", "total_assets_usd_mn", 1e-6), color="#7f7f7f", lw=1.5, label="Fed total assets")
    top.plot(
        *_xy(w, "week_ending", "reserves_usd_mn", 1e-6), color="#1f77b4", lw=2, label="Reserve balances (week avg)"
    )
    top.set_ylabel("$ trillion")
    top.set_title("Reserves and total assets against the policy range", loc="left", fontsize=11)
    top.legend(loc="upper left", fontsize=8, frameon=False)
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
    bottom.set_ylabel("percent")
    bottom.legend(loc="upper left", fontsize=8, frameon=False)
    for ax in (top, bottom):
        _shade(ax, episodes, start, end)
        ax.grid(alpha=0.3)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    fig.suptitle(f"{start} to {end}; shaded: signal episodes", fontsize=9)
    return _png(fig)


def stress_chart(daily: pl.DataFrame, episodes: pl.DataFrame, start: dt.date, end: dt.date) -> bytes:
    """SOFR - IORB (bp) with the signal episodes shaded."""
    d = daily.filter(pl.col("date").is_between(start, end))
    fig, ax = plt.subplots(figsize=(11, 4), dpi=110)
    ax.bar(
        *_xy(d, "date", "sofr_minus_iorb_bp"), width=1.0, color="#d62728", label="SOFR - IORB (IOER before 2021-07-29)"
    )
    ax.axhline(0, color="black", lw=0.6)
    _shade(ax, episodes, start, end)
    ax.set_ylabel("basis points")
    ax.set_title("Funding stress: SOFR - IORB, with signal episodes shaded", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    return _png(fig)


def runoff_chart(weekly: pl.DataFrame, start: dt.date, end: dt.date) -> bytes:
    """The pace of QT: 13-week runoff of securities held outright ($bn; positive = runoff)."""
    w = weekly.filter(pl.col("week_ending").is_between(start, end))
    x, y = _xy(w, "week_ending", "qt_runoff_13w_usd_mn", 1e-3)
    fig, ax = plt.subplots(figsize=(11, 4), dpi=110)
    ax.bar(x, y, width=7, color=["#9467bd" if v > 0 else "#bcbd22" for v in y])
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("$ billion over 13 weeks")
    ax.set_title(
        "QT pace: fall of securities held outright over 13 weeks (purple: runoff, olive: purchases)",
        loc="left",
        fontsize=11,
    )
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    return _png(fig)
