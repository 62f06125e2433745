"""The teams page (考核验收组, issue 22) as a browser meets it, in process: the organiser's
reviewer forms a team with a token member, a member from another unit and a named person,
assigns automatically (no team: a member is recused) and by hand (the recused member shown
beside the nomination), changes the team with a reason, a refused form comes back naming the
field, and chooses the normalisation; the inspector's queue then shows only its team's
nominations."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from domain.actors import Actor
from domain.commands import AssignToTeam, FormTeam, IssueToken
from domain.vocabulary import Role
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import category
from tests.builders.http import Server, serve_in_process
from tests.builders.tree import CITY, COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import World

SITE = category("five-good-sites", "five_good_site")


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden(html: str, testid: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*data-testid="{testid}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {testid}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def post(client: httpx.Client, path: str, data: dict[str, object]) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client)})


def test_the_teams_page_forms_assigns_changes_and_filters_the_queue(tmp_path: Path) -> None:
    clock = Clock(FIVE_GOOD_2022.pre_review)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign(quotas={"five_good_site": None})
        issued = {
            name: app.execute(IssueToken(role=role, unit_id=CITY, label=name), ADMIN)
            for name, role in (("reviewer", "reviewer"), ("a", "inspector"), ("b", "inspector"))
        }
        mine = world.declare(campaign, VILLAGE)
        world.admit(campaign, mine)
        url = f"/ui/organise/campaigns/{campaign.id}/teams"
        with signed_in(server, issued["reviewer"]["token"]) as browser:
            page = browser.get(url)
            assert page.status_code == 200, page.text
            assert 'data-testid="no-teams"' in page.text

            a, b = issued["a"]["id"], issued["b"]["id"]
            members = f"{a}\n{b}@{COUNTY}\n王五@{OTHER_TOWNSHIP}"
            data = {"name": "第一考核组", "team_id": "one", "leader": a, "members": members}
            formed = post(browser, url, {**hidden(page.text, "form-team"), **data})
            assert formed.status_code == 303, formed.text
            html = browser.get(url).text
            assert "考核组已组建" in html
            team = re.search(r'data-team="one".*?</fieldset>', html, re.DOTALL)
            assert team and "王五" in team.group(0) and "宜君县" in team.group(0)

            # a second team without a name: refused, the field named, nothing recorded
            refused = post(
                browser, url, {**hidden(html, "form-team"), "name": "", "leader": a, "members": a}
            )
            assert refused.status_code == 422
            assert 'data-field="name"' in refused.text and 'data-field="members"' in refused.text

            auto = post(browser, f"{url}-auto", hidden(html, "auto-assign"))
            assert auto.status_code == 303, auto.text
            html = browser.get(url).text
            # b (宜君县) is recused from 前双村's site: no team without a recused member
            assert "已分配 0 个，1 个无组可分" in html
            # by hand it may go to the team all the same (its other members inspect)
            data = {"nomination_id": mine, "team_id": "one", "reason": ""}
            assigned = post(browser, f"{url}-assign", {**hidden(html, "assign"), **data})
            assert assigned.status_code == 303, assigned.text
            html = browser.get(url).text
            row = re.search(rf'<tr data-nomination="{mine}" data-team="one">.*?</tr>', html, re.DOTALL)
            assert row and 'data-rule="recusal_ancestor"' in row.group(0)

            change = post(
                browser,
                f"{url}/one/change",
                {**hidden(html, "change-team"), "remove": f"{b}", "reason": "回避较多 / often recused"},
            )
            assert change.status_code == 303, change.text
            assert app.get_campaign(campaign.id).teams[0]["members"][1]["name"] == "王五"

            chosen = post(
                browser,
                f"{url}-normalisation",
                {**hidden(browser.get(url).text, "set-normalisation"), "method": "team_z"},
            )
            assert chosen.status_code == 303, chosen.text
            assert app.get_campaign(campaign.id).score_normalisation == "team_z"
            assert "按考核组标准化" in browser.get(url).text

        # the inspector's queue: only its team's nominations once the campaign has teams
        other = world.declare(campaign, "houshuang-cun")
        world.admit(campaign, other)
        clock.now = FIVE_GOOD_2022.inspection
        with signed_in(server, issued["a"]["token"]) as inspector:
            queue = inspector.get("/ui/inspect").text
            assert mine in queue and other not in queue  # the other is assigned to no team
        with signed_in(server, issued["b"]["token"]) as removed:
            assert mine not in removed.get("/ui/inspect").text
        # the ranking page says it ranks by the normalised score, the raw one beside it
        inspector = Actor(issued["a"]["id"], Role.INSPECTOR, CITY)
        world.inspect(campaign, mine, 88, actor=inspector)
        with signed_in(server, issued["reviewer"]["token"]) as browser:
            ranking = browser.get(f"/ui/organise/campaigns/{campaign.id}").text
            assert 'data-ranked-by="team_z"' in ranking and "原始得分 88.00" in ranking
            assert f'href="{url}"' in ranking  # the ranking links the teams page


def test_the_teams_page_records_conflicts_renames_disbands_and_a_leader_records_a_named_member(
    tmp_path: Path,
) -> None:
    """The forms added after review: a member's declared conflict (recorded, the member then
    shown recused), a team renamed, a team that holds an open nomination not disbanded (409)
    and an empty one disbanded; and on the inspection page the leader picks a named member
    (the ``member`` select) whose inspection it records."""
    clock = Clock(FIVE_GOOD_2022.pre_review)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign(quotas={"five_good_site": None})
        issued = {
            name: app.execute(IssueToken(role=role, unit_id=CITY, label=name), ADMIN)
            for name, role in (("reviewer", "reviewer"), ("lead", "inspector"), ("b", "inspector"))
        }
        lead, b = issued["lead"]["id"], issued["b"]["id"]
        wang, zhao = f"person:王五@{OTHER_TOWNSHIP}", f"person:赵六@{OTHER_COUNTY}"
        reviewer = Actor(issued["reviewer"]["id"], Role.REVIEWER, CITY)
        for team_id, leader, members in (
            (
                "one",
                lead,
                [
                    {"token_id": lead},
                    {"name": "王五", "home_unit_id": OTHER_TOWNSHIP},
                    {"name": "赵六", "home_unit_id": OTHER_COUNTY},
                ],
            ),
            ("two", b, [{"token_id": b}]),
        ):
            app.execute(
                FormTeam(
                    campaign_id=campaign.id,
                    team_id=team_id,
                    name=f"考核组 {team_id}",
                    leader=leader,
                    members=members,
                ),
                reviewer,
            )
        mine = world.declare(campaign, VILLAGE)
        world.admit(campaign, mine)
        app.execute(
            AssignToTeam(campaign_id=campaign.id, team_id="one", nomination_ids=[mine]), reviewer
        )
        url = f"/ui/organise/campaigns/{campaign.id}/teams"
        with signed_in(server, issued["reviewer"]["token"]) as browser:
            html = browser.get(url).text
            assert f'<option value="{wang}">' in html  # the conflict form's member select
            data = {"nomination_id": mine, "member": wang, "reason": "亲属在该村 / a relative"}
            declared = post(browser, f"{url}-conflict", {**hidden(html, "declare-conflict"), **data})
            assert declared.status_code == 303, declared.text
            assert [c["member"] for c in app.get_nomination(mine).conflicts] == [wang]
            html = browser.get(url).text
            row = re.search(rf'<tr data-nomination="{mine}" data-team="one">.*?</tr>', html, re.DOTALL)
            assert row and 'data-rule="recusal_declared_conflict"' in row.group(0)

            renamed = post(
                browser,
                f"{url}/one/change",
                {**hidden(html, "change-team"), "name": "第一考核组", "reason": "更名 / renamed"},
            )
            assert renamed.status_code == 303, renamed.text
            assert app.get_campaign(campaign.id).teams[0]["name"] == "第一考核组"

            html = browser.get(url).text
            held = post(
                browser, f"{url}/one/disband", {**hidden(html, "disband-team"), "reason": "撤销"}
            )
            assert held.status_code == 409, held.text
            gone = post(
                browser, f"{url}/two/disband", {**hidden(html, "disband-team"), "reason": "不再需要"}
            )
            assert gone.status_code == 303, gone.text
            assert [t["id"] for t in app.get_campaign(campaign.id).teams] == ["one"]

        clock.now = FIVE_GOOD_2022.inspection
        with signed_in(server, issued["lead"]["token"]) as leader_page:
            page = leader_page.get(f"/ui/inspect/nominations/{mine}").text
            assert 'data-testid="inspect-member"' in page and f'<option value="{zhao}">' in page
            answers = {
                **{f"scores.{c.code}": "85" for c in SITE.criteria},
                **{f"checklist.{c.code}.{i.code}": "met" for c in SITE.checklists for i in c.items},
                "methods": ["document_review", "site_visit"],
                "verdict": "pass",
                "member": zhao,
            }
            done = post(
                leader_page,
                f"/ui/inspect/nominations/{mine}/inspection",
                {**hidden(page, "inspection-form"), **answers},
            )
            assert done.status_code == 303, done.text
            nomination = app.get_nomination(mine)
            assert [a["member_name"] for a in nomination.attributions] == ["赵六"]
        with signed_in(server, issued["b"]["token"]) as other:  # not a leader of this team
            page = other.get(f"/ui/inspect/nominations/{mine}").text
            assert 'data-testid="inspect-member"' not in page
