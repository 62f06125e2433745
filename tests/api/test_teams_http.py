"""Inspection teams over HTTP (issue 22, items 1-3), on both stores: the organiser's reviewer
forms two teams, assigns by hand and automatically; an inspector not in the assigned team is
refused (403, the rule named), a recused member too; a team member inspects; the leader
records a named member's inspection; a member declares a conflict; the nomination's team and
recusals read back; the ranking says which score ranked once the campaign normalises."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from domain.commands import IssueToken
from domain.rules.inspection import all_met
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import category, site_scores
from tests.builders.http import Server, problem, serve_in_process
from tests.builders.services import running_services
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import CampaignRef, World

SITE = category("five-good-sites", "five_good_site")


@dataclass
class Site:
    server: Server
    clock: Clock
    world: World
    campaign: CampaignRef
    tokens: dict[str, str]  # name -> secret
    ids: dict[str, str]  # name -> token id

    def client(self, name: str):
        return self.server.client(self.tokens[name])


@contextmanager
def campaign_with_tokens(database_url: str) -> Iterator[Site]:
    clock = Clock(FIVE_GOOD_2022.pre_review)
    with serve_in_process(database_url, clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign(quotas={"five_good_site": None})
        tokens, ids = {}, {}
        for name, role in (
            ("reviewer", "reviewer"),
            ("declarer", "declarer"),
            ("a", "inspector"),
            ("b", "inspector"),
            ("local", "inspector"),
            ("outsider", "inspector"),
        ):
            unit = TOWNSHIP if role == "declarer" else CITY
            issued = app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)
            tokens[name], ids[name] = issued["token"], issued["id"]
        yield Site(server, clock, world, campaign, tokens, ids)


def inspection(score: float = 90) -> dict:
    return {
        "methods": ["document_review", "site_visit"],
        "scores": site_scores(score),
        "verdict": "pass",
        "checklist": all_met(SITE),
    }


@BACKENDS
def test_teams_assignment_and_refusals_over_http(database_url: str) -> None:
    with campaign_with_tokens(database_url) as s:
        reviewer = s.client("reviewer")
        teams_url = f"/v1/campaigns/{s.campaign.id}/teams"
        first = reviewer.post(
            teams_url,
            json={
                "name": "第一考核组",
                "team_id": "one",
                "leader": s.ids["a"],
                "members": [
                    {"token_id": s.ids["a"]},
                    {"token_id": s.ids["local"], "home_unit_id": COUNTY},
                    {"name": "王五", "home_unit_id": OTHER_TOWNSHIP},
                ],
                "reason": "分组考核 / teams",
            },
        )
        assert first.status_code == 201, first.text
        assert first.json()["members"][1]["home_unit_id"] == COUNTY
        second = reviewer.post(
            teams_url,
            json={
                "name": "第二考核组",
                "team_id": "two",
                "leader": s.ids["b"],
                "members": [{"token_id": s.ids["b"]}],
            },
        )
        assert second.status_code == 201, second.text
        # a declarer may neither form nor read teams
        problem(s.client("declarer").get(teams_url), 403, "role-not-allowed")

        nid = s.world.declare(s.campaign, VILLAGE)
        s.world.admit(s.campaign, nid)
        other = s.world.declare(s.campaign, "houshuang-cun")
        s.world.admit(s.campaign, other)

        # hand assignment, then automatic for the rest (balanced: the other goes to "two")
        hand = reviewer.post(
            f"/v1/campaigns/{s.campaign.id}/team-assignments",
            json={"team_id": "one", "nomination_ids": [nid]},
        )
        assert hand.status_code == 200, hand.text
        recused = {r["member"]: r["rule"] for r in hand.json()["assigned"][0]["recused"]}
        assert recused == {s.ids["local"]: "recusal_ancestor"}
        auto = reviewer.post(f"/v1/campaigns/{s.campaign.id}/team-assignments:auto", json={})
        assert auto.status_code == 200, auto.text
        assert auto.json()["assigned"] == [
            {"id": other, "nominee": auto.json()["assigned"][0]["nominee"], "team_id": "two"}
        ]

        listed = reviewer.get(teams_url).json()
        assert [(t["id"], t["assigned"]) for t in listed["teams"]] == [("one", 1), ("two", 1)]

        s.clock.now = FIVE_GOOD_2022.inspection
        url = f"/v1/nominations/{nid}/inspections"
        # an inspector not in the assigned team: refused, the rule named
        refused = problem(
            s.client("outsider").post(url, json=inspection()), 403, "team-inspection-refused"
        )
        assert refused["failures"][0]["rule"] == "inspector_not_in_assigned_team"
        assert problem(s.client("b").post(url, json=inspection()), 403)["failures"][0]["rule"] == (
            "inspector_not_in_assigned_team"
        )
        # a member of the team recused by the tree (home: 宜君县, above 彭镇 and the village)
        local = problem(s.client("local").post(url, json=inspection()), 403, "team-inspection-refused")
        assert local["failures"][0]["rule"] == "recusal_ancestor"
        # a member inspects; the leader records the named member's
        done = s.client("a").post(url, json=inspection(92))
        assert done.status_code == 200, done.text
        named = s.client("a").post(
            f"/v1/nominations/{nid}/team-inspections",
            json={**inspection(88), "member": f"person:王五@{OTHER_TOWNSHIP}"},
        )
        assert named.status_code == 200, named.text

        # b declares a conflict on the other nomination, and is then refused there
        conflict = s.client("b").post(
            f"/v1/nominations/{other}/conflicts", json={"reason": "曾驻村帮扶 / stationed there"}
        )
        assert conflict.status_code == 201, conflict.text
        refused_b = problem(
            s.client("b").post(f"/v1/nominations/{other}/inspections", json=inspection()), 403
        )
        assert refused_b["failures"][0]["rule"] == "recusal_declared_conflict"

        team = reviewer.get(f"/v1/nominations/{nid}/team").json()
        assert team["team_id"] == "one"
        assert [a["member_name"] for a in team["attributions"]] == [s.ids["a"], "王五"]
        assert {r["rule"] for r in team["recused"]} == {"recusal_ancestor"}

        # reassignment after an inspection: 409, the rule named
        moved = reviewer.post(
            f"/v1/campaigns/{s.campaign.id}/team-assignments",
            json={"team_id": "two", "nomination_ids": [nid], "reason": "改派 / move"},
        )
        assert problem(moved, 409, "assignment-refused")["failures"][0]["rule"] == (
            "reassignment_after_inspection"
        )

        # the ranking says which score ranked
        ranking_url = f"/v1/campaigns/{s.campaign.id}/ranking?category=five_good_site"
        assert reviewer.get(ranking_url).json()["ranked_by"] == "raw"
        chosen = reviewer.put(
            f"/v1/campaigns/{s.campaign.id}/score-normalisation",
            json={"method": "team_z", "reason": "两组宽严不一 / teams differ"},
        )
        assert chosen.status_code == 200, chosen.text
        ranked = reviewer.get(ranking_url).json()
        assert ranked["ranked_by"] == "team_z"
        entry = ranked["entries"][0]
        assert entry["raw_score"] == 90 and entry["normalisation"] == "raw_too_few"
        bad = reviewer.put(
            f"/v1/campaigns/{s.campaign.id}/score-normalisation", json={"method": "zscore"}
        )
        assert bad.status_code == 422
        # once the commendation step opens the basis is frozen: 409, the rule named
        s.clock.now = FIVE_GOOD_2022.commendation
        frozen = reviewer.put(
            f"/v1/campaigns/{s.campaign.id}/score-normalisation",
            json={"method": "none", "reason": "改回 / back"},
        )
        assert problem(frozen, 409, "team-refused")["failures"][0]["rule"] == (
            "score_normalisation_frozen"
        )


def test_the_teams_cli(tmp_path: Path) -> None:
    """``laurel teams form | assign --auto | list | normalise`` over a store, as an operator."""
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    with running_services(url) as services:
        app = services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign(quotas={"five_good_site": None})
        leader = app.execute(IssueToken(role="inspector", unit_id=CITY, label="组长"), ADMIN)["id"]
        nid = world.declare(campaign, VILLAGE)
        world.admit(campaign, nid)
    formed = laurel(
        url,
        tmp_path,
        *("teams", "form", campaign.id, "--name", "第一考核组", "--leader", leader),
        *("--member", f"王五@{OTHER_TOWNSHIP}", "--team-id", "one"),
    )
    assert formed.returncode == 0, formed.stderr
    assert '"id": "one"' in formed.stdout and "王五" in formed.stdout
    auto = laurel(url, tmp_path, "teams", "assign", campaign.id, "--auto")
    assert auto.returncode == 0, auto.stderr
    assert nid in auto.stdout and "one" in auto.stdout
    listed = laurel(url, tmp_path, "teams", "list", campaign.id)
    assert listed.returncode == 0 and "第一考核组" in listed.stdout
    chosen = laurel(url, tmp_path, "teams", "normalise", campaign.id, "team_z")
    assert chosen.returncode == 0 and "team_z" in chosen.stdout
    refused = laurel(url, tmp_path, "teams", "normalise", campaign.id, "zscore")
    assert refused.returncode == 2 and "score_normalisation_known" in refused.stderr + refused.stdout
    person = f"person:王五@{OTHER_TOWNSHIP}"
    conflict = laurel(
        url, tmp_path, "teams", "conflict", nid, "--member", person, "--reason", "亲属在该村"
    )
    assert conflict.returncode == 0, conflict.stderr
    assert "recorded" in conflict.stdout
    changed = laurel(
        url,
        tmp_path,
        *("teams", "change", campaign.id, "one", "--reason", "回避 / recused"),
        *("--remove", person, "--name", "第一考核组（调整）"),
    )
    assert changed.returncode == 0, changed.stderr
    assert "第一考核组（调整）" in changed.stdout and "王五" not in changed.stdout
    held = laurel(url, tmp_path, "teams", "disband", campaign.id, "one", "--reason", "撤销")
    assert held.returncode == 2 and "team_has_assignments" in held.stderr + held.stdout
