"""The vocabulary of a table spec: a table, its columns, and the facts the quality gate holds it to.

A spec states what a table is (grain, key, comment) and what each column is (type, nullability,
comment, and the values the gate accepts). Everything else follows from it: the COMMENTs the
warehouse applies after its migrations, the transforms' column lists, the structural
expectations of the Great Expectations suites and docs/warehouse.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from liquidity_watch.domain.columns import column_unit

#: DuckDB's names for the column types the warehouse uses, as ``duckdb_columns()`` reports them.
DATE = "DATE"
DOUBLE = "DOUBLE"
VARCHAR = "VARCHAR"
VARCHAR_LIST = "VARCHAR[]"
BIGINT = "BIGINT"
INTEGER = "INTEGER"
BOOLEAN = "BOOLEAN"
JSON = "JSON"
TIMESTAMPTZ = "TIMESTAMP WITH TIME ZONE"
TYPES = (DATE, DOUBLE, VARCHAR, VARCHAR_LIST, BIGINT, INTEGER, BOOLEAN, JSON, TIMESTAMPTZ)
#: The polars type of a frame's column for each column type (JSON travels as text).
POLARS_TYPES: dict[str, pl.DataType] = {
    DATE: pl.Date(),
    DOUBLE: pl.Float64(),
    VARCHAR: pl.String(),
    VARCHAR_LIST: pl.List(pl.String),
    BIGINT: pl.Int64(),
    INTEGER: pl.Int32(),
    BOOLEAN: pl.Boolean(),
    JSON: pl.String(),
    TIMESTAMPTZ: pl.Datetime("us", "UTC"),
}


@dataclass(frozen=True)
class Column:
    """One column: its unit is its name's suffix (``domain.columns``).

    ``nullable`` is the DDL's; ``required`` makes the quality gate refuse a null where the DDL
    allows one (a published core row without it would be meaningless); ``values`` is the
    closed set the gate accepts, when there is one.
    """

    name: str
    type: str
    comment: str
    nullable: bool = True
    required: bool = False
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r} (one of {', '.join(TYPES)})")
        if not self.comment.strip():
            raise ValueError(f"column {self.name}: a comment is required")

    @property
    def unit(self) -> str | None:
        """The unit the name ends in (``usd_mn``, ``usd_bn``, ``pct``, ``bp``), else None."""
        return column_unit(self.name)

    @property
    def not_null(self) -> bool:
        """Whether a null fails the gate: the DDL forbids it or the column is required."""
        return self.required or not self.nullable


@dataclass(frozen=True)
class Table:
    """One table of the warehouse, declared once.

    ``grain`` is one sentence: what one row is (the table's COMMENT starts with it). ``key`` is
    the primary key, which the grain makes unique (empty for a log without one). ``about`` says
    the rest: units, sources.
    """

    schema: str
    name: str
    grain: str
    about: str
    key: tuple[str, ...]
    columns: tuple[Column, ...] = field(repr=False)

    def __post_init__(self) -> None:
        names = self.column_names
        if len(set(names)) != len(names):
            raise ValueError(f"{self.qualified}: a column is declared twice")
        if missing := [k for k in self.key if k not in names]:
            raise ValueError(f"{self.qualified}: key column(s) {missing} are not columns of the table")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def comment(self) -> str:
        """The table's COMMENT: the grain, then the rest."""
        return f"Grain: {self.grain}. {self.about}".rstrip()

    @property
    def column_names(self) -> list[str]:
        """The columns in table order (a migration adds a column at the end)."""
        return [column.name for column in self.columns]

    def polars_schema(self, columns: Sequence[str] | None = None) -> pl.Schema:
        """The polars schema of a frame of this table: every column, or ``columns`` of them in that order."""
        return pl.Schema({name: POLARS_TYPES[self.column(name).type] for name in columns or self.column_names})

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.qualified} has no column {name!r}")
