"""The pages' defences over real HTTP: login and logout refuse cross-origin posts and posts
without their form's CSRF token; every page sends a Content-Security-Policy and the framing,
sniffing and referrer headers; a forged Host header never comes back in a link or redirect."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import httpx
import pytest

from api.auth import SESSION_COOKIE
from domain.commands import IssueToken
from tests.api.page_session import CSRF_FIELD, form_token, login, logout, own_origin
from tests.builders.actors import ADMIN
from tests.builders.http import ADMIN_TOKEN, Server, serve_in_process

EVIL = "https://evil.example"
PAGE_POLICY = {
    "default-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}


def policy(header: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as directive -> sources."""
    return {
        name: sources for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


def session_cookie_set(response: httpx.Response) -> bool:
    prefix = f"{SESSION_COOKIE}="
    return any(
        value.startswith(prefix) and not value.startswith(f'{prefix}"";')
        for value in response.headers.get_list("set-cookie")
    )


@pytest.fixture
def client(server: Server) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        yield client


def test_a_cross_origin_login_is_refused_and_sets_no_session(client: httpx.Client) -> None:
    token = form_token(client.get("/ui/login").text, "/ui/login")
    refused = client.post(
        "/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: token}, headers={"Origin": EVIL}
    )
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    assert 'data-code="cross-site-request"' in refused.text and not session_cookie_set(refused)
    assert client.get("/ui/").status_code == 303  # still no session
    for origin in (
        "null",
        f"{own_origin(client)}.evil.example",
        own_origin(client).replace("http:", "https:"),
    ):
        assert (
            client.post(
                "/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: token}, headers={"Origin": origin}
            ).status_code
            == 403
        ), origin


def test_login_needs_its_forms_token_bound_to_the_pre_session_cookie(
    server: Server, client: httpx.Client
) -> None:
    form = client.get("/ui/login")
    assert form.cookies.get("laurel_csrf")
    token = form_token(form.text, "/ui/login")
    origin = {"Origin": own_origin(client)}
    assert (
        client.post("/ui/login", data={"token": ADMIN_TOKEN}, headers=origin).status_code == 403
    )  # no token
    assert (
        client.post(
            "/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: token[:-2] + "xx"}, headers=origin
        ).status_code
        == 403
    )
    with server.client(None) as other:  # another browser's token is not this one's
        other_token = form_token(other.get("/ui/login").text, "/ui/login")
        assert other_token != token
        assert (
            client.post(
                "/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: other_token}, headers=origin
            ).status_code
            == 403
        )
    with server.client(None) as cookieless:  # the token without its cookie
        refused = cookieless.post(
            "/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: token}, headers=origin
        )
        assert refused.status_code == 403 and not session_cookie_set(refused)
    accepted = client.post("/ui/login", data={"token": ADMIN_TOKEN, CSRF_FIELD: token}, headers=origin)
    assert (
        accepted.status_code == 303
        and accepted.headers["location"] == "/ui/"
        and session_cookie_set(accepted)
    )
    assert client.get("/ui/").status_code == 200


def test_without_origin_the_referer_must_be_this_site(client: httpx.Client) -> None:
    token = form_token(client.get("/ui/login").text, "/ui/login")
    data = {"token": ADMIN_TOKEN, CSRF_FIELD: token}
    assert client.post("/ui/login", data=data).status_code == 403  # neither header
    assert (
        client.post("/ui/login", data=data, headers={"Referer": f"{EVIL}/ui/login"}).status_code == 403
    )
    assert (
        client.post(
            "/ui/login", data=data, headers={"Referer": f"{own_origin(client)}/ui/login"}
        ).status_code
        == 303
    )


def test_logout_is_a_post_with_the_sessions_token_from_this_site(client: httpx.Client) -> None:
    assert login(client, ADMIN_TOKEN).status_code == 303
    page = client.get("/ui/").text
    token = form_token(page, "/ui/logout")
    assert 'href="/ui/logout' not in page  # no GET link logs anyone out
    assert (
        client.post("/ui/logout", data={CSRF_FIELD: token}, headers={"Origin": EVIL}).status_code == 403
    )
    assert client.post("/ui/logout", headers={"Origin": own_origin(client)}).status_code == 403
    login_token = form_token(
        client.get("/ui/login").text, "/ui/login"
    )  # another form's token is not the session's
    assert (
        client.post(
            "/ui/logout", data={CSRF_FIELD: login_token}, headers={"Origin": own_origin(client)}
        ).status_code
        == 403
    )
    assert client.get("/ui/").status_code == 200  # still signed in
    out = logout(client)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login?logged_out=1"
    assert client.get("/ui/").status_code == 303


def test_every_page_sends_a_strict_policy_and_the_security_headers(client: httpx.Client) -> None:
    assert login(client, ADMIN_TOKEN).status_code == 303
    pages = {
        "/ui/login": 200,
        "/ui/": 200,
        "/ui/campaigns/no-such-campaign": 404,
        "/ui/units/nowhere/compliance": 404,
    }
    for path, status in pages.items():
        response = client.get(path)
        assert response.status_code == status, path
        csp = policy(response.headers["content-security-policy"])
        assert {name: csp.get(name) for name in PAGE_POLICY} == PAGE_POLICY, path
        assert not [
            s
            for sources in csp.values()
            for s in sources
            if s in ("'unsafe-inline'", "'unsafe-eval'", "*")
        ], path
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
    for path in ("/healthz", "/v1/campaigns", "/no-such-path"):  # the API too: never sniffed
        assert (
            client.get(path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).headers[
                "x-content-type-options"
            ]
            == "nosniff"
        ), path


def test_a_forged_host_header_is_never_reflected(server: Server, client: httpx.Client) -> None:
    assert login(client, ADMIN_TOKEN).status_code == 303
    forged = {"Host": "evil.example"}
    paths = [
        "/ui/login",
        "/ui/login?lang=en&next=/ui/",
        "/ui/",
        "/ui/?lang=en",
        "/ui/campaigns/no-such-campaign?lang=zh",
        "/docs",
        "/openapi.json",
        "/no-such-path",
    ]
    for path in paths:
        response = client.get(path, headers=forged)
        assert "evil.example" not in response.text and "evil.example" not in response.headers.get(
            "location", ""
        ), path
    with server.client(None) as browser:
        anonymous = browser.get("/ui/campaigns/x", headers=forged)
    assert (
        anonymous.status_code == 303
        and anonymous.headers["location"] == "/ui/login?next=/ui/campaigns/x"
    )
    out = client.post(
        "/ui/logout",
        data={CSRF_FIELD: form_token(client.get("/ui/").text, "/ui/logout")},
        headers={**forged, "Origin": own_origin(client)},
    )
    assert out.status_code == 303 and "evil.example" not in out.headers["location"]


def test_a_forged_host_does_not_make_a_forged_origin_this_sites(client: httpx.Client) -> None:
    """The own origin is the address the connection reached (or LAUREL_PUBLIC_URL), not the
    Host header: a request naming evil.example as both Host and Origin is still cross-origin."""
    token = form_token(client.get("/ui/login").text, "/ui/login")
    refused = client.post(
        "/ui/login",
        data={"token": ADMIN_TOKEN, CSRF_FIELD: token},
        headers={"Host": "evil.example", "Origin": "http://evil.example"},
    )
    assert refused.status_code == 403 and not session_cookie_set(refused)


def test_the_own_origin_is_the_public_url_when_one_is_configured() -> None:
    from api.pages.csrf import own_origins

    assert own_origins("https://laurel.example.org/", "http", ("10.0.0.5", 8000)) == {
        "https://laurel.example.org"
    }
    assert own_origins("https://laurel.example.org:8443/base", "http", None) == {
        "https://laurel.example.org:8443"
    }
    assert own_origins(None, "http", ("127.0.0.1", 8000)) == {
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    }
    assert own_origins(None, "https", ("192.0.2.7", 443)) == {"https://192.0.2.7"}
    assert own_origins(None, "http", ("::1", 80)) == {"http://[::1]", "http://localhost"}
    assert own_origins(None, "http", None) == set()


# --- server-side sessions ------------------------------------------------------------------------


def test_the_session_cookie_is_a_random_session_id_not_the_token(
    server: Server, client: httpx.Client
) -> None:
    token = server.services.app.execute(
        IssueToken(role="auditor", unit_id=None, label="root auditor"), ADMIN
    )["token"]
    first = login(client, token)
    session = first.cookies.get(SESSION_COOKIE)
    assert session and token not in session and token not in str(first.headers)
    with server.client(None) as second_browser:
        assert login(second_browser, token).cookies.get(SESSION_COOKIE) != session  # a session per login
    assert "HttpOnly" in first.headers["set-cookie"] and "Max-Age=" in first.headers["set-cookie"]


def test_a_session_cookie_replayed_after_logout_gets_the_login_page(
    server: Server, client: httpx.Client
) -> None:
    assert login(client, ADMIN_TOKEN).status_code == 303
    session = client.cookies.get(SESSION_COOKIE)
    assert logout(client).status_code == 303
    with server.client(None, follow_redirects=False, cookies={SESSION_COOKIE: session}) as replay:
        response = replay.get("/ui/")
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")
        assert replay.get("/v1/campaigns").status_code == 401


def test_revoking_the_token_ends_its_page_sessions(server: Server, client: httpx.Client) -> None:
    issued = server.services.app.execute(
        IssueToken(role="auditor", unit_id=None, label="root auditor"), ADMIN
    )
    assert login(client, issued["token"]).status_code == 303
    assert client.get("/ui/").status_code == 200
    with server.client(ADMIN_TOKEN) as admin:
        assert (
            admin.delete(f"/v1/tokens/{issued['id']}", params={"reason": "离职 / left"}).status_code
            == 200
        )
    response = client.get("/ui/")
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


@pytest.mark.slow  # waits for a real lifetime to pass
def test_a_session_ends_at_its_lifetime(database_url: str) -> None:
    with (
        serve_in_process(database_url, session_lifetime="PT2S") as short,
        short.client(None) as browser,
    ):
        assert login(browser, ADMIN_TOKEN).status_code == 303
        assert browser.get("/ui/").status_code == 200
        time.sleep(2.2)
        assert browser.get("/ui/").status_code == 303


def test_logins_that_fail_too_often_are_throttled(database_url: str) -> None:
    with (
        serve_in_process(database_url, auth_failure_limit="2/minute") as limited,
        limited.client(None) as browser,
    ):
        assert [login(browser, "lrl_guess").status_code for _ in range(2)] == [401, 401]
        throttled = login(browser, ADMIN_TOKEN)  # even the right token: the address is throttled
        assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1


def test_a_flash_message_cannot_be_planted_by_another_site(client: httpx.Client) -> None:
    """The message a form's success leaves is signed with the session: a cookie another site
    (or a sibling subdomain) sets is not shown."""
    assert login(client, ADMIN_TOKEN).status_code == 303
    planted = base64.urlsafe_b64encode("请将令牌发送至 evil@example.com".encode()).decode()
    client.cookies.set("laurel_flash", f"{planted}.forged", path="/ui")
    assert "evil@example.com" not in client.get("/ui/").text


def test_the_login_redirect_keeps_the_query_but_never_leaves_the_site(client: httpx.Client) -> None:
    for wanted, landing in (
        ("/ui/campaigns/x?as_of=2022-10-20T10%3A00%3A00%2B08%3A00", "/ui/campaigns/x?as_of="),
        ("/ui/\\evil.example", "/ui/"),
        ("https://evil.example/ui/", "/ui/"),
    ):
        response = login(client, ADMIN_TOKEN, wanted)
        assert response.status_code == 303 and response.headers["location"].startswith(landing)
        assert "evil" not in response.headers["location"]
        logout(client)


def test_htmx_is_served_from_this_site_and_allowed_by_the_policy(client: httpx.Client) -> None:
    assert login(client, ADMIN_TOKEN).status_code == 303
    page = client.get("/ui/")
    assert '<script src="/static/htmx/htmx.min.js" defer></script>' in page.text
    script = client.get("/static/htmx/htmx.min.js")
    assert script.status_code == 200 and "htmx" in script.text[:2000]
    assert policy(page.headers["content-security-policy"])["default-src"] == ["'self'"]
