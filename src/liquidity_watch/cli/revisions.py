"""``liquidity-watch revisions``: what changed in history, when we learned it, and by how much."""

from __future__ import annotations

from typing import Annotated

import typer

from liquidity_watch.cli.app import (
    FormatOption,
    OutputFormat,
    WarehouseOption,
    app,
    check_format,
    fail,
    parse_date,
    print_rows,
    published_warehouse,
    say,
)


@app.command(short_help="Every revision landed: old and new value, when it was known.")
def revisions(
    series: Annotated[str | None, typer.Option(help="Only this series (canonical id, e.g. WALCL).")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only revisions learned on or after this day (YYYY-MM-DD, New York).")
    ] = None,
    warehouse: WarehouseOption = None,
    format: FormatOption = OutputFormat.TABLE,
) -> None:
    """Every revision landed: the old and new value, the change, when it became known and whether it was accepted.

    Old values are never overwritten (raw.observation_versions keeps every version);
    --as-of a day before a revision's known_at still sees the old value.

    \b
    Example:
        liquidity-watch revisions --series WALCL --since 2026-01-01
    """
    from liquidity_watch.domain.catalog import SERIES

    fmt = check_format(format)
    since_date = parse_date(since, "--since") if since else None
    if series is not None and series not in SERIES:
        fail(f"--series {series!r} is not a known series; known: {', '.join(SERIES)}")
    path = published_warehouse(warehouse)

    import duckdb

    from liquidity_watch.locations import run_command
    from liquidity_watch.warehouse.db import connection
    from liquidity_watch.warehouse.revisions import NotUpgraded, revision_report

    try:
        with connection(path, read_only=True) as con:
            columns, rows = revision_report(con, series, since_date)
    except NotUpgraded as exc:
        fail(f"{path}: {exc}: {run_command(path)}")
    except duckdb.Error as exc:
        fail(f"cannot read the warehouse {path}: {str(exc).splitlines()[0]}")
    if not rows and fmt is OutputFormat.TABLE:
        scope = f" of {series}" if series else ""
        after = f" learned since {since_date}" if since_date else ""
        say(f"no revisions{scope}{after} in {path}")
        return
    print_rows(columns, rows, fmt, title=f"revisions in {path}", width=160)
