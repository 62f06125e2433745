"""/docs in a real browser (Chromium through Playwright) with every request off this machine
aborted, as on a server without internet: Swagger UI still renders the operations from the
assets the package serves, and the page's policy blocks nothing it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.builders.http import serve_on_port

pytestmark = pytest.mark.timeout(120)
LOCAL = {"127.0.0.1", "localhost"}


def test_docs_render_the_operations_offline(tmp_path: Path, browser: Any, artifacts: Path) -> None:
    with serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}") as server:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        context.set_default_timeout(15_000)
        off_site: list[str] = []

        def offline(route: Any) -> None:
            if urlsplit(route.request.url).hostname in LOCAL:
                route.continue_()
            else:
                off_site.append(route.request.url)
                route.abort("internetdisconnected")

        context.route("**/*", offline)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
        response = page.goto(f"{server.base_url}/docs")
        assert response is not None and response.status == 200
        page.locator(".opblock").first.wait_for()
        assert page.locator(".opblock").count() > 20  # every operation of the API, grouped by tag
        assert page.locator(".opblock-tag").first.text_content().strip().startswith("health")
        assert console == []  # rendering logged nothing: no blocked asset, no refused script
        page.screenshot(path=str(artifacts / "docs-offline.png"))
        # Open an operation, try it out and look at a schema: what a reader does, under the policy.
        operation = (
            page.locator(".opblock")
            .filter(has=page.locator('.opblock-summary-path[data-path="/v1/campaigns"]'))
            .first
        )
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        operation.locator(".execute").click()
        operation.locator(".responses-wrapper .live-responses-table").wait_for()
        operation.locator(
            ".response-col_status", has_text="401"
        ).first.wait_for()  # no token given: the API's answer, rendered
        schema = page.locator(
            "section.models article.json-schema-2020-12"
        ).first  # the schemas (OpenAPI 3.1), listed open
        schema.locator(".json-schema-2020-12-expand-deep-button").click()
        schema.locator(".json-schema-2020-12-property").first.wait_for()
        context.close()
        assert off_site == []  # nothing even tried to leave the machine
        # The try-out's 401 is logged as a failed resource; nothing else may be.
        assert [
            line
            for line in console
            if "Content Security Policy" in line
            or line.startswith("pageerror")
            or "status of 401" not in line
        ] == []
