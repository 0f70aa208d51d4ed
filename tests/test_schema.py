"""One declaration per table: the specs in ``domain.tables`` and the migrated schema agree, and the checker says where not."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import duckdb
import polars as pl
import pytest

from liquidity_watch.domain.rules import Rule, RuleStatus
from liquidity_watch.domain.severity import Severity
from liquidity_watch.domain.tables import TABLES, table
from liquidity_watch.domain.tables.core import BUILT
from liquidity_watch.domain.tables.spec import BIGINT, DOUBLE, Column
from liquidity_watch.expectations.bounds import WEEKLY_JUMP_LIMIT_USD_MN
from liquidity_watch.expectations.staging import DAY_ON_DAY_PCT
from liquidity_watch.expectations.suites import AT_MOST_TOTAL_ASSETS, RATES_PCT
from liquidity_watch.transforms.core_tables import build_core_tables
from liquidity_watch.warehouse.core import CORE_TABLES
from liquidity_watch.warehouse.db import connect, migrate, migrations
from liquidity_watch.warehouse.spec import comment_statements, comments_current, differences


@pytest.fixture(scope="module")
def migrated(migrated_template):
    """The session's migrated template, read-only: for the tests that only read the schema."""
    con = connect(migrated_template, read_only=True)
    yield con
    con.close()


@pytest.fixture
def fresh():
    """A migrated in-memory warehouse of the test's own, to change: for the tests about migrating."""
    con = duckdb.connect(":memory:")
    migrate(con)
    yield con
    con.close()


@pytest.fixture
def warehouse(empty_warehouse):
    """This test's own copy of the migrated template, to change."""
    con = connect(empty_warehouse)
    yield con
    con.close()


def test_a_freshly_migrated_warehouse_is_exactly_what_the_table_specs_declare(fresh):
    problems = differences(fresh)
    assert not problems, "the migrated schema and the table specs disagree:\n" + "\n".join(problems)


def test_the_transforms_build_exactly_the_core_tables_the_warehouse_publishes_each_with_its_specs_columns():
    day = dt.date(2019, 9, 18)
    series = ["WALCL", "WDTGAL", "WRESBAL", "SOFR", "EFFR", "IOER", "DFEDTARU", "DFEDTARL"]
    observations = pl.DataFrame({"series_id": series, "date": [day] * 8, "value": [1.0] * 8})
    built = build_core_tables(observations)
    assert list(built) == list(CORE_TABLES) == [spec.name for spec in BUILT]
    for spec in BUILT:
        assert built[spec.name].schema == spec.polars_schema(), spec.name


def test_every_number_in_a_core_table_carries_its_unit_in_its_name():
    core = [spec for spec in TABLES.values() if spec.schema == "core"]
    assert [f"{s.name}.{c.name}" for s in core for c in s.columns if c.type == DOUBLE and c.unit is None] == []


def test_every_column_a_core_suite_guards_beyond_its_spec_is_a_column_of_that_table():
    weekly, daily = table("core.weekly_liquidity").column_names, table("core.daily_rates").column_names
    guarded = {
        "weekly_liquidity": [*AT_MOST_TOTAL_ASSETS, *WEEKLY_JUMP_LIMIT_USD_MN, "net_liquidity_usd_mn"],
        "daily_rates": [*RATES_PCT, *DAY_ON_DAY_PCT],
    }
    assert [c for c in guarded["weekly_liquidity"] if c not in weekly] == []
    assert [c for c in guarded["daily_rates"] if c not in daily] == []


def test_a_migration_that_adds_a_column_without_a_comment_gets_the_one_its_spec_declares(fresh):
    fresh.execute("ALTER TABLE core.daily_rates ADD COLUMN sofr_minus_bgcr_bp DOUBLE")
    spec = table("core.daily_rates")
    added = dataclasses.replace(
        spec, columns=(*spec.columns, Column("sofr_minus_bgcr_bp", DOUBLE, "(sofr_pct - bgcr_pct) x 100."))
    )
    assert comment_statements(fresh, [added]) == [
        'COMMENT ON COLUMN "core"."daily_rates"."sofr_minus_bgcr_bp" IS \'(sofr_pct - bgcr_pct) x 100.\''
    ]
    for statement in comment_statements(fresh, [added]):
        fresh.execute(statement)
    assert differences(fresh, [added]) == []


def test_a_column_type_that_differs_from_the_spec_is_named_with_its_table(migrated):
    spec = table("core.weekly_liquidity")
    changed = [dataclasses.replace(c, type=BIGINT) if c.name == "reserves_usd_mn" else c for c in spec.columns]
    assert differences(migrated, [dataclasses.replace(spec, columns=tuple(changed))]) == [
        "core.weekly_liquidity.reserves_usd_mn: type DOUBLE in the schema, BIGINT in the spec"
    ]


def test_a_column_declared_without_a_migration_that_adds_it_is_reported(migrated):
    spec = table("core.daily_rates")
    added = Column("sofr_p90_pct", DOUBLE, "SOFR 90th percentile.")
    assert differences(migrated, [dataclasses.replace(spec, columns=(*spec.columns, added))]) == [
        "core.daily_rates.sofr_p90_pct: in the spec, not in the schema"
    ]


def test_a_column_the_migrations_add_but_no_spec_declares_is_reported(warehouse):
    warehouse.execute("ALTER TABLE core.policy_changes ADD COLUMN meeting VARCHAR")
    assert differences(warehouse) == ["core.policy_changes.meeting: in the schema, not in the spec"]


def test_columns_in_another_order_than_the_spec_are_reported(migrated):
    spec = table("core.policy_changes")
    first, second, *rest = spec.columns
    assert differences(migrated, [dataclasses.replace(spec, columns=(second, first, *rest))]) == [
        "core.policy_changes: columns in the order ['date', 'old_lower_pct', 'old_upper_pct', 'new_lower_pct',"
        " 'new_upper_pct', 'change_bp'] in the schema, ['old_lower_pct', 'date', 'old_upper_pct', 'new_lower_pct',"
        " 'new_upper_pct', 'change_bp'] in the spec"
    ]


def test_a_comment_nullability_or_key_that_differs_from_the_spec_is_reported(migrated):
    spec = table("meta.runs")
    columns = tuple(
        dataclasses.replace(c, comment="Which process ran.", nullable=False) if c.name == "flow_run_id" else c
        for c in spec.columns
    )
    changed = dataclasses.replace(spec, about="Runs.", key=("run_id", "started_at"), columns=columns)
    assert differences(migrated, [changed]) == [
        f"meta.runs: comment is {spec.comment!r} in the schema, 'Grain: one row per pipeline run. Runs.' in the spec",
        "meta.runs: primary key ('run_id',) in the schema, ('run_id', 'started_at') in the spec",
        "meta.runs.flow_run_id: nullable in the schema, NOT NULL in the spec",
        "meta.runs.flow_run_id: comment is 'The Prefect flow run id (UUID), null outside a flow run.' in the schema,"
        " 'Which process ran.' in the spec",
    ]


def test_a_table_without_a_spec_and_a_spec_without_a_table_are_reported(warehouse):
    warehouse.execute("CREATE TABLE core.extra (day DATE)")
    warehouse.execute("DROP TABLE meta.http_validators")
    assert differences(warehouse) == [
        "core.extra: in the schema, but no table spec declares it",
        "meta.http_validators: declared by its spec, but not in the schema",
    ]


def test_a_warehouse_written_with_older_comments_gets_the_specs_comments_on_its_next_writable_connect(warehouse):
    warehouse.execute("COMMENT ON COLUMN core.daily_rates.sofr_pct IS 'SOFR.'")
    warehouse.execute("COMMENT ON TABLE raw.payloads IS 'Payloads.'")
    warehouse.execute("UPDATE meta.table_specs SET fingerprint = 'an older version'")
    assert not comments_current(warehouse)
    assert len(differences(warehouse)) == 2

    assert migrate(warehouse) == []
    assert differences(warehouse) == []
    assert comments_current(warehouse)


@pytest.mark.parametrize("released", [7, 14])
def test_a_warehouse_an_earlier_release_migrated_ends_with_the_specs_schema_and_comments(released):
    con = duckdb.connect(":memory:")
    con.execute("CREATE SCHEMA meta")
    con.execute(
        "CREATE TABLE meta.schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    for version, name, sql in migrations():
        if version <= released:
            con.execute(sql)
            con.execute("INSERT INTO meta.schema_migrations (version, name) VALUES (?, ?)", [version, name])
    assert "raw.payloads: comment is 'One row per distinct payload landed (manifest)." in "\n".join(differences(con))

    applied = migrate(con)
    assert applied == [name for version, name, _ in migrations() if version > released]
    assert differences(con) == []
    con.close()


def test_a_writable_connect_of_a_current_warehouse_leaves_its_comments_alone(warehouse):
    warehouse.execute("COMMENT ON COLUMN core.daily_rates.sofr_pct IS 'SOFR.'")
    migrate(warehouse)
    assert differences(warehouse) == [
        "core.daily_rates.sofr_pct: comment is 'SOFR.' in the schema,"
        " 'SOFR (from 2018-04-02; null before and on SIFMA holidays such as Good Friday).' in the spec"
    ]


def test_a_spec_whose_key_is_not_one_of_its_columns_is_refused():
    spec = table("core.signals")
    with pytest.raises(ValueError, match=r"core.signals: key column\(s\) \['day'\] are not columns of the table"):
        dataclasses.replace(spec, key=("day", "rule"))


def test_every_comment_that_lists_the_rules_names_all_of_them(migrated_template):
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


def test_every_status_and_severity_a_view_compares_with_is_one_the_signals_write(migrated):
    # the views are SQL in released migrations: their literals cannot import RuleStatus and Severity
    views = migrated.execute("SELECT sql FROM duckdb_views() WHERE schema_name IN ('core', 'raw', 'meta')").fetchall()
    compared = set(re.findall(r"\b(status|severity)\s*(?:=|<>|!=)\s*'(\w+)'", "\n".join(sql for (sql,) in views)))
    assert {("status", "on"), ("status", "no_data"), ("severity", "unknown")} <= compared
    known = {"status": {s.value for s in RuleStatus}, "severity": {s.value for s in Severity}}
    assert sorted((column, value) for column, value in compared if value not in known[column]) == []


def test_episodes_published_with_the_specs_column_list_land_column_for_column(warehouse):
    from liquidity_watch.warehouse.signals import replace_signals

    day = dt.date(2019, 9, 17)
    signals = pl.DataFrame(
        {"date": [day], "rule": ["stress"], "status": ["on"], "severity": ["alert"], "inputs": ["{}"],
         "thresholds": ["{}"]}
    )  # fmt: skip
    episodes = pl.DataFrame(
        {"is_open": [False], "start": [day], "end": [day], "days": [1], "peak_severity": ["alert"],
         "peak_date": [day], "escalated_on": [day], "triggers": ["stress"]}
    )  # fmt: skip
    replace_signals(warehouse, signals, episodes, "run-1")
    assert warehouse.execute("SELECT * FROM core.signal_episodes").fetchall() == [
        (day, day, 1, "alert", day, day, "stress", False)
    ]


def test_episodes_with_and_without_an_episode_have_the_schema_of_their_table():
    from liquidity_watch.signals.episodes import episodes

    spec = table("core.signal_episodes")
    days = [dt.date(2019, 9, 16), dt.date(2019, 9, 17)]
    quiet = pl.DataFrame({"date": days, "severity": ["none", "none"]})
    assert episodes(quiet).schema == spec.polars_schema()
    rules = {rule.value: [RuleStatus.ON.value, RuleStatus.ON.value] for rule in Rule}
    busy = pl.DataFrame({"date": days, "severity": ["watch", "alert"], **rules})
    found = episodes(busy)
    assert found.schema == spec.polars_schema()
    assert found.row(0) == (days[0], days[1], 2, "alert", days[1], days[1], "+".join(Rule), True)
