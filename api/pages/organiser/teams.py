"""考核验收组 (``/ui/organise/campaigns/{campaign}/teams``, issue 22 items 1-3): a campaign's
inspection teams with their members and home units, and the forms to form a team, add or
remove members (or change the leader or the name), disband a team, assign automatically,
assign or reassign one nomination by hand, record a member's declared conflict of interest,
and choose the score normalisation. Each form posts one command (``FormTeam``,
``ChangeTeam``, ``DisbandTeam``, ``AutoAssign``, ``AssignToTeam``, ``DeclareConflict``,
``SetScoreNormalisation``); its refusal comes back next to the field it names.

A member is typed one per line: a token id, ``TOKEN@unit`` (a token whose member comes from
another unit), or ``NAME@unit`` (a named person without a token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.common import campaign_label
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    AssignToTeam,
    AutoAssign,
    ChangeTeam,
    DeclareConflict,
    DisbandTeam,
    FormTeam,
    SetScoreNormalisation,
)
from domain.errors import RoleNotAllowedError, TokenNotFoundError
from domain.handlers.team_checks import team_recusals
from domain.teams import member_label
from domain.vocabulary import OPEN_STATES, Role, ScoreNormalisation

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)
NOMINATIONS_SHOWN = 500


def require_manager(actor: Actor) -> None:
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        raise RoleNotAllowedError(
            f"role '{actor.role}' may not manage inspection teams",
            f"角色「{actor.role.zh}」无权管理考核验收组",
            action="manage_teams",
            role=actor.role,
        )


def teams_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    require_manager(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    nominations = app.queries.campaign_nominations(campaign.id)[:NOMINATIONS_SHOWN]
    held = {team["id"]: 0 for team in campaign.teams}
    rows: list[dict[str, Any]] = []
    for n in nominations:
        if n.team_id in held:
            held[n.team_id] += 1
        if n.state not in OPEN_STATES:
            continue
        team = next((x for x in campaign.teams if x["id"] == n.team_id), None)
        recused = team_recusals(app.load, campaign, n, team) if team else []
        rows.append({"nomination": n, "recused": recused})
    return {
        "campaign": campaign,
        "teams": campaign.teams,
        "held": held,
        "rows": rows,
        "methods": [(str(m), m.label(t.lang)) for m in ScoreNormalisation],
        "method_label": lambda code: ScoreNormalisation(code).label(t.lang),
        "member_label": member_label,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "categories": [(c.code, t.name(c)) for c in campaign.categories],
        "nomination_options": [
            (
                str(r["nomination"].id),
                f"{r['nomination'].nominee.name} ({r['nomination'].team_id or '—'})",
            )
            for r in rows
        ],
        "team_options": [(team["id"], f"{team['name']} ({team['id']})") for team in campaign.teams],
        "member_options": [
            (m["key"], f"{member_label(m)} · {names(m['home_unit_id'])} ({team['id']})")
            for team in campaign.teams
            for m in team["members"]
        ],
        "conflict_options": [
            (str(r["nomination"].id), f"{r['nomination'].nominee.name} ({r['nomination'].team_id})")
            for r in rows
            if r["nomination"].team_id is not None
        ],
    }


@router.get("/campaigns/{campaign_id}/teams", response_class=HTMLResponse)
def teams_page(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    """考核验收组: the teams, their members and nominations, and the forms that change them."""
    return render(request, "organise_teams.html", teams_context(request, app, actor, campaign_id))


def member_lines(app: Laurel, text: str) -> list[dict[str, Any]]:
    """One member per line: ``TOKEN``, ``TOKEN@unit`` or ``NAME@unit``."""
    members = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        who, _, home = line.partition("@")
        who = who.strip()
        try:
            app.load.get_token(who, app.clock())
            member: dict[str, Any] = {"token_id": who}
        except TokenNotFoundError:
            member = {"name": who}
        member["home_unit_id"] = home.strip() or None
        members.append(member)
    return members


def _value(form: Any, name: str) -> str:
    return str(form.values.get(name) or "").strip()


async def _submit(
    request: Request,
    app: Laurel,
    form: Any,
    campaign_id: str,
    build: Any,
    flash: str | Callable[[dict[str, Any]], str],
) -> Response:
    return await submit(
        request,
        form,
        build,
        done=f"/ui/organise/campaigns/{campaign_id}/teams",
        again=lambda: ("organise_teams.html", teams_context(request, app, form.actor, campaign_id)),
        flash=flash,
    )


@router.post("/campaigns/{campaign_id}/teams", response_class=HTMLResponse)
async def form_team(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)

    def command() -> FormTeam:
        members = member_lines(app, _value(form, "members"))
        leader = _value(form, "leader")
        if leader and not any(m.get("token_id") == leader for m in members):
            members.insert(0, {"token_id": leader})
        return FormTeam(
            campaign_id=campaign_id,
            name=_value(form, "name"),
            leader=leader,
            members=members,
            team_id=_value(form, "team_id") or None,
            reason=_value(form, "reason"),
        )

    return await _submit(request, app, form, campaign_id, command, t("teams.formed"))


@router.post("/campaigns/{campaign_id}/teams/{team_id}/change", response_class=HTMLResponse)
async def change_team(
    request: Request, campaign_id: str, team_id: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)

    def command() -> ChangeTeam:
        removed = form.values.get("remove") or []
        return ChangeTeam(
            campaign_id=campaign_id,
            team_id=team_id,
            add=member_lines(app, _value(form, "add")),
            remove=[removed] if isinstance(removed, str) else list(removed),
            leader=_value(form, "leader") or None,
            name=_value(form, "name") or None,
            reason=_value(form, "reason"),
        )

    return await _submit(request, app, form, campaign_id, command, t("teams.changed"))


@router.post("/campaigns/{campaign_id}/teams/{team_id}/disband", response_class=HTMLResponse)
async def disband_team(
    request: Request, campaign_id: str, team_id: str, app: App, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)
    command = DisbandTeam(campaign_id=campaign_id, team_id=team_id, reason=_value(form, "reason"))
    return await _submit(request, app, form, campaign_id, command, t("teams.disbanded"))


@router.post("/campaigns/{campaign_id}/teams-conflict", response_class=HTMLResponse)
async def declare_conflict(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    """A member's declared conflict of interest, recorded by whoever manages the teams (the
    member's own token declares it over the API, ``POST /v1/nominations/{id}/conflicts``)."""
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)
    command = DeclareConflict(
        nomination_id=_value(form, "nomination_id"),
        member=_value(form, "member") or None,
        reason=_value(form, "reason"),
    )
    return await _submit(request, app, form, campaign_id, command, t("teams.conflict_recorded"))


@router.post("/campaigns/{campaign_id}/teams-auto", response_class=HTMLResponse)
async def auto_assign(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)
    command = AutoAssign(
        campaign_id=campaign_id,
        category=_value(form, "category") or None,
        reason=_value(form, "reason"),
    )

    def flash(result: dict[str, Any]) -> str:
        return t("teams.auto_done", n=len(result["assigned"]), m=len(result["unassigned"]))

    return await _submit(request, app, form, campaign_id, command, flash)


@router.post("/campaigns/{campaign_id}/teams-assign", response_class=HTMLResponse)
async def assign(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)
    command = AssignToTeam(
        campaign_id=campaign_id,
        team_id=_value(form, "team_id"),
        nomination_ids=[_value(form, "nomination_id")],
        reason=_value(form, "reason"),
    )
    return await _submit(request, app, form, campaign_id, command, t("teams.assigned"))


@router.post("/campaigns/{campaign_id}/teams-normalisation", response_class=HTMLResponse)
async def normalisation(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    await run_in_threadpool(teams_context, request, app, form.actor, campaign_id)
    command = SetScoreNormalisation(
        campaign_id=campaign_id, method=_value(form, "method"), reason=_value(form, "reason")
    )
    return await _submit(request, app, form, campaign_id, command, t("teams.normalisation_set"))
