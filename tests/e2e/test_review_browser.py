"""The reviewer's (初审) and the inspector's (考核) pages in a real browser (Chromium through
Playwright) against a real server, in Chinese, at 1280 and 390 px, under the pages'
Content-Security-Policy: a city reviewer narrows the queue to a township (htmx swaps the list),
has an admission refused with the Chinese message next to the failing check, admits and
rejects with reasons, and extends the pre-review deadline; then two inspectors score a site
with the keyboard alone, the second seeing the first's result only once their own is in.

Screenshots: test-artifacts/screenshots/review-<page>-<width>.png and inspect-<page>-<width>.png."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from domain.commands import IssueToken
from domain.vocabulary import NominationState
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import serve_on_port
from tests.builders.tree import CITY, OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP, UNIT_TREE
from tests.builders.world import World

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
SITES = ("qianshuang-cun", "houshuang-cun", "yangliu-cun")  # 前双村, 后双村, 杨柳村 of 彭镇
REJECTION = ("站点设备长期停用", "三簿一册缺失")
EXTENSION = "部分乡镇因汛期道路中断，材料未能按时报送"
SCORES = {  # criterion -> what the first inspector types
    "party_attention": "92",
    "site_management": "88",
    "programmes_watched": "90",
    "equipment_running": "86",
    "effect": "94",
}
pytestmark = pytest.mark.timeout(240)
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""


def shoot(page: Any, role: str, name: str) -> None:
    """The page at each width (full length, no sideways scrolling), then back to the first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{role}-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"
    assert page.evaluate("window.__violations") == [], name
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def tab_to(page: Any, selector: str, limit: int = 80) -> None:
    """Presses Tab until ``selector`` has the focus (it must be reachable by keyboard)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def log_in(browser: Any, base_url: str, token: str, path: str, width: int = 1280) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    context.set_default_timeout(10_000)
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{base_url}{path}")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
    return context, page


def queue_ids(page: Any) -> list[str]:
    return page.locator("tr[data-nomination-id]").evaluate_all(
        "rows => rows.map(r => r.dataset.nominationId)"
    )


def score_by_keyboard(page: Any, scores: dict[str, str], methods: int, notes: str) -> None:
    """Fills the scoring form with the keyboard alone: Tab from field to field, Space to answer
    each checklist item (符合, the first), tick a method and choose the verdict (合格, the
    first), Enter on the submit button."""
    tab_to(page, f"#f-scores-{next(iter(scores))}")
    for i, value in enumerate(scores.values()):
        if i:
            page.keyboard.press("Tab")
        page.keyboard.type(value)
    for name in page.locator('[data-testid="checklists"] input[value="met"]').evaluate_all(
        "radios => radios.map(r => r.name)"
    ):
        tab_to(page, f'input[name="{name}"][value="met"]')
        page.keyboard.press("Space")
    tab_to(page, '[data-testid="methods"] input[type=checkbox]')  # the first method
    for i in range(methods):
        if i:
            page.keyboard.press("Tab")
        page.keyboard.press("Space")
    tab_to(page, '[data-testid="verdict"] input[value="pass"]')
    page.keyboard.press("Space")
    tab_to(page, "#f-notes")
    page.keyboard.type(notes)
    tab_to(page, '[data-testid="submit-inspection"]')
    page.keyboard.press("Enter")


def test_a_reviewer_and_two_inspectors_do_their_work_in_a_browser(tmp_path: Path, browser: Any) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        sites = [world.declare(campaign, v) for v in SITES]
        other = world.declare(
            campaign, OTHER_TOWNSHIP_VILLAGE, declaring_unit=OTHER_TOWNSHIP, name="马庄村远教站点"
        )
        tokens = {
            name: app.execute(IssueToken(role=role, unit_id=CITY, label=name), ADMIN)["token"]
            for name, role in (("reviewer", "reviewer"), ("first", "inspector"), ("second", "inspector"))
        }
        clock.now = FIVE_GOOD_2022.pre_review
        errors: list[str] = []

        # 初审队列: every declared site; narrowing to 彭镇 swaps the list in place (htmx).
        context, page = log_in(browser, server.base_url, tokens["reviewer"], "/ui/review")
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert queue_ids(page) == [*sites, other]
        shoot(page, "review", "queue")
        page.select_option("#f-unit", TOWNSHIP)
        page.wait_for_selector('[data-testid="queue-count"][data-count="3"]')
        assert queue_ids(page) == sites and "unit=peng-zhen" in page.url
        assert page.locator('[data-testid="queue-count"]').text_content().strip() == "共 3 条"

        # A site whose equipment does not run: the admission is refused, the reason next to it.
        page.click(f'tr[data-nomination-id="{sites[0]}"] [data-testid="review-link"]')
        page.wait_for_url(f"**/ui/review/nominations/{sites[0]}")
        assert page.locator('[data-testid="material"]').text_content().startswith("彭镇远程教育典型材料")
        shoot(page, "review", "nomination")
        page.check('[data-testid="check-equipment_runs_normally"] input[value="false"]')
        page.check('[data-testid="check-hardware_damaged_by_missing_protections"] input[value="false"]')
        page.check('[data-testid="decision-choice"] input[value="admit"]')
        page.click('[data-testid="submit-decision"]')
        error = page.locator("#f-checks-equipment_runs_normally-error")
        assert error.text_content() == "因管理不善造成设备不能正常运行，不参加评选"
        assert page.locator('[data-testid="form-summary"]').is_visible()
        shoot(page, "review", "refused")

        # Found running after all: admitted; back on the queue with the message.
        page.check('[data-testid="check-equipment_runs_normally"] input[value="true"]')
        page.click('[data-testid="submit-decision"]')
        page.wait_for_url("**/ui/review")
        assert "已通过初审" in page.locator('[data-testid="flash"]').text_content()
        assert sites[0] not in queue_ids(page)

        # Rejected with two reasons, one a line.
        page.goto(f"{server.base_url}/ui/review/nominations/{sites[1]}")
        page.check('[data-testid="decision-choice"] input[value="reject"]')
        page.fill("#f-reasons", "\n".join(REJECTION))
        page.click('[data-testid="submit-decision"]')
        page.wait_for_url("**/ui/review")
        assert app.get_nomination(sites[1]).pre_review_result["reasons"] == list(REJECTION)

        # The pre-review deadline moved to 27 October, 18:00 Beijing time, with a reason.
        page.click('[data-testid="extend-link"]')
        page.wait_for_url(f"**/ui/review/campaigns/{campaign.id}/deadline")
        page.fill("#f-closes_at", "2022-10-27T18:00")
        page.fill("#f-reason", EXTENSION)
        shoot(page, "review", "extension")
        page.click('[data-testid="extend"]')
        page.wait_for_url(f"**/ui/review/campaigns/{campaign.id}/deadline")
        assert "截止时间已延长" in page.locator('[data-testid="flash"]').text_content()
        closes = page.locator('tr[data-phase="pre_review"] [data-testid="closes-at"]').text_content()
        assert closes == "2022-10-27 18:00"
        assert app.get_campaign(campaign.id).phase("pre_review").closes_at == datetime(
            2022, 10, 27, 10, tzinfo=UTC
        )
        context.close()
        world.admit(campaign, sites[2])
        clock.now = FIVE_GOOD_2022.inspection

        # 考核: the first inspector scores 前双村 with the keyboard alone.
        context, page = log_in(browser, server.base_url, tokens["first"], "/ui/inspect")
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert queue_ids(page) == [sites[0], sites[2]]
        shoot(page, "inspect", "queue")
        page.click(f'tr[data-nomination-id="{sites[0]}"] [data-testid="inspect-link"]')
        page.wait_for_url(f"**/ui/inspect/nominations/{sites[0]}")
        assert page.locator('[data-testid="others-hidden"]').is_visible()
        shoot(page, "inspect", "nomination")
        score_by_keyboard(page, SCORES, methods=2, notes="三簿一册记录完整")
        page.wait_for_selector('[data-testid="my-inspections"]')
        assert "考核结果已提交" in page.locator('[data-testid="flash"]').text_content()
        assert (
            page.locator('[data-testid="my-inspections"] [data-testid="weighted"]').text_content()
            == "90.00"
        )
        context.close()

        # The second inspector, on a phone: nothing of the first's until their own is in.
        context, page = log_in(
            browser, server.base_url, tokens["second"], f"/ui/inspect/nominations/{sites[0]}", 390
        )
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert page.locator('[data-testid="others-hidden"]').is_visible()
        assert "三簿一册记录完整" not in page.content()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        score_by_keyboard(page, dict.fromkeys(SCORES, "70"), methods=1, notes="现场操作熟练")
        page.wait_for_selector('[data-testid="other-inspections"]')
        assert "三簿一册记录完整" in page.locator('[data-testid="other-inspections"]').text_content()
        assert page.locator('[data-testid="mean-score"]').text_content() == "80.00"
        shoot(page, "inspect", "after")
        context.close()

        nomination = app.get_nomination(sites[0])
        assert nomination.state == NominationState.INSPECTED and len(nomination.inspections) == 2
        assert [len(i.methods) for i in nomination.inspections] == [2, 1]
        assert errors == []
