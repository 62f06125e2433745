"""The admin pages (管理) over HTTP, as a browser sends their forms: an admin builds the unit tree
(one unit, or a file of them), renames and moves units with a reason, issues tokens whose
secret is shown once, revokes one (its sessions end), and manages webhook subscriptions and
reads their deliveries. Every refusal is the command's, shown in Chinese next to its field; a
county's admin sees its county only."""

from __future__ import annotations

import asyncio
import html as html_text
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from domain.commands import AddContact, IssueToken, RegisterUnit
from domain.vocabulary import Role
from infra.webhooks import build_dispatcher
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import ADMIN_TOKEN, Server, serve_in_process
from tests.builders.tree import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_TOWNSHIP,
    TOWNSHIP,
    UNIT_TREE,
)
from tests.builders.world import World

UNREACHABLE = "http://127.0.0.1:9/laurel"  # the discard port: nothing listens, every delivery fails


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    clock = Clock(FIVE_GOOD_2022.declaration)
    url = f"sqlite:///{tmp_path / 'laurel.sqlite3'}"
    with serve_in_process(url, clock, webhook_allow_private=True) as running:
        yield running


@pytest.fixture
def tree(server: Server) -> Server:
    """The named tree: 示范市 with 宜君县 (彭镇, 棋盘镇, an agency) and 黎阳县."""
    World(server.services.app).register(UNIT_TREE)
    return server


@contextmanager
def signed_in(server: Server, token: str = ADMIN_TOKEN) -> Iterator[httpx.Client]:
    """A browser logged in with ``token`` (the bootstrap admin's: an admin of every unit)."""
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden_inputs(html: str, form_id: str) -> dict[str, str]:
    """The safe form's hidden inputs (CSRF token, idempotency key, version) of form ``form_id``."""
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def send(
    browser: httpx.Client, page: str, form_id: str, fields: dict[str, Any], **options: Any
) -> httpx.Response:
    """Opens ``page``, fills form ``form_id`` with ``fields`` and sends it from this site."""
    opened = browser.get(page)
    assert opened.status_code == 200, opened.text
    action = re.search(rf'<form [^>]*action="([^"]+)"[^>]*id="{form_id}"', opened.text)
    assert action, f"no form {form_id} on {page}"
    data = {**hidden_inputs(opened.text, form_id), **fields}
    return browser.post(action.group(1), data=data, headers={"Origin": own_origin(browser)}, **options)


def field_error(html: str, field: str) -> str:
    """The message shown next to ``field`` (its error slot, which the field names)."""
    found = re.search(
        rf'<p class="field-error" id="f-{field}-error" data-field="{field}">(.*?)</p>', html
    )
    assert found, f"no error next to {field}"
    return html_text.unescape(found.group(1))


def shown_as(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)


# --- the unit tree ----------------------------------------------------------------------------


def test_an_admin_builds_the_tree_one_unit_at_a_time(server: Server) -> None:
    with signed_in(server) as browser:
        assert 'data-testid="no-units"' in browser.get("/ui/admin/units").text
        city = {"id": CITY, "name_zh": "示范市", "name": "Shifan City", "level": "city", "parent_id": ""}
        added = send(browser, "/ui/admin/units", "add-unit", city)
        assert added.status_code == 303 and added.headers["location"] == f"/ui/admin/units/{CITY}"
        landed = browser.get(added.headers["location"]).text
        assert "已新增单位「示范市」" in landed  # the flash message
        county = {"id": COUNTY, "name_zh": "宜君县", "name": "", "level": "county", "parent_id": CITY}
        assert send(browser, "/ui/admin/units", "add-unit", county).status_code == 303
        tree = browser.get("/ui/admin/units").text
        assert shown_as(tree, "unit-link") == ["示范市", "宜君县"]
        assert "县/区" in tree  # the level's label from the vocabulary
    county_unit = server.services.app.get_unit(COUNTY)
    assert (county_unit.parent_code, county_unit.level) == (CITY, "county")


def test_a_refused_unit_shows_the_rule_in_chinese_next_to_its_field(tree: Server) -> None:
    with signed_in(tree) as browser:
        # A township straight under a township: the rule of levels, next to the parent field.
        misplaced = {"id": "xin-zhen", "name_zh": "新镇", "level": "township", "parent_id": TOWNSHIP}
        refused = send(browser, "/ui/admin/units", "add-unit", misplaced)
        assert refused.status_code == 422
        assert field_error(refused.text, "parent_id") == "乡镇/街道 的上级须为 县/区或市/州"
        assert re.search(r'<input id="f-parent_id"[^>]*aria-invalid="true"', refused.text)
        assert 'value="新镇"' in refused.text  # what was typed is kept
        # An unknown parent, in the domain's words, next to the same field.
        stray = {"id": "xin-zhen", "name_zh": "新镇", "level": "township", "parent_id": "no-such-xian"}
        unknown = send(browser, "/ui/admin/units", "add-unit", stray)
        assert unknown.status_code == 422
        assert field_error(unknown.text, "parent_id") == "没有单位「no-such-xian」"
        # No code and no name: two rules, each next to its field.
        nameless = {"id": "", "name_zh": "", "name": "", "level": "village", "parent_id": TOWNSHIP}
        both = send(browser, "/ui/admin/units", "add-unit", nameless)
        assert field_error(both.text, "id") == "单位编号须为 1-64 个字符"
        assert field_error(both.text, "name") == "单位须有名称"
    assert not tree.services.app.unit_exists("xin-zhen")


def test_a_subtree_opens_by_htmx_and_without_scripts(tree: Server) -> None:
    with signed_in(tree) as browser:
        page = browser.get("/ui/admin/units").text
        assert f'hx-get="/ui/admin/units/{COUNTY}/children"' in page
        assert f'href="/ui/admin/units?within={COUNTY}"' in page  # the same, as a page
        part = browser.get(f"/ui/admin/units/{COUNTY}/children", headers={"HX-Request": "true"})
        assert part.status_code == 200 and "<html" not in part.text
        assert shown_as(part.text, "unit-link") == ["彭镇", "棋盘镇", "宜君县农业局"]
        within = browser.get(f"/ui/admin/units?within={COUNTY}").text
        assert shown_as(within, "unit-link")[0] == "宜君县"


def test_a_unit_is_renamed_and_moved_with_a_reason(tree: Server) -> None:
    app = tree.services.app
    with signed_in(tree) as browser:
        page = f"/ui/admin/units/{TOWNSHIP}?act=rename"
        renamed = send(
            browser, page, "rename-unit", {"name_zh": "彭镇街道", "name": "Peng", "reason": "撤镇设街道"}
        )
        assert renamed.status_code == 303
        assert app.get_unit(TOWNSHIP).name_zh == "彭镇街道"
        # A move without a reason is refused next to the reason, the unit where it was.
        page = f"/ui/admin/units/{TOWNSHIP}?act=move"
        refused = send(browser, page, "move-unit", {"parent_id": OTHER_COUNTY, "reason": ""})
        assert refused.status_code == 422 and field_error(refused.text, "reason") == "须说明理由"
        assert app.get_unit(TOWNSHIP).parent_code == COUNTY
        moved = send(browser, page, "move-unit", {"parent_id": OTHER_COUNTY, "reason": "区划调整"})
        assert moved.status_code == 303
    assert app.get_unit(TOWNSHIP).path == [CITY, OTHER_COUNTY]
    reasons = {
        type(e).__name__: e.reason
        for e in app.load.events_of(app.get_unit(TOWNSHIP).id)
        if hasattr(e, "reason")
    }
    assert reasons == {"Renamed": "撤镇设街道", "Moved": "区划调整"}


# --- import -----------------------------------------------------------------------------------

UNITS_CSV = (
    "编号 / id,中文名称 / name_zh,英文名称 / name,层级 / level,上级编号 / parent_id\n"
    f"{CITY},示范市,Shifan City,city,\n"
    f"{COUNTY},宜君县,Yijun County,county,{CITY}\n"
    f"{TOWNSHIP},彭镇,Peng Town,township,{COUNTY}\n"
    "wrong-cun,错村,Wrong Village,village,\n"
).encode()


def upload(browser: httpx.Client, body: bytes, fields: dict[str, str] | None = None) -> httpx.Response:
    opened = browser.get("/ui/admin/units:import")
    data = fields or hidden_inputs(opened.text, "import-units")
    files = {"file": ("units.csv", body, "text/csv")}
    return browser.post(
        "/ui/admin/units:import", data=data, files=files, headers={"Origin": own_origin(browser)}
    )


def test_a_file_of_units_is_imported_with_a_report_per_row(server: Server) -> None:
    with signed_in(server) as browser:
        fields = hidden_inputs(browser.get("/ui/admin/units:import").text, "import-units")
        report = upload(browser, UNITS_CSV, fields)
        assert report.status_code == 200
        rows = dict(re.findall(r'<tr data-row="(\d+)" data-status="(\w+)">', report.text))
        assert rows == {"2": "created", "3": "created", "4": "created", "5": "error"}
        assert "村/社区 的上级须为" in report.text  # the failed row's rule, in Chinese
        assert 'data-created="3" data-failed="1"' in report.text
        # The same form sent again (a reload): every row answered as before, nothing added twice.
        again = upload(browser, UNITS_CSV, fields)
        rows = dict(re.findall(r'<tr data-row="(\d+)" data-status="(\w+)">', again.text))
        assert rows == {"2": "replayed", "3": "replayed", "4": "replayed", "5": "error"}
    assert server.services.app.get_unit(TOWNSHIP).path == [CITY, COUNTY]


def test_a_file_that_is_no_table_is_refused_next_to_the_file_field(server: Server) -> None:
    with signed_in(server) as browser:
        refused = upload(browser, b"")
        assert refused.status_code == 422
        assert "请求内容为空" in field_error(refused.text, "file")


def test_the_import_templates_carry_the_columns_the_import_reads(server: Server) -> None:
    with signed_in(server) as browser:
        csv = browser.get("/ui/admin/units-template.csv")
        assert csv.headers["content-type"].startswith("text/csv")
        header = csv.content.decode("utf-8-sig").splitlines()[0]
        assert header == "编号 / id,英文名称 / name,中文名称 / name_zh,层级 / level,上级编号 / parent_id"
        xlsx = browser.get("/ui/admin/units-template.xlsx")
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert [c.value for c in sheet[1]] == header.split(",")
        # The template, filled in, imports.
        filled = csv.content + f"{CITY},Shifan City,示范市,city,\r\n".encode()
        rows = dict(
            re.findall(r'<tr data-row="(\d+)" data-status="(\w+)">', upload(browser, filled).text)
        )
        assert rows == {"2": "created"}


# --- tokens -----------------------------------------------------------------------------------


def issue(browser: httpx.Client, **fields: str) -> httpx.Response:
    return send(browser, "/ui/admin/tokens", "issue", {"label": "", "expires_at": "", **fields})


def secret_on(html: str) -> str | None:
    found = re.search(r'data-testid="token-secret"', html)
    if not found:
        return None
    value = re.search(r'<input id="secret-value"[^>]*value="([^"]+)"', html)
    assert value
    return value.group(1)


def test_a_new_tokens_secret_is_shown_once_and_never_listed(tree: Server) -> None:
    with signed_in(tree) as browser:
        opened = browser.get("/ui/admin/tokens")
        data = {
            **hidden_inputs(opened.text, "issue"),
            "role": "declarer",
            "unit_id": TOWNSHIP,
            "label": "彭镇党委申报员",
            "expires_at": "",
        }
        first = browser.post("/ui/admin/tokens", data=data, headers={"Origin": own_origin(browser)})
        assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
        secret = secret_on(first.text)
        assert secret and secret.startswith("lrl_")
        assert "只显示这一次" in first.text
        # A double submit answers with the token, not its secret.
        again = browser.post("/ui/admin/tokens", data=data, headers={"Origin": own_origin(browser)})
        assert again.status_code == 200 and secret_on(again.text) is None
        assert 'data-testid="secret-replayed"' in again.text
        listing = browser.get("/ui/admin/tokens").text
        assert secret not in listing and "彭镇党委申报员" in listing
        token_id = re.findall(r'<tr data-token-id="([^"]+)"', listing)
        assert len(token_id) == 1
        assert secret not in browser.get(f"/ui/admin/tokens/{token_id[0]}").text
    # The secret logs its declarer in.
    with signed_in(tree, secret) as declarer:
        assert "申报人" in declarer.get("/ui/").text


def test_a_refused_token_shows_the_rule_next_to_its_field(tree: Server) -> None:
    with signed_in(tree) as browser:
        unitless = issue(browser, role="declarer", unit_id="")
        assert unitless.status_code == 422
        assert field_error(unitless.text, "unit_id") == "declarer 令牌须属于某一单位"
        past = issue(browser, role="reviewer", unit_id=CITY, expires_at="2001-01-01T00:00")
        assert field_error(past.text, "expires_at") == "有效期须晚于当前时间"
        no_role = issue(browser, role="", unit_id=CITY)
        assert "未知角色" in field_error(no_role.text, "role")
    assert tree.services.app.access.list_tokens(ADMIN) == []


def test_revoking_a_token_ends_its_sessions(tree: Server) -> None:
    app = tree.services.app
    issued = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="市委组织部 初审"), ADMIN)
    with signed_in(tree, issued["token"]) as reviewer, signed_in(tree) as browser:
        assert reviewer.get("/ui/").status_code == 200
        page = f"/ui/admin/tokens/{issued['id']}"
        refused = send(browser, page, "revoke", {"reason": " "})
        assert refused.status_code == 422 and field_error(refused.text, "reason") == "须说明理由"
        revoked = send(browser, page, "revoke", {"reason": "人员调整 / staff changed"})
        assert revoked.status_code == 303
        shown = browser.get(page).text
        assert 'data-revoked="true"' in shown and "人员调整 / staff changed" in shown
        ended = reviewer.get("/ui/")
        assert ended.status_code == 303 and ended.headers["location"].startswith("/ui/login")
    assert tree.services.access.close_sessions_of(issued["id"]) == 0  # none was left


def contact_choices(html: str) -> list[tuple[str, str]]:
    """The issue form's choice of a person: (contact id, label), the blank choice left out."""
    found = re.search(
        r'<select id="f-contact_id" name="contact_id"[^>]*>(.*?)</select>', html, re.DOTALL
    )
    if not found:
        return []
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    return [(code, html_text.unescape(label)) for code, label in options if code]


def add_contact(server: Server, unit_id: str, name: str, role: str) -> str:
    email = f"{role}.{unit_id}@example.org"
    added = server.services.app.execute(
        AddContact(unit_id=unit_id, name=name, role=role, email=email), ADMIN
    )
    return str(added.get("contact_id") or added["id"])


def test_a_token_is_issued_to_a_contact_of_the_unit_chosen_first(tree: Server) -> None:
    app = tree.services.app
    wang = add_contact(tree, TOWNSHIP, "王芳", "declarer")
    li = add_contact(tree, TOWNSHIP, "李强", "reviewer")
    with signed_in(tree) as browser:
        plain = browser.get("/ui/admin/tokens").text
        assert contact_choices(plain) == [] and 'data-testid="no-contacts"' not in plain
        chosen = browser.get("/ui/admin/tokens", params={"unit": TOWNSHIP}).text
        assert contact_choices(chosen) == [(wang, "王芳 · 申报人"), (li, "李强 · 初审人")]
        assert re.search(rf'<input id="f-unit_id" name="unit_id" type="text" value="{TOWNSHIP}"', chosen)
        assert "@example.org" not in chosen  # a name and a role, no address
        data = {
            **hidden_inputs(chosen, "issue"),
            "role": "declarer",
            "unit_id": TOWNSHIP,
            "contact_id": wang,
            "label": "王芳",
            "expires_at": "",
        }
        issued = browser.post("/ui/admin/tokens", data=data, headers={"Origin": own_origin(browser)})
        assert issued.status_code == 200 and secret_on(issued.text)
        assert f'data-testid="token-person"><code>{wang}</code>' in issued.text
    [token] = app.access.list_tokens(ADMIN)
    assert token["contact_id"] == wang
    person = app.contacts.contact_of(token["id"])
    assert person is not None and person.contact_id == wang


def test_a_contact_of_another_unit_is_refused_next_to_its_field(tree: Server) -> None:
    wang = add_contact(tree, TOWNSHIP, "王芳", "declarer")
    with signed_in(tree) as browser:
        refused = issue(browser, role="declarer", unit_id=OTHER_TOWNSHIP, contact_id=wang)
        assert refused.status_code == 422
        assert field_error(refused.text, "contact_id") == f"「{wang}」不是该令牌所属单位的联系人"
        assert contact_choices(refused.text) == [(wang, wang)]  # the refused one, still chosen
        unitless = issue(browser, role="admin", unit_id="", contact_id=wang)
        assert unitless.status_code == 422
        assert "不是该令牌所属单位的联系人" in field_error(unitless.text, "contact_id")
        english = browser.get("/ui/admin/tokens?lang=en")
        assert english.status_code == 200
        refused_en = issue(browser, role="declarer", unit_id=OTHER_TOWNSHIP, contact_id=wang)
        assert field_error(refused_en.text, "contact_id") == (
            f"'{wang}' is not a contact of unit '{OTHER_TOWNSHIP}'"
        )
    assert tree.services.app.access.list_tokens(ADMIN) == []


def test_a_unit_without_contacts_still_issues_a_token(tree: Server) -> None:
    with signed_in(tree) as browser:
        empty = browser.get("/ui/admin/tokens", params={"unit": OTHER_TOWNSHIP})
        assert empty.status_code == 200 and contact_choices(empty.text) == []
        assert 'data-testid="no-contacts"' in empty.text and "棋盘镇」尚无联系人" in empty.text
        assert f'href="/ui/units/{OTHER_TOWNSHIP}/contacts"' in empty.text
        data = {**hidden_inputs(empty.text, "issue"), "role": "reviewer", "unit_id": OTHER_TOWNSHIP}
        issued = browser.post("/ui/admin/tokens", data=data, headers={"Origin": own_origin(browser)})
        assert issued.status_code == 200 and secret_on(issued.text)
        unknown = browser.get("/ui/admin/tokens", params={"unit": "no-such-unit"})
        assert unknown.status_code == 404 and "no-such-unit" in field_error(unknown.text, "unit")
        assert 'id="issue"' in unknown.text  # the page, with the form, still
    [token] = tree.services.app.access.list_tokens(ADMIN)
    assert token["contact_id"] is None and token["unit_id"] == OTHER_TOWNSHIP


def test_the_person_choice_speaks_english_and_keeps_to_the_admins_subtree(tree: Server) -> None:
    app = tree.services.app
    add_contact(tree, TOWNSHIP, "王芳", "declarer")
    add_contact(tree, OTHER_COUNTY_TOWNSHIP, "赵六", "admin")
    county = app.execute(IssueToken(role=Role.ADMIN, unit_id=COUNTY, label="宜君县管理员"), ADMIN)
    with signed_in(tree, county["token"]) as browser:
        english = browser.get("/ui/admin/tokens", params={"unit": TOWNSHIP, "lang": "en"})
        assert english.status_code == 200 and "Issued to (a contact)" in english.text
        assert [label for _, label in contact_choices(english.text)] == ["王芳 · Declarer"]
        assert "List its contacts" in english.text
        empty = browser.get("/ui/admin/tokens", params={"unit": OTHER_TOWNSHIP}).text
        assert "has no contacts yet" in empty
        outside = browser.get("/ui/admin/tokens", params={"unit": OTHER_COUNTY_TOWNSHIP})
        assert outside.status_code == 403 and contact_choices(outside.text) == []
        assert field_error(outside.text, "unit") and "赵六" not in outside.text


# --- webhook subscriptions --------------------------------------------------------------------


def subscribe(browser: httpx.Client, *event_types: str, url: str = UNREACHABLE) -> httpx.Response:
    opened = browser.get("/ui/admin/webhooks")
    data: dict[str, Any] = {
        **hidden_inputs(opened.text, "create-webhook"),
        "url": url,
        "description": "省平台 / provincial platform",
    }
    if event_types:
        data["event_types"] = list(event_types)
    return browser.post("/ui/admin/webhooks", data=data, headers={"Origin": own_origin(browser)})


def signing_secret(html: str) -> str | None:
    if 'data-testid="signing-secret"' not in html:
        return None
    found = re.search(r'<input id="secret-value"[^>]*value="([^"]+)"', html)
    return found.group(1) if found else None


def test_a_subscription_is_created_rotated_disabled_and_deleted(tree: Server) -> None:
    app = tree.services.app
    with signed_in(tree) as browser:
        page = browser.get("/ui/admin/webhooks").text
        assert 'value="nomination.declared"' in page and 'value="nomination.*"' in page
        assert 'value="token.issued"' not in page  # never delivered, never offered
        none_chosen = subscribe(browser)
        assert none_chosen.status_code == 422
        assert field_error(none_chosen.text, "event_types") == "至少指定一种事件类型（或 '*'）"
        created = subscribe(browser, "nomination.*", "campaign.phase_closed")
        assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
        first_secret = signing_secret(created.text)
        assert first_secret and first_secret.startswith("whsec_")
        (webhook,) = app.webhooks.list_webhooks(ADMIN)
        assert webhook["event_types"] == ["nomination.*", "campaign.phase_closed"]
        page = f"/ui/admin/webhooks/{webhook['id']}"
        assert first_secret not in browser.get(page).text
        rotated = send(browser, page, "rotate", {})
        second_secret = signing_secret(rotated.text)
        assert second_secret and second_secret != first_secret
        assert 'data-testid="previous-valid"' in rotated.text
        refused = send(browser, page, "disable", {"reason": ""})
        assert refused.status_code == 422 and field_error(refused.text, "reason") == "须说明理由"
        disabled = send(browser, page, "disable", {"reason": "对方系统维护 / receiver down"})
        assert disabled.status_code == 303
        shown = browser.get(page).text
        assert 'data-status="disabled"' in shown and "对方系统维护" in shown
        deleted = send(browser, page, "delete", {})
        assert deleted.status_code == 303 and deleted.headers["location"] == "/ui/admin/webhooks"
        assert browser.get(page).status_code == 404
    assert app.webhooks.list_webhooks(ADMIN) == []


def test_a_subscriptions_deliveries_are_listed_and_history_replayed(tree: Server) -> None:
    services = tree.services
    with signed_in(tree) as browser:
        assert subscribe(browser, "unit.*").status_code == 200
        (webhook,) = services.app.webhooks.list_webhooks(ADMIN)
        page = f"/ui/admin/webhooks/{webhook['id']}"
        assert 'data-testid="no-deliveries"' in browser.get(page).text
        services.app.execute(
            RegisterUnit(code="xin-cun", name="", name_zh="新村", level="village", parent_id=TOWNSHIP),
            ADMIN,
        )
        asyncio.run(build_dispatcher(services, store=services.webhooks).run_once())
        shown = browser.get(page).text
        attempts = re.findall(r'data-outcome="(\w+)" data-event-type="([\w.]+)"', shown)
        assert attempts and {t for _, t in attempts} <= {"unit.registered", "unit.child_added"}
        assert {o for o, _ in attempts} == {"retrying"}  # nothing listens on the discard port
        assert "重试中" in shown
        queued = send(browser, page, "replay", {"after_position": "0"})
        assert queued.status_code == 303 and "已加入重放队列" in browser.get(page).text
        refused = send(browser, page, "replay", {"after_position": "-1"})
        assert refused.status_code == 422
        assert field_error(refused.text, "after_position") == "请填写事件位置（不小于 0 的整数）"


# --- jurisdiction -----------------------------------------------------------------------------


def test_a_county_admin_sees_its_county_only(tree: Server) -> None:
    app = tree.services.app
    county_admin = app.execute(IssueToken(role="admin", unit_id=COUNTY, label="宜君县管理员"), ADMIN)
    app.execute(IssueToken(role="declarer", unit_id=OTHER_COUNTY_TOWNSHIP, label="白石镇"), ADMIN)
    app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="彭镇"), ADMIN)
    with signed_in(tree, county_admin["token"]) as browser:
        tree_page = browser.get("/ui/admin/units").text
        assert shown_as(tree_page, "unit-link")[0] == "宜君县"
        assert "黎阳县" not in tree_page and "示范市" not in tree_page.split('id="tree-title"')[1]
        for outside in (f"/ui/admin/units/{OTHER_COUNTY}", f"/ui/admin/units/{OTHER_COUNTY}/children"):
            assert browser.get(outside).status_code == 403
        assert browser.get(f"/ui/admin/units?within={CITY}").status_code == 403
        tokens = browser.get("/ui/admin/tokens").text
        assert "彭镇" in tokens and "白石镇" not in tokens
        # A unit outside the county is refused by the command, not hidden by the page.
        beside = {"id": "xin-zhen", "name_zh": "新镇", "level": "township", "parent_id": OTHER_COUNTY}
        assert send(browser, "/ui/admin/units", "add-unit", beside).status_code == 403
        # Webhooks are a root admin's: no link, and the page refuses.
        assert "/ui/admin/webhooks" not in browser.get("/ui/admin").text
        assert browser.get("/ui/admin/webhooks").status_code == 403
    assert not app.unit_exists("xin-zhen")


def test_the_admin_pages_are_an_admins(tree: Server) -> None:
    reviewer = tree.services.app.execute(
        IssueToken(role=Role.REVIEWER, unit_id=CITY, label="初审"), ADMIN
    )
    with signed_in(tree, reviewer["token"]) as browser:
        for page in ("/ui/admin", "/ui/admin/units", "/ui/admin/tokens", "/ui/admin/units:import"):
            assert browser.get(page).status_code == 403, page
    with tree.client(None) as anonymous:
        response = anonymous.get("/ui/admin/tokens")
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/login")


def test_the_admin_pages_speak_english_on_the_switch(tree: Server) -> None:
    with signed_in(tree) as browser:
        units = browser.get("/ui/admin/units?lang=en").text
        assert '<html lang="en">' in units and "Unit tree" in units and "County / district" in units
        tokens = browser.get("/ui/admin/tokens").text  # the cookie keeps the choice
        assert "Issue a token" in tokens and "Declarer" in tokens
        misplaced = {"id": "xin-zhen", "name_zh": "新镇", "level": "township", "parent_id": TOWNSHIP}
        refused = send(browser, "/ui/admin/units", "add-unit", misplaced)
        assert field_error(refused.text, "parent_id") == "a township must sit under county or city"
