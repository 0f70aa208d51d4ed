"""The errors every source raises: one for transport, one for content, and one for a run with nothing to go on."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from liquidity_watch.domain.payload import Payload


class SourceError(Exception):
    """Something went wrong with an upstream source; the message names it."""

    def __init__(self, source: str, url: str, problem: str):
        self.source = source
        self.url = url
        self.problem = problem
        super().__init__(f"{source}: {problem} ({url})" if url else f"{source}: {problem}")

    def __reduce__(self) -> tuple[object, ...]:
        # Prefect may pickle a failed task's exception: rebuild it from its parts, not its message
        return (type(self), (self.source, self.url, self.problem))


class FetchError(SourceError):
    """The source could not be reached or kept failing after bounded retries."""

    def __init__(self, source: str, url: str, problem: str, status: int | None = None):
        self.status = status
        super().__init__(source, url, problem)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.source, self.url, self.problem, self.status))


class ParseError(SourceError):
    """The payload arrived but is not what the wire format promises (fail closed)."""


@contextlib.contextmanager
def parsing(source: str, url: str) -> Iterator[None]:
    """Turn whatever a parser raises into a ``ParseError`` naming ``source`` and ``url``.

    Parsers raise ``ParseError`` for what they check; this catches what they do not foresee
    in hostile input (nesting past the interpreter's recursion limit, a number too large
    for a float, an encoding, an archive's own exceptions), so that no exception type leaves
    the sources layer as anything but a source error, which fails over like any other.
    """
    try:
        yield
    except SourceError:
        raise
    except RecursionError:
        raise ParseError(source, url, "nested too deeply to parse (past the interpreter's recursion limit)") from None
    except MemoryError:
        raise ParseError(source, url, "ran out of memory while parsing") from None
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise ParseError(source, url, f"cannot be parsed: {type(exc).__name__}: {text[0] if text else ''}") from None


class SeriesRefused(ParseError):
    """Some series of a payload failed their identity or unit checks; the others passed.

    It fails closed like any ``ParseError``. A caller that can take the refused series from
    another source uses ``partial`` (the payload without them, or ``None`` if nothing passed)
    and ``problems`` (canonical id -> why).
    """

    def __init__(self, source: str, url: str, problems: dict[str, str], partial: Payload | None = None):
        self.problems = dict(problems)
        self.partial = partial
        super().__init__(source, url, "; ".join(self.problems.values()))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.source, self.url, self.problems, self.partial))


class SourcesUnavailable(Exception):
    """Required series could be had from no source: the run stops before it writes anything.

    ``failures`` are the errors met, in the order met; ``lines()`` gives one line per
    source (the first error of each, with a count of the others), which is what the
    command line prints as its ``error:`` lines.
    """

    def __init__(self, failures: list[SourceError], missing: list[str]):
        self.failures = list(failures)
        self.missing = list(missing)
        per_source = "; ".join(self.lines(urls=False))
        super().__init__(f"required series unavailable from every source: {', '.join(self.missing)}; {per_source}")

    def lines(self, *, urls: bool = True) -> list[str]:
        """One line per source that failed: ``source: problem (url)``, and how many other requests failed."""
        first: dict[str, SourceError] = {}
        count: dict[str, int] = {}
        for failure in self.failures:
            first.setdefault(failure.source, failure)
            count[failure.source] = count.get(failure.source, 0) + 1
        out = []
        for source, failure in first.items():
            more = count[source] - 1
            line = str(failure) if urls else f"{failure.source}: {failure.problem}"
            if more:
                line += f" (and {more} more request{'s' if more > 1 else ''} to {source})"
            out.append(line)
        return out

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.failures, self.missing))
