"""One definition per fact: the core columns in Python and in the SQL migrations agree, name for name and in order."""

from __future__ import annotations

import duckdb
import pytest

from liquidity_watch.transforms.core_tables import CORE_COLUMNS
from liquidity_watch.warehouse.core import CORE_TABLES
from liquidity_watch.warehouse.db import migrate


@pytest.fixture(scope="module")
def declared() -> dict[str, list[str]]:
    con = duckdb.connect(":memory:")
    try:
        migrate(con)
        rows = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'core' ORDER BY column_index"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return out


def test_the_transforms_build_exactly_the_core_tables_the_warehouse_publishes():
    assert set(CORE_COLUMNS) == set(CORE_TABLES)


@pytest.mark.parametrize("table", sorted(CORE_COLUMNS))
def test_each_core_table_has_the_columns_of_its_transform_in_the_same_order(table, declared):
    assert declared[table] == CORE_COLUMNS[table]


def test_each_core_table_is_ordered_by_a_column_it_has(declared):
    assert {name: column in declared[name] for name, column in CORE_TABLES.items()} == dict.fromkeys(CORE_TABLES, True)


def test_every_comment_that_lists_the_rules_names_all_of_them(migrated_template):
    from liquidity_watch.domain.rules import Rule
    from liquidity_watch.warehouse.db import connection

    with connection(migrated_template, read_only=True) as con:
        comments = [
            row[0]
            for row in con.execute(
                "SELECT comment FROM duckdb_columns() UNION ALL SELECT comment FROM duckdb_tables()"
                " UNION ALL SELECT comment FROM duckdb_views()"
            ).fetchall()
            if row[0] and "(easing, draining" in row[0]
        ]
    assert len(comments) >= 3  # core.signals, core.signal_episodes.triggers, core.latest_state.rules_on
    assert [c for c in comments if not all(rule in c for rule in Rule)] == []
