"""Signing in to and out of the pages as a browser does: each form's CSRF token (a hidden
input) sent back from this site's own origin, with the cookies the form came with."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = "csrf_token"


def form_token(html: str, action: str) -> str:
    """The CSRF token of the page's form that posts to ``action``."""
    found = re.search(
        rf'<form method="post" action="{re.escape(action)}">.*?'
        rf'<input type="hidden" name="{CSRF_FIELD}" value="([^"]+)">',
        html,
        re.DOTALL,
    )
    assert found, f"no form with a CSRF token posts to {action}"
    return found.group(1)


def own_origin(client: httpx.Client) -> str:
    return f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"


def login(client: httpx.Client, token: str, next_page: str = "/ui/") -> httpx.Response:
    form = client.get("/ui/login")
    data = {"token": token, "next": next_page, CSRF_FIELD: form_token(form.text, "/ui/login")}
    return client.post("/ui/login", data=data, headers={"Origin": own_origin(client)})


def logout(client: httpx.Client, page: str = "/ui/") -> httpx.Response:
    data = {CSRF_FIELD: form_token(client.get(page).text, "/ui/logout")}
    return client.post("/ui/logout", data=data, headers={"Origin": own_origin(client)})
