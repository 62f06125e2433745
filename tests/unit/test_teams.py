"""Inspection teams (考核验收组), assignment and recusal from the tree (issue 22, items 1-2),
on both event stores (SQLite, PostgreSQL).

The tree (tests/builders/tree.py)::

    shifan-shi (city, the organiser) > yijun-xian (county)
        > peng-zhen (township, the declaring unit) > qianshuang-cun (village, the nominee)
        > qipan-zhen (a sibling township) > mazhuang-cun
    shifan-shi > liyang-xian > baishi-zhen > shanxia-cun

Boundaries: a member from the nominee's own unit or the declaring unit is recused
(recusal_own_unit); from the county above both, below the organiser (recusal_ancestor); from
the organiser itself, or a unit above the organiser, or a sibling township, not; a declared
conflict recuses (recusal_declared_conflict)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from domain.actors import Actor
from domain.commands import (
    AssignToTeam,
    AutoAssign,
    ChangeTeam,
    DeclareConflict,
    DisbandTeam,
    FormTeam,
    InspectForMember,
    IssueToken,
    PreReview,
)
from domain.errors import (
    AssignmentRefusedError,
    RoleNotAllowedError,
    TeamInspectionRefusedError,
    TeamInvalidError,
    TeamRefusedError,
)
from domain.handlers.team_checks import team_recusals
from domain.rules.inspection import all_met
from domain.vocabulary import PreReviewDecision, Role
from tests.builders.actors import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_DECLARER,
    COUNTY_REVIEWER,
    declarer_of,
)
from tests.builders.backends import BACKENDS
from tests.builders.forms import ALL_METHODS, uniform_scores
from tests.builders.services import running_services
from tests.builders.tree import (
    AGENCY,
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP,
    OTHER_TOWNSHIP_VILLAGE,
    PENG_ZHEN_VILLAGES,
    TOWNSHIP,
    UNIT_TREE,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World

pytestmark = BACKENDS


@dataclass
class Teams:
    world: World
    campaign: CampaignRef
    tokens: dict[str, Actor] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.world.app

    def inspector(self, name: str, unit: str = CITY) -> Actor:
        """An inspector token issued at ``unit`` (the organiser's, unless said otherwise)."""
        issued = self.app.execute(IssueToken(role="inspector", unit_id=unit, label=name), ADMIN)
        self.tokens[name] = Actor(issued["id"], Role.INSPECTOR, unit)
        return self.tokens[name]

    def form(
        self, name: str, leader: Actor, members: list[Mapping[str, Any]], team_id: str | None = None
    ) -> dict[str, Any]:
        command = FormTeam(
            campaign_id=self.campaign.id,
            name=name,
            leader=leader.token_id,
            members=members,
            team_id=team_id,
            reason="考核验收分组 / inspection teams",
        )
        return self.app.execute(command, CITY_REVIEWER, at=self.campaign.when.pre_review)

    def admitted(self, unit: str = VILLAGE, declaring: str = TOWNSHIP, name: str | None = None) -> str:
        nid = self.world.declare(self.campaign, unit, declaring_unit=declaring, name=name)
        self.world.admit(self.campaign, nid)
        return nid

    def assign(self, team: str, *nids: str, reason: str = "") -> dict[str, Any]:
        command = AssignToTeam(
            campaign_id=self.campaign.id, team_id=team, nomination_ids=list(nids), reason=reason
        )
        return self.app.execute(command, CITY_REVIEWER, at=self.campaign.when.pre_review)

    def inspect(self, nid: str, actor: Actor, score: float = 90, member: str | None = None) -> Any:
        cat = self.campaign.category("five_good_site")
        fields: dict[str, Any] = {
            "nomination_id": nid,
            "methods": list(ALL_METHODS),
            "scores": uniform_scores(cat, score),
            "verdict": "pass" if score >= cat.pass_mark else "fail",
            "checklist": all_met(cat, self.app.get_nomination(nid).nominee.level),
        }
        if member is not None:
            return self.app.execute(
                InspectForMember(member=member, **fields), actor, at=self.campaign.when.inspection
            )
        return self.world.inspect(self.campaign, nid, score, actor=actor)


@contextmanager
def teams_world(database_url: str, organiser: str = CITY) -> Iterator[Teams]:
    with running_services(database_url) as services:
        world = World(services.app)
        world.register(UNIT_TREE)
        yield Teams(world, world.campaign(organiser=organiser, quotas={"five_good_site": None}))


def refused_rule(call: Any) -> str:
    with pytest.raises(TeamInspectionRefusedError) as refused:
        call()
    return refused.value.failures[0].rule


# --- recusal at its boundaries -----------------------------------------------------------------


def test_recusal_from_the_tree_at_its_boundaries(database_url: str) -> None:
    with teams_world(database_url) as t:
        own = t.inspector("own")  # city token, home: the nominee's village
        declaring = t.inspector("declaring")  # home: the declaring township
        ancestor = t.inspector("ancestor")  # home: the county above both, below the organiser
        organiser = t.inspector("organiser")  # home: the organiser itself (the token's unit)
        sibling = t.inspector("sibling")  # home: the sibling township
        later = t.inspector("later")  # home: the other county; declares a conflict below
        t.form(
            "第一考核组",
            organiser,
            [
                {"token_id": own.token_id, "home_unit_id": VILLAGE},
                {"token_id": declaring.token_id, "home_unit_id": TOWNSHIP},
                {"token_id": ancestor.token_id, "home_unit_id": COUNTY},
                {"token_id": organiser.token_id},
                {"token_id": sibling.token_id, "home_unit_id": OTHER_TOWNSHIP},
                {"token_id": later.token_id, "home_unit_id": OTHER_COUNTY},
            ],
            team_id="t1",
        )
        team = t.app.get_campaign(t.campaign.id).teams[0]
        assert [m["home_unit_id"] for m in team["members"]][3] == CITY  # defaults to the token's
        nid = t.admitted()
        t.assign("t1", nid)

        assert refused_rule(lambda: t.inspect(nid, own)) == "recusal_own_unit"
        assert refused_rule(lambda: t.inspect(nid, declaring)) == "recusal_own_unit"
        assert refused_rule(lambda: t.inspect(nid, ancestor)) == "recusal_ancestor"
        t.inspect(nid, sibling, 88)  # a sibling township is no reason
        t.inspect(nid, organiser, 92)  # nor the organiser itself
        assert len(t.app.get_nomination(nid).inspections) == 2

        # a conflict is declared before inspecting: the sibling has inspected (refused, the
        # score stands); a member who has not declares one, and is recused, reason recorded
        with pytest.raises(TeamRefusedError) as too_late:
            t.app.execute(
                DeclareConflict(nomination_id=nid, reason="曾在该村驻村 / stationed there"),
                sibling,
                at=t.campaign.when.inspection,
            )
        assert too_late.value.failures[0].rule == "conflict_after_inspection"
        t.app.execute(
            DeclareConflict(nomination_id=nid, reason="曾在该村驻村 / stationed in the village"),
            later,
            at=t.campaign.when.inspection,
        )
        assert refused_rule(lambda: t.inspect(nid, later)) == "recusal_declared_conflict"
        nomination = t.app.get_nomination(nid)
        assert [c["member"] for c in nomination.conflicts] == [later.token_id]
        assert [a["member"] for a in nomination.attributions] == [sibling.token_id, organiser.token_id]


def test_a_unit_above_the_organiser_or_the_organiser_itself_is_no_reason(database_url: str) -> None:
    """The county organises: a member from the city above it, or the county itself, inspects
    a village site of one of its townships; a member from that township does not."""
    with teams_world(database_url, organiser=COUNTY) as t:
        above = t.inspector("above", CITY)  # home: the city, above the organiser
        itself = t.inspector("itself", COUNTY)  # home: the organiser
        township = t.inspector("township", COUNTY)
        t.form(
            "县考核组",
            itself,
            [
                {"token_id": above.token_id},
                {"token_id": itself.token_id},
                {"token_id": township.token_id, "home_unit_id": TOWNSHIP},
            ],
        )
        nid = t.world.declare(t.campaign, VILLAGE)
        t.world.admit(t.campaign, nid, actor=COUNTY_REVIEWER)
        t.app.execute(
            AssignToTeam(campaign_id=t.campaign.id, team_id="team-1", nomination_ids=[nid]),
            COUNTY_REVIEWER,
            at=t.campaign.when.pre_review,
        )
        t.inspect(nid, above, 90)
        t.inspect(nid, itself, 91)
        assert refused_rule(lambda: t.inspect(nid, township)) == "recusal_own_unit"


# --- only the assigned team inspects -----------------------------------------------------------


def test_only_the_assigned_teams_members_inspect(database_url: str) -> None:
    with teams_world(database_url) as t:
        a, b = t.inspector("a"), t.inspector("b")
        t.form("甲组", a, [{"token_id": a.token_id}], team_id="jia")
        t.form("乙组", b, [{"token_id": b.token_id}], team_id="yi")
        nid = t.admitted()
        assert refused_rule(lambda: t.inspect(nid, a)) == "team_assignment_required"
        t.assign("jia", nid)
        assert refused_rule(lambda: t.inspect(nid, b)) == "inspector_not_in_assigned_team"
        assert refused_rule(lambda: t.inspect(nid, CITY_INSPECTOR)) == "inspector_not_in_assigned_team"
        t.inspect(nid, a)
        assert t.world.state(nid) == "inspected"


def test_a_leader_records_a_named_members_inspection(database_url: str) -> None:
    with teams_world(database_url) as t:
        leader = t.inspector("leader")
        t.form(
            "专家组",
            leader,
            [
                {"token_id": leader.token_id},
                {"name": "王五", "home_unit_id": OTHER_TOWNSHIP},
                {"name": "赵六", "home_unit_id": VILLAGE},
            ],
        )
        nid = t.admitted()
        t.assign("team-1", nid)
        t.inspect(nid, leader, 86, member=f"person:王五@{OTHER_TOWNSHIP}")
        assert refused_rule(lambda: t.inspect(nid, leader, member=f"person:赵六@{VILLAGE}")) == (
            "recusal_own_unit"
        )
        assert refused_rule(lambda: t.inspect(nid, leader, member="person:王五")) == (
            "member_not_in_assigned_team"
        )
        nomination = t.app.get_nomination(nid)
        assert nomination.attributions[0]["member_name"] == "王五"
        assert nomination.inspections[0].inspector.token_id == leader.token_id


# --- reassignment ------------------------------------------------------------------------------


def test_reassignment_needs_a_reason_and_stops_at_the_first_inspection(database_url: str) -> None:
    with teams_world(database_url) as t:
        a, b = t.inspector("a"), t.inspector("b")
        t.form("甲组", a, [{"token_id": a.token_id}], team_id="jia")
        t.form("乙组", b, [{"token_id": b.token_id}], team_id="yi")
        nid = t.admitted()
        t.assign("jia", nid)
        with pytest.raises(TeamInvalidError) as no_reason:
            t.assign("yi", nid)
        assert no_reason.value.failures[0].rule == "reassignment_reason_required"
        moved = t.assign("yi", nid, reason="甲组成员出差 / team jia away")
        assert moved["assigned"][0]["previous"] == "jia"
        t.inspect(nid, b)
        with pytest.raises(AssignmentRefusedError) as after:
            t.assign("jia", nid, reason="改回 / back")
        assert after.value.failures[0].rule == "reassignment_after_inspection"
        history = t.app.queries.history(nid)
        assigned = [e for e in history if e["type"] == "nomination.assigned_to_team"]
        assert [(e["data"]["team_id"], e["data"]["previous"]) for e in assigned] == [
            ("jia", None),
            ("yi", "jia"),
        ]
        assert assigned[1]["data"]["reason"] == "甲组成员出差 / team jia away"
        assert assigned[1]["actor"]["token_id"] == CITY_REVIEWER.token_id


# --- automatic assignment ----------------------------------------------------------------------


def test_auto_assignment_is_balanced_and_never_to_a_recused_team(database_url: str) -> None:
    """Team peng has a member from 彭镇, team qipan one from 棋盘镇. 彭镇's four sites can go
    only to qipan, 棋盘镇's two only to peng, 白石镇's two to either: the lighter team takes
    them, ending 4 and 4. A site on which qipan's member declared a conflict can go nowhere: it
    is reported with the reasons, not assigned."""
    with teams_world(database_url) as t:
        p, q = t.inspector("p"), t.inspector("q")
        t.form("彭组", p, [{"token_id": p.token_id, "home_unit_id": TOWNSHIP}], team_id="peng")
        t.form("棋组", q, [{"token_id": q.token_id, "home_unit_id": OTHER_TOWNSHIP}], team_id="qipan")
        peng = [t.admitted(v) for v in list(PENG_ZHEN_VILLAGES)[:4]]
        qipan = [
            t.admitted(OTHER_TOWNSHIP_VILLAGE, OTHER_TOWNSHIP, name=f"马庄村站点{i}") for i in (1, 2)
        ]
        baishi = [
            t.admitted(OTHER_COUNTY_VILLAGE, OTHER_COUNTY_TOWNSHIP, name=f"山下村站点{i}")
            for i in (1, 2)
        ]
        stuck = t.admitted(PENG_ZHEN_VILLAGES_LAST, TOWNSHIP)
        t.app.execute(
            DeclareConflict(nomination_id=stuck, reason="亲属任村干部 / a relative on the committee"),
            q,
            at=t.campaign.when.pre_review,
        )
        result = t.app.execute(
            AutoAssign(campaign_id=t.campaign.id), CITY_REVIEWER, at=t.campaign.when.pre_review
        )
        placed = {a["id"]: a["team_id"] for a in result["assigned"]}
        assert {placed[n] for n in peng} == {"qipan"}
        assert {placed[n] for n in qipan} == {"peng"}
        assert {placed[n] for n in baishi} == {"peng"}
        assert result["load"] == {"peng": 4, "qipan": 4}
        assert [u["id"] for u in result["unassigned"]] == [stuck]
        rules = {(f["team_id"], f["rule"]) for f in result["unassigned"][0]["failures"]}
        assert rules == {("peng", "recusal_own_unit"), ("qipan", "recusal_declared_conflict")}
        assert t.app.get_nomination(stuck).team_id is None
        # deterministic and idempotent: nothing left to place the second time
        again = t.app.execute(
            AutoAssign(campaign_id=t.campaign.id), CITY_REVIEWER, at=t.campaign.when.pre_review
        )
        assert again["assigned"] == [] and [u["id"] for u in again["unassigned"]] == [stuck]


PENG_ZHEN_VILLAGES_LAST = list(PENG_ZHEN_VILLAGES)[4]


# --- forming and changing teams ----------------------------------------------------------------


def test_team_rules_changes_and_disbanding(database_url: str) -> None:
    with teams_world(database_url) as t:
        a, b = t.inspector("a"), t.inspector("b")
        declarer = t.app.execute(
            IssueToken(role="declarer", unit_id=TOWNSHIP, label="not an inspector"), ADMIN
        )
        with pytest.raises(TeamInvalidError) as bad:
            t.form(
                "",
                b,
                [
                    {"token_id": a.token_id},
                    {"token_id": declarer["id"]},
                    {"token_id": "tok-nobody"},
                    {"name": "无单位"},
                ],
            )
        assert {f.rule for f in bad.value.failures} == {
            "team_name_required",
            "member_token_inspector",
            "member_token_known",
            "member_home_unit_required",
            "team_leader_member",
        }
        t.form("甲组", a, [{"token_id": a.token_id}])
        with pytest.raises(TeamInvalidError) as twice:
            t.form("乙组", b, [{"token_id": a.token_id}, {"token_id": b.token_id}])
        assert [f.rule for f in twice.value.failures] == ["member_in_one_team"]
        changed = t.app.execute(
            ChangeTeam(
                campaign_id=t.campaign.id,
                team_id="team-1",
                add=[{"token_id": b.token_id, "home_unit_id": OTHER_TOWNSHIP}],
                leader=b.token_id,
                name="甲组（调整）",
                reason="增补成员 / one more member",
            ),
            CITY_REVIEWER,
            at=t.campaign.when.pre_review,
        )
        assert changed["leader"] == b.token_id and len(changed["members"]) == 2
        nid = t.admitted()
        t.assign("team-1", nid)
        with pytest.raises(AssignmentRefusedError) as held:
            t.app.execute(
                DisbandTeam(campaign_id=t.campaign.id, team_id="team-1", reason="撤销 / disband"),
                CITY_REVIEWER,
                at=t.campaign.when.pre_review,
            )
        assert held.value.failures[0].rule == "team_has_assignments"
        # a declarer may not manage teams
        with pytest.raises(RoleNotAllowedError) as refused:
            t.app.execute(
                FormTeam(
                    campaign_id=t.campaign.id,
                    name="x",
                    leader=a.token_id,
                    members=[{"token_id": a.token_id}],
                ),
                declarer_of(TOWNSHIP),
                at=t.campaign.when.pre_review,
            )
        assert refused.value.details["action"] == "manage_teams"


def test_a_campaign_without_teams_inspects_as_before(database_url: str) -> None:
    with teams_world(database_url) as t:
        nid = t.admitted()
        t.inspect(nid, CITY_INSPECTOR)
        nomination = t.app.get_nomination(nid)
        assert nomination.team_id is None and nomination.attributions == ()


# --- review findings: named people, recused leaders and teams, conflicts, delegation -----------


def test_two_named_people_of_one_name_from_different_units_are_two_members(database_url: str) -> None:
    with teams_world(database_url) as t:
        leader = t.inspector("leader")
        team = t.form(
            "专家组",
            leader,
            [
                {"token_id": leader.token_id},
                {"name": "王五", "home_unit_id": OTHER_TOWNSHIP},
                {"name": "王五", "home_unit_id": OTHER_COUNTY},
            ],
        )
        keys = [m["key"] for m in team["members"]]
        assert keys[1:] == [f"person:王五@{OTHER_TOWNSHIP}", f"person:王五@{OTHER_COUNTY}"]


def test_a_recused_leader_does_not_record_a_named_members_inspection(database_url: str) -> None:
    """The leader's token records the named member's inspection: a leader from the declaring
    township is refused, naming the leader's rule, though 王五 of 棋盘镇 is free."""
    with teams_world(database_url) as t:
        leader = t.inspector("leader")
        t.form(
            "专家组",
            leader,
            [
                {"token_id": leader.token_id, "home_unit_id": TOWNSHIP},
                {"name": "王五", "home_unit_id": OTHER_TOWNSHIP},
            ],
        )
        nid = t.admitted()
        t.assign("team-1", nid)
        with pytest.raises(TeamInspectionRefusedError) as refused:
            t.inspect(nid, leader, 86, member=f"person:王五@{OTHER_TOWNSHIP}")
        assert [f.rule for f in refused.value.failures] == ["recusal_own_unit"]
        assert leader.token_id in refused.value.failures[0].message_en
        assert not t.app.get_nomination(nid).inspections


def test_a_hand_assignment_to_a_team_all_of_whose_members_are_recused_is_refused(
    database_url: str,
) -> None:
    with teams_world(database_url) as t:
        a, b = t.inspector("a"), t.inspector("b")
        t.form(
            "彭组",
            a,
            [
                {"token_id": a.token_id, "home_unit_id": TOWNSHIP},
                {"token_id": b.token_id, "home_unit_id": COUNTY},
            ],
            team_id="peng",
        )
        nid = t.admitted()
        other = t.admitted(OTHER_COUNTY_VILLAGE, OTHER_COUNTY_TOWNSHIP, name="山下村站点")
        with pytest.raises(AssignmentRefusedError) as refused:
            t.assign("peng", other, nid)
        assert [f.rule for f in refused.value.failures] == [
            "team_all_members_recused",
            "recusal_own_unit",
            "recusal_ancestor",
        ]
        # nothing written, not even the nomination before it that the team could take
        assert t.app.get_nomination(other).team_id is None
        assert t.app.get_nomination(nid).team_id is None


def test_a_conflict_is_declared_on_an_open_nomination_only(database_url: str) -> None:
    with teams_world(database_url) as t:
        a = t.inspector("a")
        t.form("甲组", a, [{"token_id": a.token_id}])
        nid = t.world.declare(t.campaign, VILLAGE)
        t.app.execute(
            PreReview(nomination_id=nid, decision=PreReviewDecision.REJECT, reasons=["材料不全"]),
            CITY_REVIEWER,
            at=t.campaign.when.pre_review,
        )
        with pytest.raises(TeamRefusedError) as refused:
            t.app.execute(
                DeclareConflict(nomination_id=nid, reason="亲属 / a relative"),
                a,
                at=t.campaign.when.pre_review,
            )
        assert refused.value.failures[0].rule == "conflict_nomination_open"
        assert t.app.get_nomination(nid).conflicts == ()


def test_a_delegated_level_recuses_below_the_delegate_not_below_the_organiser(
    database_url: str,
) -> None:
    """The city organises a 双强 campaign and delegates the agencies to 宜君县, the agencies'
    parent. For the agency's nomination the boundary is the county, not the city: a member
    from the county inspects (it is where the delegate's inspectors come from, as the
    organiser's are for the villages); a member from the agency itself is recused. With the
    organiser as the boundary the county member would be recused as an ancestor."""
    with running_services(database_url) as services:
        world = World(services.app)
        world.register(UNIT_TREE)
        campaign = world.campaign("double-strengthen", CITY, delegates={"agency": COUNTY})
        t = Teams(world, campaign)
        county = t.inspector("county", COUNTY)
        agency = t.inspector("agency", COUNTY)
        t.app.execute(
            FormTeam(
                campaign_id=campaign.id,
                name="机关考核组",
                leader=county.token_id,
                members=[
                    {"token_id": county.token_id},
                    {"token_id": agency.token_id, "home_unit_id": AGENCY},
                ],
                team_id="jiguan",
            ),
            COUNTY_REVIEWER,
            at=campaign.when.pre_review,
        )
        nid = world.declare(
            campaign,
            AGENCY,
            category="model_department",
            form={"demo_site_share": 40},
            declaring_unit=COUNTY,
            actor=COUNTY_DECLARER,
            name="宜君县农业局",
        )
        world.admit(campaign, nid, actor=COUNTY_REVIEWER)
        t.app.execute(
            AssignToTeam(campaign_id=campaign.id, team_id="jiguan", nomination_ids=[nid]),
            COUNTY_REVIEWER,
            at=campaign.when.pre_review,
        )
        found = t.app.get_campaign(campaign.id)
        recused = team_recusals(t.app.load, found, t.app.get_nomination(nid), found.teams[0])
        assert [(r.member, r.rule) for r in recused] == [(agency.token_id, "recusal_own_unit")]
        with pytest.raises(TeamInspectionRefusedError) as refused:
            world.inspect(campaign, nid, 85, category="model_department", actor=agency)
        assert refused.value.failures[0].rule == "recusal_own_unit"
        world.inspect(campaign, nid, 85, category="model_department", actor=county)
        assert world.state(nid) == "inspected"
