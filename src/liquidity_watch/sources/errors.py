"""The two errors every source raises: one for transport, one for content."""

from __future__ import annotations


class SourceError(Exception):
    """Something went wrong with an upstream source; the message names it."""

    def __init__(self, source: str, url: str, problem: str):
        self.source = source
        self.url = url
        self.problem = problem
        super().__init__(f"{source}: {problem} ({url})")


class FetchError(SourceError):
    """The source could not be reached or kept failing after bounded retries."""

    def __init__(self, source: str, url: str, problem: str, status: int | None = None):
        self.status = status
        super().__init__(source, url, problem)


class ParseError(SourceError):
    """The payload arrived but is not what the wire format promises (fail closed)."""
