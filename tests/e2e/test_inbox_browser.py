"""The inbox in a real browser (Chromium through Playwright) against a real server, in Chinese
(issue 24): a township's nomination is rejected at pre-review, the fan-out puts the notice in
the declarer's inbox; the declarer logs in and finds the unread count in the navigation of
every page, reads the rejection with its reasons, marks it read (the badge goes), chooses the
daily digest for one kind (the mandatory kinds offer no "muted"), opens the unit's feed, and
switches to English. At 1280 and 390 px (no sideways scrolling), under the pages'
Content-Security-Policy.

Screenshots: test-artifacts/screenshots/inbox-<page>-<width>.png."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.commands import CreateCampaign, Declare, IssueToken, PreReview
from domain.notifications.notices import token_recipient
from infra.notifications.fanout import Fanout
from tests.builders.actors import ADMIN, CITY_REVIEWER, declarer_of
from tests.builders.http import serve_on_port
from tests.builders.material import material_of
from tests.builders.tree import CITY, TOWNSHIP, UNIT_TREE, VILLAGE
from tests.builders.world import World

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
pytestmark = pytest.mark.timeout(180)
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""
REASON = "材料与实际不符 / the material does not match the site"


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"inbox-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"
    assert page.evaluate("window.__violations") == [], name
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def rejected_nomination(app: Any) -> None:
    """A five-good-sites campaign whose pre-review is open; 彭镇 declares a site, the city's
    reviewer rejects it with a reason."""
    now = datetime.now(UTC)
    starts_at = now - timedelta(hours=1, minutes=10)
    durations = {"declaration": 3600, "pre_review": 86400, "inspection": 86400, "commendation": 86400}
    campaign = app.execute(
        CreateCampaign(
            template="five-good-sites",
            organiser_unit_id=CITY,
            starts_at=starts_at,
            durations=durations,
            quotas={"five_good_site": None},
        ),
        ADMIN,
    )
    nomination = app.execute(
        Declare(
            campaign_id=str(campaign["id"]),
            category="five_good_site",
            declaring_unit_id=TOWNSHIP,
            nominee={"kind": "site", "unit_id": VILLAGE, "name": "前双村站点"},
            form={},
            material=material_of(900),
        ),
        declarer_of(TOWNSHIP),
        at=starts_at + timedelta(minutes=5),
    )
    app.execute(
        PreReview(nomination_id=str(nomination["id"]), decision="reject", reasons=[REASON], checks={}),
        CITY_REVIEWER,
        at=starts_at + timedelta(hours=1, minutes=5),
    )


def test_a_declarer_reads_a_rejection_in_the_inbox(tmp_path: Path, browser: Any) -> None:
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    with serve_on_port(url) as server:
        app, store = server.services.app, server.services.notifications
        World(app).register(UNIT_TREE)
        issued = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="彭镇申报人"), ADMIN)
        rejected_nomination(app)
        fanout = Fanout(app, store, email=False, clock=lambda: datetime.now(UTC))
        while fanout.run_once():
            pass
        me = token_recipient(str(issued["id"]))
        waiting = store.unread_count([me])
        assert waiting >= 1
        assert "rejected" in {r["kind"] for r in store.inbox([me])}

        base = server.base_url
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))

        page.goto(f"{base}/ui/inbox")
        page.fill("#token", issued["token"])
        page.click("form[action='/ui/login'] button[type=submit]")
        page.wait_for_url(f"{base}/ui/inbox")

        badge = page.locator('[data-testid="unread-badge"] [aria-hidden="true"]')
        assert badge.inner_text() == str(waiting)
        page.click('nav a[href="/ui/declare"]')
        assert badge.inner_text() == str(waiting)  # on every page of the work UI
        page.click('[data-testid="nav-inbox"]')
        page.wait_for_url(f"{base}/ui/inbox")
        shoot(page, "list")

        row = page.locator('tr[data-kind="rejected"]')
        assert row.get_attribute("data-unread") == "true"
        assert "必收" in row.inner_text()
        row.locator("summary").click()
        assert REASON.split(" / ")[0] in row.locator('[data-testid="notice-body"]').inner_text()
        row.locator('[data-testid="mark-read"]').click()
        page.wait_for_url(f"{base}/ui/inbox")
        assert "已标为已读" in page.locator('[data-testid="flash"]').inner_text()
        assert page.locator('tr[data-kind="rejected"]').get_attribute("data-unread") == "false"
        if waiting == 1:
            assert page.locator('[data-testid="unread-badge"]').count() == 0

        # Preferences of a token naming no person: shown here or muted, the mandatory kinds
        # always shown; saved, the card says so where the reader is.
        assert page.locator("#f-mode-rejected").count() == 0
        assert page.locator('#f-mode-admitted option[value="digest"]').count() == 0
        page.select_option("#f-mode-admitted", "muted")
        page.click('[data-testid="save-preferences"]')
        page.wait_for_url(f"{base}/ui/inbox?saved=1#preferences")
        saved = page.locator('[data-testid="preferences-saved"]')
        assert "接收方式已保存" in saved.inner_text() and saved.is_visible()
        assert store.preferences(me)["admitted"] == "muted"
        shoot(page, "preferences")

        page.click('[data-testid="unit-feed"]')
        page.wait_for_url(f"{base}/ui/units/{TOWNSHIP}/feed")
        assert page.locator('tr[data-kind="rejected"]').count() == 1
        about = page.locator('tr[data-kind="rejected"] [data-testid="concerning"] a')
        assert about.inner_text() == "前双村站点"  # the nominee, linked to the nomination
        assert (about.get_attribute("href") or "").startswith("/ui/nominations/")
        shoot(page, "feed")

        page.goto(f"{base}/ui/inbox?lang=en")
        assert page.locator("h1").inner_text() == "My notices"
        row = page.locator('tr[data-kind="rejected"]')
        assert row.locator('[data-testid="notice-subject"]').inner_text().startswith("[Rejected")
        assert row.locator("td").first.inner_text().startswith("Rejected at pre-review")
        assert page.locator('[data-testid="nav-inbox"]').inner_text().startswith("Inbox")
        assert errors == []
        context.close()
