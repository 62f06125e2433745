"""Inspection teams (考核验收组, issue 22, item 1): the pure rules.

A campaign's organiser (or the unit the campaign delegated a level to) forms teams. A team has
an id (a short slug), a name, a leader and members. A member is either

- an inspector token (``token_id``; key: the token id) whose home unit defaults to the token's
  unit and may be set (a county expert holding a city token), or
- a named person (``name`` + ``home_unit_id``; key ``person:<name>@<home_unit_id>``) without
  a token: the leader's token records that person's inspections, naming them.

The leader is a token member. A token or person belongs to one team of a campaign at most, so
"the team of this inspector" is always one team. Teams are stored on the Campaign aggregate
(``TeamFormed``, ``TeamChanged``, ``TeamDisbanded``) as plain dicts::

    {
        "id": "team-1",
        "name": "第一考核组",
        "leader": "tok-…",
        "members": [
            {"key": "tok-…", "token_id": "tok-…", "name": "", "home_unit_id": "shifan-shi"},
            {
                "key": "person:王五@peng-zhen",
                "token_id": None,
                "name": "王五",
                "home_unit_id": "peng-zhen",
            },
        ],
    }

Assignment of nominations to teams is on the Nomination (``AssignedToTeam``); who may inspect,
and recusal, are decided in ``domain/handlers/teams.py`` from these rules and
``domain/rules/recusal.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from domain.actors import Actor
from domain.errors import DomainError, RoleNotAllowedError, RuleFailure, TeamNotFoundError
from domain.rules.jurisdiction import require_within
from domain.rules.recusal import Recusal
from domain.units import Unit
from domain.vocabulary import Role

SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_NAME: Final = 60
MAX_MEMBERS: Final = 30
MAX_REASON: Final = 500
PERSON: Final = "person:"
TEAM_MANAGERS: Final = frozenset({Role.REVIEWER, Role.ADMIN, Role.SYSTEM})

TokenInfo = Callable[[str], "tuple[str, str | None] | None"]  # token id -> (role, unit) or None
UnitExists = Callable[[str], bool]


def person_key(name: str, home_unit_id: str | None) -> str:
    """``person:<name>@<home unit>``: two people of one name from different units are two
    members (the name alone would make them one)."""
    return f"{PERSON}{name.strip()}@{(home_unit_id or '').strip()}"


def member_key(member: Mapping[str, Any]) -> str:
    token = member.get("token_id")
    if token:
        return str(token)
    return person_key(str(member.get("name") or ""), member.get("home_unit_id"))


def member_label(member: Mapping[str, Any]) -> str:
    """How a member is named to people: the person's name, or the token id (and a name)."""
    if member.get("token_id"):
        name = str(member.get("name") or "")
        return f"{name} ({member['token_id']})" if name else str(member["token_id"])
    return str(member.get("name") or "")


def require_team_manager(actor: Actor, candidates: Sequence[Unit]) -> None:
    """Reviewers and admins of the organiser (or of the unit the campaign delegated the
    nominees' level to), or above it; and the system."""
    if actor.role not in TEAM_MANAGERS:
        raise RoleNotAllowedError(
            f"role '{actor.role}' may not manage inspection teams",
            f"角色「{actor.role.zh}」无权管理考核验收组",
            action="manage_teams",
            role=actor.role,
        )
    refusal: DomainError | None = None
    for unit in candidates:
        try:
            require_within(actor, [unit], "manage_teams")
            return
        except DomainError as refused:
            refusal = refusal or refused
    if refusal is not None:
        raise refusal


def clean_member(
    raw: Mapping[str, Any], field: str, token_info: TokenInfo, unit_exists: UnitExists
) -> tuple[dict[str, Any] | None, list[RuleFailure]]:
    """A member as sent -> as stored (None with the failures when it breaks a rule)."""
    if not isinstance(raw, Mapping):
        return None, [
            RuleFailure(
                "member_shape",
                "a member is an object with token_id, or name and home_unit_id",
                "成员须为含 token_id，或含 name 与 home_unit_id 的对象",
                field,
            )
        ]
    token_id = str(raw.get("token_id") or "").strip() or None
    name = str(raw.get("name") or "").strip()
    home = str(raw.get("home_unit_id") or "").strip() or None
    failures: list[RuleFailure] = []
    if len(name) > MAX_NAME:
        failures.append(
            RuleFailure(
                "member_name_length",
                f"a member's name has at most {MAX_NAME} characters",
                f"成员姓名不超过 {MAX_NAME} 字",
                f"{field}.name",
                MAX_NAME,
                len(name),
            )
        )
    if token_id is not None:
        info = token_info(token_id)
        if info is None:
            failures.append(
                RuleFailure(
                    "member_token_known",
                    f"there is no token '{token_id}'",
                    f"没有令牌「{token_id}」",
                    f"{field}.token_id",
                    None,
                    token_id,
                )
            )
        else:
            role, unit = info
            if role != Role.INSPECTOR:
                failures.append(
                    RuleFailure(
                        "member_token_inspector",
                        f"token '{token_id}' is a {role} token; a team member's token is an inspector's",
                        f"令牌「{token_id}」不是考核人令牌",
                        f"{field}.token_id",
                        str(Role.INSPECTOR),
                        str(role),
                    )
                )
            home = home or unit
    elif not name:
        failures.append(
            RuleFailure(
                "member_identified",
                "a member is an inspector token (token_id) or a named person (name)",
                "成员须为考核人令牌（token_id）或具名人员（name）",
                field,
            )
        )
    if home is None:
        failures.append(
            RuleFailure(
                "member_home_unit_required",
                "a named member needs a home unit (home_unit_id)",
                "具名成员须注明所在单位（home_unit_id）",
                f"{field}.home_unit_id",
            )
        )
    elif not unit_exists(home):
        failures.append(
            RuleFailure(
                "member_home_unit_known",
                f"there is no unit '{home}'",
                f"没有单位「{home}」",
                f"{field}.home_unit_id",
                None,
                home,
            )
        )
    if failures:
        return None, failures
    member = {"token_id": token_id, "name": name, "home_unit_id": home}
    return {"key": member_key(member), **member}, []


def text_failures(value: str, field: str, rule: str, limit: int, required: bool) -> list[RuleFailure]:
    text = (value or "").strip()
    if required and not text:
        return [RuleFailure(rule, f"{field} is required", f"须填写 {field}", field)]
    if len(text) > limit:
        return [
            RuleFailure(
                f"{field}_length",
                f"{field} has at most {limit} characters",
                f"{field} 不超过 {limit} 字",
                field,
                limit,
                len(text),
            )
        ]
    return []


def team_failures(team: Mapping[str, Any], others: Sequence[Mapping[str, Any]]) -> list[RuleFailure]:
    """A team as it would be stored, beside the campaign's ``others``."""
    failures = text_failures(team.get("name", ""), "name", "team_name_required", MAX_NAME, True)
    team_id = str(team.get("id") or "")
    if not SLUG.match(team_id):
        failures.append(
            RuleFailure(
                "team_id_format",
                "a team id is a short slug: lower-case letters, digits and '-' (at most 40)",
                "考核组编号须为小写字母、数字和“-”（不超过 40 字符）",
                "team_id",
                SLUG.pattern,
                team_id,
            )
        )
    members = list(team.get("members") or [])
    if not members:
        failures.append(
            RuleFailure("team_members_required", "a team has members", "考核组须有成员", "members")
        )
    if len(members) > MAX_MEMBERS:
        failures.append(
            RuleFailure(
                "team_size",
                f"a team has at most {MAX_MEMBERS} members",
                f"考核组成员不超过 {MAX_MEMBERS} 人",
                "members",
                MAX_MEMBERS,
                len(members),
            )
        )
    keys = [m["key"] for m in members]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        failures.append(
            RuleFailure(
                "member_unique",
                f"member '{key}' is named twice",
                f"成员「{key}」重复",
                "members",
                None,
                key,
            )
        )
    elsewhere = {m["key"]: o["id"] for o in others if o["id"] != team_id for m in o["members"]}
    for key in keys:
        if key in elsewhere:
            failures.append(
                RuleFailure(
                    "member_in_one_team",
                    f"'{key}' is already a member of team '{elsewhere[key]}'",
                    f"「{key}」已是考核组「{elsewhere[key]}」的成员",
                    "members",
                    None,
                    key,
                )
            )
    leader = str(team.get("leader") or "")
    by_key = {m["key"]: m for m in members}
    if leader not in by_key or not by_key[leader].get("token_id"):
        failures.append(
            RuleFailure(
                "team_leader_member",
                "the leader is one of the team's token members (its token id)",
                "组长须为本组持令牌的成员（填写其令牌编号）",
                "leader",
                sorted(k for k, m in by_key.items() if m.get("token_id")),
                leader,
            )
        )
    return failures


def next_team_id(teams: Sequence[Mapping[str, Any]], formed_before: int) -> str:
    """``team-<n>``: the first n from the count of teams formed so far that is free."""
    taken = {t["id"] for t in teams}
    n = formed_before + 1
    while f"team-{n}" in taken:
        n += 1
    return f"team-{n}"


def find_team(teams: Iterable[Mapping[str, Any]], team_id: str) -> dict[str, Any]:
    for team in teams:
        if team["id"] == team_id:
            return dict(team)
    raise TeamNotFoundError(
        f"there is no team '{team_id}' in this campaign",
        f"本次评选没有考核组「{team_id}」",
        team=team_id,
    )


def find_member(team: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    return next((dict(m) for m in team["members"] if m["key"] == key), None)


def team_of_token(teams: Iterable[Mapping[str, Any]], token_id: str) -> dict[str, Any] | None:
    return next((dict(t) for t in teams if any(m["key"] == token_id for m in t["members"])), None)


def public_team(team: Mapping[str, Any], assigned: int | None = None) -> dict[str, Any]:
    out = {
        "id": team["id"],
        "name": team["name"],
        "leader": team["leader"],
        "members": [dict(m) for m in team["members"]],
    }
    if assigned is not None:
        out["assigned"] = assigned
    return out


# --- automatic assignment ------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    nomination_id: str
    team_id: str | None
    recusals: dict[str, list[Recusal]]  # team id -> why it cannot take the nomination


def plan_assignment(
    nominations: Sequence[str],
    team_ids: Sequence[str],
    load: Mapping[str, int],
    recused: Callable[[str, str], list[Recusal]],
) -> list[Placement]:
    """Balanced by count, never to a team with a recused member, deterministic.

    ``nominations`` in the order taken (declaration order); ``team_ids`` sorted; ``load``: how
    many each team already holds. Each nomination goes to the team, among those with no
    recused member, holding fewest so far (ties: the team id's order); none left: it stays
    unassigned with every team's recusals as the reason."""
    counts = {t: int(load.get(t, 0)) for t in team_ids}
    placed: list[Placement] = []
    for nid in nominations:
        why = {t: recused(nid, t) for t in team_ids}
        open_teams = [t for t in team_ids if not why[t]]
        if not open_teams:
            placed.append(Placement(nid, None, why))
            continue
        best = min(open_teams, key=lambda t: (counts[t], team_ids.index(t)))
        counts[best] += 1
        placed.append(Placement(nid, best, {}))
    return placed


def in_team_queue(teams: Sequence[Mapping[str, Any]], team_id: str | None, token_id: str) -> bool:
    """Whether an inspector's queue shows a nomination: always where the campaign has no teams;
    else only when it is assigned to a team the token is a member of."""
    if not teams:
        return True
    team = next((t for t in teams if t["id"] == team_id), None)
    return team is not None and any(m["key"] == token_id for m in team["members"])


def named_member_options(
    teams: Sequence[Mapping[str, Any]], team_id: str | None, token_id: str
) -> list[tuple[str, str]]:
    """The named members (no token) whose inspections ``token_id`` may record on a nomination
    assigned to ``team_id``: those of its team, where the token is the team's leader."""
    team = next((t for t in teams if t["id"] == team_id), None)
    if team is None or team["leader"] != token_id:
        return []
    return [(m["key"], member_label(m)) for m in team["members"] if not m.get("token_id")]
