"""How ``query`` shows a result to a person: values by the unit in their column's name, a table that fits.

Money (``_usd_mn``, ``_usd_bn``) gets thousands separators and no float noise, percentages
(``_pct``) two decimals, basis points (``_bp``) a sign, dates print as dates and NULL as an empty
cell. A table wider than the terminal becomes one block per record (``column | value``), as
psql's expanded mode does, so no header is ever cut. CSV and JSON never come here: they stay exact.

Pure functions on rows; only :func:`table` imports rich (the expanded blocks are plain text).
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from liquidity_watch.domain.columns import column_unit

#: Money keeps at most this many decimals (the warehouse rounds amounts to thousandths of a unit).
MONEY_DECIMALS = 3
#: The borders and padding rich draws around each cell of a table (``│ v ``), and the closing border.
CELL_FRAME, TABLE_FRAME = 3, 1


def _trimmed(value: float | Decimal, decimals: int, *, grouped: bool = False, signed: bool = False) -> str:
    """``value`` with at most ``decimals`` decimals, trailing zeros dropped.

    >>> _trimmed(2894531.0, 3, grouped=True), _trimmed(0.1 + 0.2, 3), _trimmed(-0.0001, 3)
    ('2,894,531', '0.3', '0')
    >>> _trimmed(1.5, 2, signed=True)
    '+1.5'
    """
    text = f"{value:{'+' if signed else ''}{',' if grouped else ''}.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", "+0"} else text


def display(column: str, value: object) -> str:
    """One value as a person reads it, by the unit its column name carries.

    >>> display("reserves_usd_mn", 2894531.0), display("sofr_volume_usd_bn", 2104.0), display("sofr_pct", 3.6)
    ('2,894,531', '2,104', '3.60')
    >>> display("sofr_minus_iorb_bp", 1.0), display("change_bp", -25), display("x_bp", 0.0)
    ('+1', '-25', '0')
    >>> display("week_ending", dt.date(2026, 9, 2)), display("rules_on", None), display("year", 2019)
    ('2026-09-02', '', '2019')
    >>> display("inputs", {"a": [1, None]}), display("is_open", True), display("ratio", 0.1 + 0.2)
    ('{"a": [1, null]}', 'true', '0.3')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, default=str)
    if isinstance(value, int | float | Decimal):
        unit = column_unit(column)
        if unit in {"usd_mn", "usd_bn"}:
            return _trimmed(value, MONEY_DECIMALS, grouped=True)
        if unit == "pct":
            return f"{value:.2f}"
        if unit == "bp":
            return _trimmed(value, 2, signed=True)
        if isinstance(value, float):
            return f"{value:.12g}"  # the shortest text that drops binary noise (0.30000000000000004)
    return str(value)


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cells(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[list[str]]:
    """Every value of ``rows`` as its display text."""
    return [[display(column, value) for column, value in zip(columns, row, strict=True)] for row in rows]


def table_width(columns: Sequence[str], texts: Sequence[Sequence[str]]) -> int:
    """The width of the result drawn as a table with nothing folded: widest line of each cell, plus the frame.

    >>> table_width(["a", "bbb"], [["12345", "x"]])
    15
    """
    widths = [max(len(line) for line in column.splitlines() or [""]) for column in columns]
    for row in texts:
        for index, text in enumerate(row):
            widths[index] = max(widths[index], *(len(line) for line in text.splitlines() or [""]))
    return sum(width + CELL_FRAME for width in widths) + TABLE_FRAME


def records(columns: Sequence[str], texts: Sequence[Sequence[str]], width: int) -> str:
    """One block per record, ``column | value``, values wrapped to ``width`` (psql's expanded mode).

    >>> print(records(["week_ending", "reserves_usd_mn"], [["2026-09-02", "2,894,531"]], 40))
    -[ RECORD 1 ]---+-----------
    week_ending     | 2026-09-02
    reserves_usd_mn | 2,894,531
    """
    label = max((len(column) for column in columns), default=0)
    room = max(width - label - 3, 20)
    blocks = [
        [_wrap(text, room) for text in row]  # each value as the lines it takes
        for row in texts
    ]
    widest = max((len(part) for block in blocks for value in block for part in value), default=0)
    lines: list[str] = []
    for number, block in enumerate(blocks, start=1):
        head = f"-[ RECORD {number} ]"
        lines.append(head + "-" * max(label + 1 - len(head), 0) + "+" + "-" * (min(widest, room) + 1))
        for column, wrapped in zip(columns, block, strict=True):
            lines.append(f"{column.ljust(label)} | {wrapped[0]}".rstrip())
            lines.extend(f"{' ' * label} | {part}".rstrip() for part in wrapped[1:])
    return "\n".join(lines)


def _wrap(text: str, room: int) -> list[str]:
    """``text`` in lines of at most ``room`` characters, broken at spaces where it has any (never at hyphens)."""
    lines = text.splitlines() or [""]
    return [part for line in lines for part in textwrap.wrap(line, room, break_on_hyphens=False) or [""]]


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], texts: Sequence[Sequence[str]]) -> Any:
    """A rich table that nothing folds (only for results that fit): numbers right-aligned."""
    from rich.table import Table
    from rich.text import Text

    numeric = [any(is_number(row[index]) for row in rows) for index in range(len(columns))]
    drawn = Table()
    for column, right in zip(columns, numeric, strict=True):
        drawn.add_column(Text(column), no_wrap=True, justify="right" if right else "left")
    for row in texts:
        drawn.add_row(*[Text(text) for text in row])
    return drawn
