"""Where messages go and what state a queued message is in."""

from __future__ import annotations

from enum import StrEnum


class DestinationKind(StrEnum):
    """How a destination is reached."""

    BOT = "bot"  # chat.postMessage with a bot token (Block Kit and a chart)
    WEBHOOK = "webhook"  # an incoming webhook (text and blocks)
    TERMINAL = "terminal"  # no Slack configured: printed


class OutboxStatus(StrEnum):
    """``meta.outbox.status`` and the delivery journal's status: queued -> sending -> sent (or failed, tried again)."""

    PENDING = "pending"  # queued, no attempt yet
    SENDING = "sending"  # an attempt started and its outcome was never recorded (the process died)
    SENT = "sent"  # Slack accepted it (or it was found in the channel's history)
    PRINTED = "printed"  # shown on the terminal (no Slack configured, or a replay without --deliver)
    FAILED = "failed"  # the last attempt failed; the next run tries again

    @property
    def done(self) -> bool:
        """Delivered for good: never attempted again."""
        return self in (OutboxStatus.SENT, OutboxStatus.PRINTED)


class MessageKind(StrEnum):
    """``meta.outbox.kind``."""

    SIGNAL = "signal"
    OPS = "ops"
