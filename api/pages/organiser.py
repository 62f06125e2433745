"""The organiser's pages (表彰) under /ui/organise: per campaign and category the ranking with
its scores and the tie-break said where two scores are equal, the quota's fill, commendation
best-first (all within quota, or a chosen subset: ``Commend``), the commendation list (with the
API's XLSX), revocation with a reason (``Revoke``) and the titles' re-inspection results.

The order is the domain's (``domain.rules.quotas``: ``rank``, ``Candidate.sort_key``,
``select_for_commendation``); the page only says which part of the key decided. Whether an
action is offered is asked of the domain; the command decides anyway and its refusal comes back
next to the field it concerns."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial as partial_call
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import Commend, Revoke
from domain.errors import DomainError, RuleFailure, RuleViolationError
from domain.rules.jurisdiction import authorize, require_role
from domain.rules.quotas import TIE_BREAK, Candidate, rank, remaining_quota, select_for_commendation
from domain.values import Category, Phase
from domain.vocabulary import NominationState, Step, TitleStatus

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)

TITLES_SHOWN = 100  # rows of the title register per page
# The parts of ``Candidate.sort_key`` in order: the first that differs decides a place.
TIE_PARTS = ("score", "lowest_score", "declared_at", "nomination_id")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def refusal(check: Callable[[], object]) -> DomainError | None:
    """What the domain says against ``check`` (None: nothing)."""
    try:
        check()
    except DomainError as exc:
        return exc
    return None


def partial(request: Request) -> bool:
    """An htmx request for a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def campaign_label(campaign: Campaign, t: Translator, unit_name: Callable[[str], str]) -> str:
    """Tells identical campaigns apart: name, year and organiser."""
    year = f" {campaign.year}" if campaign.year else ""
    return f"{t.name(campaign)}{year} · {unit_name(campaign.organiser_unit_id)}"


# --- the campaigns an organiser commends for ---------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """A campaign, its commendation phase, and why the actor cannot commend now (or None)."""

    campaign: Campaign
    phase: Phase
    why_not: DomainError | None


def desk_of(app: Laurel, actor: Actor, campaign: Campaign, action: str = "commend") -> Desk:
    organiser = app.get_unit(campaign.organiser_unit_id)
    now = app.clock()
    why_not = refusal(lambda: authorize(actor, action, [organiser])) or refusal(
        lambda: campaign.require_step_open(Step.COMMENDATION, now)
    )
    return Desk(campaign, campaign.phase_for(Step.COMMENDATION), why_not)


def desks(app: Laurel, actor: Actor) -> list[Desk]:
    """Every campaign whose organiser lies in the actor's jurisdiction, newest first."""
    require_role(actor, "commend")
    found = []
    for entry in app.list_campaigns():
        campaign = app.get_campaign(entry["campaign_id"])
        organiser = app.get_unit(campaign.organiser_unit_id)
        if refusal(partial_call(authorize, actor, "commend", [organiser])) is None:
            found.append(desk_of(app, actor, campaign))
    return sorted(found, key=lambda d: (d.campaign.year or 0, d.campaign.created_on), reverse=True)


def quota_fill(services: Any, campaign: Campaign, category: Category) -> dict[str, Any]:
    """The quota and what counts against it: every commendation, a revoked title included
    (the campaign never gives a place back); and how many titles are still active."""
    used = campaign.commended_count(category.code)
    active = services.views.title_ids(
        str(campaign.id), category.code, status=TitleStatus.ACTIVE, limit=max(used, 1)
    )
    return {
        "quota": category.quota,
        "commended": used,
        "active": len(active),
        "revoked": used - len(active),
        "remaining": remaining_quota(category.quota, used),
    }


@router.get("", response_class=HTMLResponse)
def organise_home(request: Request, app: App, services: ServicesDep, actor: PageActor) -> Response:
    """表彰: the campaigns I commend for, each category's quota fill and where to act."""
    t = Translator(language_of(request))
    names = unit_names(app, t)
    found = desks(app, actor)
    fills = {
        (str(d.campaign.id), c.code): quota_fill(services, d.campaign, c)
        for d in found
        for c in d.campaign.categories
    }
    return render(
        request,
        "organise_home.html",
        {
            "desks": found,
            "fills": fills,
            "unit_name": names,
            "campaign_label": lambda c: campaign_label(c, t, names),
        },
    )


# --- the ranking and commendation --------------------------------------------------------------


@dataclass
class RankedRow:
    entry: dict[str, Any]  # the read model's (services.views.ranking)
    declared_at: datetime
    declaring_unit: str
    nominee_unit: str
    eligible: bool  # inspected, passed, not yet commended: the command may choose it
    preview: bool = False  # "all within quota" would commend it now
    tie_with: RankedRow | None = None  # the row above with the same score
    tie_part: str | None = None  # which part of the order put this row below it

    @property
    def candidate(self) -> Candidate:
        e = self.entry
        return Candidate(e["id"], e["score"], e["lowest_score"], self.declared_at)


def ranked_rows(app: Laurel, ranking: Mapping[str, Any], campaign: Campaign) -> list[RankedRow]:
    rows = []
    for entry in ranking["entries"]:
        nomination = app.get_nomination(entry["id"])
        eligible = entry["state"] == NominationState.INSPECTED and bool(entry["passed"])
        rows.append(
            RankedRow(
                entry,
                nomination.declared_at,
                nomination.declaring_unit_id,
                nomination.nominee.unit_id,
                eligible,
            )
        )
    for above, below in pairwise(rows):
        if above.entry["score"] == below.entry["score"]:
            parts = zip(TIE_PARTS, above.candidate.sort_key(), below.candidate.sort_key(), strict=True)
            below.tie_with = above
            below.tie_part = next((name for name, a, b in parts if a != b), "nomination_id")
    candidates = rank([r.candidate for r in rows if r.eligible])
    chosen = {
        c.nomination_id
        for c in select_for_commendation(
            candidates,
            campaign.category(ranking["category"]).quota,
            campaign.commended_count(ranking["category"]),
        )
    }
    for row in rows:
        row.preview = row.entry["id"] in chosen
    return rows


def chosen_category(campaign: Campaign, code: str) -> Category:
    """The category asked for (an unknown code is the domain's 422), or the first."""
    return campaign.category(code) if code else campaign.categories[0]


def ranking_context(
    request: Request, app: Laurel, services: Any, actor: Actor, campaign_id: str, code: str
) -> dict[str, Any]:
    require_role(actor, "commend")
    campaign = app.access.readable_campaign(campaign_id, actor)
    category = chosen_category(campaign, code)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    ranking = services.views.ranking(str(campaign.id), category.code) or {"entries": []}
    ranking = {**ranking, "category": category.code}
    rows = ranked_rows(app, ranking, campaign)
    id_names = {r.entry["id"]: (r.entry["nominee"], r.entry["rank"]) for r in rows}

    def readable(message: str) -> str:
        """A refusal's message with each nomination id replaced by its nominee and place."""

        def named(found: re.Match[str]) -> str:
            name, place = id_names.get(found.group(0), (found.group(0), None))
            return f"{name}（{t('organise.rank_n', n=place)}）" if place else name

        listed = message.replace("', '", "、").replace("['", "").replace("']", "")
        return UUID_TEXT.sub(named, listed)

    return {
        "campaign": campaign,
        "category": category,
        "desk": desk_of(app, actor, campaign),
        "rows": rows,
        "fill": quota_fill(services, campaign, category),
        "tie_break": TIE_BREAK,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "readable": readable,
        "skipped": skipped_ids,
    }


def skipped_ids(failures: Any) -> set[str]:
    """The better-ranked nominations a refused subset left out (the best-first rule's)."""
    skipped: set[str] = set()
    for failure in failures or ():
        if failure.rule == "best_scores_first":
            skipped |= set(failure.expected or ()) - set(failure.actual or ())
    return skipped


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def ranking_page(
    request: Request,
    campaign_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """排名: a category's inspected nominations in commendation order, and the commend form."""
    context = ranking_context(request, app, services, actor, campaign_id, category)
    name = "organise_ranking_body.html" if partial(request) else "organise_ranking.html"
    response = render(request, name, context)
    response.headers["Vary"] = "HX-Request"
    return response


def chosen_ids(values: Mapping[str, Any]) -> list[str]:
    ticked = values.get("nomination_ids") or []
    return [ticked] if isinstance(ticked, str) else list(ticked)


@router.post("/campaigns/{campaign_id}/commend", response_class=HTMLResponse)
async def commend(
    request: Request, campaign_id: str, app: App, services: ServicesDep, form: ActionForm
) -> Response:
    """Commend best-first: ``mode=all`` everyone within quota, ``mode=chosen`` the ticked
    ``nomination_ids`` (which the domain holds to the top of the ranking and the quota)."""
    t = Translator(language_of(request))
    code = str(form.values.get("category") or "")
    context = await run_in_threadpool(
        ranking_context, request, app, services, form.actor, campaign_id, code
    )
    campaign, category = context["campaign"], context["category"]
    subset = form.values.get("mode") == "chosen"

    def command() -> Commend:
        ids = chosen_ids(form.values)
        if subset and not ids:
            raise RuleViolationError(
                [
                    RuleFailure(
                        "nomination_chosen",
                        "tick the nominations to commend, or commend all within quota",
                        "请勾选要表彰的申报，或选择“按名额全部表彰”",
                        "nomination_ids",
                    )
                ]
            )
        return Commend(
            campaign_id=str(campaign.id), category=category.code, nomination_ids=ids if subset else None
        )

    def flash(result: dict[str, Any]) -> str:
        done = len(result.get("commended") or [])
        return t("organise.commended", n=done) if done else t("organise.commended_none")

    here = f"/ui/organise/campaigns/{campaign.id}?category={category.code}"
    return await submit(
        request,
        form,
        command,
        done=here,
        again=lambda: (
            "organise_ranking.html",
            ranking_context(request, app, services, form.actor, campaign_id, category.code),
        ),
        flash=flash,
    )


# --- the commendation list, the titles and revocation ------------------------------------------


@router.get("/campaigns/{campaign_id}/commendations", response_class=HTMLResponse)
def commendations_page(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """表彰名单: each category's commended nominations in rank order (the XLSX is the API's)."""
    require_role(actor, "commend")
    campaign = app.access.readable_campaign(campaign_id, actor)
    shown = [campaign.category(category)] if category else list(campaign.categories)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    lists = []
    for cat in shown:
        nominations = [app.get_nomination(nid) for nid in campaign.commended.get(cat.code, [])]
        nominations.sort(key=lambda n: n.title.rank if n.title else 0)
        lists.append((cat, nominations))
    return render(
        request,
        "organise_commendations.html",
        {
            "campaign": campaign,
            "category": category,
            "lists": lists,
            "may_revoke": refusal(lambda: desk_revoke(app, actor, campaign)) is None,
            "title_status": TitleStatus,
            "unit_name": names,
            "campaign_label": campaign_label(campaign, t, names),
        },
    )


def desk_revoke(app: Laurel, actor: Actor, campaign: Campaign) -> None:
    authorize(actor, "revoke", [app.get_unit(campaign.organiser_unit_id)])


def reinspection_state(title: Mapping[str, Any]) -> str:
    """Where a title stands with its re-inspection (a message key's last part)."""
    if title["status"] == TitleStatus.REVOKED:
        return "revoked"
    if title["reinspection_due_by"]:
        return "due"
    if title["last_reinspection_passed"]:
        return "passed"
    return "awaiting" if title["yearly_reinspection"] else "not_required"


@router.get("/campaigns/{campaign_id}/titles", response_class=HTMLResponse)
def titles_page(
    request: Request,
    campaign_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(pattern="^(active|revoked)?$")] = "",
    after: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """复查结果: the campaign's titles with their re-inspection state (the title register)."""
    require_role(actor, "commend")
    campaign = app.access.readable_campaign(campaign_id, actor)
    if category:
        campaign.category(category)
    titles = services.views.titles(
        campaign_id=str(campaign.id),
        category=category or None,
        status=status or None,
        after=after,
        limit=TITLES_SHOWN,
    )
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return render(
        request,
        "organise_titles.html",
        {
            "campaign": campaign,
            "categories": {c.code: c for c in campaign.categories},
            "filters": {"category": category, "status": status},
            "titles": [dict(title, reinspection=reinspection_state(title)) for title in titles],
            "next_after": titles[-1]["nomination_id"] if len(titles) == TITLES_SHOWN else None,
            "statuses": list(TitleStatus),
            "may_revoke": refusal(lambda: desk_revoke(app, actor, campaign)) is None,
            "title_status": TitleStatus,
            "unit_name": names,
            "campaign_label": campaign_label(campaign, t, names),
        },
    )


def revoke_context(request: Request, app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    require_role(actor, "revoke")
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": campaign.category(nomination.category),
        "title": nomination.title,
        "why_not": refusal(lambda: desk_revoke(app, actor, campaign)),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }


@router.get("/nominations/{nomination_id}/revoke", response_class=HTMLResponse)
def revoke_form(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    """撤销荣誉: the title and the form that revokes it with a reason."""
    return render(request, "organise_revoke.html", revoke_context(request, app, actor, nomination_id))


@router.post("/nominations/{nomination_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    context = await run_in_threadpool(revoke_context, request, app, form.actor, nomination_id)
    nomination, campaign = context["nomination"], context["campaign"]
    reason = str(form.values.get("reason") or "")
    return await submit(
        request,
        form,
        Revoke(nomination_id=str(nomination.id), reason=reason),
        done=f"/ui/organise/campaigns/{campaign.id}/commendations?category={nomination.category}",
        again=lambda: (
            "organise_revoke.html",
            revoke_context(request, app, form.actor, nomination_id),
        ),
        flash=t("organise.revoked", name=nomination.nominee.name),
    )
