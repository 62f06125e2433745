"""The declarer's pages (申报单位, /ui/declare) over HTTP, in the test process: a township
clerk sees the campaigns open to it with their deadlines, declares through the form the
category generates, is refused next to the field when the material is too short, watches the
rule's own count and the activity-day warnings before submitting, withdraws with a reason,
declares in bulk from the downloadable template — and never sees another township's work."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from domain.commands import IssueToken, RecordActivity, RegisterMember
from domain.rules.material import count_characters
from domain.vocabulary import NominationState
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, declarer_of
from tests.builders.clock import DOUBLE_STRENGTHEN_2011, FIVE_GOOD_2022, Clock
from tests.builders.forms import PLATFORM_FORM
from tests.builders.http import Server, serve_in_process
from tests.builders.material import material_of
from tests.builders.tree import OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import CampaignRef, World

SITE = "five_good_site"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Scene:
    server: Server
    world: World
    clock: Clock
    campaign: CampaignRef
    tokens: dict[str, str]
    neighbour_nomination: str

    @property
    def app(self) -> Any:
        return self.server.services.app


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    """示范市's seed-000 campaign in its declaration phase; 棋盘镇 has declared 马庄村."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        neighbour = world.declare(
            campaign, OTHER_TOWNSHIP_VILLAGE, declaring_unit=OTHER_TOWNSHIP, name="马庄村远教站点"
        )
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in (
                ("declarer", "declarer", TOWNSHIP),
                ("neighbour", "declarer", OTHER_TOWNSHIP),
                ("reviewer", "reviewer", "shifan-shi"),
                ("city_admin", "admin", "shifan-shi"),
            )
        }
        yield Scene(server, world, clock, campaign, tokens, neighbour)


@contextmanager
def browser(scene: Scene, token: str = "declarer") -> Iterator[httpx.Client]:
    """A client that keeps cookies, logged in as one of the scene's tokens."""
    with scene.server.client(None) as client:
        assert login(client, scene.tokens[token]).status_code == 303
        yield client


def form_of(page: str, action: str) -> dict[str, str]:
    """The hidden inputs (token, idempotency key, version) of the form posting to ``action``."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', page, re.S)
    assert found, f"no form posts to {action}"
    return {
        name: html.unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(1)
        )
    }


def post(
    client: httpx.Client, action: str, page: str, data: dict[str, Any], **options: Any
) -> httpx.Response:
    """Posts the page's form to ``action`` with ``data`` typed in, as a browser of this site does."""
    return client.post(
        action, data={**form_of(page, action), **data}, headers={"Origin": own_origin(client)}, **options
    )


def field_error(page: str, name: str) -> str:
    """The message shown next to the field ``name`` (its error slot)."""
    found = re.search(
        rf'<p class="field-error" id="[^"]+" data-field="{re.escape(name)}">(.*?)</p>', page, re.S
    )
    assert found, f"no error next to {name}"
    return html.unescape(found.group(1))


def site_form(scene: Scene) -> str:
    return f"/ui/declare/{scene.campaign.id}/{SITE}"


def nominations(scene: Scene, declaring_unit: str = TOWNSHIP) -> list[Any]:
    return [
        n
        for n in scene.app.queries.campaign_nominations(scene.campaign.id)
        if n.declaring_unit_id == declaring_unit
    ]


# --- what a declarer sees ----------------------------------------------------------------------


def test_declarer_home_lists_the_campaign_open_to_the_township_with_deadline_and_time_left(scene):
    with browser(scene) as client:
        page = client.get("/ui/declare")
    assert page.status_code == 200
    text = page.text
    assert f'data-campaign-id="{scene.campaign.id}"' in text
    assert 'data-testid="declaration-status" data-open="true"' in text
    # 20 Oct 24:00 in Shanghai; 3 days 14 hours after 17 Oct 10:00 (Shanghai)
    assert "2022-10-21 00:00" in text and "3天 14小时" in text
    assert f'href="/ui/declare/{scene.campaign.id}/{SITE}"' in text


def test_another_townships_nominations_are_not_shown_to_the_declarer(scene):
    mine = scene.world.declare(scene.campaign, VILLAGE, declaring_unit=TOWNSHIP, name="前双村远教站点")
    with browser(scene) as client:
        home = client.get("/ui/declare").text
        campaign = client.get(f"/ui/declare/{scene.campaign.id}").text
        withdraw = client.get(f"/ui/declare/nominations/{scene.neighbour_nomination}/withdraw")
    for page in (home, campaign):
        assert f'data-nomination-id="{mine}"' in page
        assert scene.neighbour_nomination not in page and "马庄村远教站点" not in page
        assert "彭镇" in page  # whose nominations these are
    assert withdraw.status_code == 403


def test_the_nominee_is_chosen_from_the_declarers_subtree_at_the_categorys_levels(scene):
    with browser(scene) as client:
        page = client.get(site_form(scene)).text
    options = re.findall(r'<option value="([^"]*)"', page)
    assert VILLAGE in options and TOWNSHIP in options  # township and village sites
    assert OTHER_TOWNSHIP_VILLAGE not in options and "yijun-xian" not in options


def test_a_reviewer_is_refused_the_declarer_pages(scene):
    with browser(scene, "reviewer") as client:
        page = client.get("/ui/declare")
    assert page.status_code == 403


def test_an_admin_of_the_organiser_reads_the_pages_without_the_forms(scene):
    with browser(scene, "city_admin") as client:
        home = client.get("/ui/declare").text
        form = client.get(site_form(scene)).text
    assert "马庄村远教站点" in home  # the city's subtree holds every township
    assert 'data-testid="read-only"' in home
    assert 'data-testid="declare-form"' not in form


# --- declaring ---------------------------------------------------------------------------------


def test_declaring_through_the_form_appends_one_nomination_even_when_submitted_twice(scene):
    with browser(scene) as client:
        page = client.get(site_form(scene)).text
        data = {"nominee.unit_id": VILLAGE, "nominee.name": "", "material": material_of(900)}
        first = post(client, site_form(scene), page, data)
        again = post(client, site_form(scene), page, data)
        after = client.get(first.headers["location"]).text
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == f"/ui/declare/{scene.campaign.id}"
    declared = nominations(scene)
    assert len(declared) == 1
    assert declared[0].nominee.name == "前双村"  # a site left unnamed takes its unit's name
    assert declared[0].declared_by.unit_id == TOWNSHIP
    assert "已提交申报：前双村" in after and NominationState.DECLARED.zh in after


def test_a_too_short_material_is_refused_with_the_chinese_message_next_to_the_field(scene):
    short = material_of(300)
    with browser(scene) as client:
        page = client.get(site_form(scene)).text
        refused = post(client, site_form(scene), page, {"nominee.unit_id": VILLAGE, "material": short})
    assert refused.status_code == 422
    message = field_error(refused.text, "material")
    assert message == f"典型材料仅 {count_characters(short)} 字，须不少于 800 字"
    assert 'aria-describedby="f-material-hint material-count f-material-error"' in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert short.splitlines()[0] in refused.text  # what was typed is kept
    assert f'<option value="{VILLAGE}" selected>' in refused.text
    assert nominations(scene) == []


def test_form_fields_are_typed_as_the_template_declares_and_refused_next_to_their_field(scene):
    scene.clock.now = DOUBLE_STRENGTHEN_2011.declaration
    campaign = scene.world.campaign("double-strengthen")
    action = f"/ui/declare/{campaign.id}/advanced_teaching_platform"
    typed = {f"form.{k}": str(v) for k, v in PLATFORM_FORM.items()}
    with browser(scene) as client:
        page = client.get(action).text
        assert 'name="form.operation_rate" type="number"' in page
        wrong = dict(typed, **{"form.operation_rate": "九十六", "form.trained_rate": ""})
        refused = post(
            client, action, page, {"nominee.unit_id": TOWNSHIP, "material": material_of(900), **wrong}
        )
        declared = post(
            client, action, page, {"nominee.unit_id": TOWNSHIP, "material": material_of(900), **typed}
        )
    assert refused.status_code == 422
    assert (
        field_error(refused.text, "form.operation_rate")
        == "「所属终端站点正常运行率（%）」的格式应为 percent"
    )
    assert (
        field_error(refused.text, "form.trained_rate") == "申报表缺少必填项「“六支”骨干队伍培训率（%）」"
    )
    assert declared.status_code == 303
    [nomination] = scene.app.queries.campaign_nominations(campaign.id)
    assert nomination.form == PLATFORM_FORM


def test_the_live_count_counts_the_material_as_the_rule_does(scene):
    material = "前双村 远教\n站点\u3000建设" + "e\u0301"  # spaces, a line break, a combining accent
    with browser(scene) as client:
        answer = client.post(f"{site_form(scene)}/count", data={"material": material})
        enough = client.post(f"{site_form(scene)}/count", data={"material": material_of(800)})
    assert answer.status_code == 200
    assert (
        f'data-count="{count_characters(material)}" data-minimum="800" data-short="true"' in answer.text
    )
    assert count_characters(material) == 10
    assert "已写 10 字，至少 800 字" in answer.text and "还差 790 字" in answer.text
    assert 'data-count="800" data-minimum="800" data-short="false"' in enough.text


def test_the_activity_day_warnings_are_shown_before_submitting_and_match_the_declarations(scene):
    session = {
        "session_id": "2022-01",
        "date": "2022-01-10",
        "kind": "all_member",
        "hours": 2,  # not half a day
        "topic": "party_building",
        "expected": ["m1"],
        "attendees": ["m1"],
        "five_haves": dict.fromkeys(
            ("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True
        ),
    }
    clerk = declarer_of(TOWNSHIP)
    scene.app.execute(
        RegisterMember(unit_id=VILLAGE, member_id="m1", name="党员1", status="member"), clerk
    )
    scene.app.execute(RecordActivity(unit_id=VILLAGE, session=session), clerk)
    with browser(scene) as client:
        preview = client.get(f"{site_form(scene)}/warnings", params={"nominee.unit_id": VILLAGE})
        quiet = client.get(f"{site_form(scene)}/warnings", params={"nominee.unit_id": "houshuang-cun"})
        foreign = client.get(
            f"{site_form(scene)}/warnings", params={"nominee.unit_id": OTHER_TOWNSHIP_VILLAGE}
        )
        page = client.get(site_form(scene)).text
        done = post(
            client, site_form(scene), page, {"nominee.unit_id": VILLAGE, "material": material_of(900)}
        )
        flash = client.get(done.headers["location"]).text
    shown = re.findall(r'<li data-rule="([^"]+)">', preview.text)
    assert shown[0] == "activity_day_collective"
    assert "1 月活动日不足半天（2.0 小时）" in html.unescape(preview.text)
    assert "2 月未开展全体党员集中学习活动日" in preview.text
    assert 'data-testid="warnings-none"' in quiet.text  # no register: not assessed
    assert foreign.status_code == 403
    history = scene.app.queries.history(nominations(scene)[0].id)
    assert history[0]["type"] == "nomination.declared"
    summary = re.search(r'<li data-rule="activity_day_collective">([^<]+)</li>', preview.text)
    assert summary and f"注意：{html.unescape(summary.group(1))}" in html.unescape(flash)


# --- withdrawing -------------------------------------------------------------------------------


def test_withdrawal_records_the_reason_at_the_version_shown(scene):
    nomination_id = scene.world.declare(scene.campaign, VILLAGE, declaring_unit=TOWNSHIP)
    action = f"/ui/declare/nominations/{nomination_id}/withdraw"
    with browser(scene) as client:
        home = client.get("/ui/declare").text
        assert f'href="{action}"' in home
        page = client.get(action).text
        assert form_of(page, action)["version"] == "1"
        done = post(client, action, page, {"reason": "站点搬迁至村委会新址"})
        after = client.get("/ui/declare").text
    assert done.status_code == 303
    assert scene.app.get_nomination(nomination_id).state == NominationState.WITHDRAWN
    assert scene.app.get_nomination(nomination_id).closing_reason == "站点搬迁至村委会新址"
    assert "站点搬迁至村委会新址" in after and NominationState.WITHDRAWN.zh in after
    assert f'href="{action}"' not in after


def test_a_stale_withdrawal_form_is_refused_kindly(scene):
    nomination_id = scene.world.declare(scene.campaign, VILLAGE, declaring_unit=TOWNSHIP)
    action = f"/ui/declare/nominations/{nomination_id}/withdraw"
    with browser(scene) as client:
        page = client.get(action).text
        fields = form_of(page, action)
        first = post(client, action, page, {"reason": "第一次"})
        fields["idempotency_key"] = "00000000-0000-4000-8000-000000000001"  # another submit
        second = client.post(
            action, data={**fields, "reason": "第二次"}, headers={"Origin": own_origin(client)}
        )
    assert first.status_code == 303
    assert second.status_code == 409
    assert 'data-testid="stale"' in second.text
    assert scene.app.get_nomination(nomination_id).closing_reason == "第一次"


def test_a_withdrawal_posted_from_another_origin_is_refused(scene):
    nomination_id = scene.world.declare(scene.campaign, VILLAGE, declaring_unit=TOWNSHIP)
    action = f"/ui/declare/nominations/{nomination_id}/withdraw"
    with browser(scene) as client:
        page = client.get(action).text
        answer = client.post(
            action,
            data={**form_of(page, action), "reason": "x"},
            headers={"Origin": "https://evil.example"},
        )
    assert answer.status_code == 403
    assert scene.app.get_nomination(nomination_id).state == NominationState.DECLARED


# --- bulk declaration --------------------------------------------------------------------------


def test_bulk_templates_list_the_units_the_declarer_may_nominate(scene):
    with browser(scene) as client:
        csv_file = client.get(f"{site_form(scene)}/template.csv")
        xlsx_file = client.get(f"{site_form(scene)}/template.xlsx")
    assert csv_file.headers["content-type"].startswith("text/csv")
    lines = csv_file.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("类别 / category,申报单位编码 / declaring_unit_id,")
    assert f"{SITE},{TOWNSHIP},site,{VILLAGE},前双村,," in lines
    assert not any(OTHER_TOWNSHIP_VILLAGE in line for line in lines)
    sheet = load_workbook(io.BytesIO(xlsx_file.content)).active
    rows = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "类别 / category" and [SITE, TOWNSHIP, "site", VILLAGE, "前双村"] in [
        r[:5] for r in rows
    ]


def test_bulk_upload_declares_each_good_row_and_reports_every_row_in_a_table(scene):
    header = (
        "类别 / category,申报单位编码 / declaring_unit_id,对象类型 / nominee_kind,"
        "nominee_unit_id,nominee_name,material\n"
    )
    good = f'{SITE},{TOWNSHIP},site,{VILLAGE},前双村远教站点,"{material_of(900, line_width=None)}"\n'
    short = f"{SITE},{TOWNSHIP},site,houshuang-cun,后双村远教站点,太短\n"
    body = (header + good + short).encode()
    upload = f"/ui/declare/{scene.campaign.id}/nominations:import"
    with browser(scene) as client:
        page = client.get(f"/ui/declare/{scene.campaign.id}").text
        fields = form_of(page, upload)
        files = {"file": ("彭镇申报.csv", body, "text/csv")}
        report = client.post(upload, data=fields, files=files, headers={"Origin": own_origin(client)})
        again = client.post(upload, data=fields, files=files, headers={"Origin": own_origin(client)})
        empty = client.post(upload, data=form_of(page, upload), headers={"Origin": own_origin(client)})
    assert report.status_code == 200, report.text
    assert 'data-created="1" data-failed="1"' in report.text
    assert 'data-row="2" data-status="created"' in report.text
    assert 'data-row="3" data-status="error"' in report.text
    assert "典型材料：</span>典型材料仅 2 字，须不少于 800 字" in report.text
    assert 'data-row="2" data-status="replayed"' in again.text  # the same form: nothing twice
    assert [n.nominee.name for n in nominations(scene)] == ["前双村远教站点"]
    assert empty.status_code == 422 and field_error(empty.text, "file") == "请选择要上传的文件"


def test_bulk_upload_of_the_xlsx_template_reports_the_rows_still_to_fill_in(scene):
    upload = f"/ui/declare/{scene.campaign.id}/nominations:import"
    with browser(scene) as client:
        template = client.get(f"{site_form(scene)}/template.xlsx").content
        page = client.get(f"/ui/declare/{scene.campaign.id}").text
        files = {"file": ("模板.xlsx", template, XLSX)}
        report = client.post(
            upload, data=form_of(page, upload), files=files, headers={"Origin": own_origin(client)}
        )
    assert report.status_code == 200, report.text
    statuses = re.findall(r'data-testid="report-row" data-row="\d+" data-status="(\w+)"', report.text)
    assert statuses and set(statuses) == {"error"}  # no material yet: nothing declared
    assert nominations(scene) == []


def test_bulk_upload_for_a_unit_outside_the_declarers_subtree_is_refused_before_any_row(scene):
    material = material_of(900, line_width=None)
    body = (
        "category,declaring_unit_id,nominee_kind,nominee_unit_id,nominee_name,material\n"
        f'{SITE},{TOWNSHIP},site,{VILLAGE},前双村,"{material}"\n'
        f'{SITE},{OTHER_TOWNSHIP},site,{OTHER_TOWNSHIP_VILLAGE},马庄村,"{material}"\n'
    ).encode()
    upload = f"/ui/declare/{scene.campaign.id}/nominations:import"
    with browser(scene) as client:
        page = client.get(f"/ui/declare/{scene.campaign.id}").text
        files = {"file": ("x.csv", body, "text/csv")}
        answer = client.post(
            upload, data=form_of(page, upload), files=files, headers={"Origin": own_origin(client)}
        )
    assert answer.status_code == 403
    assert nominations(scene) == []


def test_a_person_is_nominated_by_name_and_a_missing_name_is_refused_next_to_it(scene):
    action = f"/ui/declare/{scene.campaign.id}/outstanding_administrator"
    with browser(scene) as client:
        page = client.get(action).text
        assert 'name="nominee.person_id"' in page and "被推荐人所在单位" in page
        data = {"nominee.unit_id": VILLAGE, "nominee.name": " ", "material": material_of(900)}
        refused = post(client, action, page, data)
        declared = post(client, action, page, dict(data, **{"nominee.name": "王建国"}))
    assert refused.status_code == 422
    assert field_error(refused.text, "nominee.name") == "须填写被推荐对象名称"
    assert declared.status_code == 303
    [nomination] = nominations(scene)
    assert (nomination.nominee.kind, nomination.nominee.name) == ("person", "王建国")


def test_the_pages_speak_english_when_asked(scene):
    scene.world.declare(scene.campaign, VILLAGE, declaring_unit=TOWNSHIP)
    with browser(scene) as client:
        home = client.get("/ui/declare", params={"lang": "en"}).text
        form = client.get(site_form(scene)).text  # the cookie keeps the choice
        refused = post(client, site_form(scene), form, {"nominee.unit_id": VILLAGE, "material": "short"})
    assert '<html lang="en">' in home and "Campaigns open to your unit" in home
    assert ">Declared<" in home and "Declarations due" in home
    assert "Typical material" in form and "Only the units of your jurisdiction" in form
    assert field_error(refused.text, "material") == (
        "the typical material has 5 characters; at least 800 are required"
    )
