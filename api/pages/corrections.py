"""The corrections and appeals pages (issue 23, items 3-4; ``domain/corrections.py``).

- ``/ui/nominations/{id}/corrections``: what was corrected (voided inspections, returns,
  appeals) and the forms the reader may use: the organiser's reviewer voids an inspection,
  returns a declaration for amendment, decides an appeal and corrects a granted title's
  nominee name; the declarer amends a returned
  declaration and appeals a rejection or a lapse.
- ``/ui/campaigns/{id}/corrections``: the campaign's reopened windows and cancellation, with
  the reviewer's reopen form and the admin's cancel form.

Each form posts a command (``api/pages/forms.py``: CSRF, idempotency key, version); a refusal
shows the form again with the failed rule by its field."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    Amend,
    CancelCampaign,
    Command,
    CorrectNomineeName,
    DecideAppeal,
    LodgeAppeal,
    ReopenPhase,
    ReturnForAmendment,
    VoidInspection,
)
from domain.corrections import invalid
from domain.templates import get_template
from domain.vocabulary import NominationState, Role

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


def nomination_context(
    request: Request, app: Laurel, actor: Actor, nomination_id: str
) -> dict[str, Any]:
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    t = Translator(language_of(request))
    reviewer = actor.role == Role.REVIEWER
    declarer = actor.role == Role.DECLARER
    state = nomination.state
    return {
        "nomination": nomination,
        "campaign": campaign,
        "unit_name": unit_names(app, t),
        "inspections": list(enumerate(nomination.inspections, 1)),
        "voided": set(nomination.voided),
        "void_options": [
            (str(n), f"#{n} · {i.weighted_score:.2f}")
            for n, i in enumerate(nomination.inspections, 1)
            if n not in nomination.voided
        ],
        "may_void": reviewer
        and state in (NominationState.ADMITTED, NominationState.INSPECTED)
        and len(nomination.valid_inspections) > 0,
        "may_return": reviewer and state == NominationState.DECLARED,
        "may_decide": reviewer and nomination.open_appeal is not None,
        "may_rename": reviewer and (state == NominationState.COMMENDED or nomination.title_active),
        "may_amend": declarer and state == NominationState.RETURNED,
        "may_appeal": declarer
        and state in (NominationState.REJECTED, NominationState.LAPSED)
        and nomination.open_appeal is None,
        "appeal_days": get_template(campaign.template_code).appeal_days,
        "cancelled": campaign.cancelled,
    }


def campaign_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    campaign = app.access.readable_campaign(campaign_id, actor)
    t = Translator(language_of(request))
    return {
        "campaign": campaign,
        "unit_name": unit_names(app, t),
        "reopenings": list(campaign.reopenings),
        "cancelled": campaign.cancelled,
        "may_reopen": actor.role == Role.REVIEWER and campaign.cancelled is None,
        "may_cancel": actor.role == Role.ADMIN and campaign.cancelled is None,
        "phases": [(p.code, t.name(p)) for p in campaign.phases],
    }


@router.get("/nominations/{nomination_id}/corrections", response_class=HTMLResponse)
def nomination_page(request: Request, nomination_id: str, actor: PageActor) -> Response:
    app: Laurel = request.app.state.services.app
    context = nomination_context(request, app, actor, nomination_id)
    return render(request, "corrections_nomination.html", context)


@router.get("/campaigns/{campaign_id}/corrections", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str, actor: PageActor) -> Response:
    app: Laurel = request.app.state.services.app
    return render(
        request, "corrections_campaign.html", campaign_context(request, app, actor, campaign_id)
    )


def _text(form: ActionForm, name: str) -> str:
    value = form.values.get(name, "")
    return str(value if isinstance(value, str) else (value[0] if value else "")).strip()


def _lines(form: ActionForm, name: str) -> list[str]:
    return [line.strip() for line in _text(form, name).splitlines() if line.strip()]


def _instant(form: ActionForm, name: str, timezone: str) -> datetime:
    """A ``datetime-local`` field, read in the campaign's time zone."""
    raw = _text(form, name)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise invalid(
            "datetime_format",
            "give a date and time (YYYY-MM-DDTHH:MM)",
            "请填写日期和时间（YYYY-MM-DDTHH:MM）",
            name,
            "YYYY-MM-DDTHH:MM",
            raw[:40],
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


async def _nomination_post(
    request: Request, nomination_id: str, form: ActionForm, build: Any
) -> Response:
    app: Laurel = request.app.state.services.app
    here = f"/ui/nominations/{nomination_id}/corrections"

    def again() -> tuple[str, dict[str, Any]]:
        return "corrections_nomination.html", nomination_context(request, app, form.actor, nomination_id)

    return await submit(request, form, build, done=here, again=again)


@router.post("/nominations/{nomination_id}/corrections/void", response_class=HTMLResponse)
async def void(request: Request, nomination_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        raw = _text(form, "inspection")
        if not (raw.isascii() and raw.isdigit()):
            raise invalid("inspection_exists", "choose an inspection", "请选择考核记录", "inspection")
        return VoidInspection(
            nomination_id=nomination_id, inspection=int(raw[:6]), reason=_text(form, "reason")
        )

    return await _nomination_post(request, nomination_id, form, build)


@router.post("/nominations/{nomination_id}/corrections/return", response_class=HTMLResponse)
async def return_(request: Request, nomination_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        fields = [f.strip() for f in _text(form, "fields").split(",") if f.strip()]
        return ReturnForAmendment(
            nomination_id=nomination_id, reasons=_lines(form, "reasons"), fields=fields
        )

    return await _nomination_post(request, nomination_id, form, build)


@router.post("/nominations/{nomination_id}/corrections/amend", response_class=HTMLResponse)
async def amend(request: Request, nomination_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        material = _text(form, "material")
        return Amend(nomination_id=nomination_id, material=material or None)

    return await _nomination_post(request, nomination_id, form, build)


@router.post("/nominations/{nomination_id}/corrections/name", response_class=HTMLResponse)
async def correct_name(request: Request, nomination_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        return CorrectNomineeName(
            nomination_id=nomination_id, name=_text(form, "name"), reason=_text(form, "reason")
        )

    return await _nomination_post(request, nomination_id, form, build)


@router.post("/nominations/{nomination_id}/corrections/appeal", response_class=HTMLResponse)
async def appeal(request: Request, nomination_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        return LodgeAppeal(nomination_id=nomination_id, grounds=_text(form, "grounds"))

    return await _nomination_post(request, nomination_id, form, build)


@router.post("/nominations/{nomination_id}/corrections/decide", response_class=HTMLResponse)
async def decide(request: Request, nomination_id: str, form: ActionForm) -> Response:
    app: Laurel = request.app.state.services.app

    def build() -> Command:
        until = None
        if _text(form, "until"):
            campaign = app.get_campaign(app.get_nomination(nomination_id).campaign_id)
            until = _instant(form, "until", campaign.timezone)
        return DecideAppeal(
            nomination_id=nomination_id,
            outcome=_text(form, "outcome"),
            findings=_text(form, "findings"),
            until=until,
        )

    return await _nomination_post(request, nomination_id, form, build)


async def _campaign_post(request: Request, campaign_id: str, form: ActionForm, build: Any) -> Response:
    app: Laurel = request.app.state.services.app
    here = f"/ui/campaigns/{campaign_id}/corrections"

    def again() -> tuple[str, dict[str, Any]]:
        return "corrections_campaign.html", campaign_context(request, app, form.actor, campaign_id)

    response = await submit(request, form, build, done=here, again=again)
    if response.status_code in (204, 303):  # recorded: the workflow is told (bounded, never raises)
        scheduler = request.app.state.services.scheduler
        if "cancel" in request.url.path:
            await scheduler.campaign_cancelled(campaign_id)
        else:
            await scheduler.deadline_extended(campaign_id)
    return response


@router.post("/campaigns/{campaign_id}/corrections/reopen", response_class=HTMLResponse)
async def reopen(request: Request, campaign_id: str, form: ActionForm) -> Response:
    app: Laurel = request.app.state.services.app

    def build() -> Command:
        campaign = app.get_campaign(campaign_id)
        return ReopenPhase(
            campaign_id=campaign_id,
            phase=_text(form, "phase"),
            scope=_text(form, "scope"),
            target=_text(form, "target"),
            until=_instant(form, "until", campaign.timezone),
            reason=_text(form, "reason"),
        )

    return await _campaign_post(request, campaign_id, form, build)


@router.post("/campaigns/{campaign_id}/corrections/cancel", response_class=HTMLResponse)
async def cancel(request: Request, campaign_id: str, form: ActionForm) -> Response:
    def build() -> Command:
        return CancelCampaign(campaign_id=campaign_id, reason=_text(form, "reason"))

    return await _campaign_post(request, campaign_id, form, build)


__all__ = ["router"]
