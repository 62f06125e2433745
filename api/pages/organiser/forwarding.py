"""择优上报 (``/ui/organise/campaigns/{campaign}/forward``): per category, the nominations of a
campaign with a parent that passed inspection (commended or not), best first; the forwarding
quota the parent left this organiser; forwarding the ticked ones or the best within quota
(``ForwardSelected``); what has gone up already and where.

The order is the domain's (``domain.rules.quotas.rank``); which of them "the best within quota"
takes is the command's, the page only previews it. Its refusals (over the quota, not passed,
the parent not receiving) come back next to the checkboxes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.common import campaign_label, refusal
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign, forwarding_key
from domain.commands import ForwardSelected
from domain.errors import DomainError, RuleFailure, RuleViolationError
from domain.roster import RosterEntry
from domain.rules.commendation import candidate, passed_inspection
from domain.rules.jurisdiction import authorize, require_role
from domain.rules.quotas import rank
from domain.values import Category, Phase
from domain.vocabulary import NominationState, Step

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)

GONE_UP_SHOWN = 200  # forwarded nominations listed (each loaded for where it went)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class ForwardRow:
    entry: RosterEntry
    place: int  # 1-based, best first among those that may go up
    commended: bool
    preview: bool  # "the best within quota" would forward it now


@dataclass
class GoneUp:
    entry: RosterEntry
    target_campaign_id: str | None
    target_nomination_id: str | None


@dataclass(frozen=True)
class ForwardDesk:
    """The parent campaign, its receiving phase, the quota it left the organiser, and why the
    actor cannot forward now (or None)."""

    parent: Campaign | None
    receiving: Phase | None
    quota: int | None
    forwarded: int
    left: int | None
    why_not: DomainError | None


def forward_desk(app: Laurel, actor: Actor, campaign: Campaign, category: Category) -> ForwardDesk:
    organiser = app.get_unit(campaign.organiser_unit_id)
    if campaign.parent_campaign_id is None:
        return ForwardDesk(None, None, None, 0, None, None)
    parent = app.get_campaign(campaign.parent_campaign_id)
    now = app.clock()
    why_not = refusal(lambda: authorize(actor, "forward", [organiser])) or refusal(
        lambda: parent.require_step_open(Step.DECLARATION, now)
    )
    code = organiser.code
    return ForwardDesk(
        parent,
        parent.phase_for(Step.DECLARATION),
        parent.forwarding_quotas.get(code, {}).get(category.code),
        parent.forwarded.get(forwarding_key(code, category.code), 0),
        parent.forwarding_left(code, category.code),
        why_not,
    )


def forward_rows(
    app: Laurel, campaign: Campaign, category: Category, left: int | None
) -> tuple[list[ForwardRow], list[GoneUp]]:
    """Those that may go up (passed inspection, or commended), best first; and those gone up."""
    entries = app.roster.entries(str(campaign.id), category=category.code).entries
    eligible = {
        e.nomination_id: e
        for e in entries
        if e.state == NominationState.COMMENDED or passed_inspection(e)
    }
    ranked = rank([candidate(e) for e in eligible.values()])
    previewed = len(ranked) if left is None else left
    rows = [
        ForwardRow(
            eligible[c.nomination_id],
            place,
            eligible[c.nomination_id].state == NominationState.COMMENDED,
            place <= previewed,
        )
        for place, c in enumerate(ranked, start=1)
    ]
    gone = []
    for e in [e for e in entries if e.state == NominationState.FORWARDED][:GONE_UP_SHOWN]:
        target = app.get_nomination(e.nomination_id).forwarded_to or {}
        gone.append(
            GoneUp(
                e,
                str(target["campaign_id"]) if target.get("campaign_id") else None,
                str(target["nomination_id"]) if target.get("nomination_id") else None,
            )
        )
    return rows, gone


def chosen_category(campaign: Campaign, code: str) -> Category:
    """The category asked for (an unknown code is the domain's 422), or the first."""
    return campaign.category(code) if code else campaign.categories[0]


def forward_context(
    request: Request, app: Laurel, actor: Actor, campaign_id: str, code: str
) -> dict[str, Any]:
    require_role(actor, "forward")
    campaign = app.access.readable_campaign(campaign_id, actor)
    category = chosen_category(campaign, code)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    desk = forward_desk(app, actor, campaign, category)
    rows, gone = forward_rows(app, campaign, category, desk.left) if desk.parent else ([], [])
    return {
        "campaign": campaign,
        "category": category,
        "desk": desk,
        "rows": rows,
        "gone": gone,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "parent_label": campaign_label(desk.parent, t, names) if desk.parent else "",
        "names_of": {r.entry.nomination_id: r.entry.nominee_name for r in rows},
        "readable": readable_with({r.entry.nomination_id: r.entry.nominee_name for r in rows}),
    }


def readable_with(names: Mapping[str, str]) -> Any:
    """A refusal's message with each nomination id replaced by its nominee's name."""

    def readable(message: str) -> str:
        return UUID_TEXT.sub(lambda found: names.get(found.group(0), found.group(0)), message)

    return readable


@router.get("/campaigns/{campaign_id}/forward", response_class=HTMLResponse)
def forward_page(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """择优上报: a category's nominations that may go up, best first, and the forward form."""
    context = forward_context(request, app, actor, campaign_id, category)
    return render(request, "organise_forward.html", context)


def chosen_ids(values: Mapping[str, Any]) -> list[str]:
    ticked = values.get("nomination_ids") or []
    return [ticked] if isinstance(ticked, str) else list(ticked)


@router.post("/campaigns/{campaign_id}/forward", response_class=HTMLResponse)
async def forward(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    """Forward: ``mode=best`` the best within the quota left, ``mode=chosen`` the ticked
    ``nomination_ids`` (the domain holds them to the quota and to having passed)."""
    t = Translator(language_of(request))
    code = str(form.values.get("category") or "")
    context = await run_in_threadpool(forward_context, request, app, form.actor, campaign_id, code)
    campaign, category = context["campaign"], context["category"]
    names: dict[str, str] = context["names_of"]
    subset = form.values.get("mode") == "chosen"

    def command() -> ForwardSelected:
        ids = chosen_ids(form.values)
        if subset and not ids:
            zh, en = Translator("zh")("levels.pick_required"), Translator("en")("levels.pick_required")
            raise RuleViolationError([RuleFailure("nomination_chosen", en, zh, "nomination_ids")])
        return ForwardSelected(
            campaign_id=str(campaign.id),
            category=category.code,
            nomination_ids=ids if subset else None,
        )

    def flash(result: dict[str, Any]) -> str:
        went = [names.get(str(f["id"]), str(f["id"])) for f in result.get("forwarded") or []]
        if not went:
            return t("levels.forwarded_none")
        return t("levels.forwarded_flash", n=len(went), names="、".join(went))

    here = f"/ui/organise/campaigns/{campaign.id}/forward?category={category.code}"
    return await submit(
        request,
        form,
        command,
        done=here,
        again=lambda: (
            "organise_forward.html",
            forward_context(request, app, form.actor, campaign_id, category.code),
        ),
        flash=flash,
    )
