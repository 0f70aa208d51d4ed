"""``export``: the published warehouse as Parquet, CSV or a DuckDB 1.x file, with a manifest (no Prefect, no GX)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liquidity_watch.cli.app import (
    OutputFormat,
    WarehouseOption,
    app,
    fail,
    one_of,
    print_rows,
    published_warehouse,
    reading_warehouse,
    say,
)

EXPORT_FORMATS = ("parquet", "csv", "duckdb")


@app.command(short_help="Write every core table and view for other tools.")
def export(
    format: Annotated[
        str,
        typer.Option(help="parquet (types and comments kept), csv, or duckdb (a file DuckDB 1.0 and newer open)."),
    ] = "parquet",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder for this export alone, replaced whole; refused if it holds other files "
            "(default: var/export/FORMAT).",
        ),
    ] = None,
    warehouse: WarehouseOption = None,
) -> None:
    """Write every core table and view for other tools, with manifest.json (tables, rows, columns, units, run).

    Each export is a folder of its own, replaced whole, whose manifest.json names exactly the
    files in it: formats never mix.

    \b
    Examples:
        liquidity-watch export                    # var/export/parquet/
        liquidity-watch export --format csv --out var/csv
        liquidity-watch export --format duckdb    # for DuckDB 1.x
    """
    if format not in EXPORT_FORMATS:
        fail(f"--format must be {one_of(EXPORT_FORMATS)}, not {format!r}")
    path = published_warehouse(warehouse)
    from liquidity_watch.reporting.export import MANIFEST, default_folder, export_warehouse

    out = out if out is not None else default_folder(format)

    try:
        with reading_warehouse(path):
            manifest = export_warehouse(path, out, format)
    except (OSError, ValueError) as exc:
        fail(f"export failed: {exc}")
    rows = [(t["table"], t["kind"], f"{t['rows']:,}", t["file"]) for t in manifest["tables"]]
    print_rows(["table", "kind", "rows", "file"], rows, OutputFormat.TABLE, title=f"exported to {out}")
    run = manifest["run"]
    say(f"from run {run['run_id']} ({run['source']}, ended {run['ended_at']})" if run else "no completed run yet")
    say(f"manifest: {out / MANIFEST}")
