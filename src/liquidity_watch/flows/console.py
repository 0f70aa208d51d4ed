"""What ``liquidity-watch run`` lets through to the terminal while the flow runs: a quiet console.

Prefect logs a line per task ("Finished in state Completed()"), the flow's start, a "View at"
link and, when a run fails, the same exception in five records (the task's failure and final
state, the flow's, the ops notification). In the terminal a person wants the summary first,
then each warning and error once. So, for the console handlers only and only while the
command runs:

* INFO and below stay off the terminal (``--verbose`` shows them), except the "View at" link
  when the server outlives the run (the temporary server's link is dead a second later);
* warnings and errors are held back and shown after the summary, each message once, and those
  that only repeat the error the command prints anyway are dropped.

Nothing is dropped from Prefect's own log: the API handler still sends every record, with its
traceback, to the server. A worker running a deployment is not touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

#: The loggers whose handlers write to this process's terminal (Prefect's console handlers hang here).
CONSOLE_LOGGERS = (None, "prefect", "prefect.flow_runs", "prefect.task_runs")
VIEW_AT = "View at "


def console_handlers() -> set[logging.Handler]:
    """The stream handlers that write to this process's terminal (file handlers are logs, not consoles)."""
    return {
        handler
        for name in CONSOLE_LOGGERS
        for handler in logging.getLogger(name).handlers
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler)
    }


class _Hold(logging.Filter):
    """One console handler's filter: lets the allowed INFO through, holds warnings and errors, once each."""

    def __init__(self, handler: logging.Handler, *, view_links: bool) -> None:
        super().__init__()
        self.handler = handler
        self.view_links = view_links
        self.held: list[logging.LogRecord] = []
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno < logging.WARNING:
            return self.view_links and message.startswith(VIEW_AT)
        if message not in self.seen:
            self.seen.add(message)
            self.held.append(record)
        return False


class QuietConsole:
    """Install on the console handlers with :meth:`install`; :meth:`release` shows what was held, then removes it.

    ``release`` takes a predicate for the messages to drop (those that repeat the command's own
    error); call it after the summary, or before the command's error lines.
    """

    def __init__(self, *, view_links: bool) -> None:
        self.view_links = view_links
        self.filters: list[_Hold] = []

    def install(self) -> QuietConsole:
        self.filters = [_Hold(handler, view_links=self.view_links) for handler in console_handlers()]
        for hold in self.filters:
            hold.handler.addFilter(hold)
        return self

    def release(self, drop: Callable[[str], bool] = lambda message: False) -> None:
        for hold in self.filters:
            hold.handler.removeFilter(hold)
        for hold in self.filters:
            for record in hold.held:
                if not drop(record.getMessage()):
                    hold.handler.handle(record)
        self.filters = []


def server_outlives_run() -> bool:
    """Whether the run's Prefect server is one that stays up (``PREFECT_API_URL``), not this run's temporary one."""
    from prefect.settings import get_current_settings

    return bool(get_current_settings().api.url)


def repeats(error: str) -> Callable[[str], bool]:
    """A predicate for :meth:`QuietConsole.release`: does a message repeat ``error`` (its first line)?

    >>> drop = repeats("required series unavailable from every source: SOFR\\nmore")
    >>> drop("Task run failed with exception: SourcesUnavailable('required series unavailable from every source: SOFR")
    True
    >>> drop("nyfed: DNS lookup failed; attempt 1 of 2, retrying in 1.1 s")
    False
    """
    first = error.strip().splitlines()[0] if error.strip() else ""
    return lambda message: bool(first) and first in message
