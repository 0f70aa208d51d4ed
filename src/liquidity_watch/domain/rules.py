"""The names of the signal rules and the states a rule can be in on a day."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """One rule of the signal; ``signals.rules`` evaluates each, ``docs/signals.md`` explains them.

    ``easing`` and ``draining`` are the frame (rates falling while the balance sheet
    shrinks); ``repo_rates``, ``facility_use`` and ``effr_rising`` are the Fed's three signs
    that reserves are no longer abundant, each on only when it persisted; ``scarcity``
    judges reserves against banks' assets; ``stress`` is funding stress that repeats off
    the known pressure days, or a break beyond what those days ordinarily show.
    """

    EASING = "easing"
    DRAINING = "draining"
    REPO_RATES = "repo_rates"
    FACILITY_USE = "facility_use"
    EFFR_RISING = "effr_rising"
    SCARCITY = "scarcity"
    STRESS = "stress"


#: The Fed's three signs (2025-10-29 press conference), in the order it named them.
SIGNS: tuple[Rule, ...] = (Rule.REPO_RATES, Rule.FACILITY_USE, Rule.EFFR_RISING)


class RuleStatus(StrEnum):
    """A rule's state on one day: ``no_data`` when its inputs did not exist yet, never a guess."""

    ON = "on"
    OFF = "off"
    NO_DATA = "no_data"
