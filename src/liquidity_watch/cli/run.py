"""``liquidity-watch run``: the pipeline flow once, on Prefect's temporary server or ``$PREFECT_API_URL``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from liquidity_watch.bootstrap import bootstrap
from liquidity_watch.cli.app import WarehouseOption, app, fail, one_of, parse_date, say, stdout_console
from liquidity_watch.domain.rules import Rule
from liquidity_watch.domain.sources import SourceKind


@app.command()
def run(
    source: Annotated[
        str, typer.Option(help="live (NY Fed + Board + FRED), fred, or snapshot (offline).")
    ] = SourceKind.SNAPSHOT,
    snapshot_dir: Annotated[
        Path | None, typer.Option(help="Folder of FRED-format CSVs (default: the bundled snapshot).")
    ] = None,
    warehouse: WarehouseOption = None,
    as_of: Annotated[
        str | None, typer.Option(help="Use only what had been published by the end of this day (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Run the pipeline once on Prefect's ephemeral server and print what it published.

    \b
    Example:
        liquidity-watch run --source snapshot --warehouse var/liquidity.duckdb --as-of 2019-09-18
    """
    as_of_date = parse_date(as_of, "--as-of") if as_of else None
    if source not in set(SourceKind):
        fail(f"--source must be {one_of(SourceKind)}, not {source!r}")
    if snapshot_dir is not None and not snapshot_dir.is_dir():
        fail(f"--snapshot-dir {snapshot_dir} is not a folder")
    bootstrap(pipeline=True)  # Great Expectations imports in the background while Prefect's server starts
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
        fail(f"run failed: {exc}")
    print_summary(summary)


def print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"liquidity-watch run {summary['run_id']}", title_justify="left")
    table.add_column("core table")
    table.add_column("rows", justify="right")
    table.add_column("latest", justify="right")
    for name, info in summary["tables"].items():
        table.add_row(f"core.{name}", f"{info['rows']:,}", info["latest"])
    stdout_console().print(table)
    inserted = sum(summary["observations_inserted"].values())
    changed = sum(summary["observations_changed"].values())
    unchanged = summary["payloads_unchanged"]
    say(
        f"observations: {summary['observations_fetched']:,} fetched, {inserted:,} new, {changed:,} changed"
        + (f", {unchanged} payload(s) unchanged since the last run" if unchanged else "")
    )
    if summary.get("as_of"):
        say(f"as of: end of {summary['as_of']} (America/New_York)")
    say(f"quality gate: {summary['validation']['expectations']} expectations passed; data docs: {summary['data_docs']}")
    signal = summary.get("signal", {})
    rules = ", ".join(f"{rule} {signal.get(rule)}" for rule in Rule)
    episodes = summary.get("episodes", 0)
    say(f"signal on {signal.get('date')}: {signal.get('severity')} ({rules}); {episodes} episode(s) since 2003")
    for note in summary.get("thresholds_notes", []):
        say(f"note: {note}")
    alerts = summary.get("alerts", {})
    for text in alerts.get("printed_text", []):
        say(f"ALERT {text}")
    say(
        f"alerts: {len(alerts.get('queued', []))} queued, {len(alerts.get('sent', []))} sent to Slack, "
        f"{len(alerts.get('printed', []))} printed, {len(alerts.get('failed', []))} not delivered (kept in the outbox)"
    )
    stages = ", ".join(f"{k} {v:.2f}" for k, v in summary["stage_seconds"].items())
    say(f"warehouse: {summary['warehouse']}  ({summary['seconds']:.2f} s: {stages})")
