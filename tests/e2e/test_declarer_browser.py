"""The declarer's pages (申报单位) in a real browser (Chromium through Playwright) against a real
server, in Chinese: a township clerk logs in, finds the campaign and its deadline, declares a
village's site with the keyboard alone — the live count follows the typing, the activity-day
warnings appear when the site is chosen, a too-short material is refused with the Chinese
message next to the field —, withdraws a nomination with a reason and declares two more from
a CSV, reading the per-row report; at 1280 and 390 px, under the pages' Content-Security-Policy.

Screenshots: test-artifacts/screenshots/declarer-<page>-<width>.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.commands import IssueToken, RecordActivity, RegisterMember
from tests.builders.actors import ADMIN, declarer_of
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import serve_on_port
from tests.builders.material import material_of
from tests.builders.tree import OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import World

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
SITE = "five_good_site"
WITHDRAWAL = "站点搬迁至村委会新址"
CAMPAIGN_CARD = '[data-testid="campaign"][data-campaign-id="%s"]'
TYPED = "前双村远教站点 建设情况"  # 11 characters as the rule counts (the space does not count)
pytestmark = pytest.mark.timeout(180)
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""


def short_of_half_days(app: Any) -> None:
    """前双村 kept one activity day in 2022, and only two hours long: the warnings say so."""
    clerk = declarer_of(TOWNSHIP)
    app.execute(RegisterMember(unit_id=VILLAGE, member_id="m1", name="党员1", status="member"), clerk)
    session = {
        "session_id": "2022-01",
        "date": "2022-01-10",
        "kind": "all_member",
        "hours": 2,
        "topic": "party_building",
        "expected": ["m1"],
        "attendees": ["m1"],
        "five_haves": dict.fromkeys(
            ("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True
        ),
    }
    app.execute(RecordActivity(unit_id=VILLAGE, session=session), clerk)


def shoot(page: Any, name: str) -> None:
    """The page at each width (full length), then back to the first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"declarer-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"
    assert page.evaluate("window.__violations") == [], name
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Presses Tab until ``selector`` has the focus (it must be reachable by keyboard)."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} is not reachable with the Tab key")


def test_a_township_clerk_declares_withdraws_and_bulk_declares_in_a_browser(
    tmp_path: Path, browser: Any
) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        world.declare(
            campaign, OTHER_TOWNSHIP_VILLAGE, declaring_unit=OTHER_TOWNSHIP, name="马庄村远教站点"
        )
        earlier = world.declare(campaign, "yangliu-cun", declaring_unit=TOWNSHIP, name="杨柳村远教站点")
        short_of_half_days(app)
        token = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="彭镇 申报"), ADMIN)[
            "token"
        ]
        clock.now = FIVE_GOOD_2022.declaration + timedelta(hours=1)

        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        # Log in and land on the declarer's home (申报工作台) from the navigation.
        page.goto(f"{server.base_url}/ui/declare")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url("**/ui/declare")
        card = page.locator(CAMPAIGN_CARD % campaign.id)
        assert card.locator('[data-testid="declaration-status"]').get_attribute("data-open") == "true"
        assert "2022-10-21 00:00" in card.locator('[data-testid="declaration-status"]').text_content()
        rows = page.locator('[data-testid="nomination-row"]')
        assert rows.count() == 1 and "杨柳村远教站点" in rows.first.text_content()
        assert "马庄村" not in page.content()  # another township's work
        shoot(page, "home")

        # The declaration form, keyboard only.
        tab_to(
            page, f'{CAMPAIGN_CARD % campaign.id} [data-testid="declare-link"][data-category="{SITE}"]'
        )
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/ui/declare/{campaign.id}/{SITE}")
        tab_to(page, "#f-nominee-unit_id")
        while page.eval_on_selector("#f-nominee-unit_id", "s => s.value") != VILLAGE:
            page.keyboard.press("ArrowDown")
        warnings = page.locator('[data-testid="warnings-list"] li')
        warnings.first.wait_for()
        assert warnings.first.get_attribute("data-rule") == "activity_day_collective"
        assert (
            "1 月活动日不足半天（2.0 小时）" in page.locator('[data-testid="warnings"]').text_content()
        )
        tab_to(page, "#f-material")
        page.keyboard.type(TYPED)
        count = page.locator('[data-testid="material-count"]')
        page.wait_for_function(
            "() => document.querySelector('[data-testid=material-count]').dataset.count === '11'"
        )
        assert count.get_attribute("data-short") == "true" and "已写 11 字" in count.text_content()
        tab_to(page, '[data-testid="declare-submit"]')
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        error = page.locator('.field-error[data-field="material"]')
        assert error.text_content() == "典型材料仅 11 字，须不少于 800 字"
        assert page.get_attribute("#f-material", "aria-invalid") == "true"
        assert "f-material-error" in page.get_attribute("#f-material", "aria-describedby")
        assert page.eval_on_selector("#f-nominee-unit_id", "s => s.value") == VILLAGE  # kept
        shoot(page, "refused")

        tab_to(page, "#f-material")
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(material_of(820))
        page.keyboard.type("。")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=material-count]').dataset.short === 'false'"
        )
        tab_to(page, '[data-testid="declare-submit"]')
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/ui/declare/{campaign.id}")
        assert "已提交申报：前双村" in page.locator('[data-testid="flash"]').text_content()
        assert "未达到远程教育活动日要求" in page.locator('[data-testid="flash"]').text_content()
        declared = page.locator('[data-testid="nomination-row"]', has_text="前双村")
        assert declared.locator('[data-testid="state"]').text_content() == "已申报"
        shoot(page, "campaign")

        # Another, keyboard only at phone width: a village without an activity register.
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{server.base_url}/ui/declare/{campaign.id}/{SITE}")
        tab_to(page, "#f-nominee-unit_id")
        while page.eval_on_selector("#f-nominee-unit_id", "s => s.value") != "liuwan-cun":
            page.keyboard.press("ArrowDown")
        page.locator('[data-testid="warnings-none"]').wait_for()
        tab_to(page, "#f-material")
        page.keyboard.insert_text(material_of(850))
        tab_to(page, '[data-testid="declare-submit"]')
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/ui/declare/{campaign.id}")
        assert page.locator('[data-testid="flash"]').text_content().strip() == "已提交申报：柳湾村"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.set_viewport_size({"width": 1280, "height": 900})

        # Withdraw the earlier one, with a reason.
        page.locator(f'[data-nomination-id="{earlier}"] [data-testid="withdraw-link"]').click()
        page.wait_for_url(f"**/ui/declare/nominations/{earlier}/withdraw")
        page.fill('[data-testid="withdraw-reason"]', WITHDRAWAL)
        shoot(page, "withdraw")
        page.click('[data-testid="withdraw-submit"]')
        page.wait_for_url(f"**/ui/declare/{campaign.id}")
        withdrawn = page.locator(f'[data-nomination-id="{earlier}"]')
        assert withdrawn.locator('[data-testid="state"]').text_content() == "已撤回"
        assert withdrawn.locator('[data-testid="reasons"]').text_content().strip() == WITHDRAWAL
        assert app.get_nomination(earlier).closing_reason == WITHDRAWAL

        # Bulk: the CSV template lists our villages; two rows filled in, one left short.
        template = page.request.get(f"{server.base_url}/ui/declare/{campaign.id}/{SITE}/template.csv")
        lines = template.body().decode("utf-8-sig").splitlines()
        header = lines[0]
        material = material_of(900, line_width=None)
        body = "\n".join(
            [
                header,
                f'{SITE},{TOWNSHIP},site,houshuang-cun,后双村远教站点,,"{material}"',
                f"{SITE},{TOWNSHIP},site,shiqiao-cun,石桥村远教站点,,太短",
            ]
        )
        page.set_input_files(
            '[data-testid="bulk-form"] input[type=file]',
            files=[{"name": "彭镇批量申报.csv", "mimeType": "text/csv", "buffer": body.encode()}],
        )
        page.click('[data-testid="bulk-submit"]')
        page.wait_for_url(f"**/ui/declare/{campaign.id}/nominations:import")
        summary = page.locator('[data-testid="report-summary"]')
        assert (summary.get_attribute("data-created"), summary.get_attribute("data-failed")) == (
            "1",
            "1",
        )
        assert (
            page.locator('[data-row="3"][data-status="error"]').text_content().count("典型材料仅 2 字")
            == 1
        )
        shoot(page, "import")

        assert page.evaluate("window.__violations") == []
        assert errors == []
        names = {n.nominee.name for n in app.queries.campaign_nominations(campaign.id)}
        assert names == {"马庄村远教站点", "杨柳村远教站点", "前双村", "柳湾村", "后双村远教站点"}
        context.close()
