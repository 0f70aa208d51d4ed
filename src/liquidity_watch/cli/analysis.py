"""``backtest``, ``report`` and ``docs``: what analysts read, from the published warehouse (no Prefect, no GX)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
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
    reading_warehouse,
    say,
)


@app.command(short_help="Replay the signal rules day by day and print the episodes.")
def backtest(
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First day (YYYY-MM-DD); default 2003-01-02, with --evaluate 2018-04-02."),
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Last day (YYYY-MM-DD); default: where the data end (at most today).")
    ] = None,
    format: FormatOption = OutputFormat.TABLE,
    warehouse: WarehouseOption = None,
    evaluate: Annotated[
        bool,
        typer.Option(
            "--evaluate",
            help="Evaluate the rules (and the first release's, side by side) from --from, default 2018-04-02: "
            "episodes with lead times, days per grade, noise days, critical days and why; and where every "
            "threshold comes from.",
        ),
    ] = False,
) -> None:
    """Replay the signal rules day by day with point-in-time data and print the episodes.

    \b
    Examples:
        liquidity-watch backtest --from 2019-01-01 --to 2019-12-31 --format csv
        liquidity-watch backtest --evaluate
    """
    output = check_format(format)
    start = parse_date(from_, "--from") if from_ else None
    end = parse_date(to, "--to") if to else None
    path = published_warehouse(warehouse)
    from liquidity_watch.settings import Settings

    if evaluate:
        _print_evaluation(path, start, end, Settings().thresholds_file, output)
        return
    from liquidity_watch.signals.backtest import run_backtest

    try:
        with reading_warehouse(path):
            result = run_backtest(path, start, end, Settings().thresholds_file)
    except ValueError as exc:
        fail(str(exc))
    episodes = result.episodes
    title = f"signal episodes {result.start} to {result.end}"
    print_rows(episodes.columns, episodes.rows(), output, title=title, wrap=("triggers",))
    if output is OutputFormat.TABLE:
        for note in result.notes:
            say(f"note: {note}")


def _print_evaluation(
    path: Path, start: dt.date | None, end: dt.date | None, thresholds_file: Path | None, output: OutputFormat
) -> None:
    """``backtest --evaluate``: several tables, so a table per section or one JSON object (no CSV)."""
    if output is OutputFormat.CSV:
        fail("--evaluate prints several tables: use --format table or --format json")
    from liquidity_watch.signals.backtest import run_evaluation

    try:
        with reading_warehouse(path):
            report = run_evaluation(path, start, end, thresholds_file)
    except ValueError as exc:
        fail(str(exc))
    e = report.evaluation
    sections = {
        "grades": (
            f"days at each grade, {e.start} to {e.end}: v1 (first release), before (the rules before the Fed's "
            "full test and staleness limits) and now (the rules in force)",
            e.grades,
        ),
        "episodes": ("episodes, with the lead time to the largest stress day inside each", e.episodes),
        "fed_actions": (
            "the Fed's reserve-management actions: the first alert and first critical of the episode around each, "
            "business days before the action (negative: after)",
            e.fed_actions,
        ),
        "critical_days": ("critical days and why", e.critical_days),
        "thresholds": ("where each threshold comes from (recomputed on this warehouse)", report.calibration),
        "pressure_days": ("SOFR - IORB by kind of day since 2018-04-02 (bp)", report.pressure_days),
    }
    notes = report.notes
    if output is OutputFormat.JSON:
        doc = {name: frame.to_dicts() for name, (_, frame) in sections.items()}
        sys.stdout.write(json.dumps({**doc, "notes": notes}, default=str) + "\n")
        return
    for title, frame in sections.values():
        print_rows(frame.columns, frame.rows(), output, title=title, wrap=("why", "population", "action"), width=200)
    for note in notes:
        say(f"note: {note}")


@app.command(short_help="Write PNG charts and one HTML page that opens offline.")
def report(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG charts and index.html.")] = Path(
        "var/report"
    ),
    warehouse: WarehouseOption = None,
) -> None:
    """Write PNG charts and one self-contained HTML page (no CDN, opens offline).

    \b
    Example:
        liquidity-watch report --out var/report
    """
    path = published_warehouse(warehouse)
    from liquidity_watch.reporting.report import write_report

    try:
        with reading_warehouse(path):
            files = write_report(path, out_dir)
    except ValueError as exc:
        fail(str(exc))
    for written in files:
        say(f"wrote {written}")


@app.command(short_help="Regenerate docs/warehouse.md from the table specs and the schema.")
def docs(
    check: Annotated[
        bool, typer.Option(help="Exit 1 if the file differs from the specs and schema instead of writing it.")
    ] = False,
    out: Annotated[Path, typer.Option(help="The Markdown file to write or check.")] = Path("docs/warehouse.md"),
) -> None:
    """Regenerate docs/warehouse.md from the table specs and the views' COMMENTs in the schema.

    \b
    Example:
        liquidity-watch docs --check
    """
    from liquidity_watch.reporting.warehouse_docs import render_fresh

    text = render_fresh()
    if check:
        if not out.exists() or out.read_text() != text:
            fail(f"{out} is out of date; run: liquidity-watch docs")
        say(f"{out} matches the schema")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    say(f"wrote {out}")
