"""The web pages (jinja2, rendered on the server): login, the campaigns an actor may read, a
campaign's dashboard and a nomination's timeline. The same tokens and role rules as the API:
the session cookie holds a page session's id (``api.auth``); scripts may send the bearer
header instead. Login and logout are forms guarded against cross-site posts (csrf.py); every
link and redirect is a path, never built from the request's Host."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL

from api.auth import SESSION_COOKIE, bearer
from api.deps import App, ServicesDep, current_actor
from api.instants import checked_as_of
from api.pages import csrf
from api.pages.charts import pipeline_svg
from api.pages.formatting import duration, local_time, phase_countdowns
from api.pages.i18n import (
    CLOSED_STATES,
    LANG_COOKIE,
    LANGUAGES,
    PIPELINE_STATES,
    Translator,
    language_of,
)
from api.pages.timeline import timeline
from api.problems import status_for
from domain.actors import Actor, Role
from domain.errors import (
    AuthorizationError,
    CampaignNotFoundError,
    DomainError,
    NotFoundError,
    RuleFailure,
    RuleViolationError,
)
from domain.rules.jurisdiction import (
    can_read_campaign,
    can_read_unit_records,
    require_read,
    require_role,
)

NOMINATIONS_SHOWN = 100
YEAR = 365 * 24 * 3600


class LoginRequiredError(Exception):
    """No session: the page answers with a redirect to the login form."""


class PageRoute(APIRoute):
    """Pages answer in HTML: without a session a redirect to /ui/login, a domain error an
    error page with the status the API would give (the same table, api/problems.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequiredError:
                return RedirectResponse(f"/ui/login?next={quote(request.url.path)}", status_code=303)
            except DomainError as exc:
                return error_page(request, exc)
            except RequestValidationError as exc:  # a malformed query (as_of, year): 422 as in the API
                failures = [
                    RuleFailure(
                        f"request_{e['type']}",
                        e["msg"],
                        "请求格式不正确：" + e["msg"],
                        ".".join(str(p) for p in e["loc"][1:]),
                    )
                    for e in exc.errors()
                ]
                return error_page(
                    request,
                    RuleViolationError(failures, "The request is not valid", "请求内容不符合要求"),
                )

        return page_handler


router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


@cache
def templates() -> Jinja2Templates:
    """The templates next to this module, loaded on first use (nothing happens at import)."""
    found = Jinja2Templates(directory=Path(__file__).parent / "templates")
    found.env.globals.update(
        local_time=local_time,
        duration=duration,
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
    t = Translator(language_of(request))
    actor = getattr(request.state, "actor", None)
    session = request.cookies.get(SESSION_COOKIE)
    logout_token = (
        csrf.form_token(session, csrf.LOGOUT) if actor and session else None
    )  # a bearer-header client has no session to end
    lang_url = relative(request.url.include_query_params(lang=t.other))
    response = templates().TemplateResponse(
        request,
        name,
        {"t": t, "actor": actor, "lang_url": lang_url, "logout_token": logout_token, **context},
        status_code=status,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, t.lang, max_age=YEAR, httponly=True, samesite="lax")
    return response


def error_page(request: Request, exc: DomainError) -> HTMLResponse:
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
        {"error": exc, "failures": getattr(exc, "failures", ())},
        status=status_for(exc),
    )


def unit_names(app: Any, t: Translator) -> Callable[[str | None], str]:
    cache: dict[str, str] = {}

    def name(code: str | None) -> str:
        if not code:
            return ""
        if code not in cache:
            try:
                cache[code] = t.name(app.get_unit(code))
            except NotFoundError:
                cache[code] = code
        return cache[code]

    return name


def safe_next(target: str | None) -> str:
    """Only a page of this site: never an absolute or scheme-relative URL."""
    return target if target and target.startswith("/ui/") and not target.startswith("//") else "/ui/"


# --- session -----------------------------------------------------------------------------------


def login_page(
    request: Request, next_page: str | None, message: str | None, error: str | None, status: int = 200
) -> Response:
    """The login form, its token bound to the browser's pre-session cookie (set here if new)."""
    presession = csrf.presession(request)
    context = {
        "next": safe_next(next_page),
        "message": message,
        "error": error,
        "csrf_token": csrf.form_token(presession, csrf.LOGIN),
    }
    response = render(request, "login.html", context, status=status)
    csrf.keep_presession(request, response, presession)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    next_page: Annotated[str | None, Query(alias="next")] = None,
    logged_out: bool = False,
) -> Response:
    return login_page(request, next_page, "login.logged_out" if logged_out else None, None)


@router.post(
    "/login",
    response_class=HTMLResponse,
    dependencies=[Depends(csrf.guard(csrf.LOGIN, csrf.PRESESSION_COOKIE))],
)
async def login(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    next_page: Annotated[str | None, Form(alias="next", max_length=2000)] = None,
) -> Response:
    """A page session for the token: the cookie holds a random session id (only its hash is
    stored), never the token itself."""
    try:
        session = await request.app.state.auth.open_session(request, token.strip())
    except HTTPException as exc:
        error = "login.throttled" if exc.status_code == 429 else "login.invalid"
        response = login_page(request, next_page, None, error, status=exc.status_code)
        response.headers.update(exc.headers or {})
        return response
    response = RedirectResponse(safe_next(next_page), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        max_age=int(request.app.state.auth.session_lifetime),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/logout", dependencies=[Depends(csrf.guard(csrf.LOGOUT, SESSION_COOKIE))])
async def logout(request: Request) -> Response:
    """Ends the session on the server: the cookie, replayed, no longer logs anyone in."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        await run_in_threadpool(request.app.state.auth.close_session, session)
    response = RedirectResponse("/ui/login?logged_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- pages -------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def campaign_list(request: Request, app: App, actor: PageActor) -> Response:
    require_role(actor, "read")
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    now = app.clock()
    campaigns = []
    for entry in app.list_campaigns():
        if not can_read_campaign(actor, app.get_unit(entry["organiser_unit_id"]), actor_unit):
            continue
        campaign = app.get_campaign(entry["campaign_id"])
        campaigns.append({"campaign": campaign, "current": campaign.current_phase(now)})
    t = Translator(language_of(request))
    return render(request, "campaigns.html", {"campaigns": campaigns, "unit_name": unit_names(app, t)})


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def dashboard(
    request: Request,
    campaign_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    as_of: Annotated[datetime | None, Query()] = None,
) -> Response:
    campaign = app.access.readable_campaign(campaign_id, actor)
    board = services.views.dashboard(str(campaign.id), checked_as_of(as_of) if as_of else None)
    if board is None:
        raise CampaignNotFoundError(
            f"campaign {campaign.id} did not exist at {as_of}",
            f"评选活动在 {as_of} 时尚不存在",
            campaign=str(campaign.id),
        )
    own_unit = actor.unit_id if actor.role == Role.DECLARER else None
    nominations, more = app.queries.nomination_page(
        campaign.id, declared_within=own_unit, limit=NOMINATIONS_SHOWN
    )
    t = Translator(language_of(request))
    charts = {c["code"]: pipeline_svg(c["code"], c["states"], t) for c in board["categories"]}
    categories = {c.code: c for c in campaign.categories}
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "phases": phase_countdowns(board),
            "charts": charts,
            "nominations": nominations,
            "more": more is not None,
            "shown": NOMINATIONS_SHOWN,
            "categories": categories,
            "unit_name": unit_names(app, t),
            "as_of": as_of,
        },
    )


@router.get("/nominations/{nomination_id}", response_class=HTMLResponse)
def nomination_timeline(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    entries = timeline(app.queries.history(nomination.id), t, campaign.timezone, names)
    return render(
        request,
        "nomination.html",
        {
            "nomination": nomination,
            "campaign": campaign,
            "category": campaign.category(nomination.category),
            "entries": entries,
            "unit_name": names,
        },
    )


@router.get("/units/{unit_id}/compliance", response_class=HTMLResponse)
def unit_compliance(
    request: Request,
    unit_id: str,
    app: App,
    actor: PageActor,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    through: date | None = None,
) -> Response:
    unit = app.get_unit(unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    year = year or app.clock().year
    result = app.queries.compliance_of(unit_id, year, through=through)
    return render(
        request,
        "compliance.html",
        {"unit": unit, "year": year, "result": result, "members": app.queries.member_roll(unit_id)},
    )
