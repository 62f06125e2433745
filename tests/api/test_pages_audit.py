"""The auditor's pages (审计) as a browser meets them, in process: a nomination as it stood at
an earlier instant (typed in the campaign's time zone) with its timeline up to then, the
dashboard as of a date, the audit chain's verification and checkpoints for an auditor of the
root (refused to a declarer, and to an auditor of a unit, who exports its subtree instead)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from domain.commands import IssueToken
from domain.vocabulary import NominationState
from tests.api.page_session import login
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import Server, serve_in_process
from tests.builders.tree import CITY, NEIGHBOUR_CITY, NEIGHBOUR_TREE, TOWNSHIP
from tests.builders.world import CampaignRef, World


@dataclass
class Site:
    server: Server
    campaign: CampaignRef
    other_campaign: CampaignRef
    nomination_id: str
    tokens: dict[str, str]  # who -> secret


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A seed-000 campaign of 示范市 whose site went declared (17 Oct) -> admitted (22 Oct) ->
    inspected (1 Nov) -> commended (15 Nov); a campaign of a neighbouring city; tokens for an
    auditor of the root, an auditor of 示范市 and a township's declarer."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.city(townships=1, villages=2)
        world.register(NEIGHBOUR_TREE)
        campaign = world.campaign(quotas={"five_good_site": 1})
        other = world.campaign(organiser=NEIGHBOUR_CITY)
        nomination_id = world.inspected(campaign, "qianshuang-cun", 92)
        world.commend(campaign)
        tokens = {
            who: app.execute(IssueToken(role=role, unit_id=unit, label=who), ADMIN)["token"]
            for who, role, unit in (
                ("auditor", "auditor", None),
                ("city auditor", "auditor", CITY),
                ("declarer", "declarer", TOWNSHIP),
            )
        }
        clock.now = FIVE_GOOD_2022.after_commendation
        yield Site(server, campaign, other, nomination_id, tokens)


@contextmanager
def signed_in(site: Site, who: str) -> Iterator[httpx.Client]:
    with site.server.client(None) as client:
        assert login(client, site.tokens[who]).status_code == 303
        yield client


def event_types(html: str) -> list[str]:
    return re.findall(r'data-event-type="([^"]+)"', html)


def test_an_auditor_reads_a_nomination_as_it_stood_at_an_earlier_instant(site: Site) -> None:
    url = f"/ui/audit/nominations/{site.nomination_id}"
    with signed_in(site, "auditor") as browser:
        now = browser.get(url)
        assert now.status_code == 200
        assert re.search(r'data-testid="state" data-state="commended"', now.text)
        assert event_types(now.text)[-1] == "nomination.commended"

        # 25 Oct 2022, 10:00 Beijing time: admitted, not yet inspected.
        then = browser.get(url, params={"at": "2022-10-25T10:00"})
        assert then.status_code == 200
        html = then.text
        assert re.search(r'data-testid="state" data-state="admitted"', html)
        assert re.search(r'data-testid="state-now" data-state="commended"', html)
        assert event_types(html) == ["nomination.declared", "nomination.pre_reviewed"]
        assert 'data-instant="2022-10-25T10:00:00+08:00"' in html
        assert 'data-testid="later" data-count="2"' in html
        assert 'value="2022-10-25T10:00:00"' in html  # the picker shows the instant asked for
        assert "初审人" in html  # the actors, by role

        # Before it was declared; and a date that is no date, refused next to the field.
        before = browser.get(url, params={"at": "2022-10-01T08:00"})
        assert 'data-testid="missing"' in before.text and event_types(before.text) == []
        wrong = browser.get(url, params={"at": "25/10/2022"})
        assert wrong.status_code == 422
        assert 'id="f-at-error"' in wrong.text and "请输入日期和时间" in wrong.text
        assert re.search(r'<input id="f-at"[^>]*aria-invalid="true"', wrong.text)


def test_the_dashboard_as_of_a_date_opens_the_dashboard_page_at_that_instant(site: Site) -> None:
    with signed_in(site, "auditor") as browser:
        page = browser.get(f"/ui/audit/campaigns/{site.campaign.id}")
        assert page.status_code == 200
        assert f'href="/ui/audit/nominations/{site.nomination_id}"' in page.text
        moved = browser.get(
            f"/ui/audit/campaigns/{site.campaign.id}/dashboard", params={"at": "2022-10-25T10:00"}
        )
        assert moved.status_code == 303
        target = urlsplit(moved.headers["location"])
        assert target.path == f"/ui/campaigns/{site.campaign.id}"
        assert parse_qs(target.query) == {"as_of": ["2022-10-25T10:00:00+08:00"]}
        board = browser.get(moved.headers["location"])
        assert board.status_code == 200
        refused = browser.get(f"/ui/audit/campaigns/{site.campaign.id}/dashboard", params={"at": ""})
        assert refused.status_code == 422 and 'id="f-at-error"' in refused.text


def test_an_auditor_of_the_root_sees_the_chain_verified_and_its_checkpoints(site: Site) -> None:
    services = site.server.services
    services.views.checkpoint(ADMIN)
    with signed_in(site, "auditor") as browser:
        home = browser.get("/ui/audit").text
        assert 'hx-get="/ui/audit/chain"' in home and 'href="/ui/audit/export"' in home
        chain = browser.get("/ui/audit/chain")
        assert chain.status_code == 200
        assert re.search(r'data-testid="chain-status" data-ok="true"', chain.text)
        assert "完整：哈希链与存储的事件一致" in chain.text
        assert re.search(
            r'<table class="og-table" data-testid="checkpoints">.*?<tr data-position="\d+">',
            chain.text,
            re.DOTALL,
        )
        assert 'data-testid="key-id">ed25519:' in chain.text
        fragment = browser.get("/ui/audit/chain", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and 'data-testid="chain-status"' in fragment.text
        export = browser.get("/ui/audit/export")
        assert export.status_code == 200
        lines = [json.loads(line) for line in export.text.splitlines()]
        assert [r["position"] for r in lines] == list(range(1, len(lines) + 1))
        assert all("hash" in r and "prev_hash" in r for r in lines)


def test_the_audit_pages_are_refused_to_a_declarer(site: Site) -> None:
    with signed_in(site, "declarer") as browser:
        for path in (
            "/ui/audit",
            "/ui/audit/chain",
            "/ui/audit/export",
            f"/ui/audit/nominations/{site.nomination_id}",
        ):
            response = browser.get(path)
            assert response.status_code == 403, path
            assert 'data-code="role-not-allowed"' in response.text


def test_an_auditor_of_a_unit_reads_its_subtree_only(site: Site) -> None:
    with signed_in(site, "city auditor") as browser:
        home = browser.get("/ui/audit").text
        assert 'data-testid="chain-scoped"' in home
        assert f'data-campaign-id="{site.campaign.id}"' in home
        assert f'data-campaign-id="{site.other_campaign.id}"' not in home
        assert browser.get("/ui/audit/chain").status_code == 403
        assert browser.get(f"/ui/audit/campaigns/{site.other_campaign.id}").status_code == 403
        export = browser.get("/ui/audit/export")
        assert export.status_code == 200
        subjects = {json.loads(line)["subject"] for line in export.text.splitlines()}
        assert site.nomination_id in subjects and site.other_campaign.id not in subjects
        assert browser.get(f"/ui/audit/nominations/{site.nomination_id}").status_code == 200
        assert (
            NominationState.COMMENDED.zh
            in browser.get(f"/ui/audit/nominations/{site.nomination_id}").text
        )
