"""``liquidity-watch sources check``: can every upstream be reached, and does it pass the run's checks?"""

from __future__ import annotations

import sys

import typer

from liquidity_watch.cli.app import FormatOption, app, check_format, fail, print_rows, say

sources_app = typer.Typer(
    help="The upstream sources (NY Fed, Board, FRED): reachable, and serving what a run expects?",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, as the main application (cli/app.py says why)
)
app.add_typer(sources_app, name="sources", short_help="Check the upstream sources (NY Fed, Board, FRED).")

COLUMNS = ("source", "call", "series", "latest", "status", "latency_s", "url", "note")


@sources_app.command("check", short_help="Ask each upstream once for a recent window; write nothing.")
def check(output: FormatOption = "table") -> None:
    """Ask each upstream once for a short recent window, with a run's checks; write nothing.

    Prints one row per upstream call: the series it serves, their latest date, whether its
    contract held (it answered, in its documented shape and units, with fresh data), how long
    it took, the URL and what it picked. Exits 1 when a required series is unavailable from
    every source.

    \b
    Example (the first thing to run on a new deployment):
        liquidity-watch sources check
    """
    fmt = check_format(output)
    from liquidity_watch.settings import Settings
    from liquidity_watch.sources.check import check_sources, unavailable_required

    def note(message: str) -> None:
        sys.stderr.write(message + "\n")

    rows = check_sources(Settings(), log=note, progress=note if fmt == "table" else None)
    print_rows(
        COLUMNS,
        [(r.source, r.call, ", ".join(r.series), r.latest, r.status, f"{r.seconds:.2f}", r.url, r.note) for r in rows],
        fmt,
        title="sources check",
        width=160,
        wrap=("series", "status", "url", "note"),
    )
    missing = unavailable_required(rows)
    if missing:
        fail(f"required series unavailable from every source: {', '.join(missing)}")
    if fmt == "table":
        say("every required series is available from at least one source")
