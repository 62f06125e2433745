"""Inspection teams (考核验收组, issue 22, items 1-3): a campaign's teams, assignment of its
nominations to them (by hand or automatically), declared conflicts of interest, a nomination's
team and recusals, inspections recorded for a named member, and how the ranking compares the
teams' scores.

Teams are formed and changed by the organiser's reviewers and admins (or the unit the campaign
delegated a level to); a team member's own token declares its conflicts; the inspector tokens
of a campaign read its teams; declarers do not."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, Command, CurrentActor, VersionedCommand
from api.schemas import CommandResult, InspectionCreate, Model, Text
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    AssignToTeam,
    AutoAssign,
    ChangeTeam,
    DeclareConflict,
    DisbandTeam,
    FormTeam,
    InspectForMember,
    SetScoreNormalisation,
)
from domain.errors import RoleNotAllowedError
from domain.handlers.team_checks import team_recusals
from domain.handlers.teams import nomination_team_view
from domain.teams import public_team
from domain.vocabulary import Role

router = APIRouter(prefix="/v1", tags=["teams"])
TeamId = Annotated[str, Path(max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Slug = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Short = Annotated[str, Field(max_length=64)]


class MemberIn(Model):
    """An inspector token (``token_id``; its home unit defaults to the token's unit), or a
    named person without a token (``name`` and ``home_unit_id``)."""

    token_id: Short | None = None
    name: Annotated[Text, Field(max_length=60)] = ""
    home_unit_id: Short | None = None


class TeamCreate(Model):
    name: Annotated[Text, Field(min_length=1, max_length=60, examples=["第一考核验收组"])]
    leader: Short = Field(description="the token id of a token member / 组长（持令牌成员）")
    members: list[MemberIn] = Field(min_length=1, max_length=30)
    team_id: Slug | None = Field(None, description="a short slug; team-<n> when absent")
    reason: Annotated[Text, Field(max_length=500)] = ""


class TeamChange(Model):
    reason: Annotated[Text, Field(min_length=1, max_length=500)]
    add: list[MemberIn] = Field(default_factory=list, max_length=30)
    remove: list[Short] = Field(
        default_factory=list,
        max_length=30,
        description="member keys: a token id or person:<name>@<home unit>",
    )
    name: Annotated[Text, Field(max_length=60)] | None = None
    leader: Short | None = None


class TeamDisbanding(Model):
    reason: Annotated[Text, Field(min_length=1, max_length=500)]


class AssignmentCreate(Model):
    team_id: Slug
    nomination_ids: list[Short] = Field(min_length=1, max_length=500)
    reason: Annotated[Text, Field(max_length=500)] = Field(
        "", description="required to move a nomination from another team / 改派须说明理由"
    )


class AutoAssignmentCreate(Model):
    category: Short | None = None
    reason: Annotated[Text, Field(max_length=500)] = ""


class NormalisationSet(Model):
    method: Literal["none", "team_z"]
    reason: Annotated[Text, Field(max_length=500)] = ""


class ConflictCreate(Model):
    reason: Annotated[Text, Field(min_length=1, max_length=500)]
    member: Short | None = Field(None, description="a member key; absent: the sender's token")


class MemberInspectionCreate(InspectionCreate):
    member: Short = Field(description="the named member's key, person:<name>@<home unit> / 具名成员")


# --- reads ------------------------------------------------------------------------------------


def _not_declarer(actor: Actor) -> None:
    if actor.role == Role.DECLARER:
        raise RoleNotAllowedError(
            "declarers do not read the inspection teams",
            "申报人不能查看考核验收组",
            action="read_teams",
            role=actor.role,
        )


def teams_of(app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    _not_declarer(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    nominations = app.queries.campaign_nominations(campaign.id) if campaign.teams else []
    held = {t["id"]: sum(1 for n in nominations if n.team_id == t["id"]) for t in campaign.teams}
    return {
        "campaign_id": str(campaign.id),
        "version": campaign.version,
        "score_normalisation": campaign.score_normalisation,
        "teams": [public_team(t, held[t["id"]]) for t in campaign.teams],
        "unassigned": sum(1 for n in nominations if n.team_id is None),
    }


def team_of_nomination(app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    _not_declarer(actor)
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    team = next((t for t in campaign.teams if t["id"] == nomination.team_id), None)
    recused = team_recusals(app.load, campaign, nomination, team) if team else []
    return nomination_team_view(campaign, nomination, recused)


@router.get(
    "/campaigns/{campaign_id}/teams",
    summary="The campaign's inspection teams / 考核验收组",
    description=(
        "Each team with its leader, members (token or named person, home unit) and how many "
        "nominations it holds; the campaign's score normalisation. Not for declarers."
    ),
)
async def list_teams(campaign_id: str, app: App, actor: CurrentActor) -> Any:
    return await run_in_threadpool(teams_of, app, actor, campaign_id)


@router.get(
    "/nominations/{nomination_id}/team",
    summary="A nomination's team, recusals and conflicts / 申报的考核组与回避",
    description=(
        "The team assigned, its members recused from this nomination and why "
        "(recusal_own_unit, recusal_ancestor, recusal_declared_conflict), the conflicts declared "
        "and which member made each inspection. Not for declarers."
    ),
)
async def read_nomination_team(nomination_id: str, app: App, actor: CurrentActor) -> Any:
    return await run_in_threadpool(team_of_nomination, app, actor, nomination_id)


# --- teams ------------------------------------------------------------------------------------


def _answer(result: dict[str, Any], status: int = 200) -> JSONResponse:
    body = {k: v for k, v in result.items() if k != "replayed"}
    return JSONResponse(body, status_code=200 if result.get("replayed") else status)


@router.post(
    "/campaigns/{campaign_id}/teams",
    status_code=201,
    responses=problems.COMMAND,
    summary="Form a team / 组建考核验收组",
)
async def form_team(campaign_id: str, body: TeamCreate, cmd: Command) -> Any:
    command = FormTeam(
        campaign_id=campaign_id,
        name=body.name,
        leader=body.leader,
        members=[m.model_dump() for m in body.members],
        team_id=body.team_id,
        reason=body.reason,
    )
    return _answer(await cmd.execute(command), 201)


@router.patch(
    "/campaigns/{campaign_id}/teams/{team_id}",
    responses=problems.COMMAND,
    summary="Change a team: members, leader, name / 调整考核验收组",
)
async def change_team(campaign_id: str, team_id: TeamId, body: TeamChange, cmd: Command) -> Any:
    command = ChangeTeam(
        campaign_id=campaign_id,
        team_id=team_id,
        reason=body.reason,
        add=[m.model_dump() for m in body.add],
        remove=list(body.remove),
        name=body.name,
        leader=body.leader,
    )
    return _answer(await cmd.execute(command))


@router.post(
    "/campaigns/{campaign_id}/teams/{team_id}/disbanding",
    responses=problems.COMMAND,
    summary="Disband a team (none of its nominations open) / 撤销考核验收组",
)
async def disband_team(campaign_id: str, team_id: TeamId, body: TeamDisbanding, cmd: Command) -> Any:
    return _answer(
        await cmd.execute(DisbandTeam(campaign_id=campaign_id, team_id=team_id, reason=body.reason))
    )


# --- assignment -------------------------------------------------------------------------------


@router.post(
    "/campaigns/{campaign_id}/team-assignments",
    responses=problems.COMMAND,
    summary="Assign or reassign nominations to a team / 分配（改派）考核组",
    description=(
        "By hand, one or many. A reassignment needs a reason and is refused once an inspection "
        "is recorded (reassignment_after_inspection). Recused members are reported (the "
        "team's others may inspect); a team all of whose members are recused is refused (409 "
        "team_all_members_recused, each member's rule named)."
    ),
)
async def assign(campaign_id: str, body: AssignmentCreate, cmd: Command) -> Any:
    command = AssignToTeam(
        campaign_id=campaign_id,
        team_id=body.team_id,
        nomination_ids=list(body.nomination_ids),
        reason=body.reason,
    )
    return _answer(await cmd.execute(command))


@router.post(
    "/campaigns/{campaign_id}/team-assignments:auto",
    responses=problems.COMMAND,
    summary="Assign automatically / 自动分配考核组",
    description=(
        "The admitted, not yet inspected, unassigned nominations (of a category, if given), in "
        "declaration order, each to the team holding fewest among those with no recused "
        "member (ties: the team id's order). A nomination no team can take is reported with "
        "each team's reasons, not assigned."
    ),
)
async def auto_assign(campaign_id: str, body: AutoAssignmentCreate, cmd: Command) -> Any:
    command = AutoAssign(campaign_id=campaign_id, category=body.category, reason=body.reason)
    return _answer(await cmd.execute(command))


@router.put(
    "/campaigns/{campaign_id}/score-normalisation",
    responses=problems.COMMAND,
    summary="How the ranking compares teams: none | team_z / 得分标准化",
    description=(
        "Refused (409 team-refused, score_normalisation_frozen) while the commendation step is "
        "open and once anything is proposed or commended."
    ),
)
async def set_normalisation(campaign_id: str, body: NormalisationSet, cmd: Command) -> Any:
    command = SetScoreNormalisation(campaign_id=campaign_id, method=body.method, reason=body.reason)
    return _answer(await cmd.execute(command))


# --- conflicts and inspections by a team member -------------------------------------------------


@router.post(
    "/nominations/{nomination_id}/conflicts",
    status_code=201,
    responses=problems.COMMAND,
    summary="Declare a conflict of interest / 声明利益冲突（回避）",
    description=(
        "The member's own token, its team's leader, or whoever manages the teams; on an open "
        "nomination the member has not inspected (409 team-refused: conflict_nomination_open, "
        "conflict_after_inspection)."
    ),
)
async def declare_conflict(nomination_id: str, body: ConflictCreate, cmd: Command) -> Any:
    command = DeclareConflict(nomination_id=nomination_id, reason=body.reason, member=body.member)
    return _answer(await cmd.execute(command), 201)


@router.post(
    "/nominations/{nomination_id}/team-inspections",
    responses=problems.VERSIONED_COMMAND,
    response_model=CommandResult,
    summary="Record a named team member's inspection / 代具名成员录入考核",
    description="The leader's token records the inspection of a named member without a token.",
)
async def inspect_for_member(
    nomination_id: str, body: MemberInspectionCreate, cmd: VersionedCommand
) -> Any:
    command = InspectForMember(
        nomination_id=nomination_id,
        member=body.member,
        methods=body.methods,
        scores=body.scores,
        verdict=body.verdict,
        notes=body.notes,
        checklist=body.checklist_marks(),
    )
    result = await cmd.execute(command)
    answer = CommandResult(
        **{k: (str(v) if k == "id" else v) for k, v in result.items() if k in CommandResult.model_fields}
    ).model_dump(mode="json", exclude_none=True)
    return JSONResponse(answer, headers={"ETag": f'"{result["version"]}"'})
