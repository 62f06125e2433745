"""The corrections and appeals pages (issue 23, items 3-4): the reviewer returns a declaration
through its form and the declarer amends it through its own; a refusal shows the rule next to
its field; an appeal lodged and decided through the pages; the campaign page reopens a phase
for a unit and cancels, the dashboard saying so."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import httpx

from domain.commands import IssueToken, PreReview
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import Server, serve_in_process
from tests.builders.tree import CITY, TOWNSHIP, UNIT_TREE
from tests.builders.world import World

WHEN = FIVE_GOOD_2022


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden(html: str, testid: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*data-testid="{testid}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {testid}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def send(client: httpx.Client, page: str, testid: str, action: str, **data: str) -> httpx.Response:
    shown = client.get(page)
    assert shown.status_code == 200, shown.text
    return client.post(
        action, data={**hidden(shown.text, testid), **data}, headers={"Origin": own_origin(client)}
    )


def test_corrections_through_the_pages(tmp_path: Path) -> None:
    clock = Clock(WHEN.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        returned = world.declare(campaign, name="退回的站点")
        rejected = world.declare(campaign, name="不予通过的站点")
        tokens = {
            role: app.execute(IssueToken(role=role, unit_id=unit, label=role), ADMIN)["token"]
            for role, unit in (("reviewer", CITY), ("declarer", TOWNSHIP), ("admin", CITY))
        }
        clock.now = WHEN.pre_review
        app.execute(
            PreReview(nomination_id=rejected, decision="reject", reasons=["材料不实"], checks={}),
            CITY_REVIEWER,
            at=WHEN.pre_review,
        )
        page = f"/ui/nominations/{returned}/corrections"
        with signed_in(server, tokens["reviewer"]) as reviewer:
            assert "corrections-link" in reviewer.get(f"/ui/review/nominations/{returned}").text
            refused = send(reviewer, page, "return-form", f"{page}/return", reasons="")
            assert refused.status_code == 422
            assert "退回须说明理由" in html_text.unescape(refused.text)
            done = send(
                reviewer,
                page,
                "return-form",
                f"{page}/return",
                reasons="缺签到表\n缺照片",
                fields="material",
            )
            assert done.status_code == 303, done.text
        assert world.state(returned) == "returned"
        assert app.get_nomination(returned).returns[0]["reasons"] == ["缺签到表", "缺照片"]

        appeal_page = f"/ui/nominations/{rejected}/corrections"
        with signed_in(server, tokens["declarer"]) as declarer:
            shown = declarer.get(page).text
            assert 'data-testid="amend-form"' in shown and 'data-testid="return-form"' not in shown
            material = app.get_nomination(returned).material + "（已补签到表和照片）"
            done = send(declarer, page, "amend-form", f"{page}/amend", material=material)
            assert done.status_code == 303, done.text
            done = send(
                declarer, appeal_page, "appeal-form", f"{appeal_page}/appeal", grounds="材料属实"
            )
            assert done.status_code == 303, done.text
        assert world.state(returned) == "declared"
        assert app.get_nomination(returned).material == material

        with signed_in(server, tokens["reviewer"]) as reviewer:
            done = send(
                reviewer,
                appeal_page,
                "decide-form",
                f"{appeal_page}/decide",
                outcome="refused",
                findings="经核实材料不实",
            )
            assert done.status_code == 303, done.text
            shown = reviewer.get(appeal_page).text
            assert 'data-testid="appeal-outcome">申诉不成立' in shown

            # the campaign page: a phase reopened for one township
            clock.now = WHEN.inspection
            cpage = f"/ui/campaigns/{campaign.id}/corrections"
            assert 'data-testid="cancel-form"' not in reviewer.get(cpage).text  # admins cancel
            until = (WHEN.inspection + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
            done = send(
                reviewer,
                cpage,
                "reopen-form",
                f"{cpage}/reopen",
                phase="declaration",
                scope="unit",
                target=TOWNSHIP,
                until=until,
                reason="因汛情补报",
            )
            assert done.status_code == 303, done.text
            assert 'data-reopening="1"' in reviewer.get(cpage).text
        late = world.declare(campaign, name="补报的站点", at=WHEN.inspection + timedelta(hours=1))
        assert world.state(late) == "declared"

        with signed_in(server, tokens["admin"]) as admin:
            cpage = f"/ui/campaigns/{campaign.id}/corrections"
            done = send(admin, cpage, "cancel-form", f"{cpage}/cancel", reason="上级通知停止")
            assert done.status_code == 303, done.text
            board = admin.get(f"/ui/campaigns/{campaign.id}").text
            assert 'data-testid="cancelled"' in board and "上级通知停止" in board
        assert {world.state(n) for n in (returned, late)} == {"cancelled"}


def test_a_nominee_name_corrected_through_the_page(tmp_path: Path) -> None:
    clock = Clock(WHEN.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        nid = world.inspected(campaign, "qianshuang-cun", 90, name="前双村远教站")
        tokens = {
            role: app.execute(IssueToken(role=role, unit_id=unit, label=role), ADMIN)["token"]
            for role, unit in (("reviewer", CITY), ("declarer", TOWNSHIP))
        }
        page = f"/ui/nominations/{nid}/corrections"
        with signed_in(server, tokens["reviewer"]) as reviewer:
            assert 'data-testid="name-form"' not in reviewer.get(page).text  # not yet commended
            clock.now = WHEN.commendation
            world.commend(campaign)
            refused = send(reviewer, page, "name-form", f"{page}/name", name="前双村远教站点", reason="")
            assert refused.status_code == 422
            assert "更正名称须说明理由" in html_text.unescape(refused.text)
            done = send(
                reviewer, page, "name-form", f"{page}/name", name="前双村远教站点", reason="少一字"
            )
            assert done.status_code == 303, done.text
            shown = reviewer.get(page).text
            assert 'data-testid="name-correction"' in shown and "前双村远教站 →" in shown
        assert app.get_nomination(nid).held_title().holder_name == "前双村远教站点"
        with signed_in(server, tokens["declarer"]) as declarer:
            assert 'data-testid="name-form"' not in declarer.get(page).text
