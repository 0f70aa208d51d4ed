"""Where alerts go: Slack settings from the environment, turned into destinations.

* ``SLACK_BOT_TOKEN`` + ``SLACK_CHANNEL``: ``chat.postMessage`` with Block Kit and a chart.
* ``SLACK_SUBSCRIPTIONS``: more channels for the bot, each with a minimum severity,
  e.g. ``C0RISK:alert,C0DESK:critical`` (``SLACK_CHANNEL`` itself gets everything from watch).
* ``SLACK_WEBHOOK_URL``: an incoming webhook (text and blocks, no image).
* ``SLACK_OPS_CHANNEL`` (with the bot token) or ``SLACK_OPS_WEBHOOK_URL``: ops notifications
  (run failed, gate failed, data stale); never used for subscribers.
* ``SLACK_API_BASE_URL``: a proxy, or a local fake in tests.

With none of them set, alerts print to the terminal and stay in the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from liquidity_watch.domain.delivery import DestinationKind
from liquidity_watch.domain.severity import Severity


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_subscriptions: str | None = None
    slack_webhook_url: SecretStr | None = None
    slack_ops_channel: str | None = None
    slack_ops_webhook_url: SecretStr | None = None
    slack_api_base_url: str | None = None

    def secrets(self) -> list[str]:
        """Every secret value, for redaction."""
        return [
            s.get_secret_value()
            for s in (self.slack_bot_token, self.slack_webhook_url, self.slack_ops_webhook_url)
            if s
        ]


@dataclass(frozen=True)
class Destination:
    """One place a message can go. ``name`` is safe to store and print (no secrets)."""

    name: str
    kind: DestinationKind
    channel: str | None = None
    min_severity: Severity = Severity.WATCH

    def __post_init__(self) -> None:
        # accept plain strings ("bot", "alert") and refuse anything that is not a known value
        object.__setattr__(self, "kind", DestinationKind(self.kind))
        object.__setattr__(self, "min_severity", Severity(self.min_severity))

    def wants(self, severity: str) -> bool:
        return Severity(severity) >= self.min_severity


def subscriber_destinations(settings: SlackSettings) -> list[Destination]:
    """Subscriber destinations, or the terminal when no Slack is configured."""
    out: list[Destination] = []
    if settings.slack_bot_token and settings.slack_channel:
        out.append(Destination(f"slack:{settings.slack_channel}", DestinationKind.BOT, settings.slack_channel))
    if settings.slack_bot_token and settings.slack_subscriptions:
        for item in settings.slack_subscriptions.split(","):
            channel, _, level = item.strip().partition(":")
            level = level or Severity.WATCH
            if level not in set(Severity) - {Severity.NONE}:
                raise ValueError(f"SLACK_SUBSCRIPTIONS: {item.strip()!r} must be CHANNEL:watch|alert|critical")
            out.append(Destination(f"slack:{channel}", DestinationKind.BOT, channel, Severity(level)))
    if settings.slack_webhook_url:
        out.append(Destination("webhook", DestinationKind.WEBHOOK))
    return out or [Destination("terminal", DestinationKind.TERMINAL)]


def ops_destination(settings: SlackSettings) -> Destination:
    if settings.slack_bot_token and settings.slack_ops_channel:
        return Destination(f"slack:{settings.slack_ops_channel}", DestinationKind.BOT, settings.slack_ops_channel)
    if settings.slack_ops_webhook_url:
        return Destination("ops-webhook", DestinationKind.WEBHOOK)
    return Destination("terminal", DestinationKind.TERMINAL)
