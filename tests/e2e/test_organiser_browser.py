"""The organiser's and the auditor's pages in a real browser (Chromium through Playwright)
against a real server, in Chinese, at 1280 and at 390 px.

The organiser (a city reviewer's token) reads a ranking whose equal scores say why they are
ordered, commends the top site by ticking it, then the rest within quota, downloads the
commendation list as XLSX and revokes a title with a reason. The auditor (of the root) finds
the chain intact, opens the revoked site as it stood before its inspection and the dashboard
as of that instant. Every page keeps the Content-Security-Policy and, at phone width, fits
without sideways scrolling. Screenshots: test-artifacts/screenshots/organise-*.png, audit-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Inspect, IssueToken
from domain.vocabulary import Role
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import ALL_METHODS, SITE_CHECKLIST, site_scores
from tests.builders.http import Server, serve_on_port
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.builders.world import FIVE_GOOD_SITE, World

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
SECOND_INSPECTOR = Actor("tok-shifan-inspector-2", Role.INSPECTOR, CITY)
REASON = "复查发现站点设备长期停用，材料数据不实"
pytestmark = pytest.mark.timeout(240)
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""


@dataclass
class Script:
    campaign_id: str
    ids: dict[str, str]  # village -> nomination id
    organiser: str  # tokens
    auditor: str


def scripted_commendation(app: Laurel) -> Script:
    """Five inspected sites of a seed-000 campaign (quota 2): 后双村 90 above 前双村 (95 and 85:
    90, lowest 85); 杨柳村 and 石桥村 both 80, 杨柳村 declared first; 马庄村 70."""
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
    for village, score in {
        "houshuang-cun": 90,
        "yangliu-cun": 80,
        "shiqiao-cun": 80,
        "mazhuang-cun": 70,
    }.items():
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
    organiser = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="市委组织部 表彰"), ADMIN)
    auditor = app.execute(IssueToken(role="auditor", unit_id=None, label="审计"), ADMIN)
    return Script(campaign.id, ids, organiser["token"], auditor["token"])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Script]]:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        script = scripted_commendation(server.services.app)
        clock.now = FIVE_GOOD_2022.commendation
        yield server, script


class Session:
    """A browser context logged in with a token, at a width, recording policy violations."""

    def __init__(self, browser: Any, base_url: str, token: str, width: int) -> None:
        self.base_url, self.width = base_url, width
        self.context = browser.new_context(
            viewport={"width": width, "height": 900}, locale="zh-CN", accept_downloads=True
        )
        self.context.set_default_timeout(10_000)
        self.context.add_init_script(REPORT_VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(f"{base_url}/ui/")
        self.page.fill("#token", token)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base_url}/ui/")

    def goto(self, path: str) -> Any:
        return self.page.goto(f"{self.base_url}{path}")

    def check(self, name: str) -> None:
        """No policy violation, no script error, no sideways scrolling; then the screenshot."""
        page = self.page
        assert page.evaluate("window.__violations") == [], name
        assert self.errors == [], name
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {self.width}px"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{self.width}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def flash(page: Any) -> str:
    return str(page.locator('[data-testid="flash"]').text_content()).strip()


def organise_in_the_browser(session: Session, script: Script) -> None:
    page, ids, cid = session.page, script.ids, script.campaign_id
    page.click('nav a[href="/ui/organise"]')
    page.wait_for_url("**/ui/organise")
    assert page.locator('[data-testid="phase-state"]').get_attribute("data-open") == "true"
    session.check("organise-home")

    page.click(f'[data-campaign-id="{cid}"] [data-testid="ranking-link"]')
    page.wait_for_url(f"**/ui/organise/campaigns/{cid}")
    rows = page.locator('[data-testid="ranking-table"] tbody tr')
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.nominationId)") == [
        ids["houshuang-cun"],
        ids["qianshuang-cun"],
        ids["yangliu-cun"],
        ids["shiqiao-cun"],
        ids["mazhuang-cun"],
    ]
    steadier = page.locator(
        f'tr[data-nomination-id="{ids["qianshuang-cun"]}"] [data-testid="tie-break"]'
    )
    assert steadier.get_attribute("data-tie-rule") == "lowest_score"
    assert "最低一次考核得分较低" in str(steadier.text_content())
    later = page.locator(f'tr[data-nomination-id="{ids["shiqiao-cun"]}"] [data-testid="tie-break"]')
    assert later.get_attribute("data-tie-rule") == "declared_at"
    session.check("organise-ranking")

    # The top site, ticked (the keyboard: a checkbox toggles with the space bar).
    page.focus(f"#pick-{ids['houshuang-cun']}")
    page.keyboard.press("Space")
    page.click('[data-testid="commend-chosen"]')
    page.wait_for_load_state()
    assert flash(page) == "已表彰 1 个。"
    # Then all within quota: the next best, and nobody beyond the quota.
    page.click('[data-testid="commend-all"]')
    page.wait_for_load_state()
    assert flash(page) == "已表彰 1 个。"
    fill = page.locator('[data-testid="ranking"] [data-testid="quota-fill"]')
    assert fill.locator('[data-field="commended"]').text_content() == "2"
    assert fill.locator('[data-field="remaining"]').text_content() == "0"

    page.click(f'a[href="/ui/organise/campaigns/{cid}/commendations"]')
    page.wait_for_url(f"**/ui/organise/campaigns/{cid}/commendations")
    with page.expect_download() as download:
        page.click('[data-testid="xlsx"]')
    saved = Path(download.value.path())
    assert download.value.suggested_filename == f"commendations-{cid}.xlsx"
    assert saved.read_bytes()[:2] == b"PK"  # a zip: the workbook
    session.check("organise-commendations")

    page.click(f'tr[data-nomination-id="{ids["qianshuang-cun"]}"] [data-testid="revoke-link"]')
    page.wait_for_url(f"**/ui/organise/nominations/{ids['qianshuang-cun']}/revoke")
    session.check("organise-revoke")
    page.fill("#f-reason", REASON)
    page.click('[data-testid="revoke"]')
    page.wait_for_url(f"**/ui/organise/campaigns/{cid}/commendations?category={FIVE_GOOD_SITE}")
    assert flash(page) == "已撤销「前双村远教站点」的荣誉称号。"
    revoked = page.locator(
        f'tr[data-nomination-id="{ids["qianshuang-cun"]}"] [data-testid="title-status"]'
    )
    assert revoked.get_attribute("data-status") == "revoked"

    page.click(f'a[href="/ui/organise/campaigns/{cid}/titles"]')
    page.wait_for_url(f"**/ui/organise/campaigns/{cid}/titles")
    states = page.locator("[data-reinspection]").evaluate_all(
        "rs => Object.fromEntries(rs.map(r => [r.dataset.nominationId, r.dataset.reinspection]))"
    )
    assert states == {ids["houshuang-cun"]: "awaiting", ids["qianshuang-cun"]: "revoked"}
    session.check("organise-titles")


def audit_in_the_browser(session: Session, script: Script) -> None:
    page, cid, nid = session.page, script.campaign_id, script.ids["qianshuang-cun"]
    page.click('nav a[href="/ui/audit"]')
    page.wait_for_url("**/ui/audit")
    status = page.locator('[data-testid="chain-status"]')  # loaded by htmx
    assert status.get_attribute("data-ok") == "true"
    session.check("audit-home")

    page.click(f'[data-campaign-id="{cid}"] [data-testid="audit-campaign-link"]')
    page.wait_for_url(f"**/ui/audit/campaigns/{cid}")
    page.click(f'tr[data-nomination-id="{nid}"] [data-testid="audit-nomination-link"]')
    page.wait_for_url(f"**/ui/audit/nominations/{nid}")
    assert page.locator('[data-testid="state"]').get_attribute("data-state") == "revoked"
    revoked = page.locator('[data-event-type="nomination.revoked"]')
    assert revoked.locator('[data-testid="reasons"] li').all_text_contents() == [REASON]
    assert "初审人" in str(revoked.locator('[data-testid="actor"]').text_content())

    # As of 25 Oct 2022, 10:00 Beijing time: admitted, its inspection still to come.
    page.fill("#f-at", "2022-10-25T10:00")
    page.click('[data-testid="show-as-of"]')
    page.wait_for_url(re.compile(r".*[?&]at=2022-10-25T10%3A00.*"))
    assert page.locator('[data-testid="state"]').get_attribute("data-state") == "admitted"
    assert page.locator('[data-testid="state-now"]').get_attribute("data-state") == "revoked"
    kinds = page.locator("[data-event-type]").evaluate_all("es => es.map(e => e.dataset.eventType)")
    assert kinds == ["nomination.declared", "nomination.pre_reviewed"]
    session.check("audit-nomination")

    page.goto(f"{session.base_url}/ui/audit/campaigns/{cid}")
    page.fill("#f-at", "2022-10-25T10:00")
    page.click('[data-testid="open-dashboard"]')
    page.wait_for_url(re.compile(rf".*/ui/campaigns/{cid}\?as_of=2022-10-25T10%3A00%3A00%2B08%3A00"))
    session.check("audit-dashboard")

    session.goto("/ui/audit/chain")
    assert page.locator('[data-testid="chain-status"]').get_attribute("data-ok") == "true"
    session.check("audit-chain")


def test_the_organiser_commends_within_quota_and_the_auditor_looks_back_in_a_browser(
    served: tuple[Server, Script], browser: Any
) -> None:
    server, script = served
    organiser = Session(browser, server.base_url, script.organiser, 1280)
    organise_in_the_browser(organiser, script)
    organiser.close()
    auditor = Session(browser, server.base_url, script.auditor, 1280)
    audit_in_the_browser(auditor, script)
    auditor.close()

    app = server.services.app
    commended = [
        e
        for e in app.queries.history(script.ids["houshuang-cun"])
        if e["type"] == "nomination.commended"
    ]
    assert len(commended) == 1 and commended[0]["actor"]["role"] == "reviewer"

    # At phone width, every page the two of them use.
    cid, nid = script.campaign_id, script.ids["qianshuang-cun"]
    pages = {
        script.organiser: {
            "organise-home": "/ui/organise",
            "organise-ranking": f"/ui/organise/campaigns/{cid}",
            "organise-commendations": f"/ui/organise/campaigns/{cid}/commendations",
            "organise-revoke": f"/ui/organise/nominations/{script.ids['houshuang-cun']}/revoke",
            "organise-titles": f"/ui/organise/campaigns/{cid}/titles",
        },
        script.auditor: {
            "audit-home": "/ui/audit",
            "audit-nomination": f"/ui/audit/nominations/{nid}?at=2022-10-25T10:00",
            "audit-chain": "/ui/audit/chain",
        },
    }
    for token, shown in pages.items():
        phone = Session(browser, server.base_url, token, 390)
        for name, path in shown.items():
            response = phone.goto(path)
            assert response is not None and response.status == 200, path
            phone.check(name)
        phone.close()
