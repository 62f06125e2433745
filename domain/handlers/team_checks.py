"""The check the inspection path calls where a campaign has inspection teams (issue 22,
items 1-2): who of the assigned team makes an inspection, and whether the tree or a declared
conflict recuses them. Separate from the teams' commands (``domain/handlers/teams.py``) so that
the nominations' slice and the teams' import each other one way only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.campaigns import Campaign
from domain.errors import RuleFailure, TeamInspectionRefusedError
from domain.execution import Loader
from domain.handlers.context import Context
from domain.nominations import Nomination
from domain.rules.jurisdiction import acting_units
from domain.rules.recusal import Recusal, recusals
from domain.teams import find_member, find_team, member_label, team_of_token
from domain.units import Unit
from domain.vocabulary import Role

# --- recusal ----------------------------------------------------------------------------------


def acting_for_nominee(load: Loader, campaign: Campaign, nomination: Nomination) -> list[Unit]:
    """The units that act for the nominee's level: the organiser, and the unit the campaign
    delegated that level to, if any (last)."""
    organiser = load.organiser(campaign)
    level = nomination.nominee.level or load.get_unit(nomination.nominee.unit_id).level
    return acting_units(organiser, campaign.delegates, [str(level)], load.get_unit)


def recusal_boundary(load: Loader, campaign: Campaign, nomination: Nomination) -> Unit:
    """The unit at and above which a home unit is no reason to recuse: the unit acting for the
    nominee's level — the organiser, or the unit the campaign delegated that level to (seed
    001's 县直机关工委 for the agencies: its own members inspect the agencies below it)."""
    return acting_for_nominee(load, campaign, nomination)[-1]


def team_recusals(
    load: Loader, campaign: Campaign, nomination: Nomination, team: Mapping[str, Any]
) -> list[Recusal]:
    """Why members of ``team`` may not inspect ``nomination`` (the tree, declared conflicts)."""
    boundary = recusal_boundary(load, campaign, nomination)
    nominee_unit = load.get_unit(nomination.nominee.unit_id)
    declaring_unit = load.get_unit(nomination.declaring_unit_id)
    declared = [(c["member"], c["reason"]) for c in nomination.conflicts]
    return [
        r
        for m in team["members"]
        for r in recusals(m["key"], m["home_unit_id"], nominee_unit, declaring_unit, boundary, declared)
    ]


def _refused(
    rule: str, en: str, zh: str, expected: Any = None, actual: Any = None
) -> TeamInspectionRefusedError:
    return TeamInspectionRefusedError([RuleFailure(rule, en, zh, "team", expected, actual)])


def inspecting_member(
    ctx: Context,
    nomination: Nomination,
    campaign: Campaign,
    action: str,
    member: str | None = None,
) -> tuple[str, str, str] | None:
    """Who of the assigned team makes this inspection: (team id, member key, member name), or
    None where the campaign has no teams (nothing changes) or for a re-inspection.

    Where the campaign has teams: the nomination must be assigned to one
    (``team_assignment_required``); the sender's token must be a member of it
    (``inspector_not_in_assigned_team``) or, recording a named person's inspection
    (``member``), its leader (``inspector_not_team_leader``, ``member_not_in_assigned_team``);
    and that member must not be recused (``recusal_own_unit``, ``recusal_ancestor``,
    ``recusal_declared_conflict``). A re-inspection a year on is the organiser's, not a team's:
    only a token that is a member of one of the campaign's teams is held to its recusals."""
    if not campaign.teams or ctx.actor.role == Role.SYSTEM:
        if member is not None:
            raise _refused(
                "team_member_without_teams",
                "an inspection for a named team member needs the campaign to have teams",
                "本次评选未设考核组，不能代具名成员录入考核",
            )
        return None
    if action == "reinspect":
        team = team_of_token(campaign.teams, ctx.actor.token_id)
        if team is not None:
            _require_not_recused(ctx, campaign, nomination, team, ctx.actor.token_id)
        return None
    team_ids = [t["id"] for t in campaign.teams]
    if nomination.team_id is None or nomination.team_id not in team_ids:
        raise _refused(
            "team_assignment_required",
            "this campaign inspects by teams: the nomination must first be assigned to one",
            "本次评选由考核验收组考核，该申报尚未分配考核组",
            team_ids,
            nomination.team_id,
        )
    team = find_team(campaign.teams, nomination.team_id)
    if member is not None:
        if team["leader"] != ctx.actor.token_id:
            raise _refused(
                "inspector_not_team_leader",
                f"only the leader of team '{team['id']}' records a named member's inspection",
                f"仅考核组「{team['name']}」组长可代具名成员录入考核",
                team["leader"],
                ctx.actor.token_id,
            )
        found = find_member(team, member)
        if found is None or found.get("token_id"):
            raise _refused(
                "member_not_in_assigned_team",
                f"'{member}' is not a named member of team '{team['id']}'",
                f"「{member}」不是考核组「{team['name']}」的具名成员",
                [m["key"] for m in team["members"] if not m.get("token_id")],
                member,
            )
        # the leader's token records it: the leader must not be recused either (the member's
        # recusals named first, then the leader's)
        _require_not_recused(ctx, campaign, nomination, team, member, ctx.actor.token_id)
        return team["id"], member, member_label(found)
    else:
        if find_member(team, ctx.actor.token_id) is None:
            raise _refused(
                "inspector_not_in_assigned_team",
                f"the nomination is assigned to team '{team['id']}', of which this token is not "
                "a member",
                f"该申报由考核组「{team['name']}」考核，当前令牌不是该组成员",
                [m["key"] for m in team["members"]],
                ctx.actor.token_id,
            )
        key = ctx.actor.token_id
    found_member = _require_not_recused(ctx, campaign, nomination, team, key)
    return team["id"], key, member_label(found_member)


def _require_not_recused(
    ctx: Context,
    campaign: Campaign,
    nomination: Nomination,
    team: Mapping[str, Any],
    key: str,
    *also: str,
) -> dict[str, Any]:
    """The member ``key`` (and the members ``also``: the leader recording a named member's
    inspection) not recused; every recusal of them named on refusal."""
    found = find_member(team, key)
    assert found is not None
    every = team_recusals(ctx.load, campaign, nomination, team)
    failures = []
    for who in dict.fromkeys((key, *also)):
        label = member_label(find_member(team, who) or {"token_id": who})
        failures += [r.failure(label) for r in every if r.member == who]
    if failures:
        raise TeamInspectionRefusedError(failures)
    return found
