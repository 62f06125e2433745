"""``laurel teams list | form | change | disband | assign | conflict | normalise``: a
campaign's inspection teams (考核验收组, issue 22) from the operator's console, as the root
admin (``cli-operator``).

    laurel teams form CAMPAIGN --name 第一考核组 --leader TOKEN --member TOKEN \
        --member "王五@qipan-zhen" --member "TOKEN@yijun-xian"
    laurel teams assign CAMPAIGN --auto [--category five_good_site]
    laurel teams assign CAMPAIGN --team team-1 NOMINATION...
    laurel teams list CAMPAIGN
    laurel teams normalise CAMPAIGN team_z --reason "两组宽严不一"
    laurel teams change CAMPAIGN TEAM --reason "增补" [--add MEMBER] [--remove KEY] \
        [--leader TOKEN] [--name NAME]
    laurel teams disband CAMPAIGN TEAM --reason "任务完成"
    laurel teams conflict NOMINATION --member KEY --reason "亲属在该村"

A ``--member`` is a token id, ``TOKEN@home-unit`` (a token whose member comes from another
unit), or ``NAME@home-unit`` for a named person without a token (anything that is not an
issued token id is taken as a name)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.tokens import OPERATOR, services_for_cli
from domain.commands import (
    AssignToTeam,
    AutoAssign,
    ChangeTeam,
    DeclareConflict,
    DisbandTeam,
    FormTeam,
    SetScoreNormalisation,
)
from domain.errors import TokenNotFoundError
from domain.teams import public_team

teams_cli = typer.Typer(help="Inspection teams (考核验收组)", no_args_is_help=True)
console = Console()


def parse_member(text: str, is_token: Any) -> dict[str, Any]:
    who, _, home = text.partition("@")
    member: dict[str, Any] = {"home_unit_id": home or None}
    if is_token(who):
        member["token_id"] = who
    else:
        member["name"] = who
    return member


def token_checker(app: Any) -> Any:
    """Whether a ``--member``'s text names an issued token (else it is a person's name)."""

    def is_token(text: str) -> bool:
        try:
            app.load.get_token(text, app.clock())
        except TokenNotFoundError:
            return False
        return True

    return is_token


@teams_cli.command("list")
def teams_list(campaign: str) -> None:
    """The campaign's teams: members, home units, nominations held."""
    with services_for_cli() as services:
        app = services.app
        found = app.get_campaign(campaign)
        nominations = app.queries.campaign_nominations(found.id)
    table = Table("team", "名称 / name", "leader", "members (home unit)", "held")
    for team in found.teams:
        members = "\n".join(
            f"{m['token_id'] or m['name']} ({m['home_unit_id']})" for m in team["members"]
        )
        held = sum(1 for n in nominations if n.team_id == team["id"])
        table.add_row(team["id"], team["name"], team["leader"], members, str(held))
    console.print(table)
    unassigned = sum(1 for n in nominations if n.team_id is None)
    console.print(
        f"score normalisation / 得分标准化: {found.score_normalisation}; "
        f"unassigned / 未分配: {unassigned}"
    )


@teams_cli.command("form")
def teams_form(
    campaign: str,
    name: Annotated[str, typer.Option(help="the team's name")],
    leader: Annotated[str, typer.Option(help="the leader's token id (a member)")],
    member: Annotated[list[str], typer.Option(help="TOKEN, TOKEN@unit or NAME@unit; repeat")],
    team_id: Annotated[str | None, typer.Option(help="a short slug (team-<n> if absent)")] = None,
    reason: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Form a team (the leader is added as a member if not named)."""
    with services_for_cli() as services:
        app = services.app
        members = [parse_member(m, token_checker(app)) for m in member]
        if not any(m.get("token_id") == leader for m in members):
            members.insert(0, {"token_id": leader})
        result = app.execute(
            FormTeam(
                campaign_id=campaign,
                name=name,
                leader=leader,
                members=members,
                team_id=team_id,
                reason=reason,
            ),
            OPERATOR,
        )
    console.print_json(json.dumps(public_team(result), ensure_ascii=False))


@teams_cli.command("assign")
def teams_assign(
    campaign: str,
    nominations: Annotated[list[str] | None, typer.Argument(help="nomination ids (by hand)")] = None,
    auto: Annotated[bool, typer.Option("--auto", help="assign automatically")] = False,
    team: Annotated[str | None, typer.Option(help="the team (by hand)")] = None,
    category: Annotated[str | None, typer.Option(help="only this category (--auto)")] = None,
    reason: Annotated[str, typer.Option(help="why (required to move from another team)")] = "",
) -> None:
    """Assign nominations to a team by hand, or --auto: balanced, never to a recused team."""
    if auto == bool(team or nominations):
        console.print("give --auto, or --team with nomination ids / 请指定 --auto 或 --team 与申报编号")
        raise typer.Exit(2)
    with services_for_cli() as services:
        if auto:
            command: Any = AutoAssign(campaign_id=campaign, category=category, reason=reason)
        else:
            command = AssignToTeam(
                campaign_id=campaign,
                team_id=str(team),
                nomination_ids=list(nominations or []),
                reason=reason,
            )
        result = services.app.execute(command, OPERATOR)
    assigned = result["assigned"]
    table = Table("nomination", "team", "note")
    for a in assigned:
        note = ", ".join(f"{r['member']}: {r['rule']}" for r in a.get("recused", []))
        table.add_row(a["id"], a["team_id"], note)
    for u in result.get("unassigned", []):
        rules = "; ".join(f"{f['team_id']}: {f['rule']}" for f in u["failures"])
        table.add_row(u["id"], "—", f"not assigned / 未分配 ({rules})")
    console.print(table)
    if "load" in result:
        console.print(f"load / 各组数量: {result['load']}")


@teams_cli.command("normalise")
def teams_normalise(
    campaign: str,
    method: Annotated[str, typer.Argument(help="none | team_z")],
    reason: Annotated[str, typer.Option(help="why")] = "",
) -> None:
    """Choose how the ranking compares the teams' scores."""
    with services_for_cli() as services:
        result = services.app.execute(
            SetScoreNormalisation(campaign_id=campaign, method=method, reason=reason), OPERATOR
        )
    console.print(f"score normalisation / 得分标准化: {result['score_normalisation']}")


@teams_cli.command("change")
def teams_change(
    campaign: str,
    team: Annotated[str, typer.Argument(help="the team's id")],
    reason: Annotated[str, typer.Option(help="why (required)")],
    add: Annotated[list[str] | None, typer.Option(help="TOKEN, TOKEN@unit or NAME@unit")] = None,
    remove: Annotated[
        list[str] | None, typer.Option(help="a member key: token id or person:NAME@unit")
    ] = None,
    leader: Annotated[str | None, typer.Option(help="the new leader's token id")] = None,
    name: Annotated[str | None, typer.Option(help="the team's new name")] = None,
) -> None:
    """Add or remove members, change the leader or the name (recorded with the reason)."""
    with services_for_cli() as services:
        app = services.app
        result = app.execute(
            ChangeTeam(
                campaign_id=campaign,
                team_id=team,
                reason=reason,
                add=[parse_member(m, token_checker(app)) for m in add or []],
                remove=list(remove or []),
                leader=leader,
                name=name,
            ),
            OPERATOR,
        )
    console.print_json(json.dumps(public_team(result), ensure_ascii=False))
    if not result.get("changed"):
        console.print("nothing changed / 无变化")


@teams_cli.command("disband")
def teams_disband(
    campaign: str,
    team: Annotated[str, typer.Argument(help="the team's id")],
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """Disband a team (refused while an open nomination is assigned to it)."""
    with services_for_cli() as services:
        result = services.app.execute(
            DisbandTeam(campaign_id=campaign, team_id=team, reason=reason), OPERATOR
        )
    console.print(f"disbanded / 已撤销: {result['disbanded']}")


@teams_cli.command("conflict")
def teams_conflict(
    nomination: Annotated[str, typer.Argument(help="the nomination's id")],
    member: Annotated[str, typer.Option(help="the member's key: token id or person:NAME@unit")],
    reason: Annotated[str, typer.Option(help="why (required)")],
) -> None:
    """Record a member's declared conflict of interest (recused from the nomination)."""
    with services_for_cli() as services:
        result = services.app.execute(
            DeclareConflict(nomination_id=nomination, member=member, reason=reason), OPERATOR
        )
    state = "recorded / 已记录" if result["recorded"] else "already declared / 已声明过"
    console.print(f"{result['member']} ({result['team_id']}): {state}")
