"""Where data come from: the kinds of run a user asks for, and the providers that answer."""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    """What ``liquidity-watch run --source`` accepts."""

    LIVE = "live"  # the NY Fed and the Board, FRED for what they lack
    FRED = "fred"  # every series from FRED's keyless CSV
    SNAPSHOT = "snapshot"  # a folder of FRED-format CSVs (offline)


class Provider(StrEnum):
    """Who served a payload (``raw.observations.source``, ``raw.payloads.source``)."""

    NYFED = "nyfed"
    DDP = "ddp"
    FRED = "fred"
    SNAPSHOT = "snapshot"
