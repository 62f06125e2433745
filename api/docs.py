"""/docs: FastAPI's Swagger UI page, its script and stylesheet served from the package
(swagger-ui-dist vendored from npm, api/static/VENDORED.md) so that it works offline, as
FastAPI's "Self-hosting JavaScript and CSS for docs" shows. The page carries one inline
script (FastAPI's call to ``SwaggerUIBundle``): its policy allows that script by its hash,
computed from the very page it is sent with."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.static_files import STATIC_URL

SWAGGER = f"{STATIC_URL}/swagger-ui"
# A <script> without attributes: no src.
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def script_hashes(html: str) -> list[str]:
    """CSP sources for each inline script of ``html``: the base64 SHA-256 of its exact text."""
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: str) -> str:
    """The pages' policy with the page's inline script allowed by hash. Swagger UI's icons are
    data: SVGs of its stylesheet; its styles otherwise come from that file (React sets style
    properties through the DOM, which a policy does not govern)."""
    scripts = " ".join(["'self'", *script_hashes(html)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(app: FastAPI) -> None:
    """The /docs route (the app is made with ``docs_url=None``). The page is the same for
    every request: it is built once, with its policy."""
    page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
        oauth2_redirect_url=None,  # no OAuth2 flow: the API takes bearer tokens
    )
    body = bytes(page.body)
    policy = docs_policy(body.decode())

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(body, headers={"Content-Security-Policy": policy})
