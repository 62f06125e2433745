"""The inbox and contacts pages over HTTP, as a browser sends their forms (issue 24): the unread
count in the navigation of every work page (none with an empty store), the inbox with its
unread filter, one notice or all marked read, the preferences form (a mandatory kind offers
no "muted" and refuses one posted, next to its field), a unit's feed for its own tokens, and a
unit's contacts added, changed and removed (a refusal next to its field)."""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from domain.notifications.notices import token_recipient
from tests.api.inbox_seed import feed_entry, notice
from tests.api.page_session import login, own_origin
from tests.builders.http import ADMIN_TOKEN, Server
from tests.builders.http_world import register_units
from tests.builders.tree import COUNTY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE


@pytest.fixture
def world(server: Server) -> Server:
    with server.client(ADMIN_TOKEN) as admin:
        register_units(admin, UNIT_TREE)
    return server


def issue(server: Server, role: str, unit_id: str, **extra: Any) -> tuple[str, str]:
    """A token's (id, secret)."""
    with server.client(ADMIN_TOKEN) as admin:
        body = {"role": role, "unit_id": unit_id, "label": role, **extra}
        response = admin.post("/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"], response.json()["token"]


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden_inputs(html: str, form_id: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def send(browser: httpx.Client, page: str, form_id: str, fields: dict[str, Any]) -> httpx.Response:
    """Opens ``page``, fills form ``form_id`` with ``fields`` and sends it from this site."""
    opened = browser.get(page)
    assert opened.status_code == 200, opened.text
    action = re.search(rf'<form [^>]*action="([^"]+)"[^>]*id="{form_id}"', opened.text)
    assert action, f"no form {form_id} on {page}"
    data = {**hidden_inputs(opened.text, form_id), **fields}
    return browser.post(action.group(1), data=data, headers={"Origin": own_origin(browser)})


def badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-badge"><span aria-hidden="true">(\d+)</span>', html)
    return found.group(1) if found else None


def field_error(html: str, field: str) -> str:
    found = re.search(
        rf'<p class="field-error" id="[^"]+" data-field="{re.escape(field)}">(.*?)</p>', html
    )
    assert found, f"no error next to {field}"
    return html_text.unescape(found.group(1))


def notice_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-notice-id="(\d+)"', html)]


def subjects(html: str) -> list[str]:
    """The subject each notice shows first, in the page's order."""
    found = re.findall(r'data-testid="notice-subject">(?:<strong>)?([^<]*)<', html)
    return [html_text.unescape(s) for s in found]


def test_the_unread_count_is_in_the_navigation_of_every_work_page(world: Server) -> None:
    token_id, secret = issue(world, "declarer", TOWNSHIP)
    with signed_in(world, secret) as browser:
        for page in ("/ui/", "/ui/declare", "/ui/inbox", f"/ui/units/{TOWNSHIP}/feed"):
            answer = browser.get(page)
            assert answer.status_code == 200, (page, answer.text[:300])
            assert 'data-testid="nav-inbox"' in answer.text and badge(answer.text) is None
        for _ in range(3):
            notice(world.services.notifications, token_recipient(token_id))
        for page in ("/ui/", "/ui/declare", "/ui/inbox", f"/ui/units/{TOWNSHIP}/compliance"):
            assert badge(browser.get(page).text) == "3", page
        assert "3 条未读" in browser.get("/ui/").text
        assert "3 unread" in browser.get("/ui/?lang=en").text
    # Another token's pages count its own notices only.
    _, other = issue(world, "declarer", OTHER_TOWNSHIP)
    with signed_in(world, other) as browser:
        assert badge(browser.get("/ui/").text) is None


def test_reading_marking_and_filtering_the_inbox(world: Server) -> None:
    token_id, secret = issue(world, "declarer", TOWNSHIP)
    store, me = world.services.notifications, token_recipient(token_id)
    first = notice(store, me, subject="截止提醒 / Deadline approaching", kind="deadline_approaching")
    second = notice(store, me, subject="初审未通过 / Rejected", kind="rejected", body="理由：材料不全")
    with signed_in(world, secret) as browser:
        page = browser.get("/ui/inbox").text
        assert notice_ids(page) == [second, first]
        assert "理由：材料不全" in page and "必收" in page
        assert 'class="stack notices"' in page and 'data-label="主题"' in page
        assert 'data-label="收到时间"' in page
        # The reader's language first, the other after it (both kept)
        assert subjects(page) == ["初审未通过", "截止提醒"]
        assert subjects(browser.get("/ui/inbox?lang=en").text) == ["Rejected", "Deadline approaching"]
        browser.get("/ui/inbox?lang=zh")  # the language is kept: back to Chinese
        assert 'aria-current="page">全部</a>' in page

        marked = send(browser, "/ui/inbox?unread=1", f"mark-read-{second}", {})
        assert marked.status_code == 303 and marked.headers["location"] == "/ui/inbox?unread=1"
        landed = browser.get(marked.headers["location"]).text
        assert "已标为已读" in landed and notice_ids(landed) == [first] and badge(landed) == "1"
        assert notice_ids(browser.get("/ui/inbox").text) == [second, first]

        all_read = send(browser, "/ui/inbox", "mark-all", {})
        assert all_read.status_code == 303
        after = browser.get("/ui/inbox?unread=1").text
        assert "已将 1 条消息标为已读" in after and notice_ids(after) == [] and badge(after) is None
        assert 'data-testid="no-notices"' in after

        # A notice of another person's is not found; a form from elsewhere is refused.
        theirs = notice(store, token_recipient("someone-else"))
        form = hidden_inputs(browser.get("/ui/inbox").text, "preferences-form")
        stolen = browser.post(
            f"/ui/inbox/{theirs}/read", data=form, headers={"Origin": own_origin(browser)}
        )
        assert stolen.status_code == 404
        huge = browser.post(
            "/ui/inbox/99999999999999999999/read", data=form, headers={"Origin": own_origin(browser)}
        )
        assert huge.status_code == 422  # bounded in the path, never a database overflow
        forged = browser.post(
            f"/ui/inbox/{first}/read", data=form, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        english = browser.get("/ui/inbox?lang=en").text
        assert "My notices" in english and "Mark all read" not in english  # nothing unread


def test_the_preferences_form(world: Server) -> None:
    token_id, secret = issue(world, "declarer", TOWNSHIP)
    store, me = world.services.notifications, token_recipient(token_id)
    with signed_in(world, secret) as browser:
        page = browser.get("/ui/inbox").text
        admitted = re.search(r'<select id="f-mode-admitted"[^>]*>(.*?)</select>', page, re.DOTALL)
        assert admitted and 'value="muted"' in admitted.group(1)
        assert 'id="f-mode-rejected"' not in page  # mandatory, inbox only: no choice to make
        assert 'data-testid="token-only"' in page  # a token naming no person: inbox only
        assert 'value="digest"' not in admitted.group(1)  # no address: no digest either
        assert "在站内显示" in admitted.group(1)

        no_mail = send(browser, "/ui/inbox", "preferences-form", {"mode.admitted": "digest"})
        assert no_mail.status_code == 422
        assert "只能在站内查看" in field_error(no_mail.text, "mode.admitted")

        saved = send(
            browser, "/ui/inbox", "preferences-form", {"mode.admitted": "muted", "mode.lapsed": "muted"}
        )
        assert saved.status_code == 303, saved.text
        assert saved.headers["location"] == "/ui/inbox?saved=1#preferences"
        assert (store.preferences(me)["admitted"], store.preferences(me)["lapsed"]) == (
            "muted",
            "muted",
        )
        landed = browser.get(saved.headers["location"]).text
        assert 'data-testid="preferences-saved">接收方式已保存' in landed  # in its card

        refused = send(
            browser,
            "/ui/inbox",
            "preferences-form",
            {"mode.rejected": "muted", "mode.admitted": "immediate"},
        )
        assert refused.status_code == 422
        assert "不可关闭" in field_error(refused.text, "mode.rejected")
        assert store.preferences(me)["admitted"] == "muted"  # nothing kept of a refused form
        assert store.preferences(me)["rejected"] == "immediate"


def test_a_persons_preferences_name_the_address_mail_goes_to(world: Server) -> None:
    with world.client(ADMIN_TOKEN) as admin:
        added = admin.post(
            f"/v1/units/{TOWNSHIP}/contacts",
            json={"name": "王芳", "role": "declarer", "email": "wang.fang@example.org"},
        )
    assert added.status_code == 201, added.text
    _, secret = issue(world, "declarer", TOWNSHIP, contact_id=added.json()["id"])
    with signed_in(world, secret) as browser:
        page = browser.get("/ui/inbox").text
        assert 'data-testid="token-only"' not in page
        assert "邮件发送给：王芳（wang.fang@example.org）" in page
        rejected = re.search(r'<select id="f-mode-rejected"[^>]*>(.*?)</select>', page, re.DOTALL)
        assert rejected and 'value="muted"' not in rejected.group(1)
        assert 'value="digest"' in rejected.group(1)
        assert "E-mail goes to 王芳 at wang.fang@example.org." in browser.get("/ui/inbox?lang=en").text
        browser.get("/ui/inbox?lang=zh")


def test_a_reviewer_reads_its_own_contact_entry_without_the_forms(world: Server) -> None:
    with world.client(ADMIN_TOKEN) as admin:
        added = admin.post(
            f"/v1/units/{TOWNSHIP}/contacts",
            json={"name": "赵敏", "role": "reviewer", "email": "zhao.min@example.org"},
        )
    assert added.status_code == 201, added.text
    _, secret = issue(world, "reviewer", TOWNSHIP, contact_id=added.json()["id"])
    with signed_in(world, secret) as browser:
        own = browser.get(f"/ui/units/{TOWNSHIP}/contacts/{added.json()['id']}").text
        assert 'data-testid="contact-facts"' in own and "zhao.min@example.org" in own
        assert 'id="change-contact-form"' not in own and 'id="remove-contact-form"' not in own
        listed = browser.get(f"/ui/units/{TOWNSHIP}/contacts").text
        assert "zhao.min@example.org" in listed and 'id="add-contact-form"' not in listed


def test_a_units_feed_page(world: Server) -> None:
    feed_entry(world.services.notifications, TOWNSHIP, kind="rejected", subject="初审未通过 / Rejected")
    _, secret = issue(world, "declarer", TOWNSHIP)
    with signed_in(world, secret) as browser:
        page = browser.get(f"/ui/units/{TOWNSHIP}/feed")
        assert page.status_code == 200
        assert "彭镇消息动态" in page.text and "初审未通过" in page.text
        assert 'data-kind="rejected"' in page.text and 'data-label="发生时间"' in page.text
    _, sibling = issue(world, "declarer", OTHER_TOWNSHIP)
    with signed_in(world, sibling) as browser:
        assert browser.get(f"/ui/units/{TOWNSHIP}/feed").status_code == 403
    _, county_admin = issue(world, "admin", COUNTY)
    with signed_in(world, county_admin) as browser:
        assert "初审未通过" in browser.get(f"/ui/units/{TOWNSHIP}/feed").text


def test_an_admin_manages_a_units_contacts_in_the_pages(world: Server) -> None:
    _, secret = issue(world, "admin", COUNTY)
    contacts = f"/ui/units/{TOWNSHIP}/contacts"
    with signed_in(world, secret) as browser:
        assert browser.get("/ui/contacts").headers["location"] == f"/ui/units/{COUNTY}/contacts"
        first = browser.get(contacts).text
        assert 'data-testid="no-contacts"' in first and "彭镇联系人" in first
        assert '<option value="">请选择</option>' in first  # a role is chosen, never assumed
        assert "对外推送（webhook）" in first
        county = browser.get(f"/ui/units/{COUNTY}/contacts").text
        assert f'href="/ui/units/{TOWNSHIP}/contacts"' in county  # the units below, linked
        wang = {"name": "王芳", "role": "declarer", "email": "wang.fang@example.org", "phone": ""}

        bad = send(browser, contacts, "add-contact-form", {**wang, "email": "not-an-address"})
        assert bad.status_code == 422
        assert field_error(bad.text, "email")
        assert 'value="王芳"' in bad.text  # what was typed is kept

        added = send(browser, contacts, "add-contact-form", wang)
        assert added.status_code == 303 and added.headers["location"] == contacts
        page = browser.get(contacts).text
        assert "联系人已新增" in page and "wang.fang@example.org" in page
        contact_id = re.search(r'<tr data-contact-id="([^"]+)"', page).group(1)  # type: ignore[union-attr]

        one = f"{contacts}/{contact_id}"
        its_page = browser.get(one).text
        assert "删除此联系人" in its_page and "← 返回彭镇联系人" in its_page
        assert 'class="danger"' in its_page
        changed = send(browser, one, "change-contact-form", {**wang, "email": "wff@example.org"})
        assert changed.status_code == 303
        assert "wff@example.org" in browser.get(contacts).text

        removed = send(browser, one, "remove-contact-form", {})
        assert removed.status_code == 303
        after = browser.get(contacts).text
        assert "联系人已删除" in after and "wff@example.org" not in after


def test_an_admin_without_a_unit_chooses_one_by_name(world: Server) -> None:
    with signed_in(world, ADMIN_TOKEN) as browser:
        page = browser.get("/ui/contacts")
        assert page.status_code == 200
        assert f'<option value="{TOWNSHIP}">彭镇' in page.text and '<select id="f-unit"' in page.text
        chosen = browser.get(f"/ui/contacts?unit={TOWNSHIP}")
        assert chosen.headers["location"] == f"/ui/units/{TOWNSHIP}/contacts"


def test_the_units_declarer_sees_the_form_without_the_list(world: Server) -> None:
    with world.client(ADMIN_TOKEN) as admin:
        admin.post(
            f"/v1/units/{TOWNSHIP}/contacts",
            json={"name": "王芳", "role": "admin", "email": "wang.fang@example.org"},
        )
    _, secret = issue(world, "declarer", TOWNSHIP)
    contacts = f"/ui/units/{TOWNSHIP}/contacts"
    with signed_in(world, secret) as browser:
        page = browser.get(contacts).text
        assert 'data-testid="contacts-hidden"' in page and "wang.fang@example.org" not in page
        roles = re.search(r'<select id="f-role"[^>]*>(.*?)</select>', page, re.DOTALL)
        assert roles and re.findall(r'value="(\w+)"', roles.group(1)) == ["declarer"]
        li = {"name": "李明", "role": "declarer", "email": "li.ming@example.org", "phone": ""}
        assert send(browser, contacts, "add-contact-form", li).status_code == 303
    _, sibling = issue(world, "declarer", OTHER_TOWNSHIP)
    with signed_in(world, sibling) as browser:
        assert browser.get(contacts).status_code == 403
