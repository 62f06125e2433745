"""The organiser's pages (表彰) as a browser meets them, in process: the ranking says why two
equal scores are ordered as they are, commending within quota appends once however often the
form is sent, a chosen subset is held to the best-first rule with the skipped nominee named,
a title is revoked with its reason, and the commendation list, its XLSX and the titles'
re-inspection results are there to read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from domain.actors import Actor
from domain.commands import Inspect, IssueToken, Revoke
from domain.vocabulary import NominationState, Role
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import ALL_METHODS, SITE_CHECKLIST, site_scores
from tests.builders.http import Server, serve_in_process
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.builders.world import FIVE_GOOD_SITE, CampaignRef, World

SECOND_INSPECTOR = Actor("tok-shifan-inspector-2", Role.INSPECTOR, CITY)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Site:
    server: Server
    world: World
    campaign: CampaignRef
    ids: dict[str, str]  # nominee's village -> nomination id
    organiser: str  # the city reviewer's token
    declarer: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """Five sites of 示范市's seed-000 campaign (quota 2) inspected, two pairs on equal scores:
    后双村 (90 once) above 前双村 (95 and 85: mean 90, lowest 85); 杨柳村 declared before 石桥村,
    both on 80; 马庄村 on 70. The clock stands in the commendation phase."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.city(townships=2, villages=4)
        campaign = world.campaign(quotas={FIVE_GOOD_SITE: 2})
        when = campaign.when
        villages = {
            "qianshuang-cun": TOWNSHIP,
            "houshuang-cun": TOWNSHIP,
            "yangliu-cun": TOWNSHIP,
            "shiqiao-cun": TOWNSHIP,
            "mazhuang-cun": OTHER_TOWNSHIP,
        }
        ids = {}
        for i, (village, town) in enumerate(villages.items()):
            ids[village] = world.declare(
                campaign,
                village,
                declaring_unit=town,
                name=f"{world.name_zh(village)}远教站点",
                at=when.declaration + timedelta(hours=i),
            )
            world.admit(campaign, ids[village])
        scores = {"houshuang-cun": 90, "yangliu-cun": 80, "shiqiao-cun": 80, "mazhuang-cun": 70}
        for village, score in scores.items():
            world.inspect(campaign, ids[village], score)
        world.inspect(campaign, ids["qianshuang-cun"], 95)
        app.execute(
            Inspect(
                nomination_id=ids["qianshuang-cun"],
                methods=list(ALL_METHODS),
                scores=site_scores(85),
                checklist=SITE_CHECKLIST,
                verdict="pass",
            ),
            SECOND_INSPECTOR,
            at=when.inspection,
        )
        organiser = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="市委组织部"), ADMIN)
        declarer = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="彭镇"), ADMIN)
        clock.now = when.commendation
        yield Site(server, world, campaign, ids, organiser["token"], declarer["token"])


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def form_inputs(html: str, testid: str) -> dict[str, str]:
    """The hidden inputs of the page's form ``data-testid=testid``."""
    form = re.search(rf'<form [^>]*data-testid="{testid}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {testid}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def post(client: httpx.Client, path: str, data: dict[str, object]) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client)})


def row(html: str, nomination_id: str) -> str:
    found = re.search(rf'<tr data-nomination-id="{nomination_id}".*?</tr>', html, re.DOTALL)
    assert found, f"no row for {nomination_id}"
    return found.group(0)


def ranking_url(site: Site) -> str:
    return f"/ui/organise/campaigns/{site.campaign.id}?category={FIVE_GOOD_SITE}"


def commend_url(site: Site) -> str:
    return f"/ui/organise/campaigns/{site.campaign.id}/commend"


def commended(site: Site) -> list[str]:
    return list(
        site.server.services.app.get_campaign(site.campaign.id).commended.get(FIVE_GOOD_SITE, [])
    )


def test_the_ranking_shows_the_scores_and_says_why_equal_scores_are_ordered(site: Site) -> None:
    with signed_in(site.server, site.organiser) as browser:
        page = browser.get(ranking_url(site))
        assert page.status_code == 200
        html = page.text
        order = re.findall(r'<tr data-nomination-id="([^"]+)" data-rank="(\d+)"', html)
        ids = site.ids
        assert [nid for nid, _ in order] == [
            ids["houshuang-cun"],
            ids["qianshuang-cun"],
            ids["yangliu-cun"],
            ids["shiqiao-cun"],
            ids["mazhuang-cun"],
        ]
        steadier = row(html, ids["qianshuang-cun"])
        assert f'data-tie-rule="lowest_score" data-tie-with="{ids["houshuang-cun"]}"' in steadier
        assert "与第1名同分（90.00）：最低一次考核得分较低（85.00，对方 90.00）" in steadier
        later = row(html, ids["shiqiao-cun"])
        assert f'data-tie-rule="declared_at" data-tie-with="{ids["yangliu-cun"]}"' in later
        assert "申报较晚（2022-10-17 13:00，对方 2022-10-17 12:00）" in later
        assert "data-tie-rule" not in row(html, ids["mazhuang-cun"])  # no equal score above it
        assert "排序规则：考核得分从高到低" in html
        # Quota fill, and who "all within quota" would commend now.
        assert re.search(r'data-field="quota">2<', html) and re.search(
            r'data-field="remaining">2<', html
        )
        previewed = re.findall(r'<tr data-nomination-id="([^"]+)"[^>]*data-preview="true"', html)
        assert previewed == [ids["houshuang-cun"], ids["qianshuang-cun"]]
        # English: the same reasons in the reader's language.
        english = browser.get(ranking_url(site) + "&lang=en").text
        assert "lower lowest inspection score (85.00 against 90.00)" in row(
            english, ids["qianshuang-cun"]
        )


def test_commending_within_quota_appends_once_when_the_form_is_sent_twice(site: Site) -> None:
    app = site.server.services.app
    with signed_in(site.server, site.organiser) as browser:
        fields = form_inputs(browser.get(ranking_url(site)).text, "commend-form")
        assert fields["category"] == FIVE_GOOD_SITE and fields["version"]
        data = {**fields, "mode": "all"}
        first = post(browser, commend_url(site), data)
        events = app.recorder.max_notification_id()
        again = post(browser, commend_url(site), data)  # a double click, or a reload
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"] == ranking_url(site)
        assert app.recorder.max_notification_id() == events  # nothing appended the second time
        assert commended(site) == [site.ids["houshuang-cun"], site.ids["qianshuang-cun"]]
        landed = browser.get(first.headers["location"]).text
        assert "已表彰 2 个。" in landed
        assert re.search(r'data-field="commended">2<', landed)
        assert re.search(r'data-field="remaining">0<', landed)
        # A fresh form with the quota full commends nobody, and says so.
        fresh = form_inputs(landed, "commend-form")
        full = post(browser, commend_url(site), {**fresh, "mode": "all"})
        assert "没有可在名额内表彰的申报" in browser.get(full.headers["location"]).text
        assert len(commended(site)) == 2


def test_a_chosen_subset_is_commended_and_a_skipped_better_one_is_named(site: Site) -> None:
    ids = site.ids
    with signed_in(site.server, site.organiser) as browser:
        fields = form_inputs(browser.get(ranking_url(site)).text, "commend-form")
        skipping = post(
            browser,
            commend_url(site),
            {**fields, "mode": "chosen", "nomination_ids": [ids["qianshuang-cun"]]},
        )
        assert skipping.status_code == 422
        html = skipping.text
        assert "须按得分从高到低表彰" in html and "后双村远教站点（第1名）" in html  # named, not an id
        assert 'id="f-nomination_ids-error"' in html
        assert 'class="og-skipped"' in row(html, ids["houshuang-cun"])
        assert re.search(rf'value="{ids["qianshuang-cun"]}" checked', html)  # the choice kept
        assert commended(site) == []

        none_ticked = post(
            browser, commend_url(site), {**form_inputs(html, "commend-form"), "mode": "chosen"}
        )
        assert none_ticked.status_code == 422 and "请勾选要表彰的申报" in none_ticked.text

        top = form_inputs(none_ticked.text, "commend-form")
        chosen = post(
            browser, commend_url(site), {**top, "mode": "chosen", "nomination_ids": ids["houshuang-cun"]}
        )
        assert chosen.status_code == 303
        assert "已表彰 1 个。" in browser.get(chosen.headers["location"]).text
        assert commended(site) == [ids["houshuang-cun"]]


def test_a_title_is_revoked_with_its_reason_and_a_stale_form_is_refused(site: Site) -> None:
    app = site.server.services.app
    site.world.commend(site.campaign, at=site.campaign.when.commendation)
    revoked_id, kept_id = site.ids["houshuang-cun"], site.ids["qianshuang-cun"]
    reason = "弄虚作假，材料数据不实"
    with signed_in(site.server, site.organiser) as browser:
        listing = browser.get(f"/ui/organise/campaigns/{site.campaign.id}/commendations")
        assert f'href="/ui/organise/nominations/{revoked_id}/revoke"' in listing.text
        form_page = browser.get(f"/ui/organise/nominations/{revoked_id}/revoke").text
        fields = form_inputs(form_page, "revoke-form")
        assert int(fields["version"]) == app.get_nomination(revoked_id).version
        done = post(
            browser, f"/ui/organise/nominations/{revoked_id}/revoke", {**fields, "reason": reason}
        )
        assert done.status_code == 303
        assert "已撤销「后双村远教站点」的荣誉称号。" in browser.get(done.headers["location"]).text
        assert app.get_nomination(revoked_id).state == NominationState.REVOKED
        revoked = [e for e in app.queries.history(revoked_id) if e["type"] == "nomination.revoked"]
        assert [e["data"]["reason"] for e in revoked] == [reason]

        # A form opened before someone else revoked the title: refused kindly, nothing appended.
        opened = form_inputs(
            browser.get(f"/ui/organise/nominations/{kept_id}/revoke").text, "revoke-form"
        )
        app.execute(Revoke(nomination_id=kept_id, reason="另案撤销"), CITY_REVIEWER)
        stale = post(browser, f"/ui/organise/nominations/{kept_id}/revoke", {**opened, "reason": reason})
        assert stale.status_code == 409 and "这条记录已被他人修改" in stale.text
        assert [
            e["data"]["reason"]
            for e in app.queries.history(kept_id)
            if e["type"] == "nomination.revoked"
        ] == ["另案撤销"]


def test_the_commendation_list_links_the_apis_xlsx_and_the_titles_show_their_reinspection(
    site: Site,
) -> None:
    site.world.commend(site.campaign, at=site.campaign.when.commendation)
    app = site.server.services.app
    app.execute(Revoke(nomination_id=site.ids["qianshuang-cun"], reason="弄虚作假"), CITY_REVIEWER)
    with signed_in(site.server, site.organiser) as browser:
        listing = browser.get(f"/ui/organise/campaigns/{site.campaign.id}/commendations").text
        assert row(listing, site.ids["houshuang-cun"]).count('data-status="active"') == 1
        assert 'data-status="revoked"' in row(listing, site.ids["qianshuang-cun"])
        link = re.search(
            r'href="(/v1/campaigns/[^"]+/commendations\.xlsx)"[^>]*data-testid="xlsx"', listing
        )
        assert link
        workbook = browser.get(link.group(1))  # the API's route, with the page session
        assert workbook.status_code == 200 and workbook.headers["content-type"] == XLSX

        titles = browser.get(f"/ui/organise/campaigns/{site.campaign.id}/titles").text
        assert 'data-reinspection="awaiting"' in row(titles, site.ids["houshuang-cun"])
        assert 'data-reinspection="revoked"' in row(titles, site.ids["qianshuang-cun"])
        assert "弄虚作假" in row(titles, site.ids["qianshuang-cun"])

        home = browser.get("/ui/organise").text
        fill = re.search(
            r'data-testid="quota-fill" data-category="five_good_site".*?</section>', home, re.DOTALL
        )
        assert fill
        figures = dict(re.findall(r'data-field="(\w+)">([^<]+)<', fill.group(0)))
        assert figures == {
            "quota": "2",
            "commended": "2",
            "active": "1",
            "revoked": "1",
            "remaining": "0",
        }


def test_a_declarer_may_not_open_the_organisers_pages(site: Site) -> None:
    with signed_in(site.server, site.declarer) as browser:
        for path in ("/ui/organise", ranking_url(site)):
            response = browser.get(path)
            assert response.status_code == 403, path
            assert 'data-code="role-not-allowed"' in response.text
