"""``liquidity-watch run``: the pipeline flow once, on Prefect's temporary server or ``$PREFECT_API_URL``.

Exit codes (docs/operations.md): 0 published and everything after it done; 1 nothing
published (the run failed, or its arguments were refused); 2 a usage error (typer);
3 published, but a step after the publish failed (a message not delivered, Data Docs,
the artifact, a Slack setting that cannot work): each one is a ``warning: published; ...`` line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.cli.app import (
    WarehouseOption,
    app,
    exit_failed,
    fail,
    one_of,
    parse_date,
    plain,
    print_error,
    say,
    stdout_console,
    stop_requested,
    warn,
)
from liquidity_watch.domain.sources import SourceKind

if TYPE_CHECKING:
    from liquidity_watch.flows.summary import RunSummary

#: ``liquidity-watch run`` published, but something after the publish failed.
EXIT_PUBLISHED_WITH_WARNINGS = 3


@app.command(short_help="Run the pipeline once and print what it published.")
def run(
    source: Annotated[
        str, typer.Option(help="live (NY Fed + Board + FRED), fred, or snapshot (offline).")
    ] = SourceKind.SNAPSHOT,
    snapshot_dir: Annotated[
        Path | None, typer.Option(help="Folder of FRED-format CSVs (default: the bundled snapshot).")
    ] = None,
    warehouse: WarehouseOption = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Replay: use only what had been published by the end of this day (YYYY-MM-DD, 2003-01-02 to today). "
            "Writes a warehouse of its own (liquidity.as-of-DAY.duckdb beside the published one) unless --warehouse "
            "names one."
        ),
    ] = None,
    deliver: Annotated[
        bool | None,
        typer.Option(
            "--deliver/--no-deliver",
            help="Send alerts to Slack. Default: yes for a run of today, no for an --as-of replay (printed instead).",
        ),
    ] = None,
    accept_revisions: Annotated[
        list[str] | None,
        typer.Option(
            help="Accept the revisions of SERIES dated START..END above the revision guard, e.g."
            " WALCL:2010-01-01:2012-12-31 (repeat the flag for more; recorded in meta.revision_acceptances).",
            metavar="SERIES:START:END",
        ),
    ] = None,
    strict_sources: Annotated[
        bool | None,
        typer.Option(
            "--strict-sources/--failover",
            help="Primary sources or nothing (no failover to FRED), or allow failover. Default: $LW_STRICT_SOURCES, "
            "else failover.",
        ),
    ] = None,
    export_parquet_to: Annotated[
        Path | None,
        typer.Option(
            help="After the publish, write every core table and view as Parquet into this folder (as `export`); "
            "a failure there is a warning (exit 3).",
            metavar="DIR",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (Prefect's and this command's).")] = False,
) -> None:
    """Run the pipeline once on Prefect's ephemeral server and print what it published.

    Exit code 0 when published, 1 when nothing was published, 3 when published but a step
    after the publish failed (alerts not delivered, Data Docs, artifact): see docs/operations.md.

    \b
    Example:
        liquidity-watch run --source snapshot
        liquidity-watch run --as-of 2019-09-18   # replays, pages nobody
        # (into var/liquidity.as-of-2019-09-18.duckdb)
    """
    as_of_date = parse_date(as_of, "--as-of") if as_of else None
    if as_of_date is not None:
        from liquidity_watch.domain.calendars import today_new_york
        from liquidity_watch.flows.replay import as_of_problem

        problem = as_of_problem(as_of_date, today_new_york())
        if problem:
            fail(problem)
    if source not in set(SourceKind):
        fail(f"--source must be {one_of(SourceKind)}, not {source!r}")
    if snapshot_dir is not None and not snapshot_dir.is_dir():
        fail(f"--snapshot-dir {snapshot_dir} is not a folder")
    from liquidity_watch.domain.revisions import parse_acceptances

    try:
        accepted = [str(a) for a in parse_acceptances(accept_revisions)]
    except ValueError as exc:
        fail(f"--accept-revisions {exc}")
    bootstrap(pipeline=True)  # Great Expectations imports in the background while Prefect's server starts
    import contextlib

    from liquidity_watch.flows.local_run import console_without_tracebacks, local_prefect
    from liquidity_watch.flows.pipeline import pipeline  # imported late: Prefect is slow to import
    from liquidity_watch.sources.errors import SourcesUnavailable

    quiet = contextlib.nullcontext() if debug else console_without_tracebacks()
    errors: list[str] = []
    try:
        with local_prefect(), quiet:
            summary = pipeline(
                source=source,
                snapshot_dir=str(snapshot_dir) if snapshot_dir else None,
                warehouse=str(warehouse) if warehouse else None,
                as_of=as_of_date,
                accept_revisions=accepted or None,
                strict_sources=strict_sources,
                deliver=deliver,
                export_parquet_to=str(export_parquet_to) if export_parquet_to else None,
            )
    except SourcesUnavailable as exc:  # one line per source that failed, then what it means
        if debug:
            _print_traceback()
        errors = [*exc.lines(), f"run failed, nothing published: no source for {', '.join(exc.missing)}"]
    except Exception as exc:  # the message of every pipeline error names what was wrong
        if debug:
            _print_traceback()
        errors = [f"run failed: {exc}"]
    if stop_requested():  # Ctrl-C or SIGTERM: whatever the flow raised on the way out, main says it in one line
        raise KeyboardInterrupt
    if errors:  # outside the except block: the failed run's frames (and DuckDB objects) are already freed
        for line in errors[:-1]:
            print_error(line)
        if len(errors) > 1:
            sys.stderr.write(errors[-1] + "\n")
            exit_failed()
        fail(errors[-1])
    print_summary(summary)
    if summary.warnings:
        for warning in summary.warnings:
            warn(f"published; {warning}")
        raise typer.Exit(EXIT_PUBLISHED_WITH_WARNINGS)


def _print_traceback() -> None:
    import traceback

    traceback.print_exc()


def print_summary(summary: RunSummary) -> None:
    from rich.table import Table

    table = Table(title=plain(f"liquidity-watch run {summary.run_id}"), title_justify="left")
    table.add_column("core table")
    table.add_column("rows", justify="right")
    table.add_column("latest", justify="right")
    for name, count in summary.tables.items():
        table.add_row(plain(f"core.{name}"), f"{count.rows:,}", plain(str(count.latest)))
    stdout_console().print(table)
    for line in summary.lines():
        say(line)
