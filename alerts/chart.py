"""The liquidity chart: reserves, the policy range and SOFR - IORB, with signal episodes shaded.

Used for the Slack image and for ``liquidity-watch report``. Headless (Agg), PNG bytes out.
"""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402

SHADE = {"watch": "#f6d55c", "alert": "#f39c12", "critical": "#e74c3c"}


def _shade(ax, episodes: pl.DataFrame, start: dt.date, end: dt.date) -> None:
    for ep in episodes.iter_rows(named=True):
        if ep["end"] >= start and ep["start"] <= end:
            ax.axvspan(max(ep["start"], start), min(ep["end"], end), color=SHADE.get(ep["peak_severity"], "#ddd"), alpha=0.25, lw=0)


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
    ax.plot(*_xy(w, "week_ending", "total_assets_usd_mn", 1e-6), color="#7f7f7f", lw=1.5, ls="--", label="Fed total assets")
    ax.set_ylabel("$ trillion")
    ax.set_title("Quantity of money: reserves and the Fed's balance sheet", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax = axes[1]
    band = d.select("date", "target_lower_pct", "target_upper_pct").drop_nulls()
    ax.fill_between(band["date"].to_list(), band["target_lower_pct"].to_list(), band["target_upper_pct"].to_list(),
                    color="#2ca02c", alpha=0.25, step="post", label="FOMC target range")
    ax.plot(*_xy(d, "date", "sofr_pct"), color="#d62728", lw=1, label="SOFR")
    ax.plot(*_xy(d, "date", "iorb_pct"), color="#000000", lw=1, ls=":", label="IORB (IOER before 2021-07-29)")
    ax.set_ylabel("percent")
    ax.set_title("Price of money: policy range, IORB and SOFR", loc="left", fontsize=11)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax = axes[2]
    ax.bar(*_xy(d, "date", "sofr_minus_iorb_bp"), width=1.0, color="#d62728")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("basis points")
    ax.set_title("Funding stress: SOFR - IORB", loc="left", fontsize=11)
    for ax in axes:
        _shade(ax, episodes, start, end)
        ax.grid(alpha=0.3)
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    fig.suptitle(f"liquidity-watch, {start} to {end} (shaded: signal episodes; yellow watch, orange alert, red critical)", fontsize=10)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
