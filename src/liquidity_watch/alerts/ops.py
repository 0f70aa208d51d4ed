"""Operations notifications: run failed, gate failed, data stale, published with warnings. Never sent to subscribers.

They go to ``SLACK_OPS_CHANNEL`` (bot token) or ``SLACK_OPS_WEBHOOK_URL``, and are always
logged under ``liquidity_watch.ops``. They are sent straight away rather than through the
outbox, because the warehouse itself may be what failed. Nothing here raises: a
notification that cannot be sent is logged, redacted.
"""

from __future__ import annotations

import logging

from liquidity_watch.alerts.config import DeliveryConfig, SlackSettings, delivery_config
from liquidity_watch.alerts.messages import ops_message
from liquidity_watch.alerts.redaction import describe, redact
from liquidity_watch.alerts.slack import DeliveryError, SlackSender
from liquidity_watch.domain.delivery import DestinationKind

logger = logging.getLogger("liquidity_watch.ops")


def notify_ops(text: str, settings: SlackSettings | DeliveryConfig | None = None) -> bool:
    """Log the notification and send it to the ops destination; return whether Slack took it."""
    config = settings if isinstance(settings, DeliveryConfig) else delivery_config(settings)
    text = redact(text, config.secrets)
    logger.error("OPS NOTIFICATION: %s", text)
    destination = config.ops
    if destination.kind is DestinationKind.TERMINAL:
        return False
    if destination.name in config.broken:
        logger.error("ops notification not sent: %s", config.broken[destination.name])
        return False
    try:
        SlackSender(config.settings).send(destination, ops_message(text), ops=True)
    except DeliveryError as exc:
        logger.error("ops notification not delivered to %s: %s", destination.name, exc)
        return False
    except Exception as exc:
        logger.error("ops notification not delivered to %s: %s", destination.name, describe(exc, config.secrets))
        return False
    return True


def on_flow_failure(flow: object, flow_run: object, state: object) -> None:
    """Prefect ``on_failure`` hook: tell ops which run failed and why."""
    message = getattr(state, "message", None) or "no message"
    notify_ops(f"flow run {getattr(flow_run, 'name', '?')} ({getattr(flow_run, 'id', '?')}) failed: {message}")
