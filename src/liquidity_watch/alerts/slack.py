"""Talking to Slack with slack-sdk: post one message, upload its chart, look for it in a channel's history.

Retries 429 (Retry-After), 5xx and connection resets. Every failure comes back as a
``DeliveryError`` whose text carries no token or webhook URL, and which says whether the
message may have reached Slack anyway (``uncertain``: a timeout, a 5xx, a reset after
the request was sent) or surely did not (Slack answered with an error, or refused the
connection). slack-sdk's own log lines go through a redacting filter.

A bot message carries the outbox key in its message metadata
(``{"event_type": "liquidity_watch_alert", "event_payload": {"outbox_key": ...}}``), so
``find_posted`` can tell, from ``conversations.history``, whether an attempt whose
outcome was lost did reach the channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from liquidity_watch.alerts.config import Destination, SlackSettings
from liquidity_watch.alerts.redaction import RedactingFilter, describe, redact
from liquidity_watch.domain.delivery import DestinationKind

__all__ = ["EVENT_TYPE", "DeliveryError", "Receipt", "SlackSender", "redact"]

#: ``metadata.event_type`` of every bot message liquidity-watch posts.
EVENT_TYPE = "liquidity_watch_alert"
#: How many pages of ``conversations.history`` (200 messages each) a lookup reads at most.
HISTORY_PAGES = 10


class DeliveryError(Exception):
    """Slack did not take the message; the text carries no secret.

    ``uncertain`` is True when the message may have reached Slack all the same.
    """

    def __init__(self, message: str, *, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


@dataclass(frozen=True)
class Receipt:
    """What Slack gave back for a delivered message: the message ``ts`` and channel ID (bot), or ``ok`` (webhook)."""

    ref: str
    channel: str | None = None


def _handlers(retries: int) -> list[Any]:
    return [
        ConnectionErrorRetryHandler(max_retry_count=retries),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=retries),
    ]


class SlackSender:
    def __init__(self, settings: SlackSettings):
        self.settings = settings
        self.secrets = settings.secrets()
        self._web: WebClient | None = None
        self.logger = logging.getLogger("liquidity_watch.alerts.slack_sdk")
        if not any(isinstance(f, RedactingFilter) for f in self.logger.filters):
            self.logger.addFilter(RedactingFilter(self.secrets))

    def _client(self) -> WebClient:
        if self._web is None:
            if self.settings.slack_bot_token is None:
                raise DeliveryError("no SLACK_BOT_TOKEN")
            kwargs: dict[str, Any] = {
                "token": self.settings.slack_bot_token.get_secret_value(),
                "timeout": self.settings.slack_timeout_s,
                "retry_handlers": _handlers(self.settings.slack_retries),
                "logger": self.logger,
            }
            if self.settings.slack_api_base_url:
                kwargs["base_url"] = self.settings.slack_api_base_url.rstrip("/") + "/"
            self._web = WebClient(**kwargs)
        return self._web

    def _error(self, what: str, exc: BaseException) -> DeliveryError:
        """``exc`` as a redacted ``DeliveryError`` that says whether the message may have arrived."""
        if isinstance(exc, DeliveryError):
            return exc
        if isinstance(exc, SlackApiError):
            response = exc.response
            status = getattr(response, "status_code", None) or 0
            error = response.get("error") if response is not None else None
            text = f"{what}: Slack answered HTTP {status}" + (f" ({error})" if error else "")
            return DeliveryError(redact(text, self.secrets), uncertain=status >= 500)
        refused = isinstance(exc, URLError) and isinstance(exc.reason, ConnectionRefusedError)
        refused = refused or isinstance(exc, ConnectionRefusedError)
        if isinstance(exc, TimeoutError):
            text, uncertain = f"{what}: no answer within {self.settings.slack_timeout_s:g} s", True
        elif refused:
            text, uncertain = f"{what}: connection refused", False
        elif isinstance(exc, SlackClientError | OSError):
            text, uncertain = f"{what}: Slack unreachable ({describe(exc, self.secrets)})", True
        else:  # raised before anything was sent (a malformed URL: ValueError)
            text, uncertain = f"{what}: {describe(exc, self.secrets)}", False
        return DeliveryError(redact(text, self.secrets), uncertain=uncertain)

    def send(
        self, destination: Destination, payload: dict[str, Any], key: str | None = None, ops: bool = False
    ) -> Receipt:
        """Post one message (with ``key`` in its metadata when it is a bot message); raise ``DeliveryError`` if not."""
        try:
            if destination.kind is DestinationKind.BOT and destination.channel:
                return self._post(destination.channel, payload, key)
            if destination.kind is DestinationKind.WEBHOOK:
                secret = self.settings.slack_ops_webhook_url if ops else self.settings.slack_webhook_url
                if secret is None:
                    raise DeliveryError("no webhook URL configured")
                return self._webhook(secret.get_secret_value(), payload)
        except Exception as exc:  # every failure, including ones slack-sdk does not wrap (a bad URL: ValueError)
            raise self._error("post", exc) from None
        raise DeliveryError(f"cannot send to a {destination.kind} destination")

    def _post(self, channel: str, payload: dict[str, Any], key: str | None) -> Receipt:
        metadata = {"event_type": EVENT_TYPE, "event_payload": {"outbox_key": key}} if key else None
        response = self._client().chat_postMessage(
            channel=channel, text=payload["text"], blocks=payload["blocks"], unfurl_links=False, metadata=metadata
        )
        return Receipt(str(response["ts"]), str(response.get("channel") or channel))

    def _webhook(self, url: str, payload: dict[str, Any]) -> Receipt:
        client = WebhookClient(
            url,
            timeout=self.settings.slack_timeout_s,  # type: ignore[arg-type]  # urllib takes float seconds
            retry_handlers=_handlers(self.settings.slack_retries),
            logger=self.logger,
        )
        response = client.send(text=payload["text"], blocks=payload["blocks"])
        if response.status_code != 200 or (response.body or "").strip() != "ok":
            body = redact((response.body or "")[:200], self.secrets)
            raise DeliveryError(
                f"post: webhook answered HTTP {response.status_code}: {body}", uncertain=response.status_code >= 500
            )
        return Receipt("ok")

    def upload_chart(self, receipt: Receipt, chart_png: bytes) -> None:
        """Upload the chart as a reply in the message's thread; raise ``DeliveryError`` if Slack did not take it."""
        try:
            self._client().files_upload_v2(
                channel=receipt.channel,
                content=chart_png,
                filename="liquidity-watch.png",
                title="Reserves, policy range and SOFR - IORB",
                thread_ts=receipt.ref,
            )
        except Exception as exc:
            raise self._error("chart upload", exc) from None

    def find_posted(self, channel: str, key: str, oldest: float) -> str | None:
        """The ``ts`` of the message in ``channel`` since ``oldest`` (Unix seconds) whose metadata carries ``key``.

        Returns None when it is not there. Raises ``DeliveryError`` when the history cannot
        be read (no ``channels:history`` scope, Slack down) or is too long to read to the end:
        then nobody can tell, and the caller must not send again.
        """
        cursor: str | None = None
        try:
            for _ in range(HISTORY_PAGES):
                response = self._client().conversations_history(
                    channel=channel, oldest=f"{max(oldest, 0):.6f}", include_all_metadata=True, limit=200, cursor=cursor
                )
                for message in response.get("messages") or []:
                    metadata = message.get("metadata") or {}
                    payload = metadata.get("event_payload") or {}
                    if metadata.get("event_type") == EVENT_TYPE and payload.get("outbox_key") == key:
                        return str(message["ts"])
                cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                if not response.get("has_more") or not cursor:
                    return None
        except Exception as exc:
            raise self._error("reading the channel history", exc) from None
        raise DeliveryError(f"reading the channel history: more than {HISTORY_PAGES * 200} messages to check")
