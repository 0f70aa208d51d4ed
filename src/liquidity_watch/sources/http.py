"""The one HTTP client all live sources share: timeouts, a polite pace, bounded retries.

Retries (``stamina``) cover timeouts, connection errors, 429 and 5xx. A ``Retry-After``
header, in seconds or as an HTTP date, replaces the exponential backoff for that attempt
(capped by ``http_retry_after_cap_s``). When the attempts run out, ``FetchError`` names
the source, the URL and the last status.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import stamina

from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import FetchError

USER_AGENT = "liquidity-watch/0.1 (scheduled data pipeline)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RetryableStatus(Exception):
    """A response worth retrying (429 or 5xx); carries the server's Retry-After, if any."""

    def __init__(self, response: httpx.Response):
        self.response = response
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        super().__init__(f"HTTP {response.status_code}")


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    >>> parse_retry_after("2")
    2.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", dt.datetime(2015, 10, 21, 7, 28, tzinfo=dt.UTC))
    5.0
    >>> parse_retry_after("soon") is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def backoff_hook(cap_s: float) -> Callable[[Exception], bool | float]:
    """Tell stamina whether to retry an exception, and for how long to wait when the server said."""

    def hook(exc: Exception) -> bool | float:
        if isinstance(exc, RetryableStatus):
            return min(exc.retry_after, cap_s) if exc.retry_after is not None else True
        return isinstance(exc, (httpx.TimeoutException, httpx.TransportError))

    return hook


class Pacer:
    """At most ``per_second`` requests per second to one host (shared across threads)."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self.interval
        if start > now:
            time.sleep(start - now)


class HttpClient:
    """GET with timeouts, pacing and bounded retries; returns the body bytes of a 200."""

    def __init__(self, settings: Settings, source: str, *, follow_redirects_on: str | None = None):
        self.settings = settings
        self.source = source
        self.pacer = Pacer(settings.requests_per_second)
        self._same_host_redirects = follow_redirects_on
        self.client = httpx.Client(
            timeout=httpx.Timeout(settings.http_timeout_s),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """Fetch ``url``; return ``(body, final_url)`` or raise ``FetchError``."""
        full = str(httpx.URL(url, params=params))
        s = self.settings
        try:
            for attempt in stamina.retry_context(
                on=backoff_hook(s.http_retry_after_cap_s),
                attempts=s.http_max_attempts,
                timeout=None,
                wait_initial=s.http_backoff_initial_s,
                wait_max=s.http_backoff_max_s,
            ):
                with attempt:
                    return self._get_once(full)
        except RetryableStatus as exc:
            raise FetchError(
                self.source,
                full,
                f"HTTP {exc.response.status_code} after {s.http_max_attempts} attempts",
                exc.response.status_code,
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(
                self.source, full, f"timed out after {s.http_max_attempts} attempts ({s.http_timeout_s:g} s each)"
            ) from exc
        except httpx.TransportError as exc:
            raise FetchError(
                self.source, full, f"could not connect after {s.http_max_attempts} attempts: {exc}"
            ) from exc
        raise AssertionError("unreachable: the retry loop returns or raises")  # pragma: no cover

    def _get_once(self, url: str) -> tuple[bytes, str]:
        host = urlsplit(url).netloc
        for _hop in range(3):
            self.pacer.wait(host)
            response = self.client.get(url)
            if response.is_redirect and self._same_host_redirects:
                target = response.next_request.url if response.next_request else None
                if target is not None and target.host == self._same_host_redirects == urlsplit(url).hostname:
                    url = str(target)
                    continue
            break
        if response.status_code in RETRY_STATUSES:
            raise RetryableStatus(response)
        if response.status_code != 200:
            raise FetchError(
                self.source, url, f"HTTP {response.status_code}: {response.text[:200]!r}", response.status_code
            )
        return response.content, url
