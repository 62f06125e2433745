"""Withdrawal (``/ui/declare/nominations/{id}/withdraw``): the nomination, its reasons, and the
form that withdraws it with a reason, at the version shown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.common import campaign_label
from api.pages.declarer.common import may_withdraw, reasons_of, require_declarer_pages, text_of
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Withdraw
from domain.nominations import WITHDRAWABLE

router = APIRouter(prefix="/ui/declare", route_class=PageRoute, include_in_schema=False)


@router.get("/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    return render(request, "declare_withdraw.html", withdraw_context(request, app, actor, nomination_id))


def withdraw_context(request: Request, app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    require_declarer_pages(actor)
    t = Translator(language_of(request))
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    names = unit_names(app, t)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": campaign.category(nomination.category),
        "label": campaign_label(campaign, t, names),
        "reasons": reasons_of(nomination),
        "withdrawable": nomination.state in WITHDRAWABLE and may_withdraw(app, actor, nomination),
        "unit_name": names,
    }


@router.post("/nominations/{nomination_id}/withdraw", response_class=HTMLResponse)
async def withdraw(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    context = await run_in_threadpool(withdraw_context, request, app, form.actor, nomination_id)
    nomination = context["nomination"]
    command = Withdraw(nomination_id=str(nomination.id), reason=text_of(form.values, "reason"))
    return await submit(
        request,
        form,
        command,
        done=f"/ui/declare/{nomination.campaign_id}",
        again=lambda: (
            "declare_withdraw.html",
            withdraw_context(request, app, form.actor, nomination_id),
        ),
        flash=t("declare.withdrawn", name=nomination.nominee.name),
    )
