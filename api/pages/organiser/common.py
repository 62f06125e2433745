"""What the organiser's pages share: the campaigns an organiser commends for (``Desk``: the
commendation phase and why the actor cannot commend now), a category's quota fill, and whether
the actor may revoke."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial as partial_call
from typing import Any

from api.pages.common import refusal
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.errors import DomainError
from domain.rules.jurisdiction import authorize, require_role
from domain.rules.quotas import remaining_quota
from domain.values import Category, Phase
from domain.vocabulary import Step, TitleStatus


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


def desk_revoke(app: Laurel, actor: Actor, campaign: Campaign) -> None:
    authorize(actor, "revoke", [app.get_unit(campaign.organiser_unit_id)])
