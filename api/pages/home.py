"""The landing page, /ui/: the campaigns the actor may read — told apart by organiser, year
and creation date — and, for an administrator who has not yet set Laurel up, the first steps
(the unit tree, a campaign from a template, tokens for the townships); and the second of
those steps, /ui/campaigns/new: a campaign from a template."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.admin.common import top_units, unit_options
from api.pages.common import campaign_label
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.commands import CreateCampaign, CreateNextYearCampaign
from domain.errors import RuleFailure, RuleViolationError
from domain.rules.jurisdiction import can_read_campaign, require_role
from domain.templates import get_template, load_templates
from domain.vocabulary import Role

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

# The first steps of a new installation, each a page of the admin area.
FIRST_STEPS = (
    ("home.step_tree", "home.step_tree_hint", "/ui/admin/units"),
    ("home.step_campaign", "home.step_campaign_hint", "/ui/campaigns/new"),
    ("home.step_tokens", "home.step_tokens_hint", "/ui/admin/tokens"),
)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, app: App, actor: PageActor) -> Response:
    require_role(actor, "read")
    t = Translator(language_of(request))
    campaigns = readable_campaigns(app, actor)
    steps = first_steps(app, actor, campaigns)
    return render(
        request,
        "campaigns.html",
        {"campaigns": campaigns, "steps": steps, "unit_name": unit_names(app, t)},
    )


def readable_campaigns(app: Any, actor: Actor) -> list[dict[str, Any]]:
    """The campaigns ``actor`` may read, newest first, each with its phase open now."""
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    now = app.clock()
    campaigns = []
    for entry in app.list_campaigns():
        if not can_read_campaign(actor, app.get_unit(entry["organiser_unit_id"]), actor_unit):
            continue
        campaign = app.get_campaign(entry["campaign_id"])
        campaigns.append({"campaign": campaign, "current": campaign.current_phase(now)})
    campaigns.sort(key=lambda c: c["campaign"].created_on, reverse=True)
    return campaigns


def first_steps(app: Any, actor: Actor, campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For an administrator: each first step and whether it is done (a campaign exists; a
    declarer's token exists). Once both are, no panel."""
    if actor.role != Role.ADMIN:
        return []
    tokens = app.access.list_tokens(actor)
    has_campaign = bool(campaigns)
    has_declarers = any(token.get("role") == Role.DECLARER for token in tokens)
    has_units = bool(top_units(app, actor))
    if has_campaign and has_declarers:
        return []
    done = (has_units, has_campaign, has_declarers)
    return [
        {"title": title, "hint": hint, "href": href, "done": finished}
        for (title, hint, href), finished in zip(FIRST_STEPS, done, strict=True)
    ]


# --- a campaign from a template ------------------------------------------------------------------


def campaign_form(request: Request, app: Any, actor: Actor) -> tuple[str, dict[str, Any]]:
    """The form: the templates, the units that may organise, the year or the start."""
    require_role(actor, "manage_campaigns")
    t = Translator(language_of(request))
    templates = [(code, t.name(template)) for code, template in load_templates().items()]
    return "campaigns.html", {
        "creating": True,
        "template_options": templates,
        "unit_options": unit_options(app, actor, t),
        "year": app.clock().year,
        "parent_pairs": parent_pairs(t),
    }


def parent_pairs(t: Translator) -> str:
    """The templates that name an upper-level template, each with it and its level (the
    create-parent checkbox's hint)."""
    found = load_templates()
    return ("；" if t.lang == "zh" else "; ").join(
        t(
            "levels.parent_pair",
            template=t.name(template),
            parent=t.name(upper),
            level=upper.organiser_level.label(t.lang),
        )
        for template in found.values()
        if template.parent_template and (upper := found.get(template.parent_template)) is not None
    )


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request, app: App, actor: PageActor) -> Response:
    template, context = campaign_form(request, app, actor)
    return render(request, template, context)


@router.post("/campaigns/new", response_class=HTMLResponse)
async def create_campaign(
    request: Request,
    app: App,
    actor: PageActor,
    form: ActionForm,
    template: Annotated[str, Form(max_length=100)],
    organiser_unit_id: Annotated[str, Form(max_length=100)],
    year: Annotated[str, Form(max_length=10)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    create_parent: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """The command decides (the template, the organiser's level, year or start); the page only
    reads the typed year and the start, a local time in the template's time zone."""

    def command() -> CreateCampaign:
        return CreateCampaign(
            template=template,
            organiser_unit_id=organiser_unit_id,
            year=typed_year(year),
            starts_at=local_start(starts_at, template),
            create_parent=create_parent == "1",
        )

    t = Translator(language_of(request))
    return await submit(
        request,
        form,
        command,
        done=lambda result: f"/ui/campaigns/{result['id']}",
        again=lambda: campaign_form(request, app, actor),
        flash=lambda result: (
            t("levels.parent_created", name=t.name(result["parent_campaign"]))
            if result.get("parent_campaign")
            else t("campaign.created_flash")
        ),
    )


def typed_year(value: str) -> int | None:
    if not value.strip():
        return None
    if not value.strip().isdigit():
        raise RuleViolationError(
            [RuleFailure("year_number", "the year is a number", "年度须为数字", "year")]
        )
    return int(value)


def local_start(value: str, template: str) -> datetime | None:
    """``2022-10-16T08:00`` (a datetime-local input) in the template's time zone."""
    if not value.strip():
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        raise RuleViolationError(
            [RuleFailure("starts_at_format", "a date and time", "须为日期和时间", "starts_at")]
        ) from None
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=ZoneInfo(get_template(template).timezone))


# --- next year's campaign from this one (下一年度评选) ---------------------------------------------


def next_year_form(
    request: Request, app: Any, actor: Actor, campaign_id: str
) -> tuple[str, dict[str, Any]]:
    """The form: the campaign it copies, next year's campaigns already made from it, and the
    upper-level campaigns (run by a unit above the organiser) it may name as its parent."""
    require_role(actor, "manage_campaigns")
    campaign = app.access.readable_campaign(campaign_id, actor)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    organiser = app.get_unit(campaign.organiser_unit_id)
    above = set(organiser.path) - {organiser.code}
    parents, following = [], []
    for entry in app.list_campaigns():
        if entry["organiser_unit_id"] in above:
            other = app.get_campaign(entry["campaign_id"])
            parents.append((str(other.id), campaign_label(other, t, names)))
        elif entry["organiser_unit_id"] == organiser.code:
            other = app.get_campaign(entry["campaign_id"])
            if str(other.previous_campaign_id) == str(campaign.id):
                following.append(other)
    return "campaigns.html", {
        "creating": True,
        "next_year_of": campaign,
        "next_year_label": campaign_label(campaign, t, names),
        "next_year_following": [(str(c.id), campaign_label(c, t, names)) for c in following],
        "parent_options": parents,
    }


@router.get("/campaigns/{campaign_id}/next-year", response_class=HTMLResponse)
def next_year(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    template, context = next_year_form(request, app, actor, campaign_id)
    return render(request, template, context)


@router.post("/campaigns/{campaign_id}/next-year", response_class=HTMLResponse)
async def create_next_year(
    request: Request,
    campaign_id: str,
    app: App,
    form: ActionForm,
    parent_campaign_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Next year's campaign: the command copies this one a year later (``CreateNextYearCampaign``)."""
    _, context = await run_in_threadpool(next_year_form, request, app, form.actor, campaign_id)
    previous = context["next_year_of"]
    t = Translator(language_of(request))
    return await submit(
        request,
        form,
        CreateNextYearCampaign(
            previous_campaign_id=str(previous.id), parent_campaign_id=parent_campaign_id or None
        ),
        done=lambda result: f"/ui/campaigns/{result['id']}",
        again=lambda: next_year_form(request, app, form.actor, campaign_id),
        flash=t("levels.next_year_done"),
    )
