"""``liquidity-watch report``: PNG charts and one self-contained HTML page (images inline, no CDN)."""

from __future__ import annotations

import base64
import datetime as dt
import html
from pathlib import Path

import polars as pl

from liquidity_watch.reporting.charts import balance_sheet_chart, liquidity_chart, runoff_chart, stress_chart
from liquidity_watch.warehouse.core import read_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import require_published


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{'' if v is None else html.escape(f'{v:,.2f}' if isinstance(v, float) else str(v))}</td>" for v in row
        )
        + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def write_report(warehouse: Path, out: Path, since: dt.date = dt.date(2008, 1, 1)) -> list[Path]:
    """Write the charts and ``index.html`` into ``out``; return the files written."""
    require_published(warehouse)
    with connection(warehouse, read_only=True) as con:
        weekly, daily = read_core(con, "weekly_liquidity"), read_core(con, "daily_rates")
        episodes = con.sql("SELECT * FROM core.signal_episodes ORDER BY start").pl()
        details = con.sql("SELECT * FROM core.signal_episode_details").pl()
        latest = con.sql("SELECT * FROM core.latest_state").pl()
    if weekly.is_empty() or daily.is_empty():
        raise ValueError(f"the warehouse {warehouse} has no data yet; run: liquidity-watch run")
    end = max(weekly["week_ending"].max(), daily["date"].max())
    charts = {
        "balance_sheet.png": (
            "Reserves and total assets against the policy range",
            balance_sheet_chart(weekly, daily, episodes, since, end),
        ),
        "sofr_minus_iorb.png": (
            "SOFR - IORB with the signal episodes shaded",
            stress_chart(daily, episodes, max(since, dt.date(2018, 4, 2)), end),
        ),
        "qt_runoff.png": ("The pace of QT", runoff_chart(weekly, since, end)),
        "last_two_years.png": (
            "The last two years (the image Slack alerts carry)",
            liquidity_chart(weekly, daily, episodes, end),
        ),
    }
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (_, png) in charts.items():
        (out / name).write_bytes(png)
        written.append(out / name)
    facts = (
        latest.select(pl.all().cast(pl.String)).transpose(
            include_header=True, header_name="field", column_names=["value"]
        )
        if latest.height
        else pl.DataFrame()
    )
    images = "".join(
        f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for title, png in charts.values()
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>liquidity-watch report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1220px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
th{{background:#f3f3f3}}img{{max-width:100%;border:1px solid #eee}}</style></head>
<body><h1>liquidity-watch report</h1>
<p>Data to {end}. Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC from {html.escape(str(warehouse))}.
Units are in the names: _usd_mn millions of USD, _pct percent, _bp basis points.</p>
<h2>Latest figures</h2>{_table(facts) if facts.height else "<p>none</p>"}
<h2>Signal episodes</h2>{_table(details) if details.height else "<p>none</p>"}
{images}
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
    written.append(out / "index.html")
    return written
