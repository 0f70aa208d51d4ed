"""Where data come from: the kinds of run a user asks for, the providers that answer, and what a run used."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class SourceKind(StrEnum):
    """What ``liquidity-watch run --source`` accepts."""

    LIVE = "live"  # the NY Fed and the Board, FRED for what they lack
    FRED = "fred"  # every series from FRED (its keyless CSV, or its API with FRED_API_KEY)
    SNAPSHOT = "snapshot"  # a folder of FRED-format CSVs (offline)


class Provider(StrEnum):
    """Who served a payload (``raw.observations.source``, ``raw.payloads.source``)."""

    NYFED = "nyfed"
    DDP = "ddp"
    FRED = "fred"
    SNAPSHOT = "snapshot"
    CARRIED = "carried"  # no source answered: the last value carried forward (IORB, while the range stands)

    @property
    def label(self) -> str:
        """The provider's name in sentences: ``Board``, ``NY Fed``, ``FRED``, ``snapshot``."""
        return _LABELS[self]


_LABELS = {
    Provider.NYFED: "NY Fed",
    Provider.DDP: "Board",
    Provider.FRED: "FRED",
    Provider.SNAPSHOT: "snapshot",
    Provider.CARRIED: "carried forward",
}


class UseStatus(StrEnum):
    """What a run did for one group of series."""

    PRIMARY = "primary"  # fetched from its primary source
    FAILOVER = "failover"  # the primary failed; fetched from FRED instead
    NOT_DUE = "not_due"  # no release was due since the last stored observation: nothing asked
    NOT_MODIFIED = "not_modified"  # asked with validators; the source answered 304
    UNAVAILABLE = "unavailable"  # no source could serve it (optional series: noted, the run goes on)
    CARRIED = "carried"  # no source could serve it; its last value carried forward (IORB while the range stands)


@dataclass(frozen=True)
class SourceUse:
    """Where one group of series came from in a run, and why.

    Attributes
    ----------
    group : what a person calls it: ``H.4.1``, ``SOFR``, ``EFFR``, ``ON RRP``, ``IORB``.
    series : the canonical ids the group covers.
    primary : who should serve it.
    provider : who did (``None`` when nothing was fetched: not due, not modified, unavailable).
    status : what happened.
    detail : why, in words (the primary's error on a failover; the next release when not due).
    """

    group: str
    series: tuple[str, ...]
    primary: Provider
    provider: Provider | None
    status: UseStatus
    detail: str = ""

    def describe(self) -> str:
        """One line for people.

        >>> SourceUse("H.4.1", ("WALCL",), Provider.DDP, Provider.FRED, UseStatus.FAILOVER,
        ...           "returned HTML with status 200").describe()
        'H.4.1 from FRED (Board failed: returned HTML with status 200)'
        """
        if self.status is UseStatus.PRIMARY:
            text = f"{self.group} from {self.primary.label}"
            return f"{text} ({self.detail})" if self.detail else text
        if self.status is UseStatus.FAILOVER:
            used = self.provider.label if self.provider else "?"
            return f"{self.group} from {used} ({self.primary.label} failed: {self.detail})"
        if self.status is UseStatus.NOT_DUE:
            return f"{self.group} not due: {self.detail}" if self.detail else f"{self.group} not due"
        if self.status is UseStatus.CARRIED:
            return f"{self.group} carried forward: {self.detail}"
        if self.status is UseStatus.NOT_MODIFIED:
            return f"{self.group} not modified at {(self.provider or self.primary).label} (HTTP 304): nothing new"
        return f"{self.group} unavailable: {self.detail}"


@dataclass(frozen=True)
class RangeAt:
    """The FOMC target range on a day (percent)."""

    date: dt.date
    lower: float
    upper: float

    def same_range(self, other: RangeAt) -> bool:
        return (self.lower, self.upper) == (other.lower, other.upper)

    def __str__(self) -> str:
        return f"{self.lower:.2f}-{self.upper:.2f}% ({self.date})"


@dataclass(frozen=True)
class IorbBasis:
    """What carrying IORB forward rests on: the last IORB a source served, and the target range then and since.

    Attributes
    ----------
    date, value : the last IORB observation a source served (carried values excluded).
    range_then : the range on that day (its last observation on or before it), if any.
    range_latest : the latest range stored, if any.
    """

    date: dt.date
    value: float
    range_then: RangeAt | None
    range_latest: RangeAt | None
