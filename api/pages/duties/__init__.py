"""The duty pages (工作任务, issue 21 item 5) under /ui/duties: per campaign, for the organiser
who owes what, in which state, with accept/return, spot checks (实地察看, 电话抽查) and
circulars (通报, 通报批评 with 限期整改); for a declarer what its unit owes, and the form that
submits it. Every action is a domain command through the safe form (``api.pages.forms``);
what the command refuses comes back next to its field."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.common import campaign_label, refusal
from api.pages.forms import ActionForm, PostedForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import AcceptDuty, IssueCircular, RecordSpotCheck, ReturnDuty, SubmitDuty
from domain.duties import DutyBook, Owed
from domain.errors import DutyInvalidError, RuleFailure
from domain.rules.duties import require_organiser, require_owing_unit
from domain.rules.jurisdiction import can_read_campaign, require_read
from domain.vocabulary import CircularKind, DutyKind, DutyState, Role, SpotCheckMethod

router = APIRouter(prefix="/ui/duties", route_class=PageRoute, include_in_schema=False)


def _book(app: Laurel, actor: Actor, campaign_id: str) -> DutyBook:
    campaign = app.get_campaign(campaign_id)
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    organiser = app.get_unit(campaign.organiser_unit_id)
    require_read(actor, can_read_campaign(actor, organiser, actor_unit), f"campaign {campaign_id}")
    return DutyBook(app.load, app.queries, campaign)


def _organises(app: Laurel, actor: Actor, book: DutyBook) -> bool:
    organiser = app.get_unit(book.campaign.organiser_unit_id)
    return refusal(lambda: require_organiser(actor, organiser, "review_duty")) is None


def _mine(actor: Actor, owed: Owed) -> bool:
    if actor.role != Role.DECLARER:
        return True
    return owed.unit is not None and actor.unit_id is not None and owed.unit.is_within(actor.unit_id)


def campaign_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    book = _book(app, actor, campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    owed = [o for o in book.all() if _mine(actor, o)]
    counts: dict[str, Counter[str]] = {}
    for o in owed:
        counts.setdefault(o.item.unit_id, Counter())[str(o.state)] += 1
    organiser_duties = [
        spec for spec in book.specs.values() if spec.kind in (DutyKind.SPOT_CHECK, DutyKind.CIRCULAR)
    ]
    units = list(app.queries.units_in_subtree(book.campaign.organiser_unit_id))
    return {
        "campaign": book.campaign,
        "campaign_label": campaign_label(book.campaign, t, names),
        "owed": owed,
        "counts": counts,
        "organises": _organises(app, actor, book),
        "organiser_duties": organiser_duties,
        "checkable_units": [(u.code, t.name(u)) for u in units],
        "criticisable_units": [
            (u.code, t.name(u)) for u in units if u.code != book.campaign.organiser_unit_id
        ],
        "methods": [(str(m), m.label(t.lang)) for m in SpotCheckMethod],
        "circular_kinds": [(str(k), k.label(t.lang)) for k in CircularKind],
        "duty_state": DutyState,
        "duty_kind": DutyKind,
        "phases": {p.code: p for p in book.campaign.phases},
        "unit_name": names,
    }


@router.get("/{campaign_id}", response_class=HTMLResponse)
def campaign_duties(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    """Who owes what: every duty of the campaign (a declarer's own unit's), with its state."""
    return render(request, "duty_campaign.html", campaign_context(request, app, actor, campaign_id))


def item_context(
    request: Request, app: Laurel, actor: Actor, campaign_id: str, duty: str, unit_id: str
) -> dict[str, Any]:
    book = _book(app, actor, campaign_id)
    item, found = book.owed(duty, unit_id)
    owed = Owed(item, found, app.get_unit(unit_id))
    require_read(actor, _mine(actor, owed), f"duty {duty} of {unit_id}")
    t = Translator(language_of(request))
    names = unit_names(app, t)
    unit = app.get_unit(unit_id)
    may_submit = item.kind in (DutyKind.DOCUMENT, DutyKind.RECTIFICATION) and (
        refusal(lambda: require_owing_unit(actor, unit)) is None
    )
    return {
        "campaign": book.campaign,
        "campaign_label": campaign_label(book.campaign, t, names),
        "owed": owed,
        "view": owed.as_dict(with_body=True),
        "may_submit": may_submit,
        "may_review": item.kind in (DutyKind.DOCUMENT, DutyKind.RECTIFICATION)
        and _organises(app, actor, book),
        "duty_state": DutyState,
        "duty_kind": DutyKind,
        "unit_name": names,
    }


@router.get("/{campaign_id}/{duty}/{unit_id}", response_class=HTMLResponse)
def duty_item(
    request: Request, campaign_id: str, duty: str, unit_id: str, app: App, actor: PageActor
) -> Response:
    """One unit's duty: its text, records and history, and the forms its readers may use."""
    return render(
        request, "duty_item.html", item_context(request, app, actor, campaign_id, duty, unit_id)
    )


def _text(form: PostedForm, name: str) -> str:
    value = form.values.get(name, "")
    return str(value if isinstance(value, str) else (value[0] if value else ""))


def _local_instant(form: PostedForm, name: str, timezone: str) -> datetime | None:
    """A ``datetime-local`` field read in the campaign's zone (empty: none)."""
    text = _text(form, name).strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise DutyInvalidError(
            [
                RuleFailure(
                    f"{name}_instant",
                    "give a date and time (YYYY-MM-DD HH:MM)",
                    "请填写日期和时间（YYYY-MM-DD HH:MM）",
                    name,
                    None,
                    text,
                )
            ]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _done(response: Response) -> bool:
    """The command was carried out (a redirect; a refusal renders the form again)."""
    return response.status_code in (204, 303)


def _item_page(campaign_id: str, duty: str, unit_id: str) -> str:
    return f"/ui/duties/{campaign_id}/{duty}/{unit_id}"


async def _on_item(
    request: Request,
    app: Laurel,
    form: PostedForm,
    campaign_id: str,
    duty: str,
    unit_id: str,
    build: Any,
    flash: str,
) -> Response:
    await run_in_threadpool(item_context, request, app, form.actor, campaign_id, duty, unit_id)
    return await submit(
        request,
        form,
        build,
        done=_item_page(campaign_id, duty, unit_id),
        again=lambda: (
            "duty_item.html",
            item_context(request, app, form.actor, campaign_id, duty, unit_id),
        ),
        flash=flash,
    )


@router.post("/{campaign_id}/{duty}/{unit_id}/submit", response_class=HTMLResponse)
async def submit_duty(
    request: Request, campaign_id: str, duty: str, unit_id: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    command = SubmitDuty(
        campaign_id=campaign_id,
        duty=duty,
        unit_id=unit_id,
        title=_text(form, "title"),
        body=_text(form, "body"),
    )
    return await _on_item(request, app, form, campaign_id, duty, unit_id, command, t("duties.submitted"))


@router.post("/{campaign_id}/{duty}/{unit_id}/accept", response_class=HTMLResponse)
async def accept_duty(
    request: Request, campaign_id: str, duty: str, unit_id: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    command = AcceptDuty(campaign_id=campaign_id, duty=duty, unit_id=unit_id, note=_text(form, "note"))
    return await _on_item(request, app, form, campaign_id, duty, unit_id, command, t("duties.accepted"))


@router.post("/{campaign_id}/{duty}/{unit_id}/return", response_class=HTMLResponse)
async def return_duty(
    request: Request,
    campaign_id: str,
    duty: str,
    unit_id: str,
    app: App,
    services: ServicesDep,
    form: ActionForm,
) -> Response:
    """A return, perhaps with a new deadline: then the campaign's workflow is told, as the API
    does (bounded, never raises), so it sets a timer for it."""
    t = Translator(language_of(request))
    timezone = app.get_campaign(campaign_id).timezone

    def build() -> ReturnDuty:
        return ReturnDuty(
            campaign_id=campaign_id,
            duty=duty,
            unit_id=unit_id,
            reason=_text(form, "reason"),
            resubmit_by=_local_instant(form, "resubmit_by", timezone),
        )

    response = await _on_item(
        request, app, form, campaign_id, duty, unit_id, build, t("duties.returned")
    )
    if _done(response) and _text(form, "resubmit_by").strip():
        await services.scheduler.deadline_extended(campaign_id)
    return response


async def _on_campaign(
    request: Request, app: Laurel, form: PostedForm, campaign_id: str, build: Any, flash: str
) -> Response:
    await run_in_threadpool(campaign_context, request, app, form.actor, campaign_id)
    return await submit(
        request,
        form,
        build,
        done=f"/ui/duties/{campaign_id}",
        again=lambda: ("duty_campaign.html", campaign_context(request, app, form.actor, campaign_id)),
        flash=flash,
    )


@router.post("/{campaign_id}/{duty}/spot-check", response_class=HTMLResponse)
async def record_spot_check(
    request: Request, campaign_id: str, duty: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    command = RecordSpotCheck(
        campaign_id=campaign_id,
        duty=duty,
        unit_id=_text(form, "unit_id"),
        method=_text(form, "method"),
        checked_on=_text(form, "checked_on"),
        checker=_text(form, "checker"),
        findings=_text(form, "findings"),
    )
    return await _on_campaign(request, app, form, campaign_id, command, t("duties.checked"))


@router.post("/{campaign_id}/{duty}/circular", response_class=HTMLResponse)
async def issue_circular(
    request: Request, campaign_id: str, duty: str, app: App, services: ServicesDep, form: ActionForm
) -> Response:
    """A circular; one of criticism sets a 限期整改 deadline, and the campaign's workflow is told
    of it, as the API does (bounded, never raises)."""
    t = Translator(language_of(request))
    timezone = app.get_campaign(campaign_id).timezone

    def build() -> IssueCircular:
        return IssueCircular(
            campaign_id=campaign_id,
            duty=duty,
            kind=_text(form, "kind") or "notice",
            title=_text(form, "title"),
            body=_text(form, "body"),
            unit_id=_text(form, "unit_id") or None,
            rectify_by=_local_instant(form, "rectify_by", timezone),
        )

    response = await _on_campaign(request, app, form, campaign_id, build, t("duties.issued"))
    if _done(response) and _text(form, "rectify_by").strip():
        await services.scheduler.deadline_extended(campaign_id)
    return response
