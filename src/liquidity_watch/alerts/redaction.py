"""Keeping secrets out of every text a delivery path produces: logs, stored errors, exceptions, Prefect."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

_HOOK = re.compile(r"(?:https?://)?hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9]\S*")
_TOKEN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+")
_SERVICES = re.compile(r"/services/[A-Za-z0-9_-]+/[A-Za-z0-9_/-]+")


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret (as written, or URL-quoted), and anything shaped like a Slack token or hook URL.

    >>> redact("POST https://hooks.slack.com/services/T1/B2/xyz failed", [])
    'POST <redacted webhook> failed'
    >>> redact("unknown url type: 'hooks.slack.com/services/T1/B2/xyz'", [])
    "unknown url type: '<redacted webhook>"
    >>> redact("token xoxb-123-abc rejected", [])
    'token <redacted token> rejected'
    >>> redact("POST /services/T1/B2/xyz: 403", [])
    'POST <redacted webhook path>: 403'
    """
    variants = {v for s in secrets if s for v in (s, quote(s, safe=""), quote(s, safe="/:"), repr(s)[1:-1])}
    for secret in sorted(variants, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "<redacted>")
    text = _HOOK.sub("<redacted webhook>", text)
    text = _SERVICES.sub("<redacted webhook path>", text)
    return _TOKEN.sub("<redacted token>", text)


def describe(exc: BaseException, secrets: list[str]) -> str:
    """An exception as one redacted line: its type and first line (a chained cause's, when it has none)."""
    text = str(exc).strip() or str(exc.__cause__ or "").strip()
    first = text.splitlines()[0] if text else ""
    return redact(f"{type(exc).__name__}: {first}" if first else type(exc).__name__, secrets)[:500]


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message (and drops its arguments) before any handler sees it."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info:
            record.msg += f" ({describe(record.exc_info[1], self.secrets)})" if record.exc_info[1] else ""
            record.exc_info = None
            record.exc_text = None
        return True
