"""Seed 004's per-member rules over HTTP (issue 21, item 6): a township fixes its activity day,
a village records its sessions with members, an exempt member and non-members taking part;
compliance names each member and leader who missed a required session and flags the sessions
recorded late or off the township's day, the same on the page as in the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.page_session import login
from tests.builders.clock import Clock
from tests.builders.http import Server, problem, serve_in_process

HAVES = dict.fromkeys(("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True)
MEMBERS = ["m1", "m2", "m3"]


def at(month: int, day: int) -> datetime:
    return datetime(2022, month, day, 2, tzinfo=UTC)


def day(on: str, attendees: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "session_id": extra.pop("session_id", on),
        "date": on,
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": MEMBERS,
        "attendees": attendees,
        "five_haves": HAVES,
        **extra,
    }


@contextmanager
def browser(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


@pytest.fixture
def scene(tmp_path) -> Iterator[tuple[Server, Clock, dict[str, str]]]:
    clock = Clock(at(1, 20))  # tokens live 90 days: past the April import
    with (
        serve_in_process(f"sqlite:///{tmp_path / 'activity.sqlite3'}", clock) as server,
        server.client() as admin,
    ):
        for unit in [
            {"id": "city-1", "name_zh": "示范市", "level": "city"},
            {"id": "county-1", "name_zh": "宜君县", "level": "county", "parent_id": "city-1"},
            {"id": "town-3", "name_zh": "彭镇", "level": "township", "parent_id": "county-1"},
            {"id": "vil-1", "name_zh": "前双村", "level": "village", "parent_id": "town-3"},
        ]:
            assert admin.post("/v1/units", json=unit).status_code == 201
        tokens = {
            name: admin.post("/v1/tokens", json={"role": role, "unit_id": unit}).json()["token"]
            for name, role, unit in [
                ("town", "declarer", "town-3"),
                ("auditor", "auditor", None),
                ("reviewer", "reviewer", "city-1"),
            ]
        }
        yield server, clock, tokens


def test_members_exemptions_participants_leaders_fixed_day_and_late_records(scene) -> None:
    server, clock, tokens = scene
    with server.client(tokens["town"]) as town, server.client(tokens["auditor"]) as auditor:
        # The township fixes its activity day (以镇为单位); a village cannot, nor day 32.
        fixed = town.put("/v1/units/town-3/activity-day", json={"fixed_day": 10, "reason": "统一活动日"})
        assert fixed.status_code == 200 and fixed.json()["fixed_day"] == 10, fixed.text
        assert fixed.json()["late_after_days"] == 30
        refused = problem(
            town.put("/v1/units/vil-1/activity-day", json={"fixed_day": 10}),
            422,
            "activity-record-invalid",
        )
        assert refused["failures"][0]["rule"] == "activity_day_by_township"
        problem(
            town.put("/v1/units/town-3/activity-day", json={"fixed_day": 32}), 422, "request-invalid"
        )
        assert auditor.get("/v1/units/town-3/activity-day").json()["fixed_day"] == 10
        assert auditor.get("/v1/units/vil-1/activity-day").json() == {
            "unit_id": "vil-1",
            "fixed_day": None,
            "late_after_days": 30,
            "changed": False,
            "version": None,
            "replayed": False,
        }

        # Three members (张三 leads), an activist and a resident who take part.
        for person in [
            {"id": "m1", "name": "张三", "leader": True},
            {"id": "m2", "name": "李四"},
            {"id": "m3", "name": "王五", "status": "probationary"},
            {"id": "a1", "name": "赵六", "status": "activist"},
            {"id": "r1", "name": "钱七", "status": "resident"},
        ]:
            assert town.post("/v1/units/vil-1/members", json=person).status_code == 201

        # 王五 按规定可暂不参加组织生活 for the year: an event with its period and reason.
        exemption = {"start": "2022-01-01", "end": "2022-12-31", "reason": "外出务工，经支部同意"}
        exempted = town.post("/v1/units/vil-1/members/m3/exemptions", json=exemption)
        assert exempted.status_code == 201 and exempted.json()["exemptions"] == [exemption]
        again = town.post("/v1/units/vil-1/members/m3/exemptions", json=exemption)
        assert again.status_code == 200 and again.json()["changed"] is False
        for member_id, body, rule in [
            ("a1", exemption, "exemption_for_party_members"),
            ("m9", exemption, "members_registered"),
            ("m2", dict(exemption, end="2021-12-31"), "exemption_period"),
        ]:
            failed = problem(
                town.post(f"/v1/units/vil-1/members/{member_id}/exemptions", json=body),
                422,
                "activity-record-invalid",
            )
            assert [f["rule"] for f in failed["failures"]] == [rule]

        # February off the fixed day, 李四 absent; March on the day, 张三 absent and made up.
        clock.now = at(2, 13)
        feb = town.post("/v1/units/vil-1/activity-days", json=day("2022-02-12", ["m1", "a1"]))
        assert feb.status_code == 201 and [w["rule"] for w in feb.json()["warnings"]] == [
            "off_fixed_day"
        ]
        clock.now = at(3, 11)
        march = town.post(
            "/v1/units/vil-1/activity-days", json=day("2022-03-10", ["m2", "r1"], mandatory=True)
        )
        assert march.status_code == 201 and march.json()["warnings"] == []
        clock.now = at(3, 21)
        made_up = {
            "session_id": "2022-03-makeup",
            "date": "2022-03-20",
            "kind": "makeup",
            "hours": 2,
            "topic": "party_building",
            "attendees": ["m1"],
            "makeup_for": "2022-03-10",
            "five_haves": HAVES,
        }
        assert town.post("/v1/units/vil-1/activity-days", json=made_up).status_code == 201
        # January's sign-in sheet recorded in April (杜绝突击造假): flagged, not refused.
        clock.now = at(4, 5)
        csv = (
            "session_id,date,kind,hours,topic,expected,attendees,"
            "notice,sign_in,playback_log,discussion_record,feedback,mandatory,off_day_reason\n"
            '2022-01-10,2022-01-10,all_member,4,party_building,all,"m1,m2,a1,r1",是,是,是,是,是,否,\n'
        )
        imported = town.post(
            "/v1/units/vil-1/activity-days:import",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        ).json()
        assert imported["created"] == 1, imported

        compliance = auditor.get(
            "/v1/units/vil-1/compliance", params={"year": 2022, "through": "2022-04-01"}
        ).json()
        by_rule = {f["rule"]: f for f in compliance["shortfalls"]}
        member_short = by_rule["member_required_sessions"]
        assert member_short["field"] == "member.m2" and member_short["actual"] == ["2022-02-12"]
        assert "李四（m2）" in member_short["message_zh"]
        leader_short = by_rule["leader_attends_first"]
        assert leader_short["field"] == "member.m1" and leader_short["actual"] == ["2022-03-10"]
        assert [
            f["field"] for f in compliance["shortfalls"] if f["rule"] == "member_required_sessions"
        ] == ["member.m2"]  # 张三 made March up; 王五 is exempt
        # Expected: 张三 and 李四 three times (王五 exempt): 4 of 6; the non-members not counted.
        assert compliance["stats"]["attendance_percent"]["all_member"] == 66.67
        assert compliance["stats"]["participant_sessions"] == {"a1": 2, "r1": 2}
        assert set(compliance["stats"]["member_sessions"]) == {"m1", "m2", "m3"}
        assert compliance["stats"]["exempt_members"] == {
            "m3": [["2022-01-01", "2022-12-31", "外出务工，经支部同意"]]
        }
        assert [(f["rule"], f["field"]) for f in compliance["flags"]] == [
            ("recorded_late", "session.2022-01-10"),
            ("off_fixed_day", "session.2022-02-12"),
        ]
        assert compliance["flags"][0]["actual"] == 85 and compliance["flags"][1]["expected"] == 10

    with browser(server, tokens["reviewer"]) as client:
        page = client.get(
            "/ui/units/vil-1/compliance", params={"year": 2022, "through": "2022-04-01"}
        ).text
    assert re.findall(r'<li data-rule="([a-z_]+)">', page) == [
        f["rule"] for f in compliance["shortfalls"]
    ]
    assert re.findall(r'<li data-flag="([a-z_]+)">', page) == ["recorded_late", "off_fixed_day"]
    assert 'data-participant="a1"' in page and 'data-exempt="true"' in page


def test_exemptions_and_the_fixed_day_are_the_units_own_declarers_to_set(scene) -> None:
    server, _, tokens = scene
    with server.client() as admin:
        other = admin.post(
            "/v1/units",
            json={"id": "town-4", "name_zh": "棋盘镇", "level": "township", "parent_id": "county-1"},
        )
        assert other.status_code == 201
        foreign = admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "town-4"}).json()
    with server.client(tokens["town"]) as town:
        town.post("/v1/units/vil-1/members", json={"id": "m1", "name": "张三"})
    exemption = {"start": "2022-01-01", "end": "2022-01-31", "reason": "病假"}
    for token, status in [(foreign["token"], 403), (tokens["auditor"], 403), (tokens["town"], 201)]:
        with server.client(token) as client:
            assert (
                client.post("/v1/units/vil-1/members/m1/exemptions", json=exemption).status_code
                == status
            )
            expected = 200 if status == 201 else status
            assert (
                client.put("/v1/units/town-3/activity-day", json={"fixed_day": 5}).status_code
                == expected
            )


def test_the_late_threshold_is_set_from_above_the_township_not_by_it(scene) -> None:
    """The review's case over HTTP: 彭镇's declarer fixes its day but may not raise the
    threshold that checks it (杜绝突击造假), nor may 彭镇's own reviewer; the county's reviewer
    may. A field left out of the PUT stays as it is."""
    server, clock, tokens = scene
    with server.client() as admin:
        more = {
            name: admin.post("/v1/tokens", json={"role": "reviewer", "unit_id": unit}).json()["token"]
            for name, unit in [("county", "county-1"), ("town_reviewer", "town-3")]
        }
    settings = "/v1/units/town-3/activity-day"
    with (
        server.client(tokens["town"]) as town,
        server.client(more["town_reviewer"]) as town_reviewer,
        server.client(more["county"]) as county,
    ):
        assert town.put(settings, json={"fixed_day": 10}).json()["fixed_day"] == 10
        for client, body in [
            (town, {"late_after_days": 366}),
            (town, {"fixed_day": 12, "late_after_days": 366}),  # both: the stricter check
            (town_reviewer, {"late_after_days": 366}),  # the township's own: not above it
        ]:
            refused = problem(client.put(settings, json=body), 403, "late-threshold-not-allowed")
            (failure,) = refused["failures"]
            assert (failure["field"], failure["rule"]) == (
                "late_after_days",
                "late_threshold_set_from_above",
            )
            assert "杜绝突击造假" in refused["detail_zh"] and "county or higher" in refused["detail"]
        assert town.get(settings).json()["fixed_day"] == 10  # nothing written
        assert town.get(settings).json()["late_after_days"] == 30

        raised = county.put(settings, json={"late_after_days": 14, "reason": "县委组织部要求"})
        assert raised.status_code == 200, raised.text
        assert (raised.json()["fixed_day"], raised.json()["late_after_days"]) == (10, 14)
        moved = town.put(settings, json={"fixed_day": 15})  # the day again: the threshold kept
        assert (moved.json()["fixed_day"], moved.json()["late_after_days"]) == (15, 14)

        town.post("/v1/units/vil-1/members", json={"id": "m1", "name": "张三"})
        clock.now = at(3, 2)  # 15 days after: over the county's 14
        late = town.post(
            "/v1/units/vil-1/activity-days", json=day("2022-02-15", ["m1"], expected=["m1"])
        )
        assert late.status_code == 201, late.text
        (flag,) = late.json()["warnings"]
        assert (flag["rule"], flag["expected"], flag["actual"]) == ("recorded_late", 14, 15)
