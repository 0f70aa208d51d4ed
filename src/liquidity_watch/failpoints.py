"""Named points where a crash test kills the process (``LW_FAILPOINT=<name>``) to test the delivery guarantees.

``reached(name, subject)`` does nothing unless ``LW_FAILPOINT`` names that point (``name``,
or ``name@subject`` for one destination only); then it sends SIGKILL to its own process,
as ``kill -9`` from outside would, with no cleanup. Points, in the order a run meets them
(see docs/alerts.md):

* ``before-publish``: signals and outbox rows written in the working copy, not published;
* ``after-publish``: published, nothing delivered;
* ``after-sending-recorded``: the journal says ``sending``, nothing posted;
* ``after-slack-accepted``: Slack took the message, the journal does not know;
* ``after-sent-recorded``: the journal says ``sent``; the chart and the outbox mirror not done;
* ``after-delivery``: every message handled, the mirror not yet published.
"""

from __future__ import annotations

import os
import signal

ENV = "LW_FAILPOINT"
POINTS = (
    "before-publish",
    "after-publish",
    "after-sending-recorded",
    "after-slack-accepted",
    "after-sent-recorded",
    "after-delivery",
)


def reached(name: str, subject: str | None = None) -> None:
    """Die here, at once, if ``LW_FAILPOINT`` says so (``name``, or ``name@subject``)."""
    if name not in POINTS:
        raise ValueError(f"unknown failpoint {name!r}; known: {', '.join(POINTS)}")
    wanted = os.environ.get(ENV)
    if wanted and (wanted == name or (subject is not None and wanted == f"{name}@{subject}")):
        os.kill(os.getpid(), signal.SIGKILL)
