"""The one HTTP client all live sources share: timeouts, a polite pace, bounded retries that say what they do.

Failures are sorted before anything is retried:

* **the host cannot be reached at all** (its name does not resolve, the connection is
  refused, the network is unreachable): at most ``http_unreachable_attempts`` attempts (2),
  and once a host has failed that way, later requests to it from the same client fail at
  once instead of waiting again;
* **the host does not answer in time** (no connection within ``http_connect_timeout_s``,
  10 s, or no bytes within ``http_timeout_s``, 20 s): at most ``http_timeout_attempts``
  attempts (2), and then the host is not asked again in this run, like an unreachable one: a
  host that accepts connections and never answers costs a run at most 2 x 20 s plus a
  second of backoff, 41 s, whatever the number of requests planned to it;
* **other transport errors, 429 and 5xx**: up to ``http_max_attempts`` attempts
  with exponential backoff; a ``Retry-After`` header (seconds or an HTTP date) replaces the
  backoff for that attempt, capped by ``http_retry_after_cap_s``;
* **any other status** (404, 403, ...): not retried.

Each retry logs one line: the source, what went wrong, attempt n of N, the wait and the URL
with secrets redacted. Giving up raises ``FetchError`` naming the source, the URL and the
problem. These are the only retries of a fetch: the pipeline's extract task does not retry
on top of them.

Conditional requests: a client given the validators of earlier responses (``ETag``,
``Last-Modified``, per URL) sends ``If-None-Match`` / ``If-Modified-Since`` on the requests
its caller marks ``conditional`` and reports a ``304`` as "not modified". The validators of
each reply come back with it; the caller keeps them once it has parsed the payload.
``download`` streams a body into a file, hashing it as it goes, within a size bound, for
payloads too big to hold in memory (the H.4.1 release archive).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import email.utils
import errno
import functools
import hashlib
import io
import logging
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from liquidity_watch.domain.payload import Validators
from liquidity_watch.settings import Settings
from liquidity_watch.sources.errors import FetchError, ParseError
from liquidity_watch.sources.values import MAX_INPUT_BYTES

USER_AGENT = "liquidity-watch/0.1 (scheduled data pipeline)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: query parameters whose values never appear in a log line or an error message
SECRET_PARAMETER = re.compile(r"key|token|secret|passw|signature|^sig$|auth", re.IGNORECASE)
HEAD_BYTES = 512

logger = logging.getLogger("liquidity_watch.sources")


def redact_url(url: str) -> str:
    """``url`` with credentials and secret-looking query values replaced by ``***``.

    >>> redact_url("https://api.stlouisfed.org/fred/series/observations?series_id=SOFR&api_key=abc123")
    'https://api.stlouisfed.org/fred/series/observations?series_id=SOFR&api_key=***'
    >>> redact_url("https://user:pw@example.org/a?startDate=2026-01-01")
    'https://***@example.org/a?startDate=2026-01-01'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(SECRET_PARAMETER.search(name) for name, _ in pairs):
        query = urlencode([(n, "***" if SECRET_PARAMETER.search(n) else v) for n, v in pairs], safe="/:,*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def retry_delay_s(settings: Settings, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before retrying after failed attempt number ``attempt``: the server's ``Retry-After``
    up to ``http_retry_after_cap_s``, else the exponential backoff with a little jitter (never below it).

    >>> s = Settings(http_backoff_initial_s=1.0, http_backoff_max_s=30.0, http_retry_after_cap_s=300.0)
    >>> retry_delay_s(s, 1, 1.0), retry_delay_s(s, 1, 900.0)
    (1.0, 300.0)
    >>> 4.0 <= retry_delay_s(s, 3, None) <= 4.4
    True
    """
    if retry_after is not None:
        return min(retry_after, settings.http_retry_after_cap_s)
    base = min(settings.http_backoff_max_s, settings.http_backoff_initial_s * float(2 ** (attempt - 1)))
    return base * random.uniform(1.0, 1.1)


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


@dataclass(frozen=True)
class Failure:
    """One failed attempt, sorted: may it be retried, and how many attempts does its kind get?"""

    text: str  # what went wrong, for the retry line: "DNS lookup failed for host (...)"
    unreachable: bool = False  # the host cannot be reached at all: few attempts, then the host is skipped
    status: int | None = None
    retry_after: float | None = None
    timeout_s: float | None = None

    def gave_up(self, attempts: int) -> str:
        """The problem of the final ``FetchError``."""
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if self.timeout_s is not None:
            return f"timed out after {tries} ({self.timeout_s:g} s each)"
        return f"{self.text} after {tries}"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def transport_failure(exc: httpx.TransportError, host: str, timeout_s: float) -> Failure:
    """Sort a transport error: unreachable host (DNS, refused, no route) or a transient one.

    >>> import socket
    >>> err = httpx.ConnectError("[Errno -2] Name or service not known")
    >>> err.__cause__ = socket.gaierror(-2, "Name or service not known")
    >>> transport_failure(err, "nyfed.invalid", 30).text
    'DNS lookup failed for nyfed.invalid (Name or service not known)'
    """
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            return Failure(f"DNS lookup failed for {host} ({cause.strerror or cause})", unreachable=True)
        if isinstance(cause, ConnectionRefusedError):
            return Failure(f"connection refused by {host}", unreachable=True)
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return Failure(f"no route to {host} ({cause.strerror})", unreachable=True)
    if isinstance(exc, httpx.TimeoutException):
        return Failure(f"timed out after {timeout_s:g} s", timeout_s=timeout_s)
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "Temporary failure in name resolution" in text:
        return Failure(f"DNS lookup failed for {host} ({text})", unreachable=True)
    if "Connection refused" in text:
        return Failure(f"connection refused by {host}", unreachable=True)
    return Failure(f"could not connect to {host}: {text}")


class RetryableStatus(Exception):
    """A response worth retrying (429 or 5xx); carries the server's Retry-After, if any."""

    def __init__(self, response: httpx.Response):
        self.status = response.status_code
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        super().__init__(f"HTTP {response.status_code}")


@functools.lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """One TLS context for every client of the process (building one reads the CA bundle: ~60 ms)."""
    return ssl.create_default_context()


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


@dataclass(frozen=True)
class Reply:
    """What a GET brought back.

    Attributes
    ----------
    url : the URL finally answered (after same-host redirects), secrets redacted.
    status : 200, or 304 for a conditional request with nothing new.
    validators : the response's ETag / Last-Modified, for the next conditional request.
    body : the body of ``fetch`` (empty for ``download`` and for a 304).
    sha256, n_bytes : hash and size of the body (also for a download, computed while streaming).
    head : the first bytes of the body: enough to tell an HTML error page from the payload.
    content_type : the response's Content-Type.
    """

    url: str
    status: int
    validators: Validators
    body: bytes = b""
    sha256: str = ""
    n_bytes: int = 0
    head: bytes = b""
    content_type: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True)
class NotModified:
    """A conditional request answered 304: nothing new at ``url`` (from ``source``) since ``validators``."""

    source: str
    url: str
    validators: Validators


Sink = Callable[[str, httpx.Response], Reply]


def _validators(response: httpx.Response) -> Validators:
    return Validators(response.headers.get("ETag"), response.headers.get("Last-Modified"))


class HttpClient:
    """GET with timeouts, pacing, sorted and bounded retries, conditional requests and streamed downloads.

    Parameters
    ----------
    settings : timeouts, attempts, backoff, pace.
    source : the source name used in messages (``nyfed``, ``ddp``, ``fred``).
    follow_redirects_on : follow redirects only to this host, and only from it.
    on_retry : receives one line per retry (default: a warning on ``liquidity_watch.sources``).
    validators : validators of earlier responses, by URL (secrets redacted), for conditional requests.
    """

    def __init__(
        self,
        settings: Settings,
        source: str,
        *,
        follow_redirects_on: str | None = None,
        on_retry: Callable[[str], None] | None = None,
        validators: Mapping[str, Validators] | None = None,
    ):
        self.settings = settings
        self.validators = dict(validators or {})
        self.source = source
        self.pacer = Pacer(settings.requests_per_second)
        self.on_retry = on_retry or logger.warning
        self._same_host_redirects = follow_redirects_on
        self._unreachable: dict[str, str] = {}
        #: requests sent per host (``host:port``), every attempt counted
        self.attempts: collections.Counter[str] = collections.Counter()
        self.client = httpx.Client(
            timeout=httpx.Timeout(settings.http_timeout_s, connect=settings.http_connect_timeout_s),
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"},
            follow_redirects=False,
            verify=tls_context(),
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> tuple[bytes, str]:
        """Fetch ``url``; return ``(body, final_url)`` or raise ``FetchError``."""
        reply = self.fetch(url, params)
        return reply.body, reply.url

    def fetch(
        self,
        url: str,
        params: dict[str, str] | None = None,
        *,
        conditional: bool = False,
        max_bytes: int = MAX_INPUT_BYTES,
    ) -> Reply:
        """GET ``url`` into memory, at most ``max_bytes`` of it (a larger body is refused as it streams,
        never held whole); ``conditional``: with the URL's known validators (a 304 gives an empty body)."""
        buffer = io.BytesIO()
        reply = self.download(url, params, buffer, conditional=conditional, max_bytes=max_bytes)
        return dataclasses.replace(reply, body=buffer.getvalue())

    def download(
        self,
        url: str,
        params: dict[str, str] | None,
        dest: BinaryIO,
        *,
        conditional: bool = False,
        max_bytes: int | None = None,
    ) -> Reply:
        """Stream ``url`` into ``dest`` (rewritten from its start on each attempt), hashing as it goes.

        Raises ``ParseError`` when the body is larger than ``max_bytes`` (the declared
        Content-Length is checked first, then the bytes as they come).
        """

        def sink(final: str, response: httpx.Response) -> Reply:
            declared = response.headers.get("Content-Length", "")
            if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
                raise ParseError(self.source, redact_url(final), _too_big(int(declared), max_bytes, "declares"))
            dest.seek(0)
            dest.truncate()
            digest = hashlib.sha256()
            size = 0
            head = b""
            for chunk in response.iter_bytes(chunk_size=1 << 20):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise ParseError(self.source, redact_url(final), _too_big(size, max_bytes, "sent"))
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                digest.update(chunk)
                dest.write(chunk)
            dest.flush()
            return Reply(
                redact_url(final),
                200,
                _validators(response),
                sha256=digest.hexdigest(),
                n_bytes=size,
                head=head,
                content_type=response.headers.get("Content-Type", ""),
            )

        return self._request(str(httpx.URL(url, params=params)), conditional, sink)

    def _request(self, url: str, conditional: bool, sink: Sink) -> Reply:
        s = self.settings
        host = urlsplit(url).netloc
        shown = redact_url(url)
        if host in self._unreachable:
            raise FetchError(self.source, shown, f"{self._unreachable[host]}; not tried again in this run")
        known = self.validators.get(shown) if conditional else None
        headers = known.request_headers() if known else {}
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(url, headers, sink)
            except RetryableStatus as exc:
                failure = Failure(f"HTTP {exc.status}", status=exc.status, retry_after=exc.retry_after)
                error: Exception = exc
            except httpx.UnsupportedProtocol as exc:
                raise FetchError(self.source, shown, f"unsupported URL: {exc}") from exc
            except httpx.TransportError as exc:
                failure = transport_failure(exc, host, s.http_timeout_s)
                error = exc
            if failure.unreachable:
                budget = s.http_unreachable_attempts
            elif failure.timeout_s is not None:
                budget = s.http_timeout_attempts
            else:
                budget = s.http_max_attempts
            budget = max(1, min(budget, s.http_max_attempts))
            if attempt >= budget:
                if failure.unreachable:
                    self._unreachable[host] = failure.text
                elif failure.timeout_s is not None:
                    self._unreachable[host] = f"{host} did not answer: {failure.gave_up(attempt)}"
                raise FetchError(self.source, shown, failure.gave_up(attempt), failure.status) from error
            wait = retry_delay_s(s, attempt, failure.retry_after)
            self.on_retry(
                f"{self.source}: {failure.text}; attempt {attempt} of {budget}, retrying in {wait:.1f} s: GET {shown}"
            )
            time.sleep(wait)

    def _once(self, url: str, headers: dict[str, str], sink: Sink) -> Reply:
        for hop in range(3):
            host = urlsplit(url).netloc
            self.pacer.wait(host)
            self.attempts[host] += 1
            with self.client.stream("GET", url, headers=headers) as response:
                target = self._redirect_target(url, response) if hop < 2 else None
                if target is None:
                    return self._handle(url, response, bool(headers), sink)
            url = target
        raise AssertionError("unreachable: the last hop returns")  # pragma: no cover

    def _redirect_target(self, url: str, response: httpx.Response) -> str | None:
        if not (response.is_redirect and self._same_host_redirects and response.next_request is not None):
            return None
        target = response.next_request.url
        if target.host == self._same_host_redirects == urlsplit(url).hostname:
            return str(target)
        return None

    def _handle(self, url: str, response: httpx.Response, conditional: bool, sink: Sink) -> Reply:
        status = response.status_code
        if status == 304 and conditional:
            shown = redact_url(url)
            known, fresh = self.validators.get(shown, Validators()), _validators(response)
            return Reply(shown, 304, Validators(fresh.etag or known.etag, fresh.last_modified or known.last_modified))
        if status in RETRY_STATUSES:
            response.read()
            raise RetryableStatus(response)
        if status != 200:
            text = response.read()[:200].decode("utf-8", "replace")
            raise FetchError(self.source, redact_url(url), f"HTTP {status}: {text!r}", status)
        return sink(url, response)


def _too_big(size: int, bound: int, verb: str) -> str:
    return f"the server {verb} {size / 2**20:.1f} MB, more than the bound of {round(bound / 2**20, 3):g} MB: refused"
