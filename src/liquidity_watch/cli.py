"""The ``liquidity-watch`` command line."""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

#: Keep Prefect and GX off the network and patient on a small machine (set before importing them).
OFFLINE_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}
for _key, _value in OFFLINE_DEFAULTS.items():
    os.environ.setdefault(_key, _value)

app = typer.Typer(
    help="Watch the Fed's policy rate and balance sheet together; warn when rates fall while liquidity shrinks.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


@app.callback()
def _root() -> None:
    """Watch the Fed's policy rate and balance sheet together; warn when rates fall while liquidity shrinks."""


FORMATS = ("table", "csv", "json")


def _check_format(format: str) -> None:
    if format not in FORMATS:
        _fail(f"--format must be table, csv or json, not {format!r}")


def _published(warehouse: Path | None) -> Path:
    """The published warehouse (flag, else $LW_WAREHOUSE), or exit 1 saying how to build it."""
    from liquidity_watch.settings import Settings
    from liquidity_watch.warehouse.store import require_published

    try:
        return require_published(warehouse or Settings().warehouse)
    except FileNotFoundError as exc:
        _fail(str(exc))
        raise


def _print_frame(frame, format: str, *, title: str | None = None, width: int = 132, wrap: tuple[str, ...] = ()) -> None:
    """A polars frame as csv, json or a rich table (columns in ``wrap`` may fold)."""
    if format == "csv":
        sys.stdout.write(frame.write_csv())
        return
    if format == "json":
        sys.stdout.write(frame.write_json() + "\n")
        return
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(column, no_wrap=column not in wrap, overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    Console(width=max(out.width, width)).print(table)


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    gc.collect()  # free DuckDB objects held by the failed run's traceback before exit
    raise typer.Exit(1)


@app.command()
def run(
    source: Annotated[
        str, typer.Option(help="live (NY Fed + Board + FRED), fred, or snapshot (offline).")
    ] = "snapshot",
    snapshot_dir: Annotated[
        Path | None, typer.Option(help="Folder of FRED-format CSVs (default: the bundled snapshot).")
    ] = None,
    warehouse: Annotated[
        Path | None, typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Use only what had been published by the end of this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Run the pipeline once on Prefect's ephemeral server and print what it published.

    \b
    Example:
        liquidity-watch run --source snapshot --warehouse var/liquidity.duckdb --as-of 2019-09-18
    """
    as_of_date = _parse_date(as_of, "--as-of") if as_of else None
    if source not in ("live", "fred", "snapshot"):
        _fail(f"--source must be live, fred or snapshot, not {source!r}")
    if snapshot_dir is not None and not snapshot_dir.is_dir():
        _fail(f"--snapshot-dir {snapshot_dir} is not a folder")
    from liquidity_watch.expectations.gate import preload

    preload()  # Great Expectations imports in the background while Prefect's server starts
    from liquidity_watch.flows.local_run import local_run_settings
    from liquidity_watch.flows.pipeline import pipeline  # imported late: Prefect is slow to import

    try:
        with local_run_settings():
            summary = pipeline(
                source=source,
                snapshot_dir=str(snapshot_dir) if snapshot_dir else None,
                warehouse=str(warehouse) if warehouse else None,
                as_of=as_of_date,
            )
    except Exception as exc:  # the message of every pipeline error names what was wrong
        _fail(f"run failed: {exc}")
    print_summary(summary)


@app.command()
def backtest(
    from_: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default 2003-01-02.")] = None,
    to: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD); default: where the data end (at most today).")
    ] = None,
    format: Annotated[str, typer.Option(help="table, csv or json.")] = "table",
    warehouse: Annotated[
        Path | None, typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb).")
    ] = None,
) -> None:
    """Replay the signal rules day by day with point-in-time data and print the episodes.

    \b
    Example:
        liquidity-watch backtest --from 2019-01-01 --to 2019-12-31 --format csv
    """
    from liquidity_watch.settings import Settings
    from liquidity_watch.signals.backtest import run_backtest

    _check_format(format)
    start = _parse_date(from_, "--from") if from_ else None
    end = _parse_date(to, "--to") if to else None
    path = _published(warehouse)
    try:
        result = run_backtest(path, start, end, Settings().thresholds_file)
    except ValueError as exc:
        _fail(str(exc))
    _print_frame(result.episodes, format, title=f"signal episodes {result.start} to {result.end}", wrap=("triggers",))
    if format == "table":
        for note in result.coverage:
            Console(width=max(out.width, 132)).print(f"note: {note}", highlight=False)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL to run read-only on the published warehouse.")],
    format: Annotated[str, typer.Option(help="table, csv or json.")] = "table",
    warehouse: Annotated[
        Path | None, typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb).")
    ] = None,
) -> None:
    """Run SQL read-only on the published warehouse (never blocked by, and never blocking, a run).

    \b
    Example:
        liquidity-watch query "select * from core.latest_state" --format json
    """
    import duckdb

    from liquidity_watch.warehouse.db import connection

    _check_format(format)
    path = _published(warehouse)
    try:
        with connection(path, read_only=True) as con:
            frame = con.sql(sql).pl()
    except duckdb.Error as exc:
        _fail(f"query failed: {str(exc).splitlines()[0]}")
    except AttributeError:
        _fail("the statement returned no rows to show (only queries that return a result are supported)")
    _print_frame(frame, format, width=160, wrap=tuple(frame.columns))
    if format == "table":
        out.print(f"{frame.height:,} row(s)", highlight=False)


@app.command()
def report(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG charts and index.html.")] = Path(
        "var/report"
    ),
    warehouse: Annotated[
        Path | None, typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb).")
    ] = None,
) -> None:
    """Write PNG charts and one self-contained HTML page (no CDN, opens offline).

    \b
    Example:
        liquidity-watch report --out var/report
    """
    from liquidity_watch.reporting.report import write_report

    path = _published(warehouse)
    try:
        files = write_report(path, out_dir)
    except ValueError as exc:
        _fail(str(exc))
    for path in files:
        out.print(f"wrote {path}", highlight=False)


@app.command()
def status(
    warehouse: Annotated[
        Path | None, typer.Option(help="Published DuckDB file (default: $LW_WAREHOUSE or var/liquidity.duckdb).")
    ] = None,
    check: Annotated[bool, typer.Option(help="Exit 1 when a required series is stale (for monitoring).")] = False,
) -> None:
    """Per series: the latest observation, when the next is due, and whether the data are stale.

    \b
    Example:
        liquidity-watch status --check
    """
    from liquidity_watch.domain import freshness
    from liquidity_watch.warehouse.db import connection
    from liquidity_watch.warehouse.raw import last_dates

    path = _published(warehouse)
    with connection(path, read_only=True) as con:
        latest = last_dates(con)
        last_run = con.execute(
            "SELECT run_id, source, status, ended_at FROM meta.runs ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
    now = dt.datetime.now(dt.UTC)
    report = freshness.check(latest, now)
    table = Table(title=f"freshness at {now:%Y-%m-%d %H:%M} UTC", title_justify="left")
    for column in ("series", "required", "latest", "next expected", "due by (UTC)", "status"):
        table.add_column(column)
    for f in report:
        colour = {"fresh": "green", "stale": "red", "missing": "red"}.get(f.status, "dim")
        table.add_row(
            f.series_id,
            "yes" if f.required else "",
            str(f.latest or ""),
            str(f.next_expected or ""),
            f"{f.due_by:%Y-%m-%d %H:%M}" if f.due_by else "",
            f"[{colour}]{f.status}[/]",
        )
    Console(width=max(out.width, 100)).print(table)
    if last_run:
        out.print(f"last run: {last_run[0]} ({last_run[1]}) {last_run[2]} at {last_run[3]}", highlight=False)
    stale = freshness.stale_required(report)
    if stale:
        out.print(f"stale: {', '.join(f.series_id for f in stale)}", highlight=False)
        if check:
            raise typer.Exit(1)


@app.command()
def docs(
    check: Annotated[
        bool, typer.Option(help="Exit 1 if docs/warehouse.md differs from the schema instead of writing it.")
    ] = False,
) -> None:
    """Regenerate docs/warehouse.md from the COMMENTs of the schema.

    \b
    Example:
        liquidity-watch docs --check
    """
    from liquidity_watch.reporting.warehouse_docs import DOC_PATH, render_fresh, write

    if check:
        if not DOC_PATH.exists() or DOC_PATH.read_text() != render_fresh():
            _fail(f"{DOC_PATH} is out of date; run: liquidity-watch docs")
        out.print(f"{DOC_PATH} matches the schema", highlight=False)
        return
    out.print(f"wrote {write()}", highlight=False)


def _parse_date(value: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"{flag} expects a date as YYYY-MM-DD, got {value!r}")
        raise  # unreachable


def print_summary(summary: dict) -> None:
    table = Table(title=f"liquidity-watch run {summary['run_id']}", title_justify="left")
    table.add_column("core table")
    table.add_column("rows", justify="right")
    table.add_column("latest", justify="right")
    for name, info in summary["tables"].items():
        table.add_row(f"core.{name}", f"{info['rows']:,}", info["latest"])
    out.print(table)
    inserted = sum(summary["observations_inserted"].values())
    changed = sum(summary["observations_changed"].values())
    out.print(
        f"observations: {summary['observations_fetched']:,} fetched, {inserted:,} new, {changed:,} changed"
        + (
            f", {summary['payloads_unchanged']} payload(s) unchanged since the last run"
            if summary["payloads_unchanged"]
            else ""
        ),
        highlight=False,
    )
    if summary.get("as_of"):
        out.print(f"as of: end of {summary['as_of']} (America/New_York)", highlight=False)
    out.print(
        f"quality gate: {summary['validation']['expectations']} expectations passed; data docs: {summary['data_docs']}",
        highlight=False,
    )
    signal = summary.get("signal", {})
    out.print(
        f"signal on {signal.get('date')}: {signal.get('severity')} "
        f"(easing {signal.get('easing')}, draining {signal.get('draining')}, "
        f"stress {signal.get('stress')}, scarcity {signal.get('scarcity')}); "
        f"{summary.get('episodes', 0)} episode(s) since 2003",
        highlight=False,
    )
    alerts = summary.get("alerts", {})
    for text in alerts.get("printed_text", []):
        out.print(f"ALERT {text}", highlight=False, soft_wrap=True)
    out.print(
        f"alerts: {len(alerts.get('queued', []))} queued, {len(alerts.get('sent', []))} sent to Slack, "
        f"{len(alerts.get('printed', []))} printed, {len(alerts.get('failed', []))} not delivered (kept in the outbox)",
        highlight=False,
    )
    stages = ", ".join(f"{k} {v:.2f}" for k, v in summary["stage_seconds"].items())
    out.print(f"warehouse: {summary['warehouse']}  ({summary['seconds']:.2f} s: {stages})", highlight=False)


def main() -> None:
    app(prog_name="liquidity-watch")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
