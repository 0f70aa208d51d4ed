"""Where alerts go: Slack settings from the environment, checked at the start of a run and turned into destinations.

* ``SLACK_BOT_TOKEN`` + ``SLACK_CHANNEL``: ``chat.postMessage`` with Block Kit and a chart.
* ``SLACK_SUBSCRIPTIONS``: more channels for the bot, each with a minimum severity,
  e.g. ``C0RISK:alert,C0DESK:critical`` (``SLACK_CHANNEL`` itself gets everything from watch).
* ``SLACK_WEBHOOK_URL``: an incoming webhook (text and blocks, no image).
* ``SLACK_OPS_CHANNEL`` (with the bot token) or ``SLACK_OPS_WEBHOOK_URL``: ops notifications
  (run failed, gate failed, data stale); never used for subscribers.
* ``SLACK_API_BASE_URL``: a proxy, or a local fake in tests. ``SLACK_TIMEOUT_S``: seconds per request;
  ``SLACK_RETRIES``: retries after a connection error or a 5xx (429s are always retried, up to 3 times).

Channels are IDs (``C0123ABCD``; a private channel ``G...``): before a bot message is sent
again, the channel's history is read to see whether an earlier attempt reached it, and
Slack serves history by ID only.

``delivery_config()`` never raises and never prints a secret: a setting that cannot work
(a webhook URL without its scheme, a token with a space, a channel name instead of an
ID) becomes one redacted line in ``problems`` and its destination is marked broken. Its
messages stay queued and fail with that line until the setting is fixed; every other
destination, and the data run, go on.

With none of them set, alerts print to the terminal and stay in the outbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from ipaddress import ip_address
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from liquidity_watch.alerts.redaction import redact
from liquidity_watch.domain.delivery import DestinationKind
from liquidity_watch.domain.severity import Severity
from liquidity_watch.locations import ENV_FILE

#: A Slack conversation ID: public channel C..., private channel G..., direct message D...
CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")  # matched whole (fullmatch)
#: A Slack token: xoxb- (bot), xoxp- (user), xoxe- ... with no whitespace.
TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")  # matched whole (fullmatch): no trailing newline
TERMINAL = "terminal"


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", env_file=ENV_FILE, extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_channel: str | None = None
    slack_subscriptions: str | None = None
    slack_webhook_url: SecretStr | None = None
    slack_ops_channel: str | None = None
    slack_ops_webhook_url: SecretStr | None = None
    slack_api_base_url: str | None = None
    slack_timeout_s: float = 30.0
    slack_retries: int = 2

    def secrets(self) -> list[str]:
        """Every secret value, and the secret path of each webhook URL, for redaction."""
        out: list[str] = []
        for secret in (self.slack_bot_token, self.slack_webhook_url, self.slack_ops_webhook_url):
            value = secret.get_secret_value().strip() if secret else ""
            if not value:
                continue
            out.append(value)
            path = urlsplit(value if "//" in value else f"//{value}").path
            if len(path) >= 8:  # /services/T.../B.../xxx: the part that makes a webhook URL a secret
                out.append(path)
        return out


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


@dataclass(frozen=True)
class DeliveryConfig:
    """The checked Slack settings: where messages go, which destinations cannot work and why."""

    settings: SlackSettings
    destinations: list[Destination]
    ops: Destination
    broken: dict[str, str] = field(default_factory=dict)  # destination name -> redacted reason
    problems: list[str] = field(default_factory=list)  # one redacted line per bad setting

    @property
    def secrets(self) -> list[str]:
        return self.settings.secrets()

    def by_name(self) -> dict[str, Destination]:
        return {d.name: d for d in self.destinations}

    def terminal_only(self) -> DeliveryConfig:
        """The same settings with every subscriber message printed instead (a replay without ``--deliver``)."""
        return DeliveryConfig(self.settings, [Destination(TERMINAL, DestinationKind.TERMINAL)], self.ops)


def webhook_problem(variable: str, value: str) -> str | None:
    """Why a webhook URL cannot work, in words that never repeat it; None if it can.

    >>> webhook_problem("SLACK_WEBHOOK_URL", "hooks.slack.com/services/T0/B0/abc")
    'SLACK_WEBHOOK_URL is not a URL: it has no scheme (expected https://hooks.slack.com/services/...)'
    >>> webhook_problem("SLACK_WEBHOOK_URL", "http://hooks.slack.com/services/T0/B0/abc")
    'SLACK_WEBHOOK_URL must use https (only a loopback test server may use http)'
    """
    return url_problem(variable, value, "(expected https://hooks.slack.com/services/...)")


def url_problem(variable: str, value: str, expected: str) -> str | None:
    """Why ``value`` is not a usable http(s) URL, without repeating it; None if it is."""
    if value != value.strip() or any(c.isspace() for c in value):
        return f"{variable} contains spaces or line breaks {expected}"
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        return f"{variable} is not a URL {expected}"
    if not parts.scheme or not parts.netloc:
        return f"{variable} is not a URL: it has no scheme {expected}"
    if parts.scheme not in ("http", "https") or not host:
        return f"{variable} is not an http(s) URL {expected}"
    if parts.scheme == "http" and not _loopback(host):
        return f"{variable} must use https (only a loopback test server may use http)"
    if "hooks.slack" in expected and len(parts.path) < 2:
        return f"{variable} has no path {expected}"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _channel_problem(variable: str, channel: str) -> str | None:
    if CHANNEL_ID.fullmatch(channel):
        return None
    return (
        f"{variable}: {channel[:40]!r} is not a channel ID (like C0123ABCD, from the channel's details); "
        "names cannot be checked for duplicates"
    )


def load_settings() -> tuple[SlackSettings, list[str]]:
    """``SlackSettings()`` from the environment; a value of the wrong type becomes a line naming the variable."""
    try:
        return SlackSettings(), []
    except ValidationError as exc:
        names = ", ".join(sorted({str(e["loc"][0]).upper() for e in exc.errors() if e.get("loc")}))
        return SlackSettings.model_construct(), [f"Slack settings ignored: {names} has a value of the wrong type"]


def delivery_config(settings: SlackSettings | None = None) -> DeliveryConfig:
    """Check the Slack settings (from the environment unless given); never raises, never repeats a secret."""
    problems: list[str] = []
    if settings is None:
        settings, problems = load_settings()
    secrets = settings.secrets()
    broken: dict[str, str] = {}
    destinations: list[Destination] = []

    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    token_problem = None
    if token and not TOKEN.fullmatch(token):
        token_problem = "SLACK_BOT_TOKEN does not look like a Slack token (xoxb-... with no spaces)"
    if settings.slack_api_base_url and token:
        base_problem = url_problem("SLACK_API_BASE_URL", settings.slack_api_base_url, "(expected https://...)")
        token_problem = token_problem or base_problem
    if token_problem:
        problems.append(token_problem)

    def bot(channel: str, level: Severity, variable: str) -> None:
        name = f"slack:{channel}"
        destinations.append(Destination(name, DestinationKind.BOT, channel, level))
        reason = token_problem or _channel_problem(variable, channel)
        if reason:
            broken[name] = reason
            if reason not in problems:
                problems.append(reason)

    if settings.slack_channel and not token:
        problems.append("SLACK_CHANNEL is set but SLACK_BOT_TOKEN is not: bot messages are off")
    if token and settings.slack_channel:
        bot(settings.slack_channel.strip(), Severity.WATCH, "SLACK_CHANNEL")
    if token and settings.slack_subscriptions:
        for item in settings.slack_subscriptions.split(","):
            channel, _, level = item.strip().partition(":")
            level = level or Severity.WATCH
            if level not in set(Severity) - {Severity.NONE, Severity.UNKNOWN}:
                problems.append(f"SLACK_SUBSCRIPTIONS: {item.strip()[:40]!r} must be CHANNEL:watch|alert|critical")
                continue
            bot(channel, Severity(level), "SLACK_SUBSCRIPTIONS")
    if settings.slack_webhook_url:
        destinations.append(Destination("webhook", DestinationKind.WEBHOOK))
        reason = webhook_problem("SLACK_WEBHOOK_URL", settings.slack_webhook_url.get_secret_value())
        if reason:
            broken["webhook"] = reason
            problems.append(reason)

    ops = Destination(TERMINAL, DestinationKind.TERMINAL)
    if token and settings.slack_ops_channel:
        ops = Destination(f"slack:{settings.slack_ops_channel}", DestinationKind.BOT, settings.slack_ops_channel)
        reason = token_problem or _channel_problem("SLACK_OPS_CHANNEL", settings.slack_ops_channel)
        if reason:
            broken[ops.name] = reason
            if reason not in problems:
                problems.append(reason)
    elif settings.slack_ops_webhook_url:
        ops = Destination("ops-webhook", DestinationKind.WEBHOOK)
        reason = webhook_problem("SLACK_OPS_WEBHOOK_URL", settings.slack_ops_webhook_url.get_secret_value())
        if reason:
            broken[ops.name] = reason
            problems.append(reason)

    return DeliveryConfig(
        settings,
        destinations or [Destination(TERMINAL, DestinationKind.TERMINAL)],
        ops,
        {name: redact(reason, secrets) for name, reason in broken.items()},
        [redact(problem, secrets) for problem in problems],
    )


def subscriber_destinations(settings: SlackSettings) -> list[Destination]:
    """Subscriber destinations (broken ones included), or the terminal when no Slack is configured."""
    return delivery_config(settings).destinations
