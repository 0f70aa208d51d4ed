"""``docs/warehouse.md``, generated from the COMMENTs of the live schema (so it cannot drift unseen)."""

from __future__ import annotations

import duckdb

from liquidity_watch.warehouse.db import migrate

SCHEMAS = ("core", "raw", "meta")

HEADER = """# The warehouse

Generated from the table and column comments of the live schema by
`liquidity-watch docs` (a test fails when this file and the schema disagree).
Every value carries its unit in the column name: `_usd_mn` millions of US dollars,
`_pct` percent, `_bp` basis points.

Open it read-only from any process, even while the pipeline runs (a run never opens the
published file; it replaces it atomically). The file is written by DuckDB 2.0 (storage
version 69), which only DuckDB 2.0 opens; for DuckDB 1.x, pandas, R, Excel or BI tools, use
`liquidity-watch export` (Parquet, CSV, or a DuckDB 1.0-format copy; see docs/export.md):

```bash
liquidity-watch query "select * from core.latest_state"
.venv/bin/python -c "import duckdb; print(duckdb.connect('var/liquidity.duckdb', True).sql('from core.latest_state'))"
liquidity-watch export --format duckdb        # var/export/duckdb/liquidity.duckdb, for DuckDB 1.0 and newer
python3 -m uv tool run --from duckdb-cli==1.5.6 duckdb -readonly var/export/duckdb/liquidity.duckdb
```

## Example queries

The 2019 episode, week by week:

```sql
select week_ending, reserves_usd_mn, reserves_change_4w_usd_mn, qt_runoff_13w_usd_mn, net_liquidity_usd_mn
from core.weekly_liquidity where week_ending between '2019-06-01' and '2019-10-31' order by week_ending;
```

Reserves against SOFR - IORB (weekly reserves joined to the fixings of that week):

```sql
select w.week_ending, w.reserves_usd_mn, max(d.sofr_minus_iorb_bp) as sofr_minus_iorb_max_bp
from core.weekly_liquidity w join core.daily_rates d on d.date between w.week_ending - 6 and w.week_ending
where w.week_ending >= '2018-04-04' group by all order by w.week_ending;
```

QT pace by year (fall of securities held outright, $bn):

```sql
select year(month) as year, round(sum(qt_runoff_month_usd_mn) / 1000) as runoff_usd_bn
from core.monthly_summary group by all order by year;
```

The latest week, fixing and signal: `select * from core.latest_state;`
The episodes with what happened in them: `select * from core.signal_episode_details;`
"""


def _objects(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    tables = con.execute(
        "SELECT schema_name, table_name, 'table', comment FROM duckdb_tables() WHERE database_name = current_database()"
        " UNION ALL SELECT schema_name, view_name, 'view', comment FROM duckdb_views()"
        " WHERE database_name = current_database() AND NOT internal"
    ).fetchall()
    return sorted((t for t in tables if t[0] in SCHEMAS), key=lambda t: (SCHEMAS.index(t[0]), t[1]))


def render(con: duckdb.DuckDBPyConnection) -> str:
    """The Markdown for every table and view of the core, raw and meta schemas."""
    parts = [HEADER]
    for schema, name, kind, comment in _objects(con):
        parts.append(f"## `{schema}.{name}` ({kind})\n\n{comment or '(no comment)'}\n")
        parts.append("| column | type | meaning |\n|---|---|---|")
        columns = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database()"
            " AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()
        for column, dtype, text in columns:
            parts.append(f"| `{column}` | {dtype} | {(text or '').replace('|', '/')} |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def render_fresh() -> str:
    """Render from an empty warehouse built by the migrations (no data needed)."""

    con = duckdb.connect(":memory:")
    try:
        migrate(con)
        return render(con)
    finally:
        con.close()
