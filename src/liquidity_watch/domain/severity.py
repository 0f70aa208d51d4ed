"""How bad a day is: the severities of the signal, in rising order."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """The grade of one evaluated day (``docs/signals.md`` defines each in words).

    >>> Severity.ALERT > Severity.WATCH
    True
    >>> Severity("critical").rank
    3
    >>> Severity.UNKNOWN < Severity.NONE
    True
    """

    NONE = "none"
    WATCH = "watch"
    ALERT = "alert"
    CRITICAL = "critical"
    #: the day cannot be judged: the frame's or every sign's inputs are missing or past their staleness limit
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for none up to 3 for critical; -1 for unknown, which is no grade (never calm, never a page)."""
        return GRADED.index(self) if self in GRADED else -1

    @classmethod
    def from_rank(cls, rank: int) -> Severity:
        return GRADED[rank]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank


#: The grades, in rising order (``unknown`` is not one of them).
GRADED: tuple[Severity, ...] = (Severity.NONE, Severity.WATCH, Severity.ALERT, Severity.CRITICAL)

#: Severity name -> rank, for polars expressions (``replace_strict``).
SEVERITY_RANK: dict[str, int] = {s.value: s.rank for s in Severity}
