"""What every page is made with: the route class (no session → the login form, keeping the
whole address; a domain error → the error page), the page's actor, the templates and
``render``, which adds what the base template needs (the translator, the actor, the role
navigation, the flash message, the logout form's token).

An area of the work UI writes::

    router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


    @router.get("/declare", response_class=HTMLResponse)
    def my_page(request: Request, app: App, actor: PageActor) -> Response:
        return render(request, "declare.html", {...})
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import structlog
from fastapi import Depends, HTTPException, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from api.auth import SESSION_COOKIE, bearer
from api.deps import current_actor
from api.notices import unread_of
from api.pages import csrf
from api.pages.formatting import duration, local_time, zone_name
from api.pages.i18n import (
    CLOSED_STATES,
    LANG_COOKIE,
    LANGUAGES,
    PIPELINE_STATES,
    Translator,
    language_of,
)
from api.problems import status_for
from domain.actors import Actor
from domain.errors import AuthorizationError, DomainError, NotFoundError, RuleFailure, RuleViolationError
from domain.vocabulary import Role

YEAR = 365 * 24 * 3600
TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "laurel_flash"  # the message a form's success shows on the page it leads to


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # a message key
    roles: frozenset[str]


# Each role's home, in the order the navigation shows them (the campaigns list is everyone's).
NAVIGATION = (
    NavItem("/ui/declare", "nav.declare", frozenset({Role.DECLARER})),
    NavItem("/ui/review", "nav.review", frozenset({Role.REVIEWER})),
    NavItem("/ui/inspect", "nav.inspect", frozenset({Role.INSPECTOR})),
    NavItem("/ui/organise", "nav.organise", frozenset({Role.REVIEWER})),
    NavItem("/ui/audit", "nav.audit", frozenset({Role.AUDITOR, Role.ADMIN})),
    NavItem("/ui/admin", "nav.admin", frozenset({Role.ADMIN})),
)


def navigation(actor: Actor | None) -> list[NavItem]:
    """The links of the base template's navigation ``actor`` may follow."""
    if actor is None:
        return []
    return [item for item in NAVIGATION if actor.role in item.roles]


class LoginRequiredError(Exception):
    """No session: the page answers with a redirect to the login form."""


def login_redirect(request: Request) -> RedirectResponse:
    """To the login form, which comes back to this very page (path and query) afterwards; after
    a form posted once the session had ended, to the page the form was on."""
    back = relative(request.url)
    if request.method != "GET":
        referer = urlsplit(request.headers.get("referer", ""))
        back = safe_next(f"{referer.path}?{referer.query}" if referer.query else referer.path)
    return RedirectResponse(f"/ui/login?next={quote(back, safe='/')}", status_code=303)


class PageRoute(APIRoute):
    """Pages answer in HTML: without a session a redirect to /ui/login, a domain error an
    error page with the status the API would give (the same table, api/problems.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequiredError:
                return login_redirect(request)
            # The error page names the actor's unit: rendered in a thread, off the event loop.
            except DomainError as exc:
                return await run_in_threadpool(error_page, request, exc)
            except RequestValidationError as exc:  # a malformed query (as_of, year): 422 as in the API
                return await run_in_threadpool(error_page, request, invalid_request(exc))

        return page_handler


def invalid_request(exc: RequestValidationError) -> RuleViolationError:
    failures = []
    for e in exc.errors():
        name = ".".join(str(p) for p in e["loc"][1:])
        failures.append(
            RuleFailure(
                f"request_{e['type']}",
                f"{name}: {e['msg']}",
                f"参数 {name} 的格式不正确，请检查后重试",  # pydantic's message is English only
                name,
            )
        )
    return RuleViolationError(failures, "The request is not valid", "请求内容不符合要求")


@cache
def templates() -> Jinja2Templates:
    """The templates of every area (api/pages/templates), loaded on first use (nothing happens
    at import), with the shared globals: ``local_time``, ``duration``, ``form_fields``…"""
    found = Jinja2Templates(directory=TEMPLATES)
    found.env.globals.update(
        local_time=local_time,
        duration=duration,
        zone_name=zone_name,
        form_fields=csrf.form_fields,
        PIPELINE_STATES=PIPELINE_STATES,
        CLOSED_STATES=CLOSED_STATES,
    )
    return found


async def page_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Actor:
    """The actor of the session cookie (or a bearer token); without one, the login form."""
    try:
        return await current_actor(request, credentials)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise LoginRequiredError from None
        raise


PageActor = Annotated[Actor, Depends(page_actor)]


def relative(url: URL) -> str:
    """``url``'s path and query: a link that names no host (the Host header is the client's)."""
    return f"{url.path}?{url.query}" if url.query else url.path


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """The template ``name`` with ``context`` and what base.html needs: ``t`` (the translator),
    ``actor``, ``nav`` (the role's links), ``flash`` (the message a form's success left),
    ``logout_token``, ``lang_url`` and ``unread`` (the navigation's unread notices; None: no
    badge)."""
    t = Translator(language_of(request))
    actor = getattr(request.state, "actor", None)
    session = request.cookies.get(SESSION_COOKIE)
    logout_token = (
        csrf.form_token(session, csrf.LOGOUT) if actor and session else None
    )  # a bearer-header client has no session to end
    lang_url = relative(request.url.include_query_params(lang=t.other))
    message = read_flash(request)
    response = templates().TemplateResponse(
        request,
        name,
        {
            "t": t,
            "actor": actor,
            "actor_unit": unit_names(request.app.state.services.app, t)(actor.unit_id) if actor else "",
            "nav": navigation(actor),
            "here": request.url.path,
            "flash": message,
            "lang_url": lang_url,
            "logout_token": logout_token,
            "unread": unread_of(request.app.state.services, actor) if actor else None,
            **context,
        },
        status_code=status,
    )
    if message is not None:
        response.delete_cookie(FLASH_COOKIE, path="/ui")
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, t.lang, max_age=YEAR, httponly=True, samesite="lax")
    return response


def set_flash(request: Request, response: Response, message: str) -> None:
    """Leaves ``message`` for the next page this browser renders: a cookie signed with the
    session (another site cannot make a page say something)."""
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return
    payload = base64.urlsafe_b64encode(message.encode()).decode()
    signature = csrf.form_token(session, "flash:" + payload)
    response.set_cookie(
        FLASH_COOKIE,
        f"{payload}.{signature}",
        max_age=300,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/ui",
    )


def read_flash(request: Request) -> str | None:
    """The message ``set_flash`` left for this session, if any."""
    value, session = request.cookies.get(FLASH_COOKIE), request.cookies.get(SESSION_COOKIE)
    if not value or not session or "." not in value:
        return None
    payload, _, signature = value.partition(".")
    expected = csrf.form_token(session, "flash:" + payload)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        return None
    try:
        return base64.urlsafe_b64decode(payload.encode()).decode()
    except ValueError:
        return None


def error_page(request: Request, exc: DomainError) -> HTMLResponse:
    """The error page: what happened in the reader's language, with the status the API gives."""
    status = status_for(exc)
    if isinstance(exc, AuthorizationError):
        actor = getattr(request.state, "actor", None)
        structlog.get_logger("laurel.authz").warning(
            "refused",
            code=exc.code,
            token_id=actor.token_id if actor else None,
            path=request.url.path,
            **exc.details,
        )
    return render(
        request,
        "error.html",
        {"error": exc, "status": status, "failures": getattr(exc, "failures", ())},
        status=status,
    )


def unit_names(app: Any, t: Translator) -> Callable[[str | None], str]:
    """A unit's name in the reader's language by its code (the code when it names none)."""
    names: dict[str, str] = {}

    def name(code: str | None) -> str:
        if not code:
            return ""
        if code not in names:
            try:
                names[code] = t.name(app.get_unit(code))
            except NotFoundError:
                names[code] = code
        return names[code]

    return name


def safe_next(target: str | None) -> str:
    """Only a page of this site: never an absolute or scheme-relative URL."""
    if not target or not target.startswith("/ui/") or target.startswith("//") or "\\" in target:
        return "/ui/"
    return target
