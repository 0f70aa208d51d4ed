"""Sending one message to one destination with slack-sdk, retrying 429 (Retry-After), 5xx and resets.

Errors come back as ``DeliveryError`` with every token and webhook URL redacted, so they
can be logged and stored in the outbox.
"""

from __future__ import annotations

import re

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from liquidity_watch.alerts.config import Destination, SlackSettings
from liquidity_watch.domain.delivery import DestinationKind

TIMEOUT_S = 30


class DeliveryError(Exception):
    """Slack did not take the message; the text carries no secret."""


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret, and anything shaped like a Slack token or hook URL, with a marker.

    >>> redact("POST https://hooks.slack.com/services/T1/B2/xyz failed", [])
    'POST <redacted webhook> failed'
    >>> redact("token xoxb-123-abc rejected", [])
    'token <redacted token> rejected'
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "<redacted>")
    text = re.sub(r"https?://hooks\.slack\.com/\S+", "<redacted webhook>", text)
    return re.sub(r"xox[abposr]-[A-Za-z0-9-]+", "<redacted token>", text)


def _handlers() -> list:
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


class SlackSender:
    def __init__(self, settings: SlackSettings):
        self.settings = settings
        self._web: WebClient | None = None

    def _client(self) -> WebClient:
        if self._web is None:
            kwargs = {
                "token": self.settings.slack_bot_token.get_secret_value(),
                "timeout": TIMEOUT_S,
                "retry_handlers": _handlers(),
            }
            if self.settings.slack_api_base_url:
                kwargs["base_url"] = self.settings.slack_api_base_url.rstrip("/") + "/"
            self._web = WebClient(**kwargs)
        return self._web

    def send(self, destination: Destination, payload: dict, chart_png: bytes | None = None, ops: bool = False) -> str:
        """Deliver; return Slack's message ``ts`` (or ``ok``). Raise ``DeliveryError`` otherwise."""
        try:
            if destination.kind is DestinationKind.BOT:
                return self._post(destination.channel, payload, chart_png)
            if destination.kind is DestinationKind.WEBHOOK:
                secret = self.settings.slack_ops_webhook_url if ops else self.settings.slack_webhook_url
                return self._webhook(secret.get_secret_value(), payload)
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            status = exc.response.status_code if exc.response is not None else "?"
            raise DeliveryError(
                redact(f"Slack API error {error or ''} (HTTP {status})", self.settings.secrets())
            ) from None
        except (SlackClientError, OSError) as exc:
            raise DeliveryError(redact(f"Slack unreachable: {exc}", self.settings.secrets())) from None
        raise DeliveryError(f"cannot send to a {destination.kind} destination")

    def _post(self, channel: str, payload: dict, chart_png: bytes | None) -> str:
        client = self._client()
        response = client.chat_postMessage(
            channel=channel, text=payload["text"], blocks=payload["blocks"], unfurl_links=False
        )
        if chart_png:
            client.files_upload_v2(
                channel=response["channel"],
                content=chart_png,
                filename="liquidity-watch.png",
                title="Reserves, policy range and SOFR - IORB",
                thread_ts=response["ts"],
            )
        return str(response["ts"])

    def _webhook(self, url: str, payload: dict) -> str:
        client = WebhookClient(url, timeout=TIMEOUT_S, retry_handlers=_handlers())
        response = client.send(text=payload["text"], blocks=payload["blocks"])
        if response.status_code != 200 or response.body.strip() != "ok":
            raise DeliveryError(
                f"webhook answered HTTP {response.status_code}: {redact(response.body[:200], self.settings.secrets())}"
            )
        return "ok"
