"""Seed 004 over HTTP: a township whose all-member attendance was 80 % cannot have its
leader admitted at pre-review; corrected sign-in records (new events) make him eligible,
and the register's history keeps both."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.builders.backends import BACKENDS
from tests.builders.clock import Clock
from tests.builders.http import problem, serve_in_process
from tests.builders.material import material_of

HAVES = {
    "notice": True,
    "sign_in": True,
    "playback_log": True,
    "discussion_record": True,
    "feedback": True,
}
MEMBERS = [f"m{i:02d}" for i in range(10)]


@BACKENDS
def test_township_leader_refused_at_80_percent_attendance_then_admitted_after_correction(database_url):
    clock = Clock(datetime(2022, 10, 17, 2, tzinfo=UTC))  # seed-000 declarations, 2022
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        for unit in [
            {"id": "city-1", "name_zh": "示范市", "level": "city"},
            {"id": "county-1", "name_zh": "宜君县", "level": "county", "parent_id": "city-1"},
            {"id": "town-3", "name_zh": "彭镇", "level": "township", "parent_id": "county-1"},
        ]:
            assert admin.post("/v1/units", json=unit).status_code == 201

        def token(role: str, unit: str) -> Any:
            return server.client(
                admin.post("/v1/tokens", json={"role": role, "unit_id": unit}).json()["token"]
            )

        declarer, reviewer, auditor = (
            token("declarer", "town-3"),
            token("reviewer", "city-1"),
            token("auditor", None),
        )

        for i, member in enumerate(MEMBERS):
            assert (
                declarer.post(
                    "/v1/units/town-3/members", json={"id": member, "name": f"党员{i}", "leader": i == 0}
                ).status_code
                == 201
            )
        # Jan-Sep: monthly all-member days, two members absent each time (in turn): 72 of 90, 80 %.
        csv = (
            "session_id,date,kind,hours,topic,expected,attendees,"
            "notice,sign_in,playback_log,discussion_record,feedback\n"
        )
        for month in range(1, 10):
            absent = {MEMBERS[(2 * month) % 10], MEMBERS[(2 * month + 1) % 10]}
            present = [m for m in MEMBERS if m not in absent]
            attendees = ",".join(present)
            csv += f'2022-{month:02d},2022-{month:02d}-10,all_member,4,party_building,all,"{attendees}",'
            csv += "是,是,是,是,是\n"
        report = declarer.post(
            "/v1/units/town-3/activity-days:import",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        ).json()
        assert report["created"] == 9, report
        compliance = auditor.get("/v1/units/town-3/compliance", params={"year": 2022}).json()
        assert (
            compliance["compliant"] is False
            and compliance["stats"]["attendance_percent"]["all_member"] == 80.0
        )
        # Each member missed an all-member session without a make-up (必须参加): each is named
        # with the sessions missed; the leader, who attends first, is named again.
        rules = [f["rule"] for f in compliance["shortfalls"]]
        assert rules == [
            *["member_required_sessions"] * 10,
            "leader_attends_first",
            "all_member_attendance",
        ]
        first = compliance["shortfalls"][0]
        assert first["field"] == "member.m00" and first["actual"] == ["2022-05"]
        assert "党员0（m00）" in first["message_zh"] and "2022-05 (2022-05-10)" in first["message_en"]
        assert compliance["shortfalls"][2]["actual"] == ["2022-01", "2022-06"]  # m02
        assert compliance["shortfalls"][10]["field"] == "member.m00"

        cid = admin.post(
            "/v1/campaigns",
            json={"template": "five-good-sites", "organiser_unit_id": "city-1", "year": 2022},
        ).json()["id"]
        declared = declarer.post(
            f"/v1/campaigns/{cid}/nominations",
            json={
                "category": "advanced_worker",
                "declaring_unit_id": "town-3",
                "nominee": {"kind": "person", "unit_id": "town-3", "name": "党员0", "person_id": "m00"},
                "material": material_of(),
            },
        )
        assert declared.status_code == 201
        assert (
            declared.json()["warnings"][0]["rule"] == "activity_day_leader"
        )  # a warning at declaration
        nid = declared.json()["id"]

        clock.now = datetime(2022, 10, 22, 2, tzinfo=UTC)  # pre-review
        refused = problem(
            reviewer.post(f"/v1/nominations/{nid}/pre-review", json={"decision": "admit"}),
            422,
            "pre-review-refused",
        )
        assert [f["rule"] for f in refused["failures"]] == ["activity_day_leader", *rules]
        assert refused["failures"][-1]["actual"] == 80.0 and refused["failures"][-1]["expected"] == 85

        # The township finds the missing sign-in sheets: corrections, each with a reason.
        for month in range(1, 10):
            fixed = {
                "session_id": f"2022-{month:02d}",
                "date": f"2022-{month:02d}-10",
                "kind": "all_member",
                "hours": 4,
                "topic": "party_building",
                "expected": MEMBERS,
                "attendees": MEMBERS,
                "five_haves": HAVES,
                "reason": "补录遗漏的签到表 / late sign-in sheets",
            }
            corrected = declarer.post("/v1/units/town-3/activity-days", json=fixed)
            assert corrected.status_code == 200 and corrected.json()["outcome"] == "corrected"
        fixed_up = auditor.get("/v1/units/town-3/compliance", params={"year": 2022}).json()
        assert fixed_up["compliant"] is True
        # Sign-in sheets of January-September corrected in October: flagged, not refused.
        assert [f["rule"] for f in fixed_up["flags"]] == ["recorded_late"] * 9
        admitted = reviewer.post(f"/v1/nominations/{nid}/pre-review", json={"decision": "admit"})
        assert admitted.status_code == 200 and admitted.json()["state"] == "admitted"

        app = server.services.app
        register = app.queries.activity_register("town-3", 2022)
        kinds = [type(e).__name__ for e in app.events.get(register.id)]
        assert kinds.count("SessionRecorded") == 9 and kinds.count("SessionCorrected") == 9
        for client in (declarer, reviewer, auditor):
            client.close()


def test_activity_registers_written_by_the_units_own_declarer_read_by_reviewers_and_auditors(tmp_path):
    clock = Clock(datetime(2022, 10, 17, 2, tzinfo=UTC))
    with (
        serve_in_process(f"sqlite:///{tmp_path / 'a.sqlite3'}", clock) as server,
        server.client() as admin,
    ):
        for unit in [
            {"id": "city-1", "name_zh": "示范市", "level": "city"},
            {"id": "county-1", "name_zh": "宜君县", "level": "county", "parent_id": "city-1"},
            {"id": "town-3", "name_zh": "彭镇", "level": "township", "parent_id": "county-1"},
            {"id": "town-4", "name_zh": "棋盘镇", "level": "township", "parent_id": "county-1"},
        ]:
            admin.post("/v1/units", json=unit)
        tokens = {
            name: admin.post("/v1/tokens", json={"role": role, "unit_id": unit}).json()["token"]
            for name, role, unit in [
                ("own", "declarer", "town-3"),
                ("other", "declarer", "town-4"),
                ("reviewer", "reviewer", "city-1"),
                ("auditor", "auditor", None),
                ("inspector", "inspector", "city-1"),
            ]
        }
        member = {"id": "m01", "name": "张三"}
        day = {
            "date": "2022-03-10",
            "hours": 4,
            "topic": "party_building",
            "expected": ["m01"],
            "attendees": ["m01"],
            "five_haves": HAVES,
        }
        expected_writes = {"own": 201, "other": 403, "reviewer": 403, "auditor": 403, "inspector": 403}
        for name, status in expected_writes.items():
            with server.client(tokens[name]) as client:
                assert (
                    client.post(
                        "/v1/units/town-3/members", json=dict(member, id=f"m-{name}")
                    ).status_code
                    == status
                ), name
        with server.client(tokens["own"]) as own:
            own.post("/v1/units/town-3/members", json=member)
            assert own.post("/v1/units/town-3/activity-days", json=day).status_code == 201
        expected_reads = {"own": 200, "other": 403, "reviewer": 200, "auditor": 200, "inspector": 200}
        for name, status in expected_reads.items():
            with server.client(tokens[name]) as client:
                assert (
                    client.get("/v1/units/town-3/compliance", params={"year": 2022}).status_code
                    == status
                ), name
        with server.client(None) as anonymous:
            assert anonymous.get("/v1/units/town-3/compliance", params={"year": 2022}).status_code == 401
