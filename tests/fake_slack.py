"""A loopback Slack: Web API methods (chat.postMessage, the files upload v2 steps) and a webhook.

Replies replay the recorded payloads in tests/fixtures/slack. It can be told to answer
429 (with Retry-After) or 5xx a number of times first, or to be down altogether.
"""

from __future__ import annotations

import json
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
        self.fail_plan: list[tuple[int, dict]] = []
        self.down = False
        server.expect_request("/api/chat.postMessage").respond_with_handler(self._post_message)
        server.expect_request("/api/files.getUploadURLExternal").respond_with_handler(self._get_upload_url)
        server.expect_request("/upload/v1/abc").respond_with_handler(self._upload)
        server.expect_request("/api/files.completeUploadExternal").respond_with_handler(self._complete)
        server.expect_request(HOOK_PATH).respond_with_handler(self._hook)

    @property
    def api_base_url(self) -> str:
        return self.server.url_for("/api/")

    @property
    def webhook_url(self) -> str:
        return self.server.url_for(HOOK_PATH)

    def fail_next(self, status: int, headers: dict | None = None, times: int = 1) -> None:
        self.fail_plan.extend([(status, headers or {})] * times)

    def _maybe_fail(self) -> Response | None:
        if self.down:
            return Response("upstream connect error", status=503)
        if self.fail_plan:
            status, headers = self.fail_plan.pop(0)
            body = '{"ok":false,"error":"ratelimited"}' if status == 429 else "server error"
            return Response(body, status=status, headers=headers, content_type="application/json")
        return None

    def _record(self, request: Request, method: str) -> dict:
        if request.content_type and request.content_type.startswith("application/json"):
            body = json.loads(request.get_data())
        else:
            body = {k: v[0] for k, v in parse_qs(request.get_data(as_text=True)).items()}
        call = {"method": method, "body": body, "auth": request.headers.get("Authorization")}
        self.calls.append(call)
        return call

    def messages(self) -> list[dict]:
        return [c["body"] for c in self.calls if c["method"] in ("chat.postMessage", "webhook")]

    def _post_message(self, request: Request) -> Response:
        failure = self._maybe_fail()
        self._record(request, "chat.postMessage" if failure is None else "chat.postMessage(failed)")
        if failure:
            return failure
        return Response(
            fixture_bytes("slack/chat_postMessage_ok_json_body_2023-06-22.json"),
            content_type="application/json; charset=utf-8",
        )

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
        self._record(request, "webhook" if failure is None else "webhook(failed)")
        if failure:
            return failure
        return Response(fixture_bytes("slack/incoming_webhook_ok_2017-05-07.txt"), content_type="text/html")
