"""Cross-site request refusal for the pages' forms (login, logout, and every work-UI form
through api/pages/forms.py, whose hidden inputs ``form_fields`` emits). A form post must come from
this site's own origin (``Origin``, or ``Referer`` when a browser sends no ``Origin``) and
carry its form's token: an HMAC of the form's purpose keyed by a cookie the attacker's page
can neither read nor set — the pre-session cookie for the login form (shown before any
session exists), the session cookie for logout. The token is a hidden input.

Which origin is "own" never comes from the Host header: it is ``LAUREL_PUBLIC_URL`` when that
is set (behind a proxy, the address browsers use), else the address the connection reached
(the server socket's, plus ``localhost`` on a loopback socket)."""

from __future__ import annotations

import base64
import hmac
import ipaddress
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Form, Header, Request, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from api.auth import SESSION_COOKIE
from domain.errors import AuthorizationError

FIELD = "csrf_token"
PRESESSION_COOKIE = "laurel_csrf"  # a random value set with the login form, before any session
LOGIN, LOGOUT = "login", "logout"  # the purposes: one form's token is not another's
ACTION = "action"  # the purpose of every work-UI form (api/pages/forms.py), bound to the session
KEY_FIELD, VERSION_FIELD = "idempotency_key", "version"  # the safe form's other hidden inputs
DEFAULT_PORTS = {"http": 80, "https": 443}


class CrossSiteRequestError(AuthorizationError):
    code = "cross-site-request"


def origin_of(scheme: str, host: str, port: int | None) -> str:
    """An origin as a browser serialises it: lower case, IPv6 in brackets, no default port."""
    scheme, host = scheme.lower(), host.lower()
    if ":" in host:
        host = f"[{host}]"
    return (
        f"{scheme}://{host}"
        if port in (None, DEFAULT_PORTS.get(scheme))
        else f"{scheme}://{host}:{port}"
    )


def url_origin(url: str) -> str | None:
    """The origin of an absolute http(s) URL (``Origin: null`` and anything else: none)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in DEFAULT_PORTS or not parts.hostname:
        return None
    return origin_of(parts.scheme, parts.hostname, port)


def own_origins(public_url: str | None, scheme: str, server: tuple[str, int | None] | None) -> set[str]:
    """This site's origins: the configured public URL's alone, else the socket address the
    connection reached (``localhost`` too when that is a loopback address)."""
    if public_url:
        configured = url_origin(public_url)
        return {configured} if configured else set()
    if not server:
        return set()
    host, port = server
    origins = {origin_of(scheme, host, port)}
    try:
        if ipaddress.ip_address(host).is_loopback:
            origins.add(origin_of(scheme, "localhost", port))
    except ValueError:
        pass
    return origins


def sent_origin(origin: str | None, referer: str | None) -> str | None:
    """The origin a form post names: its ``Origin``, or its ``Referer``'s when a browser sends
    no ``Origin``."""
    if origin is not None:
        return url_origin(origin)
    return url_origin(referer) if referer else None


def require_own_origin(request: Request, origin: str | None, referer: str | None) -> None:
    settings = request.app.state.services.settings
    allowed = own_origins(
        settings.public_url, request.scope.get("scheme", "http"), request.scope.get("server")
    )
    sent = sent_origin(origin, referer)
    if sent not in allowed:
        raise CrossSiteRequestError(
            "The form was not sent from this site", "表单不是从本站提交的，已拒绝", origin=sent
        )


def form_token(binding: str, purpose: str) -> str:
    """The token a form of ``purpose`` carries for the cookie value ``binding``."""
    return (
        base64.urlsafe_b64encode(hmac.digest(binding.encode(), purpose.encode(), "sha256"))
        .rstrip(b"=")
        .decode()
    )


def require_token(binding: str | None, purpose: str, submitted: str) -> None:
    if (
        not binding
        or not submitted
        or not hmac.compare_digest(form_token(binding, purpose).encode(), submitted.encode())
    ):
        raise CrossSiteRequestError(
            "The form's security token is missing or stale: reload the page",
            "表单安全校验未通过，请刷新页面后重试",
            purpose=purpose,
        )


def guard(purpose: str, cookie: str) -> Callable[..., Awaitable[None]]:
    """A route dependency refusing a post of the ``purpose`` form that is cross-origin or lacks
    the token bound to the ``cookie`` it was rendered for."""

    async def same_site_form(
        request: Request,
        origin: Annotated[str | None, Header()] = None,
        referer: Annotated[str | None, Header()] = None,
        csrf_token: Annotated[str, Form()] = "",
    ) -> None:
        require_own_origin(request, origin, referer)
        require_token(request.cookies.get(cookie), purpose, csrf_token)

    return same_site_form


def presession(request: Request) -> str:
    """The browser's pre-session value, or a new one (``keep_presession`` sets the cookie)."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(32)


def keep_presession(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(PRESESSION_COOKIE) != value:
        response.set_cookie(
            PRESESSION_COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/ui",
        )


@pass_context
def form_fields(context: Context, version: int | None = None) -> Markup:
    """The hidden inputs of a safe form (api/pages/forms.py): the CSRF token bound to the
    session, a fresh idempotency key and, when given, the version the form was rendered from."""
    request: Request = context["request"]
    session = request.cookies.get(SESSION_COOKIE, "")
    token = form_token(session, ACTION) if session else ""
    parts = [
        f'<input type="hidden" name="{FIELD}" value="{escape(token)}">',
        f'<input type="hidden" name="{KEY_FIELD}" value="{uuid.uuid4()}">',
    ]
    if version is not None:
        parts.append(f'<input type="hidden" name="{VERSION_FIELD}" value="{int(version)}">')
    return Markup("".join(parts))
