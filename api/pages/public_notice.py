"""The public 公示 pages (issue 23, items 1-2), no login: ``/public/campaigns/{id}/publicity``
(the proposed list — names, units, categories — its period and the objection form) and
``/public/objections/{receipt}`` (an objection's status, nothing of who sent it or what it
says). The form goes through the same guard as the API (``api/publicity_guard.py``): the
address's and the campaign's rate limits, the honeypot, the signed form token with its minimum
fill time; and the page's own origin check (a form posted from another site is refused)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Header, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import ServicesDep
from api.pages import csrf
from api.pages.forms import errors_by_field
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageRoute, render
from api.problems import status_for
from api.publicity_guard import (
    HONEYPOT,
    check_form,
    client_address,
    client_digest,
    form_secret,
    issue_form_token,
    lodge_public,
    public_view,
    throttle,
)
from domain.errors import ConflictError, ObjectionNotFoundError, RuleViolationError
from domain.objections import MAX_CONTACT, MAX_TEXT, Objection, objection_uuid
from infra.bootstrap import Services

router = APIRouter(prefix="/public", route_class=PageRoute, include_in_schema=False)


def list_context(services: Services, campaign_id: str, address: str) -> dict[str, Any]:
    view = public_view(services.app, campaign_id)
    open_entries = [e for p in view["periods"] if p["open"] for e in p["entries"]]
    secret = form_secret(services)
    return {
        "view": view,
        "open_entries": open_entries,
        # bound to this client (``client_digest``): sent back from the same address
        "form_token": issue_form_token(secret, campaign_id, client_digest(secret, address)),
        "honeypot": HONEYPOT,
        "max_text": MAX_TEXT,
        "max_contact": MAX_CONTACT,
        "values": {},
        "errors": {},
    }


@router.get("/campaigns/{campaign_id}/publicity", response_class=HTMLResponse)
def publicity_page(request: Request, campaign_id: str, services: ServicesDep) -> Response:
    return render(
        request, "public_publicity.html", list_context(services, campaign_id, client_address(request))
    )


@router.post("/campaigns/{campaign_id}/objections", response_class=HTMLResponse)
async def lodge(
    request: Request,
    campaign_id: str,
    services: ServicesDep,
    nomination_id: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT * 4)] = "",
    contact: Annotated[str, Form(max_length=MAX_CONTACT * 4)] = "",
    form_token: Annotated[str, Form(max_length=200)] = "",
    website: Annotated[str, Form(max_length=200)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
    origin: Annotated[str | None, Header()] = None,
    referer: Annotated[str | None, Header()] = None,
) -> Response:
    csrf.require_own_origin(request, origin, referer)
    t = Translator(language_of(request))
    address = client_address(request)
    context = await run_in_threadpool(list_context, services, campaign_id, address)
    context["values"] = {"nomination_id": nomination_id, "text": text, "contact": contact}

    def refused(exc: RuleViolationError | ConflictError) -> Response:
        failures = tuple(getattr(exc, "failures", ()))
        context["errors"] = errors_by_field(failures, t)
        context["refusal"] = t("form.refused", n=max(1, len(failures)))
        return render(request, "public_publicity.html", context, status=status_for(exc))

    try:  # the honeypot and the form token first: junk never counts against the rate limits
        await run_in_threadpool(check_form, services, campaign_id, form_token, website, address)
    except (RuleViolationError, ConflictError) as exc:
        return refused(exc)
    retry_after = throttle(request).retry_after(address, campaign_id)
    if retry_after is not None:
        context["refusal"] = t("publicity.throttled", seconds=retry_after)
        response = render(request, "public_publicity.html", context, status=429)
        response.headers["Retry-After"] = str(retry_after)
        return response
    data = await evidence.read() if evidence is not None else b""
    try:
        result = await run_in_threadpool(
            partial(
                lodge_public,
                services,
                campaign_id,
                nomination_id=nomination_id,
                text=text,
                contact=contact,
                form_token=form_token,
                honeypot=website,
                address=address,
                evidence=data or None,
                evidence_name=evidence.filename if evidence is not None else None,
            )
        )
    except (RuleViolationError, ConflictError) as exc:
        return refused(exc)
    return RedirectResponse(f"/public/objections/{result['receipt']}", status_code=303)


def find_objection(services: Services, receipt: str) -> Objection:
    found = services.app.load.find(objection_uuid(receipt[:20]), Objection, for_update=False)
    if found is None:
        raise ObjectionNotFoundError(
            f"no objection '{receipt[:20]}'", f"没有回执号为「{receipt[:20]}」的异议"
        )
    return found


@router.get("/objections", response_class=HTMLResponse)
def follow_form(request: Request, receipt: str = "") -> Response:
    if receipt.strip():
        return RedirectResponse(f"/public/objections/{receipt.strip()[:20]}", status_code=303)
    return render(request, "public_objection.html", {"objection": None, "receipt": ""})


@router.get("/objections/{receipt}", response_class=HTMLResponse)
def objection_page(request: Request, receipt: str, services: ServicesDep) -> Response:
    try:
        objection = find_objection(services, receipt)
    except ObjectionNotFoundError:
        return render(
            request,
            "public_objection.html",
            {"objection": None, "receipt": receipt[:20], "missing": True},
            404,
        )
    timezone = services.app.get_campaign(objection.campaign_id).timezone  # the campaign's zone
    return render(
        request,
        "public_objection.html",
        {"objection": objection.public(), "receipt": objection.receipt, "timezone": timezone},
    )
