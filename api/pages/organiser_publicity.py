"""公示与异议处理 (``/ui/organise/campaigns/{campaign}/publicity``, issue 23): the campaign's
公示 settings, its counts and published lists, publishing the proposed list, and the queue of
objections (open first) with their text and the objector's contact — the organiser's reviewers
and auditors only — to investigate and decide (uphold: off the list, the slot left free;
dismiss: the title once the period has closed). Each action is a command through the safe form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App
from api.pages.common import campaign_label, refusal
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    ConfigurePublicity,
    DecideObjection,
    InvestigateObjection,
    PublishProposedList,
)
from domain.objections import Objection, objection_uuid
from domain.publicity import objection_queue, publicity_summary, publicity_view
from domain.rules.jurisdiction import authorize, can_read_campaign, require_read
from domain.vocabulary import Role

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)


def sees_objectors(app: Laurel, actor: Actor, organiser_code: str) -> bool:
    if actor.role not in (Role.REVIEWER, Role.AUDITOR):
        return False
    if actor.role == Role.AUDITOR and actor.unit_id is None:
        return True
    return actor.unit_id is not None and app.get_unit(organiser_code).is_within(actor.unit_id)


def publicity_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    campaign = app.get_campaign(campaign_id)
    organiser = app.get_unit(campaign.organiser_unit_id)
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    require_read(actor, can_read_campaign(actor, organiser, actor_unit), f"campaign {campaign_id}")
    t = Translator(language_of(request))
    names = unit_names(app, t)
    now = app.clock()
    queue: list[dict[str, Any]] = []
    if sees_objectors(app, actor, campaign.organiser_unit_id):

        def get(receipt: str) -> Objection:
            found = app.load.find(objection_uuid(receipt), Objection, for_update=False)
            assert found is not None
            return found

        queue = objection_queue(campaign, get)
    nominees = {
        e["nomination_id"]: e
        for p in publicity_view(campaign, app.load, now)["periods"]
        for e in p["entries"]
    }
    return {
        "campaign": campaign,
        "campaign_label": campaign_label(campaign, t, names),
        "view": publicity_view(campaign, app.load, now),
        "summary": publicity_summary(campaign, app.load, app.roster),
        "queue": queue,
        "nominees": nominees,
        "sees_objectors": sees_objectors(app, actor, campaign.organiser_unit_id),
        "categories": [(c.code, t.name(c)) for c in campaign.categories],
        "why_not": refusal(lambda: authorize(actor, "commend", [organiser])),
    }


def _page(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> tuple[str, dict[str, Any]]:
    return "organise_publicity.html", publicity_context(request, app, actor, campaign_id)


@router.get("/campaigns/{campaign_id}/publicity", response_class=HTMLResponse)
def publicity_page(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    return render(request, *_page(request, app, actor, campaign_id))


def _done(campaign_id: str) -> str:
    return f"/ui/organise/campaigns/{campaign_id}/publicity"


@router.post("/campaigns/{campaign_id}/publicity/settings", response_class=HTMLResponse)
async def configure(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    def command() -> ConfigurePublicity:
        typed = str(form.values.get("working_days") or "0").strip()
        return ConfigurePublicity(
            campaign_id=campaign_id,
            # isdecimal and ASCII: "²".isdigit() is True but int("²") raises
            working_days=int(typed) if typed.isascii() and typed.isdecimal() else -1,
            public_page=bool(form.values.get("public_page")),
            reason=str(form.values.get("reason") or "")[:500],
        )

    return await submit(
        request,
        form,
        command,
        done=_done(campaign_id),
        again=lambda: _page(request, app, form.actor, campaign_id),
    )


@router.post("/campaigns/{campaign_id}/publicity/publish", response_class=HTMLResponse)
async def publish(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    category = str(form.values.get("category") or "").strip() or None
    response = await submit(
        request,
        form,
        PublishProposedList(
            campaign_id=campaign_id, category=category, reason=str(form.values.get("reason") or "")[:500]
        ),
        done=_done(campaign_id),
        again=lambda: _page(request, app, form.actor, campaign_id),
        flash=t("publicity.published"),
    )
    if response.status_code in (204, 303):  # published: the workflow sets the period's timer
        await request.app.state.services.scheduler.deadline_extended(campaign_id)
    return response


@router.post("/campaigns/{campaign_id}/objections/{receipt}/investigate", response_class=HTMLResponse)
async def investigate(
    request: Request, campaign_id: str, receipt: str, app: App, form: ActionForm
) -> Response:
    return await submit(
        request,
        form,
        InvestigateObjection(receipt=receipt[:20], note=str(form.values.get("note") or "")[:4000]),
        done=_done(campaign_id),
        again=lambda: _page(request, app, form.actor, campaign_id),
    )


@router.post("/campaigns/{campaign_id}/objections/{receipt}/decide", response_class=HTMLResponse)
async def decide(
    request: Request, campaign_id: str, receipt: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    return await submit(
        request,
        form,
        DecideObjection(
            receipt=receipt[:20],
            outcome=str(form.values.get("outcome") or ""),
            findings=str(form.values.get("findings") or ""),
        ),
        done=_done(campaign_id),
        again=lambda: _page(request, app, form.actor, campaign_id),
        flash=t("publicity.decided"),
    )


__all__ = ["router"]
