"""A whole five-good-sites mini-campaign run only through the pages, in Chinese, in Chromium:
the administrator builds the unit tree, creates the campaign from its template and issues the
tokens; two township declarers declare (a too-short material is refused, the Chinese message
next to the field); the city reviewer admits one site and rejects the other; the inspector
scores; the reviewer, as organiser, commends within quota and downloads the XLSX list; the
auditor opens a nomination as it stood at a past instant. Then the API shows exactly those
events, by those actors — and nothing the refused form tried.

Each role's main page is saved at 1280 and 390 px wide under test-artifacts/screenshots/
(``LAUREL_UPDATE_SCREENSHOT=1`` also refreshes the README's two, docs/screenshots/); at 390 px
no page may scroll sideways."""

from __future__ import annotations

import io
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import ADMIN_TOKEN, serve_on_port
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP, city

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = (1280, 390)
SHORT_MATERIAL = "我村远教站点坚持每月开展活动，群众反响很好。"
REJECTION = "站点设备长期停用，三簿一册缺失"
SITE = "five_good_site"
pytestmark = pytest.mark.timeout(300)
# Records every policy violation the page reports (an init script runs outside the page's policy).
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""


class Browser:
    """One person at one browser: a context of its own (its cookies), in Chinese."""

    def __init__(self, chromium: Any, base_url: str, role: str, overflow: list[str]) -> None:
        self.base_url, self.role, self.overflow = base_url, role, overflow
        self.context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(f"{role}: {error}"))

    def go(self, path: str) -> Any:
        return self.page.goto(f"{self.base_url}{path}")

    def log_in(self, token: str) -> None:
        self.go("/ui/login")
        assert "laurel up" in self.page.locator('[data-testid="admin-hint"]').text_content()
        self.page.fill("#token", token)
        self.page.click('form[action="/ui/login"] button[type=submit]')
        self.page.wait_for_url(f"{self.base_url}/ui/")

    def shoot(self, name: str) -> None:
        """The page at each width, saved; at phone width it must not scroll sideways."""
        for width in WIDTHS:
            self.page.set_viewport_size({"width": width, "height": 900})
            if width == 390:
                wide = self.page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    self.overflow.append(f"{self.role}-{name}: {wide} px")
            self.page.screenshot(
                path=str(SCREENSHOTS / f"{self.role}-{name}-{width}.png"), full_page=True
            )
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def flash(self) -> str:
        return str(self.page.locator('[data-testid="flash"]').text_content()).strip()

    def close(self) -> list[str]:
        violations: list[str] = self.page.evaluate("window.__violations")
        self.context.close()
        return [*self.errors, *violations]


@contextmanager
def people(chromium: Any, base_url: str) -> Iterator[dict[str, Any]]:
    overflow: list[str] = []
    opened: dict[str, Browser] = {}

    def person(role: str) -> Browser:
        opened[role] = Browser(chromium, base_url, role, overflow)
        return opened[role]

    yield {"open": person, "overflow": overflow}
    problems = [p for b in opened.values() for p in b.close()]
    assert problems == [], problems


def build_tree(admin: Browser) -> None:
    """示范市 > 宜君县 > 彭镇 (前双村), 棋盘镇 (马庄村), one form each."""
    admin.go("/ui/admin/units")
    for row in city(townships=2, villages=1).rows:
        form = admin.page.locator('[data-testid="add-unit-form"]')
        form.locator("#f-id").fill(row.code)
        form.locator("#f-name_zh").fill(row.name_zh)
        form.locator("#f-name").fill(row.name)
        form.locator("#f-level").select_option(str(row.level))
        form.locator("#f-parent_id").fill(row.parent_id or "")
        form.locator("button[type=submit]").click()
        admin.page.wait_for_url(f"**/ui/admin/units/{row.code}")
        assert row.name_zh in admin.flash()
        admin.go("/ui/admin/units")


def issue_token(admin: Browser, role: str, unit: str | None, label: str) -> str:
    """A token issued on the tokens page; its secret, shown once."""
    admin.go("/ui/admin/tokens")
    form = admin.page.locator('[data-testid="issue-form"]')
    form.locator("#f-role").select_option(role)
    form.locator("#f-unit_id").fill(unit or "")
    form.locator("#f-label").fill(label)
    form.locator('[data-testid="issue-submit"]').click()
    secret = admin.page.locator('[data-testid="token-secret"]')
    value = str(secret.input_value())
    assert value.startswith("lrl_")
    return value


def declare(declarer: Browser, campaign_id: str, village: str, material: str) -> None:
    declarer.go(f"/ui/declare/{campaign_id}/{SITE}")
    form = declarer.page.locator('[data-testid="declare-form"]')
    form.locator("#f-nominee-unit_id").select_option(village)
    form.locator('[data-testid="material"]').fill(material)
    with declarer.page.expect_navigation():
        form.locator('[data-testid="declare-submit"]').click()


def history(api: httpx.Client, nomination_id: str) -> list[tuple[str, str, str | None, str]]:
    """Each event of the nomination: (type, role, unit, token id)."""
    events = api.get(f"/v1/nominations/{nomination_id}/history").json()
    items = events["items"] if isinstance(events, dict) else events
    return [
        (e["type"], e["actor"]["role"], e["actor"].get("unit_id"), e["actor"]["token_id"]) for e in items
    ]


def test_a_five_good_sites_campaign_runs_end_to_end_through_the_pages(
    tmp_path: Path, browser: Any
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clock = Clock(FIVE_GOOD_2022.before_declaration)
    with (
        serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server,
        people(browser, server.base_url) as cast,
    ):
        # The administrator: the login page says where the token is; then the first steps.
        admin = cast["open"]("admin")
        response = admin.go("/ui/")
        assert "/ui/login" in admin.page.url and response is not None
        admin.shoot("login")
        admin.log_in(ADMIN_TOKEN)
        assert admin.page.locator('[data-testid="first-steps"]').is_visible()
        admin.shoot("first-steps")
        build_tree(admin)
        admin.go("/ui/campaigns/new")
        admin.page.select_option("#f-template", "five-good-sites")
        admin.page.select_option("#f-organiser_unit_id", CITY)
        admin.page.fill("#f-year", "2022")
        with admin.page.expect_navigation():
            admin.page.click('[data-testid="campaign-form"] button[type=submit]')
        campaign_id = admin.page.url.rsplit("/", 1)[1]
        assert "评选活动已创建" in admin.flash()
        tokens = {
            "peng": issue_token(admin, "declarer", TOWNSHIP, "彭镇 申报"),
            "qipan": issue_token(admin, "declarer", OTHER_TOWNSHIP, "棋盘镇 申报"),
            "reviewer": issue_token(admin, "reviewer", CITY, "市委组织部 初审与表彰"),
            "inspector": issue_token(admin, "inspector", CITY, "市考核组"),
            "auditor": issue_token(admin, "auditor", None, "审计"),
        }
        admin.go("/ui/admin")
        admin.shoot("admin")
        admin.go("/ui/")
        assert not admin.page.locator('[data-testid="first-steps"]').count()

        # Two township declarers declare; a too-short material is refused next to its field.
        clock.now = FIVE_GOOD_2022.declaration
        peng = cast["open"]("declarer")
        peng.log_in(tokens["peng"])
        peng.go("/ui/declare")
        peng.shoot("declare")
        # htmx (served from this site, under the policy) counts the material as the rule does.
        peng.go(f"/ui/declare/{campaign_id}/{SITE}")
        peng.page.locator('[data-testid="material"]').fill(SHORT_MATERIAL)
        count = peng.page.locator("#material-count")
        deadline = time.monotonic() + 10  # no wait_for_function: it evaluates a string (no eval here)
        while "22" not in str(count.text_content()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "22" in str(count.text_content())
        declare(peng, campaign_id, "qianshuang-cun", SHORT_MATERIAL)
        error = peng.page.locator("#f-material-error")
        assert "典型材料仅" in error.text_content() and "须不少于 800 字" in error.text_content()
        assert peng.page.locator("#f-material").get_attribute("aria-invalid") == "true"
        assert peng.page.locator('[data-testid="form-summary"]').is_visible()
        peng.shoot("declare-refused")
        declare(peng, campaign_id, "qianshuang-cun", TYPICAL_MATERIAL)
        assert peng.page.url.endswith(f"/ui/declare/{campaign_id}") and peng.flash()
        qipan = cast["open"]("declarer-qipan")
        qipan.log_in(tokens["qipan"])
        declare(qipan, campaign_id, "mazhuang-cun", TYPICAL_MATERIAL)
        assert qipan.page.url.endswith(f"/ui/declare/{campaign_id}")

        # The city reviewer admits 前双村 and rejects 马庄村, with a reason.
        clock.now = FIVE_GOOD_2022.pre_review
        reviewer = cast["open"]("reviewer")
        reviewer.log_in(tokens["reviewer"])
        reviewer.go("/ui/review")
        reviewer.shoot("review")
        links = reviewer.page.locator('[data-testid="review-queue"] th a')
        queue = {str(a.text_content()): str(a.get_attribute("href")) for a in links.all()}
        assert len(queue) == 2, queue
        ids = {}
        for name, href in queue.items():
            village = "qianshuang" if "前双村" in name else "mazhuang"
            ids[village] = href.rsplit("/", 1)[1]
            reviewer.go(href)
            decision = reviewer.page.locator('[data-testid="review-form"]')
            if village == "qianshuang":
                for box in decision.locator('[data-testid^="check-"]').all():
                    code = str(box.get_attribute("data-testid")).removeprefix("check-")
                    sound = "false" if "damaged" in code else "true"
                    box.locator(f'input[value="{sound}"]').check()
                decision.locator('[data-testid="decision-choice"] input[value="admit"]').check()
            else:
                decision.locator('[data-testid="decision-choice"] input[value="reject"]').check()
                decision.locator("#f-reasons").fill(REJECTION)
            with reviewer.page.expect_navigation():
                decision.locator('[data-testid="submit-decision"]').click()
            assert reviewer.flash(), village

        # The inspector scores 前双村.
        clock.now = FIVE_GOOD_2022.inspection
        inspector = cast["open"]("inspector")
        inspector.log_in(tokens["inspector"])
        inspector.go("/ui/inspect")
        inspector.shoot("inspect")
        inspector.go(f"/ui/inspect/nominations/{ids['qianshuang']}")
        scoring = inspector.page.locator('[data-testid="inspection-form"]')
        for score in scoring.locator("input[data-criterion]").all():
            score.fill("92")
        for item in scoring.locator('[data-testid="checklists"] input[value="met"]').all():
            item.check()
        for method in scoring.locator('[data-testid="methods"] input[type=checkbox]').all():
            method.check()
        scoring.locator('[data-testid="verdict"] input[value="pass"]').check()
        scoring.locator("#f-notes").fill("现场操作熟练，设备运行正常")
        with inspector.page.expect_navigation():
            scoring.locator('[data-testid="submit-inspection"]').click()
        assert inspector.flash()

        # The organiser commends within quota and downloads the list.
        clock.now = FIVE_GOOD_2022.commendation
        reviewer.go("/ui/organise")
        reviewer.shoot("organise")
        reviewer.go(f"/ui/organise/campaigns/{campaign_id}?category={SITE}")
        with reviewer.page.expect_navigation():
            reviewer.page.click('[data-testid="commend-all"]')
        assert reviewer.flash()
        reviewer.go(f"/ui/organise/campaigns/{campaign_id}/commendations")
        reviewer.shoot("commendations")
        with reviewer.page.expect_download() as download:
            reviewer.page.locator('[data-testid="xlsx"]').click()
        sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
        assert sheet is not None
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
        assert any("前双村" in c for c in cells) and not any("马庄村" in c for c in cells)

        # The auditor opens 前双村 as it stood before the pre-review.
        auditor = cast["open"]("auditor")
        auditor.log_in(tokens["auditor"])
        auditor.go("/ui/audit")
        auditor.shoot("audit")
        auditor.go(f"/ui/audit/nominations/{ids['qianshuang']}")
        auditor.page.fill("#f-at", local(FIVE_GOOD_2022.declaration.replace(hour=8)))
        with auditor.page.expect_navigation():
            auditor.page.click('[data-testid="show-as-of"]')
        assert auditor.page.locator('[data-testid="as-of"]').is_visible()
        assert auditor.page.locator('[data-testid="state"]').get_attribute("data-state") == "declared"
        assert (
            auditor.page.locator('[data-testid="state-now"]').get_attribute("data-state") == "commended"
        )
        auditor.shoot("nomination-as-of")

        # The dashboard, in Chinese, at both widths.
        reviewer.go(f"/ui/campaigns/{campaign_id}")
        reviewer.shoot("dashboard")
        assert cast["overflow"] == [], cast["overflow"]

        # The API: exactly those events, by those actors; nothing of the refused form.
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        ) as api:
            listed = api.get("/v1/tokens").json()
            issued = {t["label"]: t for t in (listed["items"] if isinstance(listed, dict) else listed)}
            token_of = {who: issued[label]["id"] for who, label in LABELS.items()}
            assert history(api, ids["qianshuang"]) == [
                ("nomination.declared", "declarer", TOWNSHIP, token_of["peng"]),
                ("nomination.pre_reviewed", "reviewer", CITY, token_of["reviewer"]),
                ("nomination.inspected", "inspector", CITY, token_of["inspector"]),
                ("nomination.commended", "reviewer", CITY, token_of["reviewer"]),
            ]
            assert history(api, ids["mazhuang"]) == [
                ("nomination.declared", "declarer", OTHER_TOWNSHIP, token_of["qipan"]),
                ("nomination.pre_reviewed", "reviewer", CITY, token_of["reviewer"]),
            ]
            board = api.get(f"/v1/campaigns/{campaign_id}/dashboard").json()
            sites = next(c for c in board["categories"] if c["code"] == SITE)
            assert sites["nominations"] == 2 and sites["commended"] == 1
            units = api.get(f"/v1/units?within={CITY}").json()["items"]
            assert {u["id"] for u in units} == {row.code for row in city(townships=2, villages=1).rows}
        if os.environ.get("LAUREL_UPDATE_SCREENSHOT") == "1":
            README_SHOTS.mkdir(exist_ok=True)
            for name in ("reviewer-review-1280", "declarer-declare-refused-390"):
                shutil.copyfile(SCREENSHOTS / f"{name}.png", README_SHOTS / f"{name}.png")


LABELS = {
    "peng": "彭镇 申报",
    "qipan": "棋盘镇 申报",
    "reviewer": "市委组织部 初审与表彰",
    "inspector": "市考核组",
    "auditor": "审计",
}


def local(instant: datetime) -> str:
    """A datetime-local value in the campaign's zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    return instant.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M:%S")
