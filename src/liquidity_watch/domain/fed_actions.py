"""The Fed's own reserve-management actions: what ``backtest --evaluate`` grades the signal against.

Each is a day the Fed acted on the supply of reserves; ``docs/signals.md`` gives the public
source of every row. The day is the announcement (or, for the 2019 repo operations, the
first operation), as a subscriber would have learnt of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class FedAction:
    day: dt.date
    action: str


FED_ACTIONS: tuple[FedAction, ...] = (
    FedAction(dt.date(2019, 9, 17), "overnight repo operations begin (the first since 2008)"),
    FedAction(dt.date(2019, 10, 11), "Treasury bill purchases announced to keep reserves ample"),
    FedAction(dt.date(2025, 10, 29), "end of balance-sheet runoff announced (on December 1)"),
    FedAction(dt.date(2025, 12, 10), "reserve management purchases of Treasury bills decided (from December 12)"),
)
