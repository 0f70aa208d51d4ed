"""What ``liquidity-watch run`` lets through to the terminal: the summary first, each warning and error once."""

from __future__ import annotations

import io
import logging

import pytest

from liquidity_watch.flows.console import QuietConsole, repeats


@pytest.fixture
def terminal():
    """A console handler on Prefect's task-run logger, as Prefect installs one, writing to a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("prefect.task_runs")
    # Prefect's own handlers, if this process configured them, are set aside: its API handler warns
    # about records sent outside a flow run
    level, propagate, handlers = logger.level, logger.propagate, logger.handlers[:]
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logger.handlers = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_task_info_lines_stay_off_the_terminal_and_warnings_come_after_the_summary_once_each(terminal):
    logger, stream = terminal
    quiet = QuietConsole(view_links=False).install()
    logger.info("Finished in state Completed()")
    logger.info("View at http://127.0.0.1:50123/runs/flow-run/1")
    logger.warning("SOFR from FRED: NY Fed failed")
    logger.warning("SOFR from FRED: NY Fed failed")
    assert stream.getvalue() == ""  # nothing before the summary
    stream.write("SUMMARY\n")
    quiet.release()
    logger.info("after the run, lines pass as before")
    assert stream.getvalue().splitlines() == [
        "SUMMARY",
        "WARNING SOFR from FRED: NY Fed failed",
        "INFO after the run, lines pass as before",
    ]


def test_the_view_at_link_stays_when_the_server_outlives_the_run(terminal):
    logger, stream = terminal
    quiet = QuietConsole(view_links=True).install()
    logger.info("View at http://127.0.0.1:4200/runs/flow-run/1")
    logger.info("Finished in state Completed()")
    quiet.release()
    assert stream.getvalue().splitlines() == ["INFO View at http://127.0.0.1:4200/runs/flow-run/1"]


def test_a_failure_prints_once_the_records_that_repeat_it_are_dropped(terminal):
    logger, stream = terminal
    cause = "required series unavailable from every source: SOFR; nyfed: DNS lookup failed"
    quiet = QuietConsole(view_links=False).install()
    logger.warning("nyfed: DNS lookup failed; attempt 1 of 2, retrying in 1.0 s")
    logger.error("Task run failed with exception: SourcesUnavailable('%s')", cause)
    logger.error("Finished in state Failed('Task run encountered an exception SourcesUnavailable: %s')", cause)
    logger.error("OPS NOTIFICATION: flow run x failed: Flow run encountered an exception: %s", cause)
    logger.error("Data Docs could not be written: disk full")
    quiet.release(repeats(cause))
    assert stream.getvalue().splitlines() == [
        "WARNING nyfed: DNS lookup failed; attempt 1 of 2, retrying in 1.0 s",
        "ERROR Data Docs could not be written: disk full",
    ]
