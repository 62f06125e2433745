"""The web pages in a real browser (Chromium through Playwright) against a real server: a city
reviewer logs in with a token, reads the dashboard of a seed-000 campaign whose sites went
every way a year can take them, finds on the page the numbers the API's dashboard gives,
switches to English, and opens a rejected site's timeline with its actors and reasons — all
under the pages' Content-Security-Policy, which must report no violation.

``LAUREL_UPDATE_SCREENSHOT=1`` also copies the dashboard's screenshot to docs/dashboard.png
(the README's)."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from api.auth import SESSION_COOKIE
from domain.application import Laurel
from domain.commands import (
    ClosePhase,
    Commend,
    CreateCampaign,
    Inspect,
    IssueToken,
    OpenPhase,
    PreReview,
    RegisterUnit,
    Revoke,
    Withdraw,
)
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import serve_on_port
from tests.builders.tree import CITY, OTHER_TOWNSHIP
from tests.builders.world import World

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "dashboard.png"
NOW = FIVE_GOOD_2022.commendation + timedelta(days=2, hours=3)  # the commendation phase is open
REJECTION = "站点设备长期停用，三簿一册缺失 / equipment idle, records missing"
WITHDRAWAL = "站点搬迁至村委会新址 / the site moved"
pytestmark = pytest.mark.timeout(120)
# Records every policy violation the page reports (an init script runs outside the page's policy).
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Script:
    campaign_id: str
    other_campaign_id: str
    ids: list[str]
    reviewer_token: str


def scripted_year(app: Laurel) -> Script:
    """Twelve sites of two townships through a seed-000 year, phases opened and closed as the
    campaign workflow would: withdrawn, rejected, lapsed, commended, revoked, still waiting."""
    world = World(app)
    city = world.city(townships=2, villages=6)
    campaign = world.campaign(quotas={"five_good_site": 4})
    campaign_id = campaign.id
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="declaration"), ADMIN, at=FIVE_GOOD_2022.declaration
    )
    ids = [
        world.declare(campaign, village, declaring_unit=town)
        for town in city.townships
        for village in city.villages[town]
    ]
    app.execute(
        Withdraw(nomination_id=ids[11], reason=WITHDRAWAL),
        declarer_of(OTHER_TOWNSHIP),
        at=FIVE_GOOD_2022.declaration + timedelta(hours=2),
    )
    app.execute(
        ClosePhase(campaign_id=campaign_id, phase="declaration"),
        ADMIN,
        at=FIVE_GOOD_2022.pre_review - timedelta(days=1),
    )
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="pre_review"), ADMIN, at=FIVE_GOOD_2022.pre_review
    )
    app.execute(
        PreReview(nomination_id=ids[10], decision="reject", reasons=[REJECTION]),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.pre_review,
    )
    for nid in ids[:9]:
        app.execute(
            PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="inspection"), ADMIN, at=FIVE_GOOD_2022.inspection
    )
    for i, nid in enumerate(ids[:6]):
        app.execute(
            Inspect(
                nomination_id=nid,
                methods=["document_review", "site_visit", "live_operation"],
                scores=site_scores(96 - i * 3),
                checklist=SITE_CHECKLIST,
                verdict="pass",
                notes="现场操作熟练",
            ),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.inspection,
        )
    app.execute(
        ClosePhase(campaign_id=campaign_id, phase="inspection"),
        ADMIN,
        at=FIVE_GOOD_2022.commendation - timedelta(days=1),
    )  # ids[6:9] lapse
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="commendation"), ADMIN, at=FIVE_GOOD_2022.commendation
    )
    app.execute(
        Commend(campaign_id=campaign_id, category="five_good_site", nomination_ids=ids[:3]),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    app.execute(
        Revoke(nomination_id=ids[2], reason="弄虚作假 / false claims"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation + timedelta(days=1),
    )
    # A campaign of another city: the city's reviewer must not see it.
    app.execute(
        RegisterUnit(
            code="linshi-shi", name="Linshi City", name_zh="邻市", level="city", parent_id=None
        ),
        ADMIN,
    )
    other = app.execute(
        CreateCampaign(template="five-good-sites", organiser_unit_id="linshi-shi", year=2022),
        ADMIN,
        at=FIVE_GOOD_2022.declaration - timedelta(days=2),
    )["id"]
    token = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="市委组织部 初审"), ADMIN)[
        "token"
    ]
    return Script(str(campaign_id), str(other), ids, token)


def page_numbers(page: Any, category: str) -> dict[str, Any]:
    """What the dashboard shows for a category: each state's bar count and the quota figures."""
    card = page.locator(f'[data-testid="category"][data-category="{category}"]')
    states = {
        el.get_attribute("data-state"): int(el.text_content())
        for el in card.locator(".chart-count").all()
    }
    fields = {
        el.get_attribute("data-field"): el.text_content().strip()
        for el in card.locator("[data-field]").all()
    }
    return {"states": states, **fields}


def api_numbers(category: dict[str, Any], no_quota: str) -> dict[str, Any]:
    return {
        "states": category["states"],
        "nominations": str(category["nominations"]),
        "commended": str(category["commended"]),  # titles awarded: a revoked one still counts
        "held": str(category["states"]["commended"]),
        "revoked": str(category["states"]["revoked"]),
        "quota": no_quota if category["quota"] is None else str(category["quota"]),
        "remaining": "—" if category["remaining"] is None else str(category["remaining"]),
    }


def test_dashboard_in_a_browser_shows_the_apis_numbers_in_chinese_and_english(
    tmp_path: Path, browser: Any, artifacts: Path
) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration - timedelta(days=2))
    with serve_on_port(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        script = scripted_year(server.services.app)
        clock.now = NOW
        with httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {script.reviewer_token}"}
        ) as api:
            board = api.get(f"/v1/campaigns/{script.campaign_id}/dashboard").json()
            # A script may read the pages with the bearer header; without a session a page sends
            # the browser to log in.
            assert api.get("/ui/").status_code == 200
            assert (
                httpx.get(f"{server.base_url}/ui/", follow_redirects=False).headers["location"]
                == "/ui/login?next=/ui/"
            )
        sites = next(c for c in board["categories"] if c["code"] == "five_good_site")
        assert sites["states"] == {
            "declared": 1,
            "admitted": 0,
            "rejected": 1,
            "inspected": 3,
            "commended": 2,
            "withdrawn": 1,
            "lapsed": 3,
            "revoked": 1,
            "forwarded": 0,
            "returned": 0,
            "cancelled": 0,
            "proposed": 0,
            "not_commended": 0,
        }

        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="zh-CN")
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

        # Log in (登录): a wrong token is refused, the reviewer's token opens the campaign list.
        page.goto(f"{server.base_url}/ui/")
        assert "/ui/login" in page.url
        page.fill("#token", "lrl_not_a_token")
        page.click("button[type=submit]")
        assert page.locator('[data-testid="login-error"]').text_content() == "令牌无效、已过期或已撤销。"
        page.fill("#token", script.reviewer_token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.base_url}/ui/")
        cookie = next(c for c in context.cookies() if c["name"] == SESSION_COOKIE)
        assert cookie["httpOnly"] and page.evaluate("document.cookie").find(script.reviewer_token) == -1
        listed = page.locator("[data-campaign-id]").evaluate_all(
            "rows => rows.map(r => r.dataset.campaignId)"
        )
        assert listed == [script.campaign_id]  # not the other city's campaign

        # The dashboard (活动看板), in Chinese: the numbers are the API's.
        page.click(f'a[href="/ui/campaigns/{script.campaign_id}"]')
        page.wait_for_url(f"**/ui/campaigns/{script.campaign_id}")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator('[data-testid="campaign-name"]').text_content() == board["name_zh"]
        for category in board["categories"]:
            assert page_numbers(page, category["code"]) == api_numbers(category, "不限名额"), category[
                "code"
            ]
        current = page.locator('[data-testid="current-phase"]')
        assert current.get_attribute("data-code") == board["current_phase"]["code"] == "commendation"
        assert current.text_content() == board["current_phase"]["name_zh"]
        left = page.locator('[data-testid="time-left"]')
        assert int(left.get_attribute("data-seconds")) == board["current_phase"]["seconds_left"] > 0
        shown = left.text_content()
        assert "天" in shown
        time.sleep(1.5)  # the countdown script (a static file, allowed by the policy) ticks
        assert left.text_content() != shown and "天" in left.text_content()
        assert page.evaluate("window.__violations") == []
        assert page.locator('[data-testid="category"] .chart-label').first.text_content() == "已申报"
        page.screenshot(path=str(artifacts / "dashboard-full.png"), full_page=True)
        page.screenshot(
            path=str(artifacts / "dashboard.png"), clip={"x": 0, "y": 0, "width": 1200, "height": 1000}
        )
        if os.environ.get("LAUREL_UPDATE_SCREENSHOT") == "1":
            shutil.copyfile(artifacts / "dashboard.png", DOCS_SCREENSHOT)

        # As of an instant before the rejection: the states of then, and the clock stopped.
        then = (FIVE_GOOD_2022.pre_review - timedelta(hours=1)).isoformat()
        page.goto(f"{server.base_url}/ui/campaigns/{script.campaign_id}?as_of={quote(then)}")
        assert page.locator('[data-testid="as-of"]').is_visible()
        assert set(
            page.locator('[data-testid="nominations"] [data-state]').evaluate_all(
                "els => els.map(e => e.dataset.state)"
            )
        ) == {"declared", "withdrawn"}
        frozen = page.locator('[data-testid="time-left"]').text_content()
        time.sleep(1.2)
        assert page.locator('[data-testid="time-left"]').text_content() == frozen
        page.goto(f"{server.base_url}/ui/campaigns/{script.campaign_id}")

        # At phone width (390 px): no sideways scrolling, and the chart's labels stay readable.
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        label_px = page.locator(".chart-label").first.evaluate(
            "el => parseFloat(getComputedStyle(el).fontSize)"
        )
        assert label_px >= 12
        page.screenshot(path=str(artifacts / "dashboard-390.png"), full_page=True)
        page.set_viewport_size({"width": 1200, "height": 900})

        # English (?lang=en), kept in a cookie for the next page.
        page.click('[data-testid="lang-switch"]')
        page.wait_for_url("**lang=en")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator('[data-testid="category"] .chart-label').first.text_content() == "Declared"
        for category in board["categories"]:
            assert page_numbers(page, category["code"]) == api_numbers(category, "No fixed quota"), (
                category["code"]
            )
        assert (
            page.locator('[data-testid="current-phase"]').text_content()
            == board["current_phase"]["name_en"]
        )
        page.screenshot(path=str(artifacts / "dashboard-en.png"), full_page=True)

        # A rejected site's timeline (全过程记录): who did what, and why.
        page.click(f'a[href="/ui/nominations/{script.ids[10]}"]')
        page.wait_for_url(f"**/ui/nominations/{script.ids[10]}")
        assert page.locator("html").get_attribute("lang") == "en"  # the cookie kept the choice
        events = page.locator("[data-event-type]")
        assert events.evaluate_all("els => els.map(e => e.dataset.eventType)") == [
            "nomination.declared",
            "nomination.pre_reviewed",
        ]
        assert "Declarer" in events.nth(0).locator('[data-testid="actor"]').text_content()
        reviewed = events.nth(1)
        assert (
            reviewed.locator('[data-testid="actor"]').text_content()
            == f"Actor: Reviewer · Shifan City · Token id {CITY_REVIEWER.token_id}"
        )
        assert reviewed.locator('[data-testid="reasons"] li').all_text_contents() == [REJECTION]
        page.screenshot(path=str(artifacts / "timeline-en.png"), full_page=True)

        # A revoked title's whole year, back in Chinese.
        page.goto(f"{server.base_url}/ui/nominations/{script.ids[2]}?lang=zh")
        kinds = page.locator("[data-event-type]").evaluate_all(
            "els => els.map(e => e.dataset.eventType)"
        )
        assert kinds == [
            "nomination.declared",
            "nomination.pre_reviewed",
            "nomination.inspected",
            "nomination.commended",
            "nomination.revoked",
        ]
        assert page.locator(
            '[data-event-type="nomination.revoked"] [data-testid="reasons"] li'
        ).all_text_contents() == ["弄虚作假 / false claims"]
        assert (
            page.locator('[data-event-type="nomination.inspected"] [data-testid="actor"]').text_content()
            == f"操作人: 考核人 · 示范市 · 令牌编号 {CITY_INSPECTOR.token_id}"
        )
        page.screenshot(path=str(artifacts / "timeline.png"), full_page=True)

        # The other city's campaign is refused on the page as in the API.
        response = page.goto(f"{server.base_url}/ui/campaigns/{script.other_campaign_id}")
        assert response is not None and response.status == 403
        assert page.locator('[data-testid="error"]').get_attribute("data-code") == "outside-jurisdiction"

        # Logging out ends the session.
        page.goto(f"{server.base_url}/ui/")
        page.click('form[action="/ui/logout"] button')
        page.wait_for_url("**/ui/login?logged_out=1")
        assert not [c for c in context.cookies() if c["name"] == SESSION_COOKIE]
        assert page.evaluate("window.__violations") == []
        context.close()
        assert [
            line for line in console if "Content Security Policy" in line or line.startswith("pageerror")
        ] == []
