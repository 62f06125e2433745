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
from api.pages.i18n import MESSAGES, NOMINATION_EVENTS, Translator
from domain.commands import IssueToken, PreReview, RecordActivity, RegisterMember
from domain.vocabulary import NominationState, Role
from tests.api.page_session import login, logout
from tests.builders.actors import ADMIN, CITY_REVIEWER, declarer_of
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.http import ADMIN_TOKEN, Server, serve_in_process
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.builders.world import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Server, dict[str, Any]]]:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        city = world.city(townships=2, villages=2)
        campaign = world.campaign()
        campaign_id = campaign.id
        ids = [
            world.declare(campaign, village, declaring_unit=town)
            for town in city.townships
            for village in city.villages[town]
        ]
        app.execute(
            PreReview(nomination_id=ids[0], decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
        app.execute(
            PreReview(nomination_id=ids[3], decision="reject", reasons=["材料雷同 / copied material"]),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
        tokens = {
            role: app.execute(IssueToken(role=role, unit_id=unit, label=role), ADMIN)["token"]
            for role, unit in (("declarer", TOWNSHIP), ("reviewer", CITY))
        }
        clock.now = FIVE_GOOD_2022.commendation
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
    with server.client(None) as client:
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
        before = client.get(
            path, params={"as_of": (FIVE_GOOD_2022.pre_review - timedelta(hours=1)).isoformat()}
        )
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
    states = list(NominationState)
    svg = pipeline_svg('x"><script>', dict.fromkeys(states, 2), Translator("en"))
    assert "<script>" not in svg and svg.count("<rect") == 2 * len(states)
    assert [s for s in states if f'data-state="{s}">2</text>' not in svg] == []


def test_the_catalogue_speaks_both_languages() -> None:
    labels = {
        **MESSAGES,
        **{f"state.{s}": (s.zh, s.en) for s in NominationState},
        **{f"role.{r}": (r.zh, r.en) for r in Role},
        **{name: (event.zh, event.en) for name, event in NOMINATION_EVENTS.items()},
    }
    assert [key for key, (zh, en) in labels.items() if not (zh and en and zh != en)] == []
    assert duration(3 * 86400 + 4 * 3600 + 5, Translator("zh")) == "3天 4小时 0分 5秒"
    assert duration(65, Translator("en")) == "1m 5s"


def test_the_compliance_page_names_every_shortfall_the_api_names(world) -> None:
    server, script = world
    app = server.services.app
    town = declarer_of(TOWNSHIP)
    for i, member in enumerate(("m1", "m2", "m3")):
        app.execute(
            RegisterMember(
                unit_id=TOWNSHIP, member_id=member, name=f"党员{i + 1}", status="member", leader=i == 0
            ),
            town,
        )
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
        app.execute(
            RecordActivity(
                unit_id=TOWNSHIP,
                session=dict(
                    session,
                    five_haves=dict.fromkeys(
                        ("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True
                    ),
                ),
            ),
            town,
        )
    with (
        server.client(script["tokens"]["reviewer"]) as api,
        browser(server, script["tokens"]["reviewer"]) as client,
    ):
        expected = api.get(f"/v1/units/{TOWNSHIP}/compliance", params={"year": 2022}).json()
        page = client.get(f"/ui/units/{TOWNSHIP}/compliance", params={"year": 2022})
        assert (
            page.status_code == 200 and 'data-compliant="false"' in page.text and "未达标" in page.text
        )
        assert re.findall(r'<li data-rule="([a-z_]+)">', page.text) == [
            f["rule"] for f in expected["shortfalls"]
        ]
        assert (
            'data-assessed="false"'
            in client.get(f"/ui/units/{TOWNSHIP}/compliance", params={"year": 2021}).text
        )
    with browser(server, script["tokens"]["declarer"]) as declarer:
        assert (
            declarer.get(f"/ui/units/{OTHER_TOWNSHIP}/compliance", params={"year": 2022}).status_code
            == 403
        )


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
            f"/ui/units/{TOWNSHIP}/compliance?year=2022",
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
