"""Checklists at inspection over HTTP: the inspector's form asks every item (met / not met and a
note); an item left unanswered is refused next to its field, in Chinese; an unmet item of a
required checklist refuses a pass; the record shows on the inspector's page, the nomination page
and through the API; a model base is declared from the declarer's form with its kind."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from domain.application import Laurel
from domain.commands import IssueToken
from domain.rules.inspection import all_met
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, FOUR_CREATIONS_2017, Clock
from tests.builders.forms import category
from tests.builders.http import Server, problem, serve_in_process
from tests.builders.tree import CITY, COUNTY, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import CampaignRef, World

SITE = category("five-good-sites", "five_good_site")
SCORES = {f"scores.{c.code}": "85" for c in SITE.criteria}


@dataclass
class Desk:
    server: Server
    world: World
    clock: Clock
    campaign: CampaignRef
    site: str
    tokens: dict[str, str]

    @property
    def app(self) -> Laurel:
        return self.server.services.app


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A seed-000 campaign in its inspection phase with 前双村's site admitted."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        site = world.declare(campaign, VILLAGE)
        world.admit(campaign, site)
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in (("inspector", "inspector", CITY), ("reviewer", "reviewer", CITY))
        }
        clock.now = FIVE_GOOD_2022.inspection
        yield Desk(server, world, clock, campaign, site, tokens)


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden_fields(html: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def field_error(html: str, name: str) -> str:
    slot = "f-" + name.replace(".", "-")
    found = re.search(
        rf'<p class="field-error" id="{slot}-error" data-field="{re.escape(name)}">(.*?)</p>', html
    )
    assert found, f"no error next to {name}"
    return html_text.unescape(found.group(1))


def all_items(met: str = "met") -> dict[str, str]:
    return {f"checklist.{c.code}.{i.code}": met for c in SITE.checklists for i in c.items}


def inspect(
    client: httpx.Client, nomination_id: str, data: dict[str, str | list[str]]
) -> httpx.Response:
    page = client.get(f"/ui/inspect/nominations/{nomination_id}")
    assert page.status_code == 200, page.text
    return client.post(
        f"/ui/inspect/nominations/{nomination_id}/inspection",
        data={**hidden_fields(page.text, "inspection-form"), **data},
        headers={"Origin": own_origin(client)},
    )


def test_the_scoring_form_asks_every_checklist_item(desk: Desk) -> None:
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        page = inspector.get(f"/ui/inspect/nominations/{desk.site}").text
    assert re.findall(r'data-checklist="([a-z_]+)" data-required="1"', page) == [
        "certified_administrator",
        "three_registers_one_book",
        "five_protections",
    ]
    for item in ("防火", "防盗", "防潮", "防雷", "防尘", "管理员持有上岗证书", "记录真实"):
        assert item in page
    assert 'name="checklist.five_protections.lightning" value="unmet"' in page
    assert 'name="checklist.five_protections.lightning.note"' in page


def test_an_item_left_unanswered_is_refused_next_to_its_field(desk: Desk) -> None:
    answers = all_items()
    del answers["checklist.five_protections.damp"]
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        refused = inspect(
            inspector, desk.site, {**SCORES, **answers, "methods": "site_visit", "verdict": "pass"}
        )
    assert refused.status_code == 422
    assert (
        field_error(refused.text, "checklist.five_protections.damp")
        == "「“五防”设施落实到位」之「防潮」未记录是否符合"
    )
    assert desk.app.get_nomination(desk.site).inspections == []


def test_a_pass_with_an_unmet_required_item_is_refused_next_to_it(desk: Desk) -> None:
    answers = dict(all_items(), **{"checklist.certified_administrator.certificate_held": "unmet"})
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        refused = inspect(
            inspector, desk.site, {**SCORES, **answers, "methods": "site_visit", "verdict": "pass"}
        )
    assert refused.status_code == 422
    assert "须逐项符合方可判定为合格" in field_error(
        refused.text, "checklist.certified_administrator.certificate_held"
    )


def test_the_checklist_is_recorded_item_by_item_and_shown(desk: Desk) -> None:
    answers = dict(
        all_items(),
        **{
            "checklist.five_protections.lightning": "unmet",
            "checklist.five_protections.lightning.note": "未安装避雷设施",
        },
    )
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        done = inspect(
            inspector, desk.site, {**SCORES, **answers, "methods": "site_visit", "verdict": "fail"}
        )
        assert done.status_code == 303, done.text
        mine = inspector.get(done.headers["location"]).text
        assert 'data-testid="my-checklists"' in mine
        assert 'data-checklist="five_protections" data-item="lightning" data-met="0"' in mine
        assert "未安装避雷设施" in mine
        shared = inspector.get(f"/ui/nominations/{desk.site}").text
        assert 'data-testid="checklists"' in shared and "未安装避雷设施" in shared
        in_english = inspector.get(f"/ui/nominations/{desk.site}", params={"lang": "en"}).text
        assert "Checklists (item by item)" in in_english and "Not met" in in_english
    (inspection,) = desk.app.get_nomination(desk.site).inspections
    assert inspection.marks_of("five_protections")["lightning"].note == "未安装避雷设施"
    assert inspection.weighted_score == 85.0  # not in the score
    api = desk.server.client(desk.tokens["reviewer"])
    shown = api.get(f"/v1/nominations/{desk.site}").json()["inspections"][0]["checklist"]
    assert {
        "checklist": "five_protections",
        "item": "lightning",
        "met": False,
        "note": "未安装避雷设施",
    } in shown
    history = api.get(f"/v1/nominations/{desk.site}/history").json()
    inspected = [e for e in history if e["type"] == "nomination.inspected"]
    assert len(inspected[0]["data"]["inspection"]["checklist"]) == 11


def test_an_api_inspection_without_its_checklist_is_a_422_naming_each_item(desk: Desk) -> None:
    api = desk.server.client(desk.tokens["inspector"])
    body = {"methods": ["site_visit"], "scores": {c.code: 85 for c in SITE.criteria}, "verdict": "pass"}
    refusal = problem(
        api.post(f"/v1/nominations/{desk.site}/inspections", json=body), 422, "inspection-invalid"
    )
    fields = {f["field"] for f in refusal["failures"]}
    assert "checklist.five_protections.fire" in fields and len(fields) == 11


def test_an_api_inspection_records_its_checklist(desk: Desk) -> None:
    api = desk.server.client(desk.tokens["inspector"])
    marks = all_met(SITE)
    marks["five_protections"]["dust"] = {"met": False, "note": "积尘"}  # type: ignore[assignment]
    body = {
        "methods": ["site_visit"],
        "scores": {c.code: 85 for c in SITE.criteria},
        "verdict": "fail",
        "checklist": marks,
    }
    answer = api.post(f"/v1/nominations/{desk.site}/inspections", json=body)
    assert answer.status_code == 200, answer.text
    (inspection,) = desk.app.get_nomination(desk.site).inspections
    assert inspection.marks_of("five_protections")["dust"].note == "积尘"


def test_an_api_checklist_item_is_met_or_not_and_its_note_bounded(desk: Desk) -> None:
    api = desk.server.client(desk.tokens["inspector"])
    body = {
        "methods": ["site_visit"],
        "scores": {c.code: 85 for c in SITE.criteria},
        "verdict": "pass",
        "checklist": {
            "five_protections": {"fire": {"met": "yes"}, "dust": {"met": True, "note": "x" * 501}}
        },
    }
    answer = api.post(f"/v1/nominations/{desk.site}/inspections", json=body)
    assert answer.status_code == 422
    assert desk.app.get_nomination(desk.site).inspections == []


# --- a model base from the declarer's form ----------------------------------------------------


def test_a_model_base_is_declared_from_the_form_with_its_kind(tmp_path: Path) -> None:
    clock = Clock(FOUR_CREATIONS_2017.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign("four-creations-three-selections", COUNTY)
        token = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="declarer"), ADMIN)[
            "token"
        ]
        path = f"/ui/declare/{campaign.id}/model_base"
        with signed_in(server, token) as declarer:
            page = declarer.get(path).text
            assert 'name="nominee.base_kind"' in page
            for label in ("合作社", "企业（龙头企业）", "其他（产业基地、致富项目等）"):
                assert label in page
            form = re.search(
                r'<form method="post" action="' + re.escape(path) + r'"[^>]*>(.*?)</form>',
                page,
                re.DOTALL,
            )
            assert form
            hidden = dict(
                re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1))
            )
            data = {
                **hidden,
                "nominee.unit_id": VILLAGE,
                "nominee.name": "前双村核桃专业合作社",
                "material": "核桃种植技术培训" * 120,
            }
            refused = declarer.post(path, data=data, headers={"Origin": own_origin(declarer)})
            assert refused.status_code == 422
            assert "合作社" in field_error(refused.text, "nominee.base_kind")
            hidden = hidden_fields_of(refused.text, path)
            done = declarer.post(
                path,
                data={**data, **hidden, "nominee.base_kind": "cooperative"},
                headers={"Origin": own_origin(declarer)},
            )
            assert done.status_code == 303, done.text
            (nomination,) = app.queries.campaign_nominations(campaign.id, category="model_base")
            shown = declarer.get(f"/ui/nominations/{nomination.id}").text
            assert 'data-testid="base-kind">合作社<' in shown and "示范基地类型" in shown
        assert (nomination.nominee.kind, nomination.nominee.name, nomination.nominee.extra) == (
            "base",
            "前双村核桃专业合作社",
            {"base_kind": "cooperative"},
        )


def hidden_fields_of(html: str, action: str) -> dict[str, str]:
    form = re.search(
        r'<form method="post" action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.DOTALL
    )
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


# --- an any-of standard on the reviewer's page ----------------------------------------------------


def test_the_reviewer_sees_both_alternatives_of_the_study_models_standard(tmp_path: Path) -> None:
    clock = Clock(FOUR_CREATIONS_2017.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign("four-creations-three-selections", COUNTY)
        form = {"techniques_mastered": 0, "market_information": 0, "business_started_or_grown": True}
        nomination_id = world.declare(
            campaign, VILLAGE, category="study_and_apply_model", kind="person", name="李秀英", form=form
        )
        token = app.execute(IssueToken(role="reviewer", unit_id=COUNTY, label="reviewer"), ADMIN)[
            "token"
        ]
        clock.now = FOUR_CREATIONS_2017.pre_review
        with signed_in(server, token) as reviewer:
            page = reviewer.get(f"/ui/review/nominations/{nomination_id}").text
    for name in ("form.techniques_mastered", "form.market_information"):
        message = field_error(page, name)
        assert "至少掌握一门实用技术或一个行业市场供求信息" in message
        assert "掌握一个行业市场供求信息" in message
    assert "满足其一即可" in page
