"""pytest-httpserver's server, stopping within 50 ms.

Werkzeug's serve loop looks for a stop request every 0.5 s, so each stop of a stock server waits up to half a
second; ``thread_target`` is the library's documented place to change how the loop runs.
"""

from __future__ import annotations

from pytest_httpserver import HTTPServer

STOP_POLL_S = 0.05


class LoopbackServer(HTTPServer):
    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=STOP_POLL_S)
