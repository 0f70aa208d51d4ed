"""Where messages go and what state a queued message is in."""

from __future__ import annotations

from enum import StrEnum


class DestinationKind(StrEnum):
    """How a destination is reached."""

    BOT = "bot"  # chat.postMessage with a bot token (Block Kit and a chart)
    WEBHOOK = "webhook"  # an incoming webhook (text and blocks)
    TERMINAL = "terminal"  # no Slack configured: printed


class OutboxStatus(StrEnum):
    """``meta.outbox.status``."""

    PENDING = "pending"  # queued, not yet delivered
    SENT = "sent"  # Slack accepted it
    PRINTED = "printed"  # shown on the terminal (no Slack configured)


class MessageKind(StrEnum):
    """``meta.outbox.kind``."""

    SIGNAL = "signal"
    OPS = "ops"
