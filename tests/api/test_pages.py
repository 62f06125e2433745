"""The web pages over HTTP (no browser): sessions, the same jurisdiction as the API, the
language choice, the dashboard replayed at an instant, and the pieces the pages are made of."""

from __future__ import annotations

import html as html_text
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.pages.charts import pipeline_svg
from api.pages.formatting import duration
from api.pages.i18n import EVENT_NAMES, MESSAGES, ROLE_NAMES, STATE_NAMES, Translator
from domain.nominations import STATES
from tests.api.conftest import ADMIN_TOKEN, Server, running_server
from tests.api.page_session import login, logout
from tests.integration.world import (
    ADMIN,
    CITY_REVIEWER,
    COMMENDING,
    DECLARING,
    PRE_REVIEWING,
    SITE_CHECKS,
    build_city,
    declare_site,
    five_good_campaign,
)
from tests.integration.world import declarer as declarer_of  # the fixture is called world


class Clock:
    def __init__(self) -> None:
        self.now = DECLARING

    def __call__(self) -> Any:
        return self.now


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Server, dict[str, Any]]]:
    clock = Clock()
    with running_server(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        city = build_city(app, townships=2, villages=2)
        campaign_id = str(five_good_campaign(app))
        ids = [
            declare_site(app, campaign_id, town, village)
            for town in city.townships
            for village in city.villages[town]
        ]
        app.pre_review(ids[0], "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)
        app.pre_review(ids[3], "reject", ["材料雷同 / copied material"], CITY_REVIEWER, at=PRE_REVIEWING)
        tokens = {
            role: app.issue_token(role, unit, role, ADMIN)["token"]
            for role, unit in (("declarer", "town-1"), ("reviewer", "city-1"))
        }
        clock.now = COMMENDING
        yield server, {"campaign_id": campaign_id, "ids": ids, "tokens": tokens}


def bar_count(html: str, state: str, category: str = "five_good_site") -> int:
    found = re.search(
        rf'class="chart-count" data-category="{category}" data-state="{state}">(\d+)</text>', html
    )
    assert found, state
    return int(found.group(1))


@contextmanager
def browser(server: Server, token: str | None = None) -> Iterator[httpx.Client]:
    """A client that keeps cookies and does not follow redirects, logged in with ``token``."""
    with httpx.Client(base_url=server.base_url, follow_redirects=False) as client:
        if token:
            assert login(client, token).status_code == 303
        yield client


def test_pages_send_a_visitor_without_a_session_to_the_login_form(world) -> None:
    server, script = world
    with browser(server) as anonymous:
        response = anonymous.get(f"/ui/campaigns/{script['campaign_id']}")
        assert response.status_code == 303
        assert response.headers["location"] == f"/ui/login?next=/ui/campaigns/{script['campaign_id']}"
        form = anonymous.get(response.headers["location"])
        assert (
            form.status_code == 200
            and 'name="token"' in form.text
            and f'value="/ui/campaigns/{script["campaign_id"]}"' in form.text
        )


def test_login_sets_an_httponly_session_cookie_and_logout_clears_it(world) -> None:
    server, _ = world
    with browser(server) as client:
        refused = login(client, "lrl_unknown")
        assert refused.status_code == 401 and "令牌无效、已过期或已撤销" in refused.text
        accepted = login(client, ADMIN_TOKEN, "//evil.example/")
        assert (
            accepted.status_code == 303 and accepted.headers["location"] == "/ui/"
        )  # never off the site
        cookie = accepted.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
        assert client.get("/ui/").status_code == 200
        out = logout(client)
        assert out.status_code == 303 and out.headers["location"] == "/ui/login?logged_out=1"
        assert client.get("/ui/").status_code == 303


def test_a_script_may_read_a_page_with_the_bearer_header(world) -> None:
    server, script = world
    with server.client(script["tokens"]["reviewer"]) as client:
        page = client.get(f"/ui/campaigns/{script['campaign_id']}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_a_declarer_sees_only_the_nominations_of_its_township(world) -> None:
    server, script = world
    ids = script["ids"]
    with browser(server, script["tokens"]["declarer"]) as declarer:
        board = declarer.get(f"/ui/campaigns/{script['campaign_id']}")
        assert board.status_code == 200
        assert (
            ids[0] in board.text
            and ids[1] in board.text
            and ids[2] not in board.text
            and ids[3] not in board.text
        )
        own = declarer.get(f"/ui/nominations/{ids[0]}")
        assert own.status_code == 200 and "申报" in own.text
        other = declarer.get(f"/ui/nominations/{ids[3]}")
        assert other.status_code == 403 and 'data-code="outside-jurisdiction"' in other.text
        assert declarer.get("/ui/nominations/no-such-id").status_code == 404


def test_the_language_choice_is_kept_in_a_cookie(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["reviewer"]) as client:
        assert '<html lang="zh-CN">' in client.get("/ui/").text
        english = client.get("/ui/", params={"lang": "en"})
        assert '<html lang="en">' in english.text and "laurel_lang=en" in english.headers["set-cookie"]
        assert '<html lang="en">' in client.get(f"/ui/nominations/{script['ids'][3]}").text
        assert '<html lang="zh-CN">' in client.get("/ui/", params={"lang": "zh"}).text


def test_the_dashboard_page_replays_the_campaign_as_of_an_instant(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["reviewer"]) as client:
        path = f"/ui/campaigns/{script['campaign_id']}"
        before = client.get(path, params={"as_of": (PRE_REVIEWING - timedelta(hours=1)).isoformat()})
        assert before.status_code == 200 and "数据截至" in before.text
        assert bar_count(before.text, "declared") == 4 and bar_count(before.text, "rejected") == 0
        now = client.get(path).text
        assert (
            bar_count(now, "declared") == 2
            and bar_count(now, "admitted") == 1
            and bar_count(now, "rejected") == 1
        )
        assert (
            client.get(path, params={"as_of": "2022-10-20T10:00:00"}).status_code == 422
        )  # no time zone
        assert (
            client.get(path, params={"as_of": "2000-01-01T00:00:00Z"}).status_code == 404
        )  # before the campaign
        garbled = client.get(path, params={"as_of": "yesterday"})
        assert (
            garbled.status_code == 422
            and garbled.headers["content-type"].startswith("text/html")
            and "<code>as_of</code>" in garbled.text
        )


def test_the_pipeline_chart_draws_every_state_and_escapes_names() -> None:
    svg = pipeline_svg('x"><script>', dict.fromkeys(STATES, 2), Translator("en"))
    assert "<script>" not in svg and svg.count("<rect") == 2 * len(STATES)
    assert [s for s in STATES if f'data-state="{s}">2</text>' not in svg] == []


def test_the_catalogue_speaks_both_languages() -> None:
    for table in (MESSAGES, STATE_NAMES, ROLE_NAMES, EVENT_NAMES):
        assert all(zh and en and zh != en for zh, en in table.values()), [
            k for k, v in table.items() if not all(v)
        ]
    assert set(STATE_NAMES) == set(STATES)
    assert duration(3 * 86400 + 4 * 3600 + 5, Translator("zh")) == "3天 4小时 0分 5秒"
    assert duration(65, Translator("en")) == "1m 5s"


def test_the_compliance_page_names_every_shortfall_the_api_names(world) -> None:
    server, script = world
    app = server.services.app
    town = declarer_of("town-1")
    for i, member in enumerate(("m1", "m2", "m3")):
        app.register_member("town-1", member, f"党员{i + 1}", "member", i == 0, town)
    for month in (1, 2, 3):
        session = {
            "session_id": f"2022-{month:02d}",
            "date": f"2022-{month:02d}-10",
            "kind": "all_member",
            "hours": 4,
            "topic": "party_building",
            "expected": ["m1", "m2", "m3"],
            "attendees": ["m1", "m2"],
        }
        app.record_activity(
            "town-1",
            dict(
                session,
                five_haves=dict.fromkeys(
                    ("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True
                ),
            ),
            town,
        )
    with (
        server.client(script["tokens"]["reviewer"]) as api,
        browser(server, script["tokens"]["reviewer"]) as client,
    ):
        expected = api.get("/v1/units/town-1/compliance", params={"year": 2022}).json()
        page = client.get("/ui/units/town-1/compliance", params={"year": 2022})
        assert (
            page.status_code == 200 and 'data-compliant="false"' in page.text and "未达标" in page.text
        )
        assert re.findall(r'<li data-rule="([a-z_]+)">', page.text) == [
            f["rule"] for f in expected["shortfalls"]
        ]
        assert (
            'data-assessed="false"'
            in client.get("/ui/units/town-1/compliance", params={"year": 2021}).text
        )
    with browser(server, script["tokens"]["declarer"]) as declarer:
        assert declarer.get("/ui/units/town-2/compliance", params={"year": 2022}).status_code == 403


INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_no_page_carries_inline_script_or_style(world) -> None:
    """The pages' policy runs no inline script and applies no inline style: every page's code
    and styles are files under /static (the charts are inline SVG, drawn with attributes)."""
    server, script = world
    with browser(server, script["tokens"]["reviewer"]) as client:
        pages = [
            "/ui/",
            f"/ui/campaigns/{script['campaign_id']}",
            f"/ui/nominations/{script['ids'][3]}",
            "/ui/units/town-1/compliance?year=2022",
            "/ui/campaigns/nope",
            "/ui/login",
        ]
        for path in pages:
            html = client.get(path).text
            assert INLINE_CODE.findall(html) == [], path
            for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
                assert client.get(asset).status_code == 200, asset
        board = client.get(pages[1]).text
        units = re.search(
            r'<script src="/static/pages/countdown.js" data-units="([^"]+)"></script>', board
        )
        assert units and json.loads(html_text.unescape(units.group(1))) == ["天", "小时", "分", "秒"]
        assert '<progress class="fill" max="' in board
