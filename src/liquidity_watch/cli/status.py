"""``liquidity-watch status``: is each series as fresh as its release calendar says it should be?"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from liquidity_watch.cli.app import (
    WarehouseOption,
    app,
    plain,
    published_warehouse,
    reading_warehouse,
    say,
    stdout_console,
)
from liquidity_watch.locations import run_command


@app.command(short_help="Per series: the latest observation, and whether it is stale.")
def status(
    warehouse: WarehouseOption = None,
    check: Annotated[bool, typer.Option(help="Exit 1 when a required series is stale (for monitoring).")] = False,
) -> None:
    """Per series: the latest observation, when the next is due, and whether the data are stale.

    \b
    Example:
        liquidity-watch status --check
    """
    from rich.table import Table
    from rich.text import Text

    from liquidity_watch.domain import freshness
    from liquidity_watch.warehouse.db import connection
    from liquidity_watch.warehouse.raw import last_dates

    path = published_warehouse(warehouse)
    with reading_warehouse(path), connection(path, read_only=True) as con:
        latest = last_dates(con)
        last_run = con.execute(
            "SELECT run_id, source, status, ended_at FROM meta.runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        providers = {row[0] for row in con.execute("SELECT DISTINCT source FROM raw.observations").fetchall()}
        # a warehouse published before core.latest_state said "cannot judge" still reports its freshness
        current = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = 'latest_state'"
            " AND column_name = 'cannot_judge_since'"
        ).fetchone()
        signal = (
            con.execute(
                "SELECT signal_date, severity, cannot_judge_since, cannot_judge_why FROM core.latest_state"
            ).fetchone()
            if current and current[0]
            else None
        )
    now = dt.datetime.now(dt.UTC)
    report = freshness.check(latest, now)
    table = Table(title=f"freshness at {now:%Y-%m-%d %H:%M} UTC", title_justify="left")
    for column in ("series", "required", "latest", "next expected", "due by (UTC)", "status"):
        table.add_column(column)
    for f in report:
        colour = {"fresh": "green", "stale": "red", "missing": "red"}.get(f.status, "dim")
        table.add_row(
            plain(f.series_id),
            "yes" if f.required else "",
            plain(str(f.latest or "")),
            plain(str(f.next_expected or "")),
            f"{f.due_by:%Y-%m-%d %H:%M}" if f.due_by else "",
            Text(f.status, style=colour),
        )
    stdout_console(100).print(table)
    if last_run:
        say(f"last run: {last_run[0]} ({last_run[1]}) {last_run[2]} at {last_run[3]}")
    if providers == {"snapshot"}:
        say(
            "built from a snapshot: this is history, not live data, so it reads stale by design;"
            f" for current data run: {run_command(path, '--source', 'live')}"
        )
        ends = sorted((day, sid) for sid, day in latest.items())
        say("snapshot series end on: " + ", ".join(f"{sid} {day}" for day, sid in ends))
    if signal and signal[0] is not None:
        day, severity, since, why = signal
        if severity == "unknown":
            say(f"signal on {day}: unknown, cannot judge since {since}: {why}")
        else:
            say(f"signal on {day}: {severity}")
    stale = freshness.stale_required(report)
    if stale:
        say(f"stale: {', '.join(f.series_id for f in stale)}")
        if check:
            raise typer.Exit(1)
