"""How bad a day is: the severities of the signal, in rising order."""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    """The grade of one evaluated day (``docs/signals.md`` defines each in words).

    >>> Severity.ALERT > Severity.WATCH
    True
    >>> Severity("critical").rank
    3
    """

    NONE = "none"
    WATCH = "watch"
    ALERT = "alert"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for none up to 3 for critical."""
        return list(Severity).index(self)

    @classmethod
    def from_rank(cls, rank: int) -> Severity:
        return list(cls)[rank]

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


#: Severity name -> rank, for polars expressions (``replace_strict``).
SEVERITY_RANK: dict[str, int] = {s.value: s.rank for s in Severity}
