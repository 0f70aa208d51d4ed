"""The names of the signal rules and the states a rule can be in on a day."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """One rule of the signal; ``signals.rules`` evaluates each, ``docs/signals.md`` explains them."""

    EASING = "easing"
    DRAINING = "draining"
    STRESS = "stress"
    SCARCITY = "scarcity"


class RuleStatus(StrEnum):
    """A rule's state on one day: ``no_data`` when its inputs did not exist yet, never a guess."""

    ON = "on"
    OFF = "off"
    NO_DATA = "no_data"
