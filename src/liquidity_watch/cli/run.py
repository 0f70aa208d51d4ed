"""``liquidity-watch run``: the pipeline flow once, on Prefect's temporary server or ``$PREFECT_API_URL``.

Exit codes (docs/operations.md): 0 published and everything after it done; 1 nothing
published (the run failed, or its arguments were refused); 2 a usage error (typer);
3 published, but a step after the publish failed (a message not delivered, Data Docs,
the artifact, a Slack setting that cannot work): each one is a ``warning: published; ...`` line.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    from liquidity_watch.flows.console import QuietConsole
    from liquidity_watch.stages.summary import RunSummary

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
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="Show Prefect's log lines as the run goes (task states, progress); by default the "
            "terminal gets the summary first, then each warning and error once.",
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (Prefect's and this command's) and every log line.")
    ] = False,
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
        from liquidity_watch.stages.replay import as_of_problem

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

    from liquidity_watch.flows.console import QuietConsole, server_outlives_run
    from liquidity_watch.flows.local_run import console_without_tracebacks
    from liquidity_watch.flows.pipeline import pipeline  # imported late: Prefect is slow to import

    # Prefect's console handlers exist once it is imported (above): only then can they be quietened
    with contextlib.ExitStack() as terminal:
        if not debug:
            terminal.enter_context(console_without_tracebacks())
        held = None
        if not (verbose or debug):
            held = QuietConsole(view_links=server_outlives_run()).install()
            # a run stopped by Ctrl-C or SIGTERM ends with main's one line: what Prefect logged on the way out stays
            # in its log (every other ending releases what was held itself, and then this does nothing)
            terminal.callback(held.release, lambda message: True)
        summary = _run_pipeline(
            pipeline,
            held,
            debug,
            source=source,
            snapshot_dir=str(snapshot_dir) if snapshot_dir else None,
            warehouse=str(warehouse) if warehouse else None,
            as_of=as_of_date,
            accept_revisions=accepted or None,
            strict_sources=strict_sources,
            deliver=deliver,
            export_parquet_to=str(export_parquet_to) if export_parquet_to else None,
        )
        print_summary(summary)
        if held is not None:  # after the summary; the published-with-warnings lines are the command's own
            held.release(lambda message: any(warning in message for warning in summary.warnings))
    if summary.warnings:
        for warning in summary.warnings:
            warn(f"published; {warning}")
        raise typer.Exit(EXIT_PUBLISHED_WITH_WARNINGS)


def _run_pipeline(pipeline: Any, held: QuietConsole | None, debug: bool, **parameters: Any) -> RunSummary:
    """Run the flow and return its summary; on failure print each error once, then exit 1."""
    from liquidity_watch.flows.console import repeats
    from liquidity_watch.flows.local_run import local_prefect
    from liquidity_watch.sources.errors import SourcesUnavailable

    try:
        with local_prefect():
            summary: RunSummary = pipeline(**parameters)
            return summary
    except SourcesUnavailable as exc:  # one line per source that failed, then what it means
        if debug:
            _print_traceback()
        errors = [*exc.lines(), f"run failed, nothing published: no source for {', '.join(exc.missing)}"]
        cause = str(exc)
    except Exception as exc:  # the message of every pipeline error names what was wrong
        if debug:
            _print_traceback()
        errors = [f"run failed: {exc}"]
        cause = str(exc)
    if stop_requested():  # Ctrl-C or SIGTERM: whatever the flow raised on the way out, main says it in one line
        raise KeyboardInterrupt
    # outside the except block: the failed run's frames (and DuckDB objects) are already freed
    if held is not None:  # Prefect's records of this failure (task, flow, ops notification) stay in its log
        held.release(repeats(cause))
    for line in errors[:-1]:
        print_error(line)
    if len(errors) > 1:
        sys.stderr.write(errors[-1] + "\n")
        exit_failed()
    fail(errors[-1])


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
    console = stdout_console()
    console.print(table)
    for line in summary.lines():
        if line.startswith("ALERT "):  # a message of several lines, wrapped to the terminal as Slack wraps it
            say(wrapped(line, console.width))
        else:
            say(line)


def wrapped(text: str, width: int) -> str:
    """``text`` with each of its lines wrapped to ``width`` (continuations indented two spaces).

    >>> print(wrapped("ALERT [x] TITLE\\nReserves: $2,895bn, 13-week change -$119bn", 24))
    ALERT [x] TITLE
    Reserves: $2,895bn,
      13-week change -$119bn
    """
    import textwrap

    return "\n".join(
        "\n".join(textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False)) if line else ""
        for line in text.splitlines()
    )
