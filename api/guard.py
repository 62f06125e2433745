"""What every request must pass before a route sees it, in plain ASGI:

- its path and query hold no control character (422 naming the parameter): a NUL would reach
  PostgreSQL's ``text`` comparisons as an error;
- a request with a body to the API is authenticated *before* its body is read (401 or 429
  answered without reading a byte of it), so an anonymous client cannot make the server hold
  a large body;
- the body is read here, counted as it arrives, and refused with 413 once it passes the limit
  (``Content-Length`` is checked first, but never trusted alone): JSON bodies
  ``LAUREL_MAX_BODY_BYTES``, imports (``…:import``) ``LAUREL_MAX_IMPORT_BYTES``, an evidence
  file (``…/nominations/{id}/evidence``: by a token, or a page's live session)
  ``LAUREL_MAX_EVIDENCE_BYTES`` and its multipart overhead.

The route then reads the body from memory as usual (FastAPI reads it whole anyway)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import problems
from api.auth import SESSION_COOKIE, Authenticator, bearer
from domain.errors import RuleFailure, TextInvalidError
from domain.rules.text import control_character_failures

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
UPLOAD_PATH = re.compile(r"/(?:v1|ui)/nominations/[^/]+/evidence")  # an evidence file's body


class PayloadTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


class RequestGuard:
    def __init__(
        self, app: ASGIApp, auth: Authenticator, max_body: int, max_import: int, max_upload: int = 0
    ) -> None:
        self.app, self.auth, self.max_body, self.max_import = app, auth, max_body, max_import
        self.max_upload = max_upload or max_import  # an evidence file's multipart body

    def limit_for(self, path: str, page_session: bool = False) -> int:
        if UPLOAD_PATH.fullmatch(path) and (path.startswith("/v1/") or page_session):
            return self.max_upload
        if path.endswith("/objections") and path.startswith(("/v1/public/", "/public/")):
            return self.max_upload * 4 // 3 + 4096  # an objection with its file (base64 in JSON)
        return self.max_import if path.endswith(":import") else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        failures = _parameter_failures(scope)
        if failures:
            await (await problems.domain_error(request, TextInvalidError(failures)))(
                scope, receive, send
            )
            return
        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        # /v1/public/: the 公示's objections, lodged by anyone without a token (issue 23).
        if scope["path"].startswith("/v1/") and not scope["path"].startswith("/v1/public/"):
            try:
                actor = await self.auth.actor(request, await bearer(request))
                scope.setdefault("state", {})["actor"] = actor
            except HTTPException as exc:
                await (await problems.http_error(request, exc))(scope, receive, send)
                return
        limit = self.limit_for(scope["path"], await self._page_session(request))
        try:
            body = await _read_body(scope, receive, limit)
        except PayloadTooLargeError:
            await _too_large(request, limit, scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _page_session(self, request: Request) -> bool:
        """Whether a page upload comes from a live session: only then may its body be as large
        as an evidence file (the pages authenticate after reading, so an anonymous client
        must not make the server hold 20 MB)."""
        path = request.url.path
        session = request.cookies.get(SESSION_COOKIE)
        if not session or not path.startswith("/ui/") or not UPLOAD_PATH.fullmatch(path):
            return False
        return await run_in_threadpool(self.auth.session_actor, session) is not None


def _parameter_failures(scope: Scope) -> list[RuleFailure]:
    values: dict[str, object] = {"path": scope["path"]}
    for name, value in parse_qsl(
        scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
    ):
        values[f"query.{name}"] = value
    return control_character_failures(values)


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then whatever the server says next (a disconnect)

    return replay


async def _too_large(request: Request, limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    response = problems.problem(
        413,
        "payload-too-large",
        f"the request body is larger than {limit} bytes",
        f"the request body is larger than {limit} bytes",
        request,
        detail_zh=f"请求内容超过 {limit} 字节的上限",
        failures=[
            {
                "rule": "body_max_bytes",
                "field": "body",
                "expected": limit,
                "message_en": f"at most {limit} bytes",
                "message_zh": f"最多 {limit} 字节",
            }
        ],
    )
    response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
