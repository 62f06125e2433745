"""The pages across levels, in process, as a browser meets them: select and forward (择优上报)
within the quota the city left the county, the city's forwarding quotas (上报名额), a county
campaign created with its city parent and next year's campaign from it, where a forwarded
nomination came from, and the title register of a unit (荣誉称号登记). Each form: its success,
a refusal said by its field, a double submit that appends once, and who may not."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.pages.i18n import Translator
from api.pages.provenance import provenance
from api.pages.rendering import templates
from domain.application import Laurel
from domain.commands import Commend, CreateCampaign, IssueToken, SetForwardingQuotas
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, CITY_REVIEWER, COUNTY_INSPECTOR, COUNTY_REVIEWER
from tests.builders.clock import FOUR_CREATIONS_2017, Clock, utc
from tests.builders.forms import MODEL_VILLAGE_FORM
from tests.builders.http import ADMIN_TOKEN, Server, serve_in_process
from tests.builders.tree import (
    CITY,
    COUNTY,
    OTHER_TOWNSHIP,
    PENG_ZHEN_VILLAGES,
    TOWNSHIP,
    UNIT_TREE,
)
from tests.builders.world import CampaignRef, World

VILLAGES = sorted(PENG_ZHEN_VILLAGES)[:3]
FORWARDED_AT = FOUR_CREATIONS_2017.inspection + timedelta(hours=2)  # the city is receiving
MODEL_VILLAGE = "model_village"


@dataclass
class Levels:
    server: Server
    world: World
    clock: Clock
    county: CampaignRef
    city_id: str
    ids: list[str]  # the county's model villages, scored 70, 71, 72
    county_reviewer: str
    city_reviewer: str
    declarer: str  # 彭镇's
    outsider: str  # a declarer of 棋盘镇

    @property
    def app(self) -> Laurel:
        return self.server.services.app


@pytest.fixture
def levels(tmp_path: Path) -> Iterator[Levels]:
    """宜君县's 2017 four-creations campaign created with 示范市's decision above it; three of
    彭镇's model villages inspected (70, 71, 72); the city lets the county forward two; the
    clock stands while the city receives."""
    clock = Clock(utc(2017, 1, 1))
    with serve_in_process(f"sqlite:///{tmp_path / 'levels.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        created = app.execute(
            CreateCampaign(
                template="four-creations-three-selections",
                organiser_unit_id=COUNTY,
                year=2017,
                create_parent=True,
            ),
            ADMIN,
            at=utc(2017, 1, 1),
        )
        county = CampaignRef(str(created["id"]), "four-creations-three-selections", FOUR_CREATIONS_2017)
        city_id = str(created["parent_campaign"]["id"])
        ids = [
            world.inspected(
                county,
                village,
                70 + i,
                category=MODEL_VILLAGE,
                form=MODEL_VILLAGE_FORM,
                reviewer=COUNTY_REVIEWER,
                inspector=COUNTY_INSPECTOR,
            )
            for i, village in enumerate(VILLAGES)
        ]
        app.execute(
            SetForwardingQuotas(
                campaign_id=city_id, quotas={COUNTY: {MODEL_VILLAGE: 2}}, reason="每县2个"
            ),
            CITY_REVIEWER,
            at=FORWARDED_AT - timedelta(days=3),
        )
        clock.now = FORWARDED_AT  # tokens issued now last past the city's decision
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in [
                ("county_reviewer", "reviewer", COUNTY),
                ("city_reviewer", "reviewer", CITY),
                ("declarer", "declarer", TOWNSHIP),
                ("outsider", "declarer", OTHER_TOWNSHIP),
            ]
        }
        clock.now = FORWARDED_AT
        yield Levels(server, world, clock, county, city_id, ids, **tokens)


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def form_inputs(html: str, testid: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*data-testid="{testid}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {testid}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def post(client: httpx.Client, path: str, data: Mapping[str, object]) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client)})


def forward_url(levels: Levels) -> str:
    return f"/ui/organise/campaigns/{levels.county.id}/forward"


def fresh(browser: httpx.Client, levels: Levels) -> dict[str, str]:
    """The forward form's hidden inputs as a newly loaded page gives them (a new key)."""
    page = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}").text
    return form_inputs(page, "forward-form")


def quotas_url(levels: Levels) -> str:
    return f"/ui/organise/campaigns/{levels.city_id}/quotas"


def field_error(html: str, name: str) -> str:
    found = re.search(
        rf'<p class="field-error" id="[^"]+" data-field="{re.escape(name)}">(.*?)</p>', html, re.DOTALL
    )
    assert found, f"no error by {name}"
    return found.group(1)


# --- select and forward (择优上报) -------------------------------------------------------------------


def test_the_forwarding_page_lists_those_that_passed_best_first_with_the_quota_left(
    levels: Levels,
) -> None:
    with signed_in(levels.server, levels.county_reviewer) as browser:
        home = browser.get("/ui/organise").text
        assert f'href="/ui/organise/campaigns/{levels.county.id}/forward"' in home
        assert f"/ui/organise/campaigns/{levels.city_id}/" not in home  # the city's is not its own
        ranking = browser.get(f"/ui/organise/campaigns/{levels.county.id}?category={MODEL_VILLAGE}").text
        assert 'data-testid="forward-link"' in ranking
        page = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}")
        assert page.status_code == 200, page.text
        html = page.text
        order = re.findall(
            r'<tr data-nomination-id="([^"]+)" data-place="(\d+)"( data-preview="true")?', html
        )
        assert [(nid, place, bool(p)) for nid, place, p in order] == [
            (levels.ids[2], "1", True),
            (levels.ids[1], "2", True),
            (levels.ids[0], "3", False),
        ]
        assert re.search(r'data-field="quota">2<', html) and re.search(r'data-field="left">2<', html)
        assert "择优上报" in html and 'data-testid="forward-form"' in html
        english = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}&lang=en").text
        assert "Forward the best within quota" in english and "Forwarding quota from above" in english


def test_forwarding_the_best_within_quota_goes_up_once_however_often_it_is_sent(levels: Levels) -> None:
    app = levels.app
    with signed_in(levels.server, levels.county_reviewer) as browser:
        html = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}").text
        data = {**form_inputs(html, "forward-form"), "mode": "best"}
        first = post(browser, forward_url(levels), data)
        again = post(browser, forward_url(levels), data)
        assert (first.status_code, again.status_code) == (303, 303)
        assert first.headers["location"] == again.headers["location"]
        assert app.get_campaign(levels.city_id).forwarded == {f"{COUNTY}|{MODEL_VILLAGE}": 2}
        assert [str(app.get_nomination(i).state) for i in levels.ids] == [
            "inspected",
            "forwarded",
            "forwarded",
        ]
        shown = browser.get(first.headers["location"]).text
        assert "已上报 2 个" in shown  # the flash names what went up
        assert re.search(r'data-field="left">0<', shown)
        gone = re.search(r'data-testid="gone-up".*?</section>', shown, re.DOTALL)
        assert gone and levels.ids[2] in gone.group(0) and levels.ids[1] in gone.group(0)
    with signed_in(levels.server, levels.city_reviewer) as city:
        received = city.get(quotas_url(levels)).text
        row = re.search(
            rf'<tr data-unit="{COUNTY}" data-category="{MODEL_VILLAGE}">.*?</tr>', received, re.DOTALL
        )
        assert row and 'data-field="count">2<' in row.group(0)


def test_forwarding_over_the_quota_is_refused_next_to_the_checkboxes(levels: Levels) -> None:
    with signed_in(levels.server, levels.county_reviewer) as browser:
        html = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}").text
        hidden = form_inputs(html, "forward-form")
        over = post(
            browser, forward_url(levels), {**hidden, "mode": "chosen", "nomination_ids": levels.ids}
        )
        assert over.status_code == 422, over.text
        assert "上报名额" in field_error(over.text, "nomination_ids")
        assert len(re.findall(r'name="nomination_ids" value="[^"]+" checked', over.text)) == 3  # kept
        none = post(browser, forward_url(levels), {**fresh(browser, levels), "mode": "chosen"})
        assert none.status_code == 422
        assert "请勾选要上报的申报" in field_error(none.text, "nomination_ids")
        assert levels.app.get_campaign(levels.city_id).forwarded == {}
        chosen = post(
            browser,
            forward_url(levels),
            {**fresh(browser, levels), "mode": "chosen", "nomination_ids": [levels.ids[0]]},
        )
        assert chosen.status_code == 303, chosen.text
        assert str(levels.app.get_nomination(levels.ids[0]).state) == "forwarded"


def test_the_forwarding_page_says_why_not_when_the_city_is_not_receiving(levels: Levels) -> None:
    levels.clock.now = FOUR_CREATIONS_2017.declaration
    with signed_in(levels.server, levels.county_reviewer) as browser:
        html = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}").text
        assert 'data-testid="why-not" data-code="phase-not-open"' in html
        assert 'data-testid="forward-form"' not in html


def test_only_the_countys_reviewers_and_those_above_may_forward(levels: Levels) -> None:
    with signed_in(levels.server, levels.declarer) as declarer:
        assert declarer.get(forward_url(levels)).status_code == 403
    with signed_in(levels.server, levels.city_reviewer) as city:
        page = city.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}")  # a superior may act
        assert page.status_code == 200 and 'data-testid="forward-form"' in page.text


def test_a_campaign_without_a_parent_has_nothing_to_forward_to(levels: Levels) -> None:
    alone = levels.world.campaign("four-creations-three-selections", COUNTY, year=2018)
    with signed_in(levels.server, levels.county_reviewer) as browser:
        page = browser.get(f"/ui/organise/campaigns/{alone.id}/forward")
        assert page.status_code == 200 and 'data-testid="no-parent"' in page.text
        home = browser.get("/ui/organise").text
        assert f'href="/ui/organise/campaigns/{alone.id}/quotas"' in home  # it may receive instead
        quotas = browser.get(f"/ui/organise/campaigns/{alone.id}/quotas").text
        assert f'data-unit="{TOWNSHIP}"' in quotas  # the county's townships may forward to it


# --- forwarding quotas (上报名额) --------------------------------------------------------------------


def test_the_city_sets_the_forwarding_quotas_once_however_often_it_is_sent(levels: Levels) -> None:
    app = levels.app
    with signed_in(levels.server, levels.city_reviewer) as city:
        assert f'href="{quotas_url(levels)}"' in city.get("/ui/organise").text
        html = city.get(quotas_url(levels)).text
        unit = re.search(
            rf'<fieldset class="og-fill" data-testid="quota-unit" data-unit="{COUNTY}">.*?</fieldset>',
            html,
            re.DOTALL,
        )
        assert unit and f'/ui/campaigns/{levels.county.id}"' in unit.group(0)  # its campaign below
        assert re.search(rf'name="quotas.{COUNTY}.{MODEL_VILLAGE}" type="number"[^>]*value="2"', html)
        version = app.get_campaign(levels.city_id).version
        data = {
            **form_inputs(html, "quotas-form"),
            f"quotas.{COUNTY}.{MODEL_VILLAGE}": "3",
            f"quotas.{COUNTY}.model_township": "1",
            "reason": "增加一个名额",
        }
        first = post(city, quotas_url(levels), data)
        again = post(city, quotas_url(levels), data)
        assert (first.status_code, again.status_code) == (303, 303)
        campaign = app.get_campaign(levels.city_id)
        assert campaign.forwarding_quotas[COUNTY] == {MODEL_VILLAGE: 3, "model_township": 1}
        assert campaign.version == version + 1
        assert "上报名额已保存" in city.get(first.headers["location"]).text
        stale = post(
            city, quotas_url(levels), {**data, "idempotency_key": "6c1d1f4e-3a43-4df5-9c52-4b0c4c8a4c11"}
        )
        assert stale.status_code == 409 and 'data-testid="stale"' in stale.text


def test_a_forwarding_quota_that_is_not_a_whole_number_is_refused_by_its_field(levels: Levels) -> None:
    with signed_in(levels.server, levels.city_reviewer) as city:
        html = city.get(quotas_url(levels)).text
        name = f"quotas.{COUNTY}.{MODEL_VILLAGE}"
        refused = post(city, quotas_url(levels), {**form_inputs(html, "quotas-form"), name: "two"})
        assert refused.status_code == 422
        assert "整数" in field_error(refused.text, name)
        assert re.search(rf'name="{re.escape(name)}" type="number"[^>]*value="two"', refused.text)
        assert levels.app.get_campaign(levels.city_id).forwarding_quotas[COUNTY] == {MODEL_VILLAGE: 2}


def test_the_county_may_not_set_the_citys_forwarding_quotas(levels: Levels) -> None:
    with signed_in(levels.server, levels.county_reviewer) as county:
        assert county.get(quotas_url(levels)).status_code in (403, 404)
    with signed_in(levels.server, levels.declarer) as declarer:
        assert declarer.get(quotas_url(levels)).status_code == 403


# --- creating the levels, next year's campaign ---------------------------------------------------


def test_a_county_campaign_is_created_with_its_city_parent_from_the_form(levels: Levels) -> None:
    app = levels.app
    with signed_in(levels.server, ADMIN_TOKEN) as admin:
        html = admin.get("/ui/campaigns/new").text
        assert 'name="create_parent"' in html
        assert "市级验收确定" in html  # the hint names the upper-level template and its level
        hidden = form_inputs(html, "campaign-form")
        data = {
            **hidden,
            "template": "four-creations-three-selections",
            "organiser_unit_id": COUNTY,
            "year": "2018",
            "create_parent": "1",
        }
        before = len(app.list_campaigns())
        created = post(admin, "/ui/campaigns/new", data)
        again = post(admin, "/ui/campaigns/new", data)
        assert (created.status_code, again.status_code) == (303, 303), created.text
        assert len(app.list_campaigns()) == before + 2
        county = app.get_campaign(created.headers["location"].rsplit("/", 1)[1])
        assert county.parent_campaign_id is not None
        parent = app.get_campaign(county.parent_campaign_id)
        assert (parent.template_code, parent.organiser_unit_id) == ("city-four-creations", CITY)
        assert "同时创建了上级评选" in admin.get(created.headers["location"]).text
        refused = post(
            admin,
            "/ui/campaigns/new",
            {
                **form_inputs(admin.get("/ui/campaigns/new").text, "campaign-form"),
                "template": "five-good-sites",
                "organiser_unit_id": CITY,
                "year": "2019",
                "create_parent": "1",
            },
        )
        assert refused.status_code == 422
        assert "上级评选模板" in field_error(refused.text, "create_parent")


def test_next_years_campaign_is_made_from_this_one_once(levels: Levels) -> None:
    app = levels.app
    levels.clock.now = utc(2017, 12, 31)
    url = f"/ui/campaigns/{levels.county.id}/next-year"
    with signed_in(levels.server, ADMIN_TOKEN) as admin:
        assert f'href="{url}"' in admin.get("/ui/").text
        html = admin.get(url).text
        assert f'<option value="{levels.city_id}"' in html  # the city's campaign may be its parent
        data = form_inputs(html, "next-year-form")
        first = post(admin, url, data)
        again = post(admin, url, data)
        assert (first.status_code, again.status_code) == (303, 303), first.text
        following = [
            c
            for c in (app.get_campaign(e["campaign_id"]) for e in app.list_campaigns())
            if str(c.previous_campaign_id) == levels.county.id
        ]
        assert [(c.year, c.template_code) for c in following] == [
            (2018, "four-creations-three-selections")
        ]
        assert 'data-testid="next-year-exists"' in admin.get(url).text
        bad = post(
            admin,
            url,
            {
                **form_inputs(admin.get(url).text, "next-year-form"),
                "parent_campaign_id": levels.county.id,
            },
        )
        assert bad.status_code == 422
        assert "上级单位" in field_error(bad.text, "parent_campaign_id")
    with signed_in(levels.server, levels.county_reviewer) as reviewer:
        assert reviewer.get(url).status_code == 403


# --- provenance, the title register --------------------------------------------------------------


def test_a_forwarded_nomination_says_where_it_came_from_and_the_source_where_it_went(
    levels: Levels,
) -> None:
    app = levels.app
    with signed_in(levels.server, levels.county_reviewer) as browser:
        html = browser.get(f"{forward_url(levels)}?category={MODEL_VILLAGE}").text
        assert (
            post(
                browser, forward_url(levels), {**form_inputs(html, "forward-form"), "mode": "best"}
            ).status_code
            == 303
        )
    source = app.get_nomination(levels.ids[2])
    assert source.forwarded_to is not None
    target = app.get_nomination(str(source.forwarded_to["nomination_id"]))
    t = Translator("zh")
    names = lambda code: {COUNTY: "宜君县"}.get(code or "", code or "")  # noqa: E731
    partial = templates().get_template("_provenance.html")
    came = partial.render(
        t=t,
        provenance=provenance(app, target, t, names),
        unit_name=names,
        campaign=app.get_campaign(levels.city_id),
    )
    assert re.search(r"由宜君县「[^」]+」上报，县/区级得分 72\.00", came), came
    assert "下级未表彰，择优上报" in came and 'data-testid="provenance-inspections"' in came
    assert f'href="/ui/nominations/{source.id}"' in came
    went = partial.render(
        t=t, provenance=provenance(app, source, t, names), unit_name=names, campaign=None
    )
    assert f'href="/ui/nominations/{target.id}"' in went and "已上报至" in went
    hidden = partial.render(
        t=t,
        provenance=provenance(app, target, t, names, sees_scores=False),
        unit_name=names,
        campaign=None,
    )
    assert "72.00" not in hidden
    assert provenance(app, app.get_nomination(levels.ids[0]), t, names) is None


def test_the_title_register_lists_the_titles_held_below_a_unit(levels: Levels) -> None:
    app = levels.app
    app.execute(
        Commend(campaign_id=levels.county.id, category=MODEL_VILLAGE),
        COUNTY_REVIEWER,
        at=FOUR_CREATIONS_2017.commendation,
    )
    url = f"/ui/units/{TOWNSHIP}/titles"
    with signed_in(levels.server, levels.declarer) as declarer:
        page = declarer.get(url)
        assert page.status_code == 200, page.text
        rows = re.findall(
            r'<tr data-nomination-id="([^"]+)" data-holder="([^"]+)" data-level="([^"]+)"', page.text
        )
        assert [nid for nid, _, _ in rows] == levels.ids  # every one of them commended by the county
        assert {level for _, _, level in rows} == {"county"}
        assert "县/区" in page.text and "有效" in page.text
        assert declarer.get(f"{url}?category=model_township").text.count("<tr data-nomination-id") == 0
    with signed_in(levels.server, levels.outsider) as outsider:
        assert outsider.get(url).status_code == 403
    with signed_in(levels.server, ADMIN_TOKEN) as admin:
        assert f'href="/ui/units/{TOWNSHIP}/titles"' in admin.get(f"/ui/admin/units/{TOWNSHIP}").text
    with signed_in(levels.server, levels.county_reviewer) as reviewer:
        titles = reviewer.get(f"/ui/organise/campaigns/{levels.county.id}/titles").text
        assert f'href="/ui/units/{COUNTY}/titles"' in titles
        assert reviewer.get(f"/ui/units/{COUNTY}/titles").status_code == 200
