"""表彰 and 排名 (``/ui/organise``, ``/ui/organise/campaigns/{campaign}``): the campaigns I
commend for with each category's quota fill; a category's ranking with its scores, the tie-break
said where two scores are equal, and commendation best-first (all within quota, or a chosen
subset: ``Commend``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.common import campaign_label, partial
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.organiser.common import desk_of, desks, quota_fill
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import Commend
from domain.errors import RuleFailure, RuleViolationError
from domain.rules.jurisdiction import require_role
from domain.rules.quotas import TIE_BREAK, Candidate, rank, select_for_commendation
from domain.values import Category
from domain.vocabulary import NominationState

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)

# The parts of ``Candidate.sort_key`` in order: the first that differs decides a place.
TIE_PARTS = ("score", "lowest_score", "declared_at", "nomination_id")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


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
    if campaign.score_normalisation != "none":  # per-team normalisation (issue 22): current
        ranking = app.queries.ranking(campaign.id, category.code)
    else:
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
        "ranked_by": ranking.get("ranked_by", "raw"),
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
