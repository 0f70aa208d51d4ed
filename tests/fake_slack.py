"""A loopback Slack: Web API methods (chat.postMessage, conversations.history, the files upload v2 steps) and a webhook.

Replies replay the recorded payloads in tests/fixtures/slack where one exists (a
chat.postMessage answer, with this message's channel and ts put in). It keeps every
message it accepted, per channel, with its metadata, and serves them back through
``conversations.history`` in the documented shape (newest first, ``oldest`` exclusive,
``limit`` with a ``next_cursor``, ``metadata`` only with ``include_all_metadata``): no
recorded history payload with metadata exists, so that part is built here from Slack's
documentation (docs/alerts.md says what is confirmed and what is assumed).

It can be told to answer 429 (with Retry-After) or 5xx a number of times first, to be down
altogether, to answer a channel with an API error, to hang before answering (with or
without keeping the message: a timeout before or after Slack accepted it), and to refuse
history (``missing_scope``).
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import fixture_bytes

HOOK_PATH = "/services/T000/B000/secretpart"


class FakeSlack:
    def __init__(self, server: HTTPServer):
        self.server = server
        self.calls: list[dict] = []
        self.uploads: list[bytes] = []
        self.posted: list[dict] = []  # every message accepted (bot and webhook), in order
        self.fail_plan: list[tuple[int, dict]] = []
        self.down = False
        self.channel_errors: dict[str, tuple[int, str]] = {}  # channel -> (HTTP status, Slack error)
        self.hang_s = 0.0  # sleep before answering a post (the client times out)
        self.channel_hang: dict[str, float] = {}  # channel -> seconds to sleep before answering, without accepting
        self.keep_when_hanging = False  # True: the message is accepted before the hang (timeout after acceptance)
        self.history_error: str | None = None  # e.g. "missing_scope"
        self._released = threading.Event()  # set by release(): a hanging answer comes at once
        self.hanging = threading.Event()  # set once a post has begun to hang (after deciding whether to accept it)
        self._lock = threading.Lock()
        self._last_ts = 0.0
        server.expect_request("/api/chat.postMessage").respond_with_handler(self._post_message)
        server.expect_request("/api/conversations.history").respond_with_handler(self._history)
        server.expect_request("/api/files.getUploadURLExternal").respond_with_handler(self._get_upload_url)
        server.expect_request("/upload/v1/abc").respond_with_handler(self._upload)
        server.expect_request("/api/files.completeUploadExternal").respond_with_handler(self._complete)
        server.expect_request(HOOK_PATH).respond_with_handler(self._hook)

    def release(self) -> None:
        """End every hang now and from now on: a test's client has long given up, and its server can stop
        without waiting out the sleep."""
        self._released.set()

    @property
    def api_base_url(self) -> str:
        return self.server.url_for("/api/")

    @property
    def webhook_url(self) -> str:
        return self.server.url_for(HOOK_PATH)

    def fail_next(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        self.fail_plan.extend([(status, headers or {})] * times)

    def messages(self) -> list[dict]:
        """Every message Slack accepted (what subscribers see), in order."""
        return [m["body"] for m in self.posted]

    def in_channel(self, channel: str) -> list[dict]:
        return [m for m in self.posted if m["channel"] == channel]

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def _maybe_fail(self) -> Response | None:
        if self.down:
            return Response("upstream connect error", status=503)
        if self.fail_plan:
            status, headers = self.fail_plan.pop(0)
            body = '{"ok":false,"error":"ratelimited"}' if status == 429 else "server error"
            return Response(body, status=status, headers=headers, content_type="application/json")
        return None

    def _record(self, request: Request, method: str) -> dict:
        if request.method == "GET":
            body = {k: v[0] for k, v in parse_qs(request.query_string.decode()).items()}
        elif request.content_type and request.content_type.startswith("application/json"):
            body = json.loads(request.get_data())
        else:
            body = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        call = {"method": method, "body": body, "auth": request.headers.get("Authorization")}
        self.calls.append(call)
        return call

    def _accept(self, channel: str | None, body: dict) -> dict:
        message = {"channel": channel, "ts": self._next_ts(), "body": body, "metadata": body.get("metadata")}
        self.posted.append(message)
        return message

    def _post_message(self, request: Request) -> Response:
        failure = self._maybe_fail()
        body = self._record(request, "chat.postMessage" if failure is None else "chat.postMessage(failed)")["body"]
        if failure:
            return failure
        channel = body.get("channel")
        if channel in self.channel_hang:
            self._released.wait(self.channel_hang[channel])
            return Response("gateway timeout", status=504)
        if channel in self.channel_errors:
            status, error = self.channel_errors[channel]
            return Response(json.dumps({"ok": False, "error": error}), status=status, content_type="application/json")
        if self.hang_s:
            message = self._accept(channel, body) if self.keep_when_hanging else None
            self.hanging.set()
            self._released.wait(self.hang_s)
            if message is None:
                return Response("gateway timeout", status=504)
        else:
            message = self._accept(channel, body)
        doc = json.loads(fixture_bytes("slack/chat_postMessage_ok_json_body_2023-06-22.json"))
        doc["channel"], doc["ts"] = channel, message["ts"]
        doc["message"].update(ts=message["ts"], text=body.get("text"))
        return Response(json.dumps(doc), content_type="application/json; charset=utf-8")

    def _history(self, request: Request) -> Response:
        args = self._record(request, "conversations.history")["body"]
        if self.history_error:
            doc = {"ok": False, "error": self.history_error, "needed": "channels:history", "provided": "chat:write"}
            return Response(json.dumps(doc), content_type="application/json; charset=utf-8")
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        with_metadata = args.get("include_all_metadata") in ("1", "true", "True")
        newest_first = sorted(
            (m for m in self.posted if m["channel"] == args.get("channel") and float(m["ts"]) > oldest),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        page = newest_first[start : start + limit]
        messages = []
        for m in page:
            item = {"type": "message", "ts": m["ts"], "text": m["body"].get("text"), "bot_id": "BE0LGNB1Q"}
            if with_metadata and m["metadata"]:
                item["metadata"] = m["metadata"]
            messages.append(item)
        more = start + limit < len(newest_first)
        doc = {
            "ok": True,
            "messages": messages,
            "has_more": more,
            "pin_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }
        return Response(json.dumps(doc), content_type="application/json; charset=utf-8")

    def _get_upload_url(self, request: Request) -> Response:
        self._record(request, "files.getUploadURLExternal")
        doc = json.loads(fixture_bytes("slack/files_getUploadURLExternal_ok_2025-02-03.json"))
        doc["upload_url"] = self.server.url_for("/upload/v1/abc")  # the real one is absolute, on files.slack.com
        return Response(json.dumps(doc), content_type="application/json; charset=utf-8")

    def _upload(self, request: Request) -> Response:
        self.uploads.append(request.get_data())
        return Response(f"OK - {len(self.uploads[-1])}", content_type="text/plain; charset=utf-8")

    def _complete(self, request: Request) -> Response:
        self._record(request, "files.completeUploadExternal")
        return Response(
            fixture_bytes("slack/files_completeUploadExternal_ok_2025-02-03.json"),
            content_type="application/json; charset=utf-8",
        )

    def _hook(self, request: Request) -> Response:
        failure = self._maybe_fail()
        body = self._record(request, "webhook" if failure is None else "webhook(failed)")["body"]
        if failure:
            return failure
        if self.hang_s:
            if self.keep_when_hanging:
                self._accept(None, body)
            self.hanging.set()
            self._released.wait(self.hang_s)
            if not self.keep_when_hanging:
                return Response("gateway timeout", status=504)
        else:
            self._accept(None, body)
        return Response(fixture_bytes("slack/incoming_webhook_ok_2017-05-07.txt"), content_type="text/html")
