"""The reviewer's (初审) and the inspector's (考核) pages over HTTP, in the test process: the
queues and their filters, admitting and rejecting through the safe form, a refused admission
showing each failed rule in Chinese next to its field, the deadline extension (and the
campaign's workflow told of it), inspections scored per criterion, and other inspectors'
results kept from an inspector until their own is in."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from domain.application import Laurel
from domain.commands import IssueToken, PreReview
from domain.vocabulary import NominationState
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.clock import DOUBLE_STRENGTHEN_2011, FIVE_GOOD_2022, Clock
from tests.builders.forms import FIVE_PROTECTIONS_OK, PLATFORM_FORM, SITE_CHECKLIST
from tests.builders.http import Server, serve_in_process
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP, UNIT_TREE
from tests.builders.world import CampaignRef, World

SITES = ("qianshuang-cun", "houshuang-cun", "yangliu-cun")  # 前双村, 后双村, 杨柳村 of 彭镇
REJECTION = ["材料与去年雷同", "站点设备长期停用"]


@dataclass
class Desk:
    server: Server
    world: World
    clock: Clock
    campaign: CampaignRef
    sites: list[str]  # 彭镇's three villages, then 棋盘镇's 马庄村
    administrator: str  # an outstanding administrator (a person) of 前双村
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def app(self) -> Laurel:
        return self.server.services.app


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """A seed-000 campaign of 示范市 in its pre-review phase: four sites and an administrator
    declared by two townships; tokens for the city's reviewer, two inspectors and a declarer."""
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        sites = [world.declare(campaign, v) for v in SITES]
        sites.append(
            world.declare(
                campaign, OTHER_TOWNSHIP_VILLAGE, declaring_unit=OTHER_TOWNSHIP, name="马庄村远教站点"
            )
        )
        administrator = world.declare(
            campaign,
            "qianshuang-cun",
            category="outstanding_administrator",
            name="王建国",
            person_id="610000198001010011",
        )
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=unit, label=name), ADMIN)["token"]
            for name, role, unit in (
                ("reviewer", "reviewer", CITY),
                ("inspector", "inspector", CITY),
                ("second inspector", "inspector", CITY),
                ("declarer", "declarer", TOWNSHIP),
                ("county reviewer", "reviewer", COUNTY),
            )
        }
        clock.now = FIVE_GOOD_2022.pre_review
        yield Desk(server, world, clock, campaign, sites, administrator, tokens)


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def form_fields(html: str, form_id: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, idempotency key, version) of the page's form ``form_id``."""
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def post(client: httpx.Client, path: str, data: dict[str, str | list[str]]) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client)})


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-nomination-id="([^"]+)"', html)


def field_error(html: str, name: str) -> str:
    """The error shown next to the field ``name`` (its id is ``f-<name>``, dots as dashes)."""
    slot = "f-" + name.replace(".", "-")
    found = re.search(
        rf'<p class="field-error" id="{slot}-error" data-field="{re.escape(name)}">(.*?)</p>', html
    )
    assert found, f"no error next to {name}"
    return html_text.unescape(found.group(1))


def review(
    desk: Desk, client: httpx.Client, nomination_id: str, **data: str | list[str]
) -> httpx.Response:
    page = client.get(f"/ui/review/nominations/{nomination_id}")
    assert page.status_code == 200, page.text
    fields = form_fields(page.text, "review-form")
    return post(client, f"/ui/review/nominations/{nomination_id}/pre-review", {**fields, **data})


SOUND_SITE = {
    "checks.equipment_runs_normally": "true",
    "checks.hardware_damaged_by_missing_protections": "false",
}


# --- the pre-review queue ----------------------------------------------------------------------


def test_the_review_queue_lists_declared_nominations_filtered_by_category_unit_and_state(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        queue = reviewer.get("/ui/review")
        assert queue.status_code == 200
        assert listed(queue.text) == [*desk.sites, desk.administrator]
        assert 'data-testid="review-filters"' in queue.text and 'hx-get="/ui/review"' in queue.text

        by_category = reviewer.get("/ui/review", params={"category": "outstanding_administrator"})
        assert listed(by_category.text) == [desk.administrator]
        by_unit = reviewer.get("/ui/review", params={"unit": OTHER_TOWNSHIP})
        assert listed(by_unit.text) == [desk.sites[3]]
        assert '<option value="qipan-zhen" selected>棋盘镇</option>' in by_unit.text

        desk.world.admit(desk.campaign, desk.sites[0])
        admitted = reviewer.get("/ui/review", params={"state": "admitted"})
        assert listed(admitted.text) == [desk.sites[0]]
        assert desk.sites[0] not in listed(reviewer.get("/ui/review").text)  # declared, by default
        every = reviewer.get("/ui/review", params={"state": ""})
        assert set(listed(every.text)) == {*desk.sites, desk.administrator}


def test_an_htmx_filter_change_gets_the_list_alone(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        fragment = reviewer.get(
            "/ui/review",
            params={"unit": TOWNSHIP, "category": "five_good_site"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200 and "HX-Request" in fragment.headers["vary"]
        assert "<html" not in fragment.text and 'data-testid="queue-count"' in fragment.text
        assert listed(fragment.text) == desk.sites[:3]
        restored = reviewer.get(
            "/ui/review", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
        assert "<html" in restored.text  # a history restore wants the whole page


def test_only_reviewers_of_the_organisers_jurisdiction_get_the_review_pages(desk) -> None:
    with signed_in(desk.server, desk.tokens["declarer"]) as declarer:
        refused = declarer.get("/ui/review")
        assert refused.status_code == 403 and 'data-code="role-not-allowed"' in refused.text
        assert declarer.get(f"/ui/review/nominations/{desk.sites[0]}").status_code == 403
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        assert inspector.get("/ui/review").status_code == 403
    with signed_in(desk.server, desk.tokens["county reviewer"]) as county:  # a city's campaign
        queue = county.get("/ui/review")
        assert queue.status_code == 200 and listed(queue.text) == []
        assert 'data-testid="no-campaigns"' in queue.text
        assert county.get(f"/ui/review/nominations/{desk.sites[0]}").status_code == 403


# --- one nomination: admit, reject -------------------------------------------------------------


def test_the_review_page_shows_the_material_form_and_the_checks_the_category_asks_for(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        page = reviewer.get(f"/ui/review/nominations/{desk.sites[0]}").text
        nomination = desk.app.get_nomination(desk.sites[0])
        assert html_text.escape(nomination.material.splitlines()[3][:30]) in page  # the material itself
        assert 'data-testid="material-count" data-chars="' in page
        assert 'data-testid="check-equipment_runs_normally"' in page
        assert "是否因“五防”措施不到位造成电脑主板、内存、硬盘等硬件损坏" in page
        assert f'<input type="hidden" name="version" value="{nomination.version}">' in page
        assert 'name="decision" value="admit"' in page and 'name="decision" value="reject"' in page


def test_admitting_through_the_page_records_the_decision_and_the_checks_once(desk) -> None:
    path = f"/ui/review/nominations/{desk.sites[0]}/pre-review"
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        fields = form_fields(reviewer.get(f"/ui/review/nominations/{desk.sites[0]}").text, "review-form")
        data = {**fields, "decision": "admit", **SOUND_SITE}
        forged = reviewer.post(path, data=data, headers={"Origin": "https://evil.example"})
        assert forged.status_code == 403 and desk.app.get_nomination(desk.sites[0]).version == 1
        first = post(reviewer, path, data)
        again = post(reviewer, path, data)  # a double click, or a reload
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == "/ui/review"
        assert "已通过初审" in reviewer.get("/ui/review").text  # the flash message
    nomination = desk.app.get_nomination(desk.sites[0])
    assert nomination.state == NominationState.ADMITTED and nomination.version == 2  # appended once
    assert nomination.pre_review_result["checks"] == FIVE_PROTECTIONS_OK
    reviewed = desk.app.queries.history(desk.sites[0])[-1]
    assert reviewed["type"] == "nomination.pre_reviewed" and reviewed["actor"]["role"] == "reviewer"


def test_rejecting_needs_reasons_and_records_each_line_as_one(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        bare = review(desk, reviewer, desk.sites[1], decision="reject")
        assert bare.status_code == 422
        assert field_error(bare.text, "reasons") == "不予通过须说明理由"
        assert 'aria-invalid="true"' in bare.text
        rejected = review(
            desk, reviewer, desk.sites[1], decision="reject", reasons="\n".join(REJECTION) + "\n\n"
        )
        assert rejected.status_code == 303
    nomination = desk.app.get_nomination(desk.sites[1])
    assert nomination.state == NominationState.REJECTED
    assert nomination.pre_review_result["reasons"] == REJECTION


def test_a_refused_admission_shows_each_failing_check_in_chinese_next_to_it(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        unanswered = review(desk, reviewer, desk.sites[2], decision="admit")
        assert unanswered.status_code == 422
        assert "设备是否正常运行" in field_error(unanswered.text, "checks")
        failing = review(
            desk,
            reviewer,
            desk.sites[2],
            decision="admit",
            **{
                "checks.equipment_runs_normally": "false",
                "checks.hardware_damaged_by_missing_protections": "true",
            },
        )
        assert failing.status_code == 422
        page = failing.text
        assert (
            field_error(page, "checks.equipment_runs_normally")
            == "因管理不善造成设备不能正常运行，不参加评选"
        )
        assert "五防" in field_error(page, "checks.hardware_damaged_by_missing_protections")
        assert 'role="alert"' in page and "有 2 处需要修改" in page
        assert re.search(r'value="false" checked', page)  # the answers kept
        nothing = review(desk, reviewer, desk.sites[2], decision="")
        assert nothing.status_code == 422 and "初审结论须为" in field_error(nothing.text, "decision")
    assert desk.app.get_nomination(desk.sites[2]).state == NominationState.DECLARED


def test_a_refused_admission_names_each_threshold_next_to_its_declared_value(tmp_path: Path) -> None:
    clock = Clock(DOUBLE_STRENGTHEN_2011.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign("double-strengthen", organiser=COUNTY)
        form = {**PLATFORM_FORM, "operation_rate": 90.0, "satisfaction_rate": 80.0}
        platform = world.declare(
            campaign, TOWNSHIP, category="advanced_teaching_platform", name="彭镇远教平台", form=form
        )
        clock.now = DOUBLE_STRENGTHEN_2011.pre_review
        token = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="市委组织部"), ADMIN)[
            "token"
        ]
        with signed_in(server, token) as reviewer:
            page = reviewer.get(f"/ui/review/nominations/{platform}").text
            before = field_error(page, "form.operation_rate")  # shown before anyone clicks
            assert before == "终端站点正常运行率保持在95%以上：须不低于 95，申报为 90.0"
            assert 'data-testid="precheck-failures"' in page
            refused = post(
                reviewer,
                f"/ui/review/nominations/{platform}/pre-review",
                {**form_fields(page, "review-form"), "decision": "admit"},
            )
            assert refused.status_code == 422
            assert field_error(refused.text, "form.operation_rate") == before
            assert "满意率（抽样测评）在90%以上" in field_error(refused.text, "form.satisfaction_rate")
            assert 'href="#f-form-operation_rate"' in refused.text  # the summary links to it
            english = reviewer.get(f"/ui/review/nominations/{platform}", params={"lang": "en"}).text
            assert "Terminal sites&#39; normal operation rate: must be &gt;= 95" in english
        assert app.get_nomination(platform).state == NominationState.DECLARED


def test_a_stale_review_form_is_refused_kindly_with_the_nomination_as_it_is_now(desk) -> None:
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        opened = form_fields(reviewer.get(f"/ui/review/nominations/{desk.sites[0]}").text, "review-form")
        desk.app.execute(  # meanwhile, a colleague rejects it
            PreReview(nomination_id=desk.sites[0], decision="reject", reasons=["重复申报"]),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
        stale = post(
            reviewer,
            f"/ui/review/nominations/{desk.sites[0]}/pre-review",
            {**opened, "decision": "admit", **SOUND_SITE},
        )
        assert stale.status_code == 409
        assert "这条记录已被他人修改" in stale.text and 'data-testid="stale"' in stale.text
        assert 'data-decision="reject"' in stale.text and "重复申报" in stale.text
        assert 'id="review-form"' not in stale.text  # nothing left to decide
    assert desk.app.get_nomination(desk.sites[0]).state == NominationState.REJECTED


def test_the_decision_is_not_offered_outside_the_pre_review_phase(desk) -> None:
    desk.clock.now = FIVE_GOOD_2022.inspection
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        page = reviewer.get(f"/ui/review/nominations/{desk.sites[0]}").text
        assert 'id="review-form"' not in page
        assert 'data-testid="why-not" data-code="phase-not-open"' in page and "不在办理期内" in page


# --- deadline extension ------------------------------------------------------------------------


def test_the_deadline_extension_moves_the_deadline_and_tells_the_campaign_workflow(
    desk, monkeypatch
) -> None:
    told: list[str] = []

    async def deadline_extended(campaign_id: str) -> None:
        told.append(campaign_id)

    monkeypatch.setattr(desk.server.services.scheduler, "deadline_extended", deadline_extended)
    path = f"/ui/review/campaigns/{desk.campaign.id}/deadline"
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        assert f'href="{path}"' in reviewer.get("/ui/review").text
        page = reviewer.get(path).text
        assert '<option value="pre_review" selected>' in page and "declaration" not in re.findall(
            r'<option value="([^"]+)"', page
        )  # a closed phase is not offered
        fields = form_fields(page, "extension-form")
        without = post(
            reviewer, path, {**fields, "phase": "pre_review", "closes_at": "2022-10-27T18:00"}
        )
        assert without.status_code == 422 and field_error(without.text, "reason") == "延期须说明理由"
        garbled = post(
            reviewer, path, {**fields, "phase": "pre_review", "closes_at": "明天", "reason": "x"}
        )
        assert field_error(garbled.text, "closes_at") == "请填写有效的日期和时间"
        assert told == []
        reason = "部分乡镇因汛期道路中断，材料未能按时报送"
        done = post(
            reviewer,
            path,
            {**fields, "phase": "pre_review", "closes_at": "2022-10-27T18:00", "reason": reason},
        )
        assert done.status_code == 303 and done.headers["location"] == path
        assert "截止时间已延长" in reviewer.get(path).text
    campaign = desk.app.get_campaign(desk.campaign.id)
    assert campaign.phase("pre_review").closes_at == datetime(
        2022, 10, 27, 10, tzinfo=UTC
    )  # 18:00 in Beijing
    assert told == [desk.campaign.id]


# --- the inspector -----------------------------------------------------------------------------


CHECKLIST_MET = {
    f"checklist.{code}.{item}": "met" for code, items in SITE_CHECKLIST.items() for item in items
}  # every item of 持证上岗, 三簿一册, 五防 answered "met"


def inspect(client: httpx.Client, nomination_id: str, **data: str | list[str]) -> httpx.Response:
    page = client.get(f"/ui/inspect/nominations/{nomination_id}")
    assert page.status_code == 200, page.text
    return post(
        client,
        f"/ui/inspect/nominations/{nomination_id}/inspection",
        {**form_fields(page.text, "inspection-form"), **CHECKLIST_MET, **data},
    )


def scores(score: str, **others: str) -> dict[str, str]:
    codes = ("party_attention", "site_management", "programmes_watched", "equipment_running", "effect")
    return {f"scores.{c}": others.get(c, score) for c in codes}


def test_the_inspection_queue_lists_admitted_nominations_once_the_inspection_phase_is_open(desk) -> None:
    for site in desk.sites[:2]:
        desk.world.admit(desk.campaign, site)
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        early = inspector.get("/ui/inspect")
        assert early.status_code == 200 and 'data-testid="no-campaigns"' in early.text
        desk.clock.now = FIVE_GOOD_2022.inspection
        assert listed(inspector.get("/ui/inspect").text) == desk.sites[:2]
        desk.world.inspect(desk.campaign, desk.sites[0], 90, actor=CITY_INSPECTOR)  # another token
        assert listed(inspector.get("/ui/inspect").text) == desk.sites[:2]  # not mine
        assert (
            inspect(
                inspector, desk.sites[1], verdict="pass", methods="site_visit", **scores("88")
            ).status_code
            == 303
        )
        assert listed(inspector.get("/ui/inspect").text) == [desk.sites[0]]
        assert listed(inspector.get("/ui/inspect", params={"show": "done"}).text) == [desk.sites[1]]
    with signed_in(desk.server, desk.tokens["reviewer"]) as reviewer:
        assert reviewer.get("/ui/inspect").status_code == 403


def test_the_scoring_form_shows_each_criterion_with_its_weight_range_and_rubric(desk) -> None:
    desk.world.admit(desk.campaign, desk.sites[0])
    desk.clock.now = FIVE_GOOD_2022.inspection
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        page = inspector.get(f"/ui/inspect/nominations/{desk.sites[0]}").text
        assert '<label for="f-scores-party_attention">党组织重视措施好' in page
        assert "权重 20（占 20%） · 0–100 分" in page
        assert re.search(
            r'id="f-scores-effect" name="scores.effect" type="number"[^>]*min="0" max="100"', page
        )
        for label in ("查阅资料", "实地考察", "现场操作", "问卷调查", "合格", "不合格"):
            assert label in page
        assert "合格线为 60.0 分" in page


def test_an_inspection_with_scores_is_recorded_and_others_show_only_after_mine(desk) -> None:
    desk.world.admit(desk.campaign, desk.sites[0])
    desk.clock.now = FIVE_GOOD_2022.inspection
    first_notes = "三簿一册记录完整，设备运行良好"
    with signed_in(desk.server, desk.tokens["inspector"]) as first:
        done = inspect(
            first,
            desk.sites[0],
            methods=["document_review", "site_visit"],
            verdict="pass",
            notes=first_notes,
            **scores("90", effect="80"),
        )
        assert (
            done.status_code == 303
            and done.headers["location"] == f"/ui/inspect/nominations/{desk.sites[0]}"
        )
        mine = first.get(done.headers["location"]).text
        assert (
            "考核结果已提交" in mine and 'data-testid="my-inspections"' in mine and first_notes in mine
        )
        assert 'data-testid="others-none"' in mine
    inspection = desk.app.get_nomination(desk.sites[0]).inspections[0]
    assert inspection.scores["effect"] == 80.0 and inspection.weighted_score == 88.0
    assert [str(m) for m in inspection.methods] == ["document_review", "site_visit"]
    with signed_in(desk.server, desk.tokens["second inspector"]) as second:
        before = second.get(f"/ui/inspect/nominations/{desk.sites[0]}").text
        assert 'data-testid="others-hidden"' in before
        assert first_notes not in before and "88.00" not in before
        # Nor do the shared nomination page and the dashboard tell it the first one's score.
        shared = second.get(f"/ui/nominations/{desk.sites[0]}").text
        assert first_notes not in shared and "88.00" not in shared
        board = second.get(f"/ui/campaigns/{desk.campaign.id}").text
        assert "88.00" not in board
        assert (
            inspect(
                second, desk.sites[0], methods="questionnaire", verdict="pass", **scores("70")
            ).status_code
            == 303
        )
        after = second.get(f"/ui/inspect/nominations/{desk.sites[0]}").text
        assert 'data-testid="other-inspections"' in after and first_notes in after and "88.00" in after
        assert 'data-testid="mean-score">79.00<' in after
        assert first_notes in second.get(f"/ui/nominations/{desk.sites[0]}").text


def test_a_refused_inspection_shows_each_failure_next_to_its_field(desk) -> None:
    desk.world.admit(desk.campaign, desk.sites[0])
    desk.clock.now = FIVE_GOOD_2022.inspection
    with signed_in(desk.server, desk.tokens["inspector"]) as inspector:
        refused = inspect(
            inspector, desk.sites[0], verdict="pass", **scores("80", effect="150", site_management="")
        )
        assert refused.status_code == 422
        page = refused.text
        assert field_error(page, "methods") == "须至少采用一种考核方式"
        assert field_error(page, "scores.site_management") == "标准「站点管理维护好」未评分"
        assert field_error(page, "scores.effect") == "「作用发挥效果好」得分须在 0-100 之间"
        assert 'value="150"' in page  # kept
        low = inspect(inspector, desk.sites[0], verdict="pass", methods="site_visit", **scores("50"))
        assert "低于合格线 60.0" in field_error(low.text, "verdict")
    assert desk.app.get_nomination(desk.sites[0]).inspections == []
