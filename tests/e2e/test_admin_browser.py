"""The admin's pages (管理) in a real browser (Chromium through Playwright) against a real server,
in Chinese: the bootstrap admin logs in, adds the city by the form (a village without a parent
is refused with the Chinese rule next to its field), imports the rest of the tree from a CSV
and reads the per-row report, opens the tree with the keyboard (htmx brings each level),
issues a township declarer's token — its secret shown once with a copy button, never in the
list —, the declarer logs in with it and is logged out when the admin revokes it; then a
webhook subscription is created with its signing secret shown once. At 1280 and 390 px (no
sideways scrolling), under the pages' Content-Security-Policy.

Screenshots: test-artifacts/screenshots/admin-<page>-<width>.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.builders.http import ADMIN_TOKEN, serve_on_port
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, TOWNSHIP

SCREENSHOTS = Path(__file__).parents[2] / "test-artifacts" / "screenshots"
WIDTHS = (1280, 390)
pytestmark = pytest.mark.timeout(180)
REPORT_VIOLATIONS = """
window.__violations = [];
document.addEventListener(
  "securitypolicyviolation", e => window.__violations.push(e.violatedDirective + " " + e.blockedURI)
);
"""
TREE_CSV = (
    "编号 / id,中文名称 / name_zh,英文名称 / name,层级 / level,上级编号 / parent_id\n"
    f"{COUNTY},宜君县,Yijun County,county,{CITY}\n"
    f"{TOWNSHIP},彭镇,Peng Town,township,{COUNTY}\n"
    f"{OTHER_TOWNSHIP},棋盘镇,Qipan Town,township,{COUNTY}\n"
    "qianshuang-cun,前双村,Qianshuang Village,village,\n"
).encode()


def shoot(page: Any, name: str) -> None:
    """The page at each width (full length), then back to the first; never wider than the window."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"admin-{name}-{width}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} at {width} px"
    assert page.evaluate("window.__violations") == [], name
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


def log_in(page: Any, base_url: str, token: str, target: str) -> None:
    page.goto(f"{base_url}{target}")
    assert "/ui/login" in page.url
    page.fill("#token", token)
    page.click("form[action='/ui/login'] button[type=submit]")
    page.wait_for_url(f"{base_url}{target}")


def test_an_admin_builds_the_tree_and_the_tokens_in_a_browser(tmp_path: Path, browser: Any) -> None:
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    with serve_on_port(url, webhook_allow_private=True) as server:
        base = server.base_url
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        context.set_default_timeout(10_000)
        context.add_init_script(REPORT_VIOLATIONS)
        page = context.new_page()
        console: list[str] = []
        page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

        # 登录 and the admin's home.
        log_in(page, base, ADMIN_TOKEN, "/ui/admin")
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator('[data-testid="admin-nav"] a').all_text_contents() == [
            "单位",
            "访问令牌",
            "回调订阅",
        ]
        shoot(page, "home")

        # The root by the form; a village without a parent refused next to its field.
        page.click('[data-testid="admin-nav"] a[href="/ui/admin/units"]')
        page.wait_for_url("**/ui/admin/units")
        page.fill("#f-id", "stray-cun")
        page.fill("#f-name_zh", "无主村")
        page.select_option("#f-level", "village")
        page.click('[data-testid="add-unit-submit"]')
        error = page.locator('[data-field="parent_id"].field-error')
        assert error.text_content() == "村/社区 的上级须为 乡镇/街道或管理区"
        assert page.locator("#f-parent_id").get_attribute("aria-invalid") == "true"
        assert "f-parent_id-error" in page.locator("#f-parent_id").get_attribute("aria-describedby")
        assert page.locator('[data-testid="form-summary"]').get_attribute("role") == "alert"
        assert page.locator("#f-name_zh").input_value() == "无主村"  # kept
        shoot(page, "unit-refused")
        page.fill("#f-id", CITY)
        page.fill("#f-name_zh", "示范市")
        page.fill("#f-name", "Shifan City")
        page.select_option("#f-level", "city")
        page.click('[data-testid="add-unit-submit"]')
        page.wait_for_url(f"**/ui/admin/units/{CITY}")
        assert page.locator('[data-testid="flash"]').text_content().strip() == "已新增单位「示范市」"
        assert page.locator('[data-testid="unit-name"]').text_content() == "示范市"

        # The rest of the tree from a CSV, with its report.
        page.goto(f"{base}/ui/admin/units:import")
        assert page.locator('[data-testid="template-xlsx"]').get_attribute("href").endswith(".xlsx")
        page.set_input_files(
            "#f-file", {"name": "units.csv", "mimeType": "text/csv", "buffer": TREE_CSV}
        )
        page.click('[data-testid="import-submit"]')
        summary = page.locator('[data-testid="import-summary"]')
        assert (summary.get_attribute("data-created"), summary.get_attribute("data-failed")) == (
            "3",
            "1",
        )
        statuses = page.locator('[data-testid="import-rows"] tbody tr').evaluate_all(
            "rows => rows.map(r => r.dataset.status)"
        )
        assert statuses == ["created", "created", "created", "error"]
        assert "村/社区 的上级须为" in page.locator('tr[data-row="5"]').text_content()
        shoot(page, "import")

        # The tree, opened with the keyboard: each level comes by htmx.
        page.goto(f"{base}/ui/admin/units")
        county = page.locator(f'li[data-unit="{CITY}"] > ul > li[data-unit="{COUNTY}"]')
        toggle = county.locator('> details > summary[data-testid="unit-toggle"]')
        toggle.focus()
        page.keyboard.press("Enter")
        townships = county.locator('> details [data-testid="unit-link"]')
        townships.first.wait_for()
        assert townships.all_text_contents() == ["彭镇", "棋盘镇"]
        shoot(page, "units")

        # A township declarer's token: the secret once, with a copy button; never listed.
        page.goto(f"{base}/ui/admin/tokens")
        page.select_option("#f-role", "declarer")
        page.fill("#f-unit_id", TOWNSHIP)
        page.fill("#f-label", "彭镇党委申报员")
        page.click('[data-testid="issue-submit"]')
        secret = page.locator('[data-testid="token-secret"]').input_value()
        assert secret.startswith("lrl_")
        assert "只显示这一次" in page.locator('[data-testid="token-secret-box"]').text_content()
        page.click('[data-testid="copy"]')
        page.wait_for_function("document.querySelector('[data-testid=copy-status]').textContent !== ''")
        assert page.locator('[data-testid="copy-status"]').text_content() == "已复制"
        assert page.evaluate("navigator.clipboard.readText()") == secret
        token_id = page.locator('[data-testid="token-id"]').text_content()
        shoot(page, "token-created")
        page.click('[data-testid="back-tokens"]')
        page.wait_for_url("**/ui/admin/tokens")
        assert secret not in page.content()
        assert page.locator(f'tr[data-token-id="{token_id}"]').get_attribute("data-revoked") == "false"
        shoot(page, "tokens")

        # The declarer logs in with it; revoking the token ends that session.
        declarer_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        declarer = declarer_context.new_page()
        log_in(declarer, base, secret, "/ui/")
        assert "申报人" in declarer.locator('[data-testid="who"]').text_content()
        page.click(f'tr[data-token-id="{token_id}"] [data-testid="token-link"]')
        page.wait_for_url(f"**/ui/admin/tokens/{token_id}")
        page.fill("#f-reason", "人员调整")
        page.click('[data-testid="revoke-submit"]')
        page.wait_for_url(f"**/ui/admin/tokens/{token_id}")
        assert page.locator('[data-testid="token-state"]').get_attribute("data-revoked") == "true"
        assert page.locator('[data-testid="revocation-reason"]').text_content() == "人员调整"
        declarer.reload()
        assert "/ui/login" in declarer.url
        declarer_context.close()

        # A webhook subscription: its signing secret once.
        page.goto(f"{base}/ui/admin/webhooks")
        page.fill("#f-url", "http://127.0.0.1:9/laurel")
        page.check("#ev-nomination")
        page.fill("#f-description", "省平台")
        shoot(page, "webhooks")
        page.click('[data-testid="create-webhook-submit"]')
        signing = page.locator('[data-testid="signing-secret"]').input_value()
        assert signing.startswith("whsec_")
        shoot(page, "webhook-created")
        page.click('[data-testid="open-webhook"]')
        assert page.locator('[data-testid="webhook-events"]').text_content() == "nomination.*"
        assert signing not in page.content()
        shoot(page, "webhook")

        assert page.evaluate("window.__violations") == []
        context.close()
        assert console == []
