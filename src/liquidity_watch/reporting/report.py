"""``liquidity-watch report``: PNG charts and one self-contained HTML page (images inline, no CDN).

Figures are shown with their units (money in $bn with thousands separators, rates in %,
spreads in bp), and a blank says why it is blank (for example a series that ends earlier in
the snapshot than the others). Tables scroll inside their own box when the window is narrow.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from liquidity_watch.domain.catalog import SOFR_START
from liquidity_watch.domain.columns import column_unit
from liquidity_watch.locations import run_command
from liquidity_watch.reporting.charts import balance_sheet_chart, liquidity_chart, runoff_chart, stress_chart
from liquidity_watch.warehouse.core import read_core
from liquidity_watch.warehouse.db import connection
from liquidity_watch.warehouse.store import require_published

BLANK = "\u2014"  # an em dash: no value


def format_value(column: str, value: object) -> str:
    """A value as a person reads it, with the unit its column name carries.

    >>> format_value("reserves_usd_mn", 2924936.0), format_value("rrp_usd_mn", 702.0)
    ('$2,925bn', '$0.70bn')
    >>> format_value("reserves_change_13w_usd_mn", -141624.0), format_value("sofr_pct", 3.64)
    ('-$142bn', '3.64%')
    >>> format_value("sofr_minus_iorb_bp", 315.0), format_value("days", 124), format_value("is_open", False)
    ('+315 bp', '124', 'no')
    """
    if value is None:
        return BLANK
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    unit = column_unit(column)
    if isinstance(value, int | float) and unit in {"usd_mn", "usd_bn"}:
        billions = value / 1000 if unit == "usd_mn" else value
        size = abs(billions)
        digits = 0 if size >= 100 else 1 if size >= 10 else 2
        return f"{'-' if billions < 0 else ''}${size:,.{digits}f}bn"
    if isinstance(value, int | float) and unit == "pct":
        return f"{value:.2f}%"
    if isinstance(value, int | float) and unit == "bp":
        return f"{value:+.0f} bp"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value).replace("+", " + ") if column in {"triggers", "rules_on"} else str(value)


def _last_value_date(frame: pl.DataFrame, key: str, column: str) -> tuple[dt.date, object] | None:
    found = frame.select(key, column).drop_nulls().sort(key)
    return (found[key][-1], found[column][-1]) if found.height else None


def why_blank_latest(column: str, weekly: pl.DataFrame, daily: pl.DataFrame, snapshot: bool) -> str:
    """Why ``core.latest_state.<column>`` is empty: the rules that were off, or where its series ends."""
    if column == "rules_on":
        return "no rule was on"
    if column in {"signal_date", "severity"}:
        return "no signals evaluated yet"
    if column in {"cannot_judge_since", "cannot_judge_why"}:
        return "the latest signal day has a grade"
    frame, key = (weekly, "week_ending") if column in weekly.columns else (daily, "date")
    if column not in frame.columns:
        return "not computed"
    last = _last_value_date(frame, key, column)
    if last is None:
        return "no value in the warehouse"
    day, value = last
    where = "in this snapshot" if snapshot else "so far (not yet published since)"
    return f"series ends {day} {where}; last value {format_value(column, value)}"


def why_blank_episode(column: str, episode: dict[str, Any]) -> str:
    """Why a cell of ``core.signal_episode_details`` is empty."""
    if column == "cuts":
        return "no cut"
    if column == "escalated_on":
        return "stayed at watch"
    if column == "sofr_minus_iorb_max_bp" and episode["end"] < SOFR_START:
        return f"no SOFR before {SOFR_START}"
    return "no value in the episode"


#: Past this many characters a text cell is prose and wraps; shorter ones (names, flags) stay on one line.
PROSE_CHARS = 60


def _cell(column: str, value: object, why: str | None = None) -> str:
    text = format_value(column, value)
    classes = [column_unit(column) or ("date" if isinstance(value, dt.date) else "text"), f"c-{column}"]
    if len(text) > PROSE_CHARS:
        classes.append("prose")  # a sentence (a reason, a list of rules) wraps instead of widening its table
    if value is None:
        classes.append("blank")
        text = f"{BLANK} <span class='why'>{html.escape(why)}</span>" if why else BLANK
    elif column == "cuts":
        text = "<br>".join(
            f"<span class='nowrap'>{html.escape(cut)}</span>" for cut in text.split(", ")
        )  # a cut a line
    else:
        text = html.escape(text)
    return f"<td class='{' '.join(classes)}'>{text}</td>"


def _header(name: str) -> str:
    """A column name that may break after its underscores (long names would widen the table)."""
    return "_<wbr>".join(html.escape(part) for part in name.split("_"))


def _table(headers: Sequence[str], rows: Sequence[str], comments: dict[str, str], css: str = "") -> str:
    head = "".join(f"<th title='{html.escape(comments.get(h, ''), quote=True)}'>{_header(h)}</th>" for h in headers)
    body = "".join(f"<tr>{row}</tr>" for row in rows)
    return f"<div class='scroll'><table class='{css}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"


def latest_table(
    latest: pl.DataFrame, weekly: pl.DataFrame, daily: pl.DataFrame, comments: dict[str, str], snapshot: bool
) -> str:
    """``core.latest_state`` as one row per field: value with its unit, and what it means."""
    if latest.is_empty():
        return "<p>No data yet.</p>"
    row = latest.row(0, named=True)
    rows = []
    for column, value in row.items():
        why = html.escape(why_blank_latest(column, weekly, daily, snapshot)) if value is None else ""
        meaning = html.escape(comments.get(column, ""))
        rows.append(
            f"<th class='field'>{html.escape(column)}</th>{_cell(column, value)}"
            f"<td class='why'>{why}</td><td class='meaning'>{meaning}</td>"
        )
    return _table(["field", "value", "why blank", "meaning"], rows, {}, "latest")


def episodes_table(details: pl.DataFrame, comments: dict[str, str]) -> str:
    """``core.signal_episode_details``, one row per episode, formatted."""
    if details.is_empty():
        return "<p>No signal episodes.</p>"
    rows = []
    for episode in details.iter_rows(named=True):
        cells = [
            _cell(column, value, why_blank_episode(column, episode) if value is None else None)
            for column, value in episode.items()
        ]
        rows.append("".join(cells))
    return _table(details.columns, rows, comments, "episodes")


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1220px;margin:2em auto;
  padding:0 1em;color:#222}
.scroll{overflow-x:auto;max-width:100%;border:1px solid #e4e4e4;margin:0.8em 0 1.6em}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
td,th{border-bottom:1px solid #e4e4e4;padding:4px 10px;vertical-align:top}
thead th{background:#f3f3f3;text-align:left;vertical-align:bottom}
td.usd_mn,td.usd_bn,td.pct,td.bp{text-align:right;white-space:nowrap}
td.date,th.field{white-space:nowrap;text-align:left}
th.field{font-weight:600;background:none}
td.blank{color:#777;white-space:normal}
td.blank .why,td.why{color:#777;font-size:12px;white-space:normal}
td.meaning{color:#555;font-size:12px}
td.text{white-space:nowrap}
td.c-triggers,td.c-cuts{white-space:normal;min-width:8em}
td.prose{white-space:normal;min-width:16em;max-width:48em}
img{max-width:100%;height:auto;border:1px solid #eee}
.note{color:#555;font-size:13px}
.nowrap{white-space:nowrap}
"""


def _comments(con: duckdb.DuckDBPyConnection, view: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = ?", [view]
    ).fetchall()
    return {name: comment for name, comment in rows if comment}


def cannot_judge_note(latest: pl.DataFrame) -> str:
    """A sentence at the top of the page when the latest signal day cannot be judged: since when, and why.

    >>> row = {"signal_date": [dt.date(2026, 9, 4)], "severity": ["unknown"],
    ...        "cannot_judge_since": [dt.date(2026, 7, 24)], "cannot_judge_why": ["easing (target range: ...)"]}
    >>> print(cannot_judge_note(pl.DataFrame(row)))  # doctest: +NORMALIZE_WHITESPACE
    <p class="note">The signal on 2026-09-04 cannot be judged, and has not been since 2026-07-24
    (not calm: its inputs stopped): easing (target range: ...)</p>
    """
    if latest.is_empty() or "cannot_judge_since" not in latest.columns:
        return ""
    row = latest.row(0, named=True)
    if row["severity"] != "unknown":
        return ""
    return html_note(
        f"The signal on {row['signal_date']} cannot be judged, and has not been since {row['cannot_judge_since']}"
        f" (not calm: its inputs stopped): {row['cannot_judge_why'] or 'no data'}"
    )


def html_note(text: str) -> str:
    return f'<p class="note">{html.escape(text, quote=False)}</p>'


def write_report(warehouse: Path, out: Path, since: dt.date = dt.date(2008, 1, 1)) -> list[Path]:
    """Write the charts and ``index.html`` into ``out``; return the files written."""
    require_published(warehouse)
    with connection(warehouse, read_only=True) as con:
        weekly, daily = read_core(con, "weekly_liquidity"), read_core(con, "daily_rates")
        episodes = con.sql("SELECT * FROM core.signal_episodes ORDER BY start").pl()
        details = con.sql("SELECT * FROM core.signal_episode_details").pl()
        latest = con.sql("SELECT * FROM core.latest_state").pl()
        latest_comments, episode_comments = _comments(con, "latest_state"), _comments(con, "signal_episode_details")
        last_run = con.execute("SELECT max_by(source, ended_at) FROM meta.runs WHERE status = 'completed'").fetchone()
        source = last_run[0] if last_run else None
    if weekly.is_empty() or daily.is_empty():
        raise ValueError(f"the warehouse {warehouse} has no data yet; run: {run_command(warehouse)}")
    end: dt.date = max(weekly["week_ending"].max(), daily["date"].max())  # type: ignore[type-var, assignment]
    charts = {
        "balance_sheet.png": (
            "Reserves and total assets against the policy range",
            balance_sheet_chart(weekly, daily, episodes, since, end),
        ),
        "sofr_minus_iorb.png": (
            "SOFR - IORB with the signal episodes shaded",
            stress_chart(daily, episodes, max(since, SOFR_START), end),
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
    images = "".join(
        f'<h2>{html.escape(title)}</h2><img alt="{html.escape(title)}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        for title, png in charts.values()
    )
    snapshot = source == "snapshot"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>liquidity-watch report</title><style>{STYLE}</style></head>
<body><h1>liquidity-watch report</h1>
<p>Data to {end}{" (the bundled snapshot)" if snapshot else ""}. Generated {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC
from {html.escape(str(warehouse))}.</p>
<p class="note">Money is shown in billions of US dollars ($bn; the warehouse stores millions, <code>_usd_mn</code>),
rates in percent, spreads in basis points (bp). A dash marks a missing value, with the reason beside it. Hover a column
name for its meaning.</p>
{cannot_judge_note(latest)}
<h2>Latest figures</h2>{latest_table(latest, weekly, daily, latest_comments, snapshot)}
<h2>Signal episodes</h2>{episodes_table(details, episode_comments)}
{images}
</body></html>
"""
    (out / "index.html").write_text(page, encoding="utf-8")
    written.append(out / "index.html")
    return written
