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

from api.pages.charts import pipeline_chart
from api.pages.formatting import duration, local_time
from api.pages.i18n import MESSAGES, NOMINATION_EVENTS, Translator
from domain.commands import ClosePhase, IssueToken, PreReview, RecordActivity, RegisterMember
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
        rf'class="chart-count" data-category="{category}" data-state="{state}">(\d+)</span>', html
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
            and "参数 as_of 的格式不正确" in garbled.text
        )


def test_the_pipeline_chart_draws_every_state_and_escapes_names() -> None:
    states = list(NominationState)
    chart = pipeline_chart('x"><script>', dict.fromkeys(states, 2), Translator("en"))
    assert "<script>" not in chart and chart.count("<rect") == 2 * len(states)
    assert [s for s in states if f'data-state="{s}">2</span>' not in chart] == []
    # the labels are the page's text (readable at phone width), the bars alone are drawn
    assert chart.count('class="chart-label"') == len(states) and 'aria-hidden="true"' in chart


def test_times_are_shown_to_the_second_when_the_seconds_matter() -> None:
    assert local_time("2022-10-20T15:59:59+00:00", "Asia/Shanghai") == "2022-10-20 23:59:59"
    assert local_time("2022-10-20T00:00:00+00:00", "Asia/Shanghai") == "2022-10-20 08:00"


def test_the_catalogue_speaks_both_languages() -> None:
    labels = {
        **MESSAGES,
        **{f"state.{s}": (s.zh, s.en) for s in NominationState},
        **{f"role.{r}": (r.zh, r.en) for r in Role},
        **{name: (event.zh, event.en) for name, event in NOMINATION_EVENTS.items()},
    }
    untranslated = [
        key
        for key, (zh, en) in labels.items()
        if not (zh and en) or (zh == en and any(ch.isalnum() for ch in zh))  # "—" is both
    ]
    assert untranslated == []
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


ORIGIN = {"Origin": "http://testserver"}
FIVE_HAVES = ("notice", "sign_in", "playback_log", "discussion_record", "feedback")
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def visible_text(html: str) -> str:
    """What a reader sees of a page's main part: no tags, no attributes."""
    main = html.split('<main id="main"', 1)[1]
    return html_text.unescape(re.sub(r"<[^>]+>", " ", main.split(">", 1)[1]))


def test_the_login_page_says_where_the_admin_token_is_and_keeps_the_whole_address(world) -> None:
    server, script = world
    wanted = f"/ui/campaigns/{script['campaign_id']}?as_of=2022-10-20T10:00:00%2B08:00&lang=en"
    with browser(server) as anonymous:
        sent = anonymous.get(wanted)
        assert sent.status_code == 303
        form = anonymous.get(sent.headers["location"])
        assert ".laurel/admin-token" in form.text and "LAUREL_ADMIN_TOKEN" in form.text
        assert (
            login(
                anonymous,
                ADMIN_TOKEN,
                html_text.unescape(
                    re.search(r'name="next" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
                ),
            ).headers["location"]
            == wanted
        )


def test_an_administrator_without_a_campaign_sees_the_first_steps(tmp_path: Path) -> None:
    with (
        serve_in_process(f"sqlite:///{tmp_path / 'empty.sqlite3'}") as server,
        browser(server, ADMIN_TOKEN) as admin,
    ):
        home = admin.get("/ui/").text
        assert 'data-testid="first-steps"' in home
        assert [
            html_text.unescape(h)
            for h in re.findall(r'<li class="todo" data-step="\d">\s*<a href="([^"]+)"', home)
        ] == [
            "/ui/admin/units",
            "/ui/campaigns/new",
            "/ui/admin/tokens",
        ]
        assert 'href="/ui/admin"' in home  # the role's navigation


def test_identical_campaigns_are_told_apart_on_the_landing_page(world) -> None:
    server, _ = world
    World(server.services.app).campaign()  # a second campaign from the same template
    with browser(server, ADMIN_TOKEN) as admin:
        page = admin.get("/ui/").text
        rows = re.findall(r'<tr data-campaign-id="([^"]+)">(.*?)</tr>', page, re.DOTALL)
        assert len(rows) == 2
        shown = [visible_text('<main id="main">' + row) for _, row in rows]
        assert shown[0] != shown[1]  # the id's prefix and the creation time differ
        assert all("示范市" in text or "Shifan" in text for text in shown)


def test_the_dashboard_as_of_an_instant_lists_the_states_of_then_and_stops_the_clock(world) -> None:
    server, script = world
    then = (FIVE_GOOD_2022.pre_review - timedelta(hours=1)).isoformat()
    with browser(server, script["tokens"]["reviewer"]) as client:
        page = client.get(f"/ui/campaigns/{script['campaign_id']}", params={"as_of": then}).text
        states = re.findall(r'<span class="pill" data-state="([a-z]+)">', page)
        assert states == ["declared"] * 4  # the rejection came later
        assert "countdown.js" not in page and "data-seconds" not in page
        assert 'data-testid="as-of"' in page and "倒计时已停止" in page
        now = client.get(f"/ui/campaigns/{script['campaign_id']}").text
        assert sorted(re.findall(r'<span class="pill" data-state="([a-z]+)">', now)) == [
            "admitted",
            "declared",
            "declared",
            "rejected",
        ]
        assert "countdown.js" in now


def test_a_declarer_sees_its_own_figures_and_is_told_whose_they_are(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["declarer"]) as declarer:
        page = declarer.get(f"/ui/campaigns/{script['campaign_id']}").text
        assert bar_count(page, "declared") == 1 and bar_count(page, "admitted") == 1
        assert bar_count(page, "rejected") == 0  # the other township's
        whose = re.search(r'data-testid="whose-figures">([^<]+)<', page)
        assert whose and "仅统计" in whose.group(1)
        assert 'data-testid="silent-units"' not in page


def test_the_commended_card_labels_titles_awarded_and_titles_held(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["reviewer"]) as client:
        page = client.get(f"/ui/campaigns/{script['campaign_id']}").text
        for label in ("已授予称号（计入名额）", "现持有称号", "其中已撤销", "撤销不退还名额"):
            assert label in page
        assert re.search(r'<progress class="fill"[^>]*aria-labelledby="fill-five_good_site"', page)
        assert 'id="fill-five_good_site">' in page


def test_the_nomination_page_shows_the_material_and_real_headings(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["reviewer"]) as client:
        page = client.get(f"/ui/nominations/{script['ids'][0]}").text
        material = re.search(
            r'<div class="material" data-testid="material">(.*?)</div>', page, re.DOTALL
        )
        assert material and len(material.group(1)) > 100
        assert "<h1" in page and '<h2 id="material-title">' in page and '<h3 class="ev-name">' in page
        assert '<a class="skip" href="#main">' in page


def test_a_refusal_page_speaks_one_language_without_codes_or_ids(world) -> None:
    server, script = world
    with browser(server, script["tokens"]["declarer"]) as declarer:
        for lang, title in (("zh", "没有权限"), ("en", "Not allowed")):
            page = declarer.get(f"/ui/nominations/{script['ids'][3]}", params={"lang": lang})
            assert page.status_code == 403
            text = visible_text(page.text)
            assert title in text and not UUID_TEXT.search(text)
            assert "outside-jurisdiction" not in text and "tok-" not in text
            other = "您当前的令牌" if lang == "en" else "Your token"
            assert other not in text


def test_the_compliance_page_shows_months_not_a_dictionary_in_the_campaigns_zone(world) -> None:
    server, script = world
    app = server.services.app
    town = declarer_of(TOWNSHIP)
    app.execute(RegisterMember(unit_id=TOWNSHIP, member_id="m1", name="党员1", status="member"), town)
    session = {
        "session_id": "2022-01",
        "date": "2022-01-10",
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": ["m1"],
        "attendees": ["m1"],
        "five_haves": dict.fromkeys(FIVE_HAVES, True),
    }
    app.execute(RecordActivity(unit_id=TOWNSHIP, session=session), town)
    with browser(server, script["tokens"]["reviewer"]) as client:
        page = client.get(
            f"/ui/units/{TOWNSHIP}/compliance",
            params={"year": 2022, "campaign": script["campaign_id"]},
        ).text
        assert "{1:" not in page and 'data-month="1"' in page
        assert "Asia/Shanghai" in page


def test_an_administrator_creates_a_campaign_from_a_template_on_the_page(tmp_path: Path) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with (
        serve_in_process(f"sqlite:///{tmp_path / 'new.sqlite3'}", clock) as server,
        browser(server, ADMIN_TOKEN) as admin,
    ):
        World(server.services.app).city(townships=1, villages=1)
        form = admin.get("/ui/campaigns/new").text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
        data = {**fields, "template": "five-good-sites", "organiser_unit_id": CITY, "year": "2022"}
        both = admin.post(
            "/ui/campaigns/new", data={**data, "starts_at": "2022-10-16T08:00"}, headers=ORIGIN
        )
        assert both.status_code == 422 and 'id="f-year-error"' in both.text  # year or start
        created = admin.post("/ui/campaigns/new", data=data, headers=ORIGIN)
        assert created.status_code == 303
        board = admin.get(created.headers["location"])
        assert board.status_code == 200 and "评选活动已创建" in board.text
        home = admin.get("/ui/").text
        assert len(re.findall(r"<tr data-campaign-id=", home)) == 1


def test_a_lapse_is_told_in_the_readers_language_with_the_phases_name(world) -> None:
    server, script = world
    app = server.services.app
    app.execute(
        ClosePhase(campaign_id=script["campaign_id"], phase="pre_review"),
        ADMIN,
        at=FIVE_GOOD_2022.inspection,
    )
    with browser(server, script["tokens"]["reviewer"]) as client:
        for lang, said, other in (
            ("zh", "阶段「初审」截止时此步骤仍未办理", "closed before"),
            ("en", "The phase “Pre-review” closed before", "截止"),
        ):
            page = client.get(f"/ui/nominations/{script['ids'][1]}", params={"lang": lang}).text
            lapsed = page.split('data-event-type="nomination.lapsed"', 1)[1].split("</li>\n", 1)[0]
            assert (
                said in lapsed
                and other not in lapsed
                and "pre_review" not in visible_text('<main id="main">' + lapsed)
            )
