"""Inspection teams (考核验收组), assignment, recusal and score normalisation (issue 22,
items 1-3): form, change and disband teams; assign nominations to them by hand or
automatically; declare a conflict of interest; choose how the ranking compares teams; and the
check the inspection path calls lives in ``domain/handlers/team_checks.py``
(``inspecting_member``): where a campaign has teams, only a member of the nomination's assigned
team who is not recused inspects it; a campaign without teams behaves exactly as before."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    AssignToTeam,
    AutoAssign,
    ChangeTeam,
    Command,
    DeclareConflict,
    DisbandTeam,
    FormTeam,
    InspectForMember,
    SetScoreNormalisation,
)
from domain.errors import (
    AssignmentRefusedError,
    RuleFailure,
    TeamInvalidError,
    TeamRefusedError,
    TokenNotFoundError,
)
from domain.handlers.context import Context, Decision, Handler
from domain.handlers.nominations import inspect
from domain.handlers.team_checks import team_recusals
from domain.nominations import Nomination
from domain.rules.recusal import Recusal
from domain.teams import (
    MAX_REASON,
    clean_member,
    find_member,
    find_team,
    member_label,
    next_team_id,
    plan_assignment,
    public_team,
    require_team_manager,
    team_failures,
)
from domain.units import Unit
from domain.vocabulary import OPEN_STATES, NominationState, Step

MAX_ASSIGNED_AT_ONCE = 500  # one transaction


# --- who manages a campaign's teams ----------------------------------------------------------


def managing_units(ctx: Context, campaign: Campaign) -> list[Unit]:
    """The organiser, and every unit the campaign delegated a level to (seed 001's
    县直机关工委 forms the teams for the agencies it inspects)."""
    organiser = ctx.load.organiser(campaign)
    delegates = sorted(set(campaign.delegates.values()))
    return [organiser, *(ctx.load.get_unit(code) for code in delegates)]


def authorize_teams(ctx: Context, campaign: Campaign) -> None:
    require_team_manager(ctx.actor, managing_units(ctx, campaign))


def reason_failures(reason: str) -> list[RuleFailure]:
    if len((reason or "").strip()) > MAX_REASON:
        return [
            RuleFailure(
                "reason_length",
                f"a reason has at most {MAX_REASON} characters",
                f"理由不超过 {MAX_REASON} 字",
                "reason",
                MAX_REASON,
                len(reason.strip()),
            )
        ]
    return []


def _clean_members(
    ctx: Context, members: Sequence[Mapping[str, Any]], field: str
) -> tuple[list[dict[str, Any]], list[RuleFailure]]:
    def token_info(token_id: str) -> tuple[str, str | None] | None:
        try:
            token = ctx.load.get_token(token_id, ctx.at)
        except TokenNotFoundError:
            return None
        return str(token.role), token.unit_id

    cleaned: list[dict[str, Any]] = []
    failures: list[RuleFailure] = []
    for i, raw in enumerate(members):
        member, why = clean_member(raw, f"{field}[{i}]", token_info, ctx.load.unit_exists)
        failures += why
        if member is not None:
            cleaned.append(member)
    return cleaned, failures


def team_view(campaign: Campaign, team: Mapping[str, Any]) -> dict[str, Any]:
    return {"campaign_id": str(campaign.id), "version": campaign.version, **public_team(team)}


# --- teams ------------------------------------------------------------------------------------


def form_team(command: FormTeam, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize_teams(ctx, campaign)
    members, failures = _clean_members(ctx, command.members, "members")
    failures += reason_failures(command.reason)
    team_id = (command.team_id or "").strip() or next_team_id(campaign.teams, campaign.teams_formed)
    team = {
        "id": team_id,
        "name": (command.name or "").strip(),
        "leader": (command.leader or "").strip(),
        "members": members,
    }
    if failures:  # with every rule the rest of the team breaks, not only the members'
        raise TeamInvalidError([*team_failures(team, campaign.teams), *failures])
    campaign.form_team(team, command.reason, ctx.actor, ctx.at)
    return Decision([campaign], team_view(campaign, team))


def change_team(command: ChangeTeam, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize_teams(ctx, campaign)
    before = find_team(campaign.teams, command.team_id)
    added, failures = _clean_members(ctx, command.add, "add")
    failures += reason_failures(command.reason)
    keys = {m["key"] for m in before["members"]}
    for key in command.remove:
        if key not in keys:
            failures.append(
                RuleFailure(
                    "member_known",
                    f"'{key}' is not a member of team '{before['id']}'",
                    f"「{key}」不是考核组「{before['id']}」的成员",
                    "remove",
                    sorted(keys),
                    key,
                )
            )
    if failures:
        raise TeamInvalidError(failures)
    removed = set(command.remove)
    members = [m for m in before["members"] if m["key"] not in removed] + added
    team = {
        "id": before["id"],
        "name": (command.name or "").strip() or before["name"],
        "leader": (command.leader or "").strip() or before["leader"],
        "members": members,
    }
    changed = campaign.change_team(team, command.reason, ctx.actor, ctx.at)
    return Decision([campaign] if changed else [], dict(team_view(campaign, team), changed=changed))


def _campaign_nominations(ctx: Context, campaign: Campaign) -> list[Nomination]:
    """Every nomination of the campaign (assigned to a team or not)."""
    return ctx.queries.campaign_nominations(campaign.id)


def disband_team(command: DisbandTeam, ctx: Context) -> Decision:
    """Refused while an open nomination (``OPEN_STATES``: declared, returned, admitted,
    inspected) is assigned to the team:
    reassign those first (or, once inspected, keep the team)."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize_teams(ctx, campaign)
    find_team(campaign.teams, command.team_id)
    if not (command.reason or "").strip():
        raise TeamInvalidError(
            [
                RuleFailure(
                    "team_change_reason_required",
                    "disbanding a team needs a reason",
                    "撤销考核组须说明理由",
                    "reason",
                )
            ]
        )
    held = [
        str(n.id)
        for n in _campaign_nominations(ctx, campaign)
        if n.team_id == command.team_id and n.state in OPEN_STATES
    ]
    if held:
        raise AssignmentRefusedError(
            [
                RuleFailure(
                    "team_has_assignments",
                    f"team '{command.team_id}' holds {len(held)} open nomination(s): reassign "
                    "them first",
                    f"考核组「{command.team_id}」仍有 {len(held)} 个未办结的申报，请先改派",
                    "team_id",
                    0,
                    held,
                )
            ]
        )
    campaign.disband_team(command.team_id, command.reason, ctx.actor, ctx.at)
    return Decision([campaign], {"campaign_id": str(campaign.id), "disbanded": command.team_id})


# --- assignment -------------------------------------------------------------------------------


def _of_campaign(nomination: Nomination, campaign: Campaign) -> None:
    if nomination.campaign_id != campaign.id:
        raise TeamInvalidError(
            [
                RuleFailure(
                    "nomination_in_campaign",
                    f"nomination {nomination.id} is not of this campaign",
                    f"申报 {nomination.id} 不属于本次评选",
                    "nomination_ids",
                    str(campaign.id),
                    str(nomination.campaign_id),
                )
            ]
        )


def _some_member_free(
    team: Mapping[str, Any], nomination: Nomination, recused: Sequence[Recusal]
) -> None:
    """A team every member of which is recused from the nomination could never inspect it:
    refused (``team_all_members_recused``, then each member's rule)."""
    if {r.member for r in recused} != {m["key"] for m in team["members"]}:
        return
    labels = {m["key"]: member_label(m) for m in team["members"]}
    raise AssignmentRefusedError(
        [
            RuleFailure(
                "team_all_members_recused",
                f"every member of team '{team['id']}' is recused from nomination {nomination.id}",
                f"考核组「{team['name']}」全体成员均须回避申报 {nomination.id}",
                "team_id",
                "a team with a member not recused",
                team["id"],
            ),
            *(r.failure(labels.get(r.member, r.member)) for r in recused),
        ]
    )


def assign_to_team(command: AssignToTeam, ctx: Context) -> Decision:
    """By hand: each nomination to ``team_id``. Recused members are reported (the team's other
    members inspect it); a team all of whose members are recused is refused."""
    campaign = ctx.load.get_campaign(command.campaign_id)
    authorize_teams(ctx, campaign)
    team = find_team(campaign.teams, command.team_id)
    failures = reason_failures(command.reason)
    ids = list(dict.fromkeys(str(n) for n in command.nomination_ids))
    if not ids or len(ids) > MAX_ASSIGNED_AT_ONCE:
        failures.append(
            RuleFailure(
                "nomination_ids_count",
                f"assign 1 to {MAX_ASSIGNED_AT_ONCE} nominations at once",
                f"每次分配 1 至 {MAX_ASSIGNED_AT_ONCE} 个申报",
                "nomination_ids",
                MAX_ASSIGNED_AT_ONCE,
                len(ids),
            )
        )
    if failures:
        raise TeamInvalidError(failures)
    changed: list[Nomination] = []
    out: list[dict[str, Any]] = []
    for nid in ids:
        nomination = ctx.load.get_nomination(nid)
        _of_campaign(nomination, campaign)
        recused = team_recusals(ctx.load, campaign, nomination, team)
        _some_member_free(team, nomination, recused)
        previous = nomination.team_id
        if nomination.assign_to_team(team["id"], command.reason, ctx.actor, ctx.at):
            changed.append(nomination)
        out.append(
            {
                "id": nid,
                "team_id": team["id"],
                "previous": previous,
                "changed": previous != team["id"],
                "recused": [r.as_dict() for r in recused],
            }
        )
    return Decision(changed, {"campaign_id": str(campaign.id), "assigned": out})


def auto_assign(command: AutoAssign, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id)
    authorize_teams(ctx, campaign)
    if command.category is not None:
        campaign.category(command.category)
    if not campaign.teams:
        raise TeamInvalidError(
            [
                RuleFailure(
                    "teams_required",
                    "form the campaign's inspection teams first",
                    "请先组建考核验收组",
                    "teams",
                )
            ]
        )
    teams = sorted(campaign.teams, key=lambda t: str(t["id"]))
    team_ids = [str(t["id"]) for t in teams]
    every = _campaign_nominations(ctx, campaign)
    load = {t: sum(1 for n in every if n.team_id == t) for t in team_ids}
    waiting = [
        n
        for n in every
        if n.state == NominationState.ADMITTED
        and not n.inspections
        and n.team_id is None
        and (command.category is None or n.category == command.category)
    ][:MAX_ASSIGNED_AT_ONCE]
    by_id = {str(n.id): n for n in waiting}
    by_team = {str(t["id"]): t for t in teams}

    def recused(nid: str, team_id: str) -> list[Recusal]:
        return team_recusals(ctx.load, campaign, by_id[nid], by_team[team_id])

    plan = plan_assignment([str(n.id) for n in waiting], team_ids, load, recused)
    changed, assigned, unassigned = [], [], []
    for placement in plan:
        nomination = by_id[placement.nomination_id]
        if placement.team_id is None:
            unassigned.append(
                {
                    "id": placement.nomination_id,
                    "nominee": nomination.nominee.name,
                    "failures": [
                        dict(r.failure().as_dict(), team_id=team)
                        for team, rs in placement.recusals.items()
                        for r in rs
                    ],
                }
            )
            continue
        nomination.assign_to_team(
            placement.team_id,
            command.reason or "automatic / 自动分配",
            ctx.actor,
            ctx.at,
            automatic=True,
        )
        changed.append(nomination)
        assigned.append(
            {
                "id": placement.nomination_id,
                "nominee": nomination.nominee.name,
                "team_id": placement.team_id,
            }
        )
    after = dict(load)
    for a in assigned:
        after[a["team_id"]] += 1
    result = {
        "campaign_id": str(campaign.id),
        "category": command.category,
        "assigned": assigned,
        "unassigned": unassigned,
        "load": after,
    }
    return Decision(changed, result)


def inspected_by(nomination: Nomination, key: str) -> list[int]:
    """The inspections (1-based) ``key`` made: attributed to it, or (before any attribution, a
    campaign that had no teams yet) made by its token and attributed to nobody else."""
    attributed = {int(a["inspection"]): str(a["member"]) for a in nomination.attributions}
    return [
        i
        for i, inspection in enumerate(nomination.inspections, start=1)
        if attributed.get(i) == key or (i not in attributed and inspection.inspector.token_id == key)
    ]


def _conflict_still_declarable(nomination: Nomination, key: str) -> None:
    """A conflict is declared on an open nomination (not proposed, commended or closed:
    ``conflict_nomination_open``), and before the member inspected it
    (``conflict_after_inspection``). Why refuse rather than void the inspection: the score is
    already in the aggregate, possibly in a ranking someone has read; voiding it is a
    correction (``domain/corrections.py``) with its own reason and actor, not a side effect."""
    if nomination.state not in OPEN_STATES:
        raise TeamRefusedError(
            [
                RuleFailure(
                    "conflict_nomination_open",
                    f"nomination {nomination.id} is {nomination.state}: a conflict is declared "
                    "while it is open",
                    f"申报 {nomination.id} 已「{NominationState(nomination.state).zh}」，"
                    "仅可在办理中声明利益冲突",
                    "nomination_id",
                    [str(x) for x in OPEN_STATES],
                    str(nomination.state),
                )
            ]
        )
    made = inspected_by(nomination, key)
    if made:
        raise TeamRefusedError(
            [
                RuleFailure(
                    "conflict_after_inspection",
                    f"'{key}' has already inspected nomination {nomination.id} (inspection "
                    f"{', '.join(map(str, made))}): a conflict is declared before inspecting",
                    f"「{key}」已考核申报 {nomination.id}（第 {'、'.join(map(str, made))} 次），"
                    "须在考核前声明利益冲突",
                    "member",
                    [],
                    made,
                )
            ]
        )


def declare_conflict(command: DeclareConflict, ctx: Context) -> Decision:
    """The member itself (its token), its team's leader, or whoever manages the teams."""
    nomination = ctx.load.get_nomination(command.nomination_id)
    campaign = ctx.load.get_campaign(nomination.campaign_id)
    key = (command.member or "").strip() or ctx.actor.token_id
    team = next((t for t in campaign.teams if find_member(t, key) is not None), None)
    if team is None or ctx.actor.token_id not in (key, team["leader"]):
        authorize_teams(ctx, campaign)
    if team is None:
        raise TeamInvalidError(
            [
                RuleFailure(
                    "member_known",
                    f"'{key}' is not a member of any team of this campaign",
                    f"「{key}」不是本次评选任何考核组的成员",
                    "member",
                    None,
                    key,
                )
            ]
        )
    failures = reason_failures(command.reason)
    if failures:
        raise TeamInvalidError(failures)
    _conflict_still_declarable(nomination, key)
    changed = nomination.declare_conflict(key, team["id"], command.reason, ctx.actor, ctx.at)
    result = {
        "id": str(nomination.id),
        "member": key,
        "team_id": team["id"],
        "recorded": changed,
        "conflicts": list(nomination.conflicts),
    }
    return Decision([nomination] if changed else [], result)


def inspect_for_member(command: InspectForMember, ctx: Context) -> Decision:
    """As ``Inspect``, recorded by the leader's token for a named member (the shared path in
    ``domain/handlers/nominations.py`` reads ``member``)."""
    return inspect(command, ctx)


# --- normalisation ----------------------------------------------------------------------------


FROZEN_STATES = (NominationState.PROPOSED, NominationState.COMMENDED)


def _normalisation_not_frozen(ctx: Context, campaign: Campaign) -> None:
    """The ranking's basis is frozen while the commendation step is open (or reopened for a
    unit or a nomination), and for good once anything of the campaign is proposed or commended
    (``score_normalisation_frozen``): what ranked a commendation is then the method set before
    it, read from the log. A step that closed with nothing decided has ranked nothing."""
    step = campaign.phase_for(Step.COMMENDATION)
    opened = step.is_open_at(ctx.at) or any(
        not r["closed"] and r["phase"] == step.code and r["opens_at"] <= ctx.at < r["until"]
        for r in campaign.reopenings
    )
    decided = any(campaign.commended.values()) or bool(
        ctx.roster.entries(str(campaign.id), states=[str(s) for s in FROZEN_STATES], limit=1).entries
    )
    if opened or decided:
        raise TeamRefusedError(
            [
                RuleFailure(
                    "score_normalisation_frozen",
                    "the score normalisation is fixed once the commendation step opens or "
                    "anything is proposed or commended",
                    "评选进入表彰环节或已有拟表彰、表彰对象后，不能再更改得分标准化方式",
                    "method",
                    campaign.score_normalisation,
                    "commendation open" if opened else "proposed or commended",
                )
            ]
        )


def set_score_normalisation(command: SetScoreNormalisation, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize_teams(ctx, campaign)
    failures = reason_failures(command.reason)
    if failures:
        raise TeamInvalidError(failures)
    if str(command.method) != campaign.score_normalisation:  # the same again: no change
        _normalisation_not_frozen(ctx, campaign)
    changed = campaign.set_score_normalisation(command.method, command.reason, ctx.actor, ctx.at)
    result = {
        "campaign_id": str(campaign.id),
        "score_normalisation": campaign.score_normalisation,
        "changed": changed,
    }
    return Decision([campaign] if changed else [], result)


# --- reads ------------------------------------------------------------------------------------


def nomination_team_view(
    campaign: Campaign, nomination: Nomination, recused: Sequence[Recusal]
) -> dict[str, Any]:
    """A nomination's team, its recusals and declared conflicts, and who made each inspection."""
    team = next((t for t in campaign.teams if t["id"] == nomination.team_id), None)
    return {
        "id": str(nomination.id),
        "campaign_id": str(nomination.campaign_id),
        "team": public_team(team) if team else None,
        "team_id": nomination.team_id,
        "recused": [r.as_dict() for r in recused],
        "conflicts": [dict(c) for c in nomination.conflicts],
        "attributions": [dict(a) for a in nomination.attributions],
    }


HANDLERS: dict[type[Command], Handler] = {
    FormTeam: form_team,
    ChangeTeam: change_team,
    DisbandTeam: disband_team,
    AssignToTeam: assign_to_team,
    AutoAssign: auto_assign,
    DeclareConflict: declare_conflict,
    InspectForMember: inspect_for_member,
    SetScoreNormalisation: set_score_normalisation,
}
