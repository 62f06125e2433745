"""Logging in to and out of the pages. The session cookie holds a page session's id
(``api.auth``), never the token; both forms are guarded against cross-site posts (csrf.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE
from api.pages import csrf
from api.pages.rendering import PageRoute, render, safe_next

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


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
    stored), never the token itself. Then the page the visitor asked for, query and all."""
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
