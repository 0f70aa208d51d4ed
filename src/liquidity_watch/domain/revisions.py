"""Revisions an operator accepts: ``SERIES:START:END``, shared by the CLI, the flow, the gate and the warehouse.

The quality gate refuses a run in which a series rewrites more than a small share of its
own history (``expectations.bounds.MAX_HISTORY_REVISION_SHARE``). When such a revision is
real (the Fed restated a line of the H.4.1, FRED re-based a series), an operator names it
explicitly: ``liquidity-watch run --accept-revisions WALCL:2010-01-01:2012-12-31``. The
revisions of that series dated inside the range are then exempt from the guard for that
run, and the acceptance is recorded in ``meta.revision_acceptances``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from liquidity_watch.domain.catalog import SERIES

_SPEC = re.compile(r"([A-Za-z0-9_]+):([0-9]{4}-[0-9]{2}-[0-9]{2}):([0-9]{4}-[0-9]{2}-[0-9]{2})")


@dataclass(frozen=True, order=True)
class RevisionAcceptance:
    """Revisions of ``series_id`` dated ``start``..``end`` (inclusive) are accepted."""

    series_id: str
    start: dt.date
    end: dt.date

    def __str__(self) -> str:
        return f"{self.series_id}:{self.start}:{self.end}"


def parse_acceptance(text: str) -> RevisionAcceptance:
    """``SERIES:YYYY-MM-DD:YYYY-MM-DD`` with a catalogued series and start <= end.

    >>> parse_acceptance("WALCL:2010-01-01:2012-12-31")
    RevisionAcceptance(series_id='WALCL', start=datetime.date(2010, 1, 1), end=datetime.date(2012, 12, 31))
    >>> parse_acceptance("WALCL:2012")
    Traceback (most recent call last):
    ValueError: 'WALCL:2012' is not SERIES:START:END (e.g. WALCL:2010-01-01:2012-12-31)
    """
    match = _SPEC.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not SERIES:START:END (e.g. WALCL:2010-01-01:2012-12-31)")
    series_id, start_text, end_text = match.groups()
    if series_id not in SERIES:
        raise ValueError(f"{text!r}: unknown series {series_id!r}")
    try:
        start, end = dt.date.fromisoformat(start_text), dt.date.fromisoformat(end_text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if start > end:
        raise ValueError(f"{text!r}: the range starts after it ends")
    return RevisionAcceptance(series_id, start, end)


def parse_acceptances(texts: Iterable[str] | None) -> tuple[RevisionAcceptance, ...]:
    """Every spec parsed (commas also separate specs), duplicates dropped, in order."""
    found: list[RevisionAcceptance] = []
    for text in texts or ():
        for part in text.split(","):
            if part.strip():
                acceptance = parse_acceptance(part)
                if acceptance not in found:
                    found.append(acceptance)
    return tuple(found)
