"""/docs over real HTTP: Swagger UI's page loads only this site's own copies of its assets
(vendored from npm into the package), each served with its content type, and the page's own
policy allows exactly its one inline script, by hash."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.builders.http import Server

STATIC = Path(__file__).parents[2] / "api" / "static"
TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
}


class Page(HTMLParser):
    """The URLs a page loads (src and href) and the text of its inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v is not None]
        self._in_inline = tag == "script" and "src" not in values
        if self._in_inline:
            self.inline_scripts.append("")

    def handle_data(self, data: str) -> None:
        if self._in_inline:
            self.inline_scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._in_inline = False


def test_docs_load_only_same_origin_assets_each_with_its_type(server: Server) -> None:
    with server.client(None) as client:
        docs = client.get("/docs")
        assert docs.status_code == 200 and docs.headers["content-type"].startswith("text/html")
        page = Page()
        page.feed(docs.text)
        assert (
            len(page.urls) >= 3
            and [u for u in page.urls if not u.startswith("/static/") or u.startswith("//")] == []
        )
        assert "cdn" not in docs.text.lower() and "://" not in docs.text
        for url in page.urls:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 100, url
            assert asset.headers["content-type"].split(";")[0] in TYPES[Path(url).suffix], (
                url,
                asset.headers["content-type"],
            )
            assert asset.headers["x-content-type-options"] == "nosniff", url
        assert (
            'src="/static/swagger-ui/swagger-ui-bundle.js"' in docs.text
            and 'href="/static/swagger-ui/swagger-ui.css"' in docs.text
        )
        assert "'/openapi.json'" in docs.text and client.get("/openapi.json").status_code == 200
        assert (
            client.get("/redoc").status_code == 404
        )  # ReDoc would load its script from a CDN: it is not offered
        for outside in (
            "/static/%2e%2e/app.py",
            "/static/pages/..%2f..%2fapp.py",
            "/static/",
            "/static/swagger-ui/nothing.js",
        ):
            assert client.get(outside).status_code == 404, outside  # nothing but the folder's files
        assert client.head("/static/pages/pages.css").status_code == 200


def test_docs_send_their_own_policy_with_the_hash_of_their_inline_script(server: Server) -> None:
    with server.client(None) as client:
        docs = client.get("/docs")
    page = Page()
    page.feed(docs.text)
    assert len(page.inline_scripts) == 1
    digest = base64.b64encode(hashlib.sha256(page.inline_scripts[0].encode()).digest()).decode()
    csp = {
        name: sources
        for name, *sources in (
            part.split() for part in docs.headers["content-security-policy"].split(";") if part.strip()
        )
    }
    assert (
        csp["script-src"] == ["'self'", f"'sha256-{digest}'"]
        and "'unsafe-inline'" not in docs.headers["content-security-policy"]
    )
    assert (
        csp["default-src"] == ["'self'"]
        and csp["frame-ancestors"] == ["'none'"]
        and csp["object-src"] == ["'none'"]
        and csp["base-uri"] == ["'self'"]
    )
    assert (
        docs.headers["x-frame-options"] == "DENY" and docs.headers["x-content-type-options"] == "nosniff"
    )


def test_the_vendored_assets_are_recorded_with_version_licence_and_checksums() -> None:
    record = (STATIC / "VENDORED.md").read_text()
    assert re.search(r"\| \[swagger-ui-dist\]\([^)]*\) \| \d+\.\d+\.\d+ \| Apache-2\.0", record)
    for name, digest in re.findall(r"\| `(swagger-ui/[^`]+)` \| `([0-9a-f]{64})` \|", record):
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
    assert (STATIC / "swagger-ui" / "LICENSE").read_text().lstrip().startswith("Apache License")
