"""Security headers on every response, in plain ASGI (as api/request_context.py, for the same
reason): a strict Content-Security-Policy — the pages' own scripts and styles only, nothing
inline, no framing —, ``X-Frame-Options``, ``X-Content-Type-Options: nosniff`` and a
same-origin ``Referrer-Policy``. A response that sets one of them itself keeps its own
(``/docs`` sends the policy its Swagger UI needs, api/docs.py)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# img-src data:: the pages' empty favicon (<link rel="icon" href="data:,">).
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self';"
    " form-action 'self'; frame-ancestors 'none'"
)
DEFAULTS = (
    (b"content-security-policy", PAGE_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # The Referer the login form's Origin check falls back on; never sent off-site.
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [
                    (name, value) for name, value in DEFAULTS if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
