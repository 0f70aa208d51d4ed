"""``--as-of`` runs: which days can be replayed, how a replay warehouse starts, and whether it pages anyone.

A replay of the past never touches the published warehouse unless the user names it,
and never sends to Slack unless asked (``--deliver``): its alerts print to the terminal.
The CLI checks the day at once, the flow again (a deployment has no CLI in front of it),
and the run seeds the replay warehouse while it holds the writer; where a replay writes is
``warehouse.paths.target_warehouse``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from liquidity_watch.domain.catalog import HISTORY_START, SIGNALS_START


def as_of_problem(as_of: dt.date | None, today: dt.date) -> str | None:
    """Why ``as_of`` cannot be replayed, in one line; None if it can.

    >>> as_of_problem(dt.date(2099, 12, 31), dt.date(2026, 11, 30))
    '--as-of 2099-12-31 is in the future (today is 2026-11-30 in New York); give a day up to today'
    >>> as_of_problem(dt.date(1995, 1, 1), dt.date(2026, 11, 30))
    '--as-of 1995-01-01 is before the data start: signals begin 2003-01-02 (the first H.4.1 week is 2002-12-18)'
    """
    if as_of is None:
        return None
    if as_of > today:
        return f"--as-of {as_of} is in the future (today is {today} in New York); give a day up to today"
    if as_of < SIGNALS_START:
        return (
            f"--as-of {as_of} is before the data start: signals begin {SIGNALS_START}"
            f" (the first H.4.1 week is {HISTORY_START})"
        )
    return None


def seed_replay(target: Path, published: Path) -> bool:
    """Start a new replay warehouse as a copy of the published one; return whether it did.

    The replay then holds every version the published warehouse ever landed, so ``--as-of``
    reproduces what was known on the day, revisions included, instead of rebuilding from
    today's sources alone. An existing replay warehouse, or no published one, is left as is.
    The published file is never held open by a writer, so copying it is safe at any time.
    """
    if target == published or target.exists() or not published.is_file():
        return False
    shutil.copyfile(published, target)
    return True


def delivers(as_of: dt.date | None, deliver: bool | None) -> bool:
    """Whether alerts go to Slack: always for a run of today, only when asked for a replay."""
    return deliver if deliver is not None else as_of is None
