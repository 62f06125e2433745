"""The public certificate check (荣誉证书查验, issue 22 item 5): ``/verify`` (a form to type a
code) and ``/verify/{code}`` (the address printed on a certificate). No login: it shows only
what the certificate itself shows and whether the title is in force; limited per address like
the API's check (``GET /v1/titles/verify/{code}``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api import documents
from api.deps import ServicesDep
from api.pages.rendering import PageRoute, render
from domain.errors import VerificationCodeNotFoundError
from domain.verification import normalized

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, code: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The form; with ``?code=`` (the form sent), the code's own address."""
    if code and code.strip():
        typed = normalized(code) or code.strip()
        return RedirectResponse(f"/verify/{quote(typed, safe='')}", status_code=303)
    return render(request, "verify.html", {"code": "", "result": None, "missing": False})


@router.get("/verify/{code}", response_class=HTMLResponse)
def verify_page(request: Request, code: str, services: ServicesDep) -> Response:
    code = code[:64]
    retry_after = documents.throttle(request)
    if retry_after is not None:
        context = {"code": code, "result": None, "missing": False, "retry_after": retry_after}
        response = render(request, "verify.html", context, status=429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    try:
        found = documents.verify(services, code)
    except VerificationCodeNotFoundError:
        return render(request, "verify.html", {"code": code, "result": None, "missing": True}, 404)
    return render(
        request, "verify.html", {"code": found.code, "result": found.public(), "missing": False}
    )
