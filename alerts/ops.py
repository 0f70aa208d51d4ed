"""Operations notifications: run failed, gate failed, data stale. Never sent to subscribers."""

from __future__ import annotations

import logging

logger = logging.getLogger("liquidity_watch.ops")


def notify_ops(text: str) -> None:
    """Raise an ops notification (logged at ERROR under ``liquidity_watch.ops``)."""
    logger.error("OPS NOTIFICATION: %s", text)


def on_flow_failure(flow: object, flow_run: object, state: object) -> None:
    """Prefect ``on_failure`` hook: tell ops which run failed and why."""
    message = getattr(state, "message", None) or "no message"
    notify_ops(f"flow run {getattr(flow_run, 'name', '?')} ({getattr(flow_run, 'id', '?')}) failed: {message}")
