"""A seed-000 campaign driven end to end over real HTTP by the people who run it: the city
admin, a township declarer, a city reviewer, a city inspector and an auditor. The server's
clock is set to each phase of the 2022 timetable in turn."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import serve_in_process
from tests.builders.material import material_of


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(FIVE_GOOD_2022.declaration - timedelta(days=2))


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"urn:laurel:problem:{code}"
    return body


@BACKENDS
def test_seed_000_campaign_runs_end_to_end_over_http(database_url, clock):
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        units = [
            {
                "id": "city-1",
                "name": "Sample City",
                "name_zh": "示范市",
                "level": "city",
                "parent_id": None,
            },
            {
                "id": "county-1",
                "name": "Yijun County",
                "name_zh": "宜君县",
                "level": "county",
                "parent_id": "city-1",
            },
            {
                "id": "town-3",
                "name": "Peng Township",
                "name_zh": "彭镇",
                "level": "township",
                "parent_id": "county-1",
            },
        ]
        for unit in units:
            assert admin.post("/v1/units", json=unit).status_code == 201
        csv = "id,name,name_zh,level,parent_id\n" + "".join(
            f"vil-3-{i:02d},Village {i},前双村{i},village,town-3\n" for i in range(1, 7)
        )
        report = admin.post(
            "/v1/units:import", content=csv.encode(), headers={"Content-Type": "text/csv"}
        ).json()
        assert report["created"] == 6 and report["failed"] == 0

        tokens = {}
        for role, unit in [
            ("declarer", "town-3"),
            ("reviewer", "city-1"),
            ("inspector", "city-1"),
            ("auditor", None),
        ]:
            created = admin.post(
                "/v1/tokens", json={"role": role, "unit_id": unit, "label": f"{role} / 测试"}
            )
            assert created.status_code == 201
            tokens[role] = created.json()["token"]
        declarer, reviewer, inspector, auditor = (
            server.client(tokens[r]) for r in ("declarer", "reviewer", "inspector", "auditor")
        )

        campaign = admin.post(
            "/v1/campaigns",
            json={
                "template": "five-good-sites",
                "organiser_unit_id": "city-1",
                "year": 2022,
                "quotas": {"five_good_site": 3},
            },
        )
        assert campaign.status_code == 201
        cid = campaign.json()["id"]
        assert [p["code"] for p in campaign.json()["phases"]] == [
            "declaration",
            "pre_review",
            "inspection",
            "commendation",
        ]

        # Declaration (申报)
        clock.now = FIVE_GOOD_2022.declaration

        def declare(village: str, chars: int = 900) -> object:
            body = {
                "category": "five_good_site",
                "declaring_unit_id": "town-3",
                "nominee": {"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                "form": {},
                "material": material_of(chars),
            }
            return declarer.post(f"/v1/campaigns/{cid}/nominations", json=body)

        short = problem(declare("vil-3-06", 799), 422, "declaration-invalid")
        assert [f["rule"] for f in short["failures"]] == ["typical_material_min_length"]
        assert short["failures"][0]["actual"] == 799
        ids = []
        for i in range(1, 6):
            response = declare(f"vil-3-{i:02d}")
            assert response.status_code == 201 and response.json()["state"] == "declared"
            assert response.headers["etag"] == '"1"'
            ids.append(response.json()["id"])
        listed = auditor.get(f"/v1/campaigns/{cid}/nominations", params={"limit": 2})
        assert len(listed.json()["items"]) == 2 and listed.json()["next_cursor"]
        rest = auditor.get(
            f"/v1/campaigns/{cid}/nominations",
            params={"limit": 10, "cursor": listed.json()["next_cursor"]},
        ).json()
        assert [n["id"] for n in listed.json()["items"] + rest["items"]] == ids and rest[
            "next_cursor"
        ] is None

        clock.now = FIVE_GOOD_2022.declaration + timedelta(
            days=4
        )  # 21 Oct 2022, 10:00 in Shanghai: too late
        problem(declare("vil-3-06"), 409, "phase-not-open")

        # Pre-review (初审): one site fails the five-protections rule.
        clock.now = FIVE_GOOD_2022.pre_review
        refused = problem(
            reviewer.post(
                f"/v1/nominations/{ids[4]}/pre-review",
                json={
                    "decision": "admit",
                    "checks": {
                        "equipment_runs_normally": False,
                        "hardware_damaged_by_missing_protections": True,
                    },
                },
            ),
            422,
            "pre-review-refused",
        )
        assert {f["rule"] for f in refused["failures"]} == {
            "equipment_runs_normally",
            "five_protections_in_place",
        }
        rejected = reviewer.post(
            f"/v1/nominations/{ids[4]}/pre-review",
            json={"decision": "reject", "reasons": ["硬盘因防潮不到位损坏 / disk damaged by damp"]},
        )
        assert rejected.json()["state"] == "rejected"
        for nid in ids[:4]:
            assert (
                reviewer.post(
                    f"/v1/nominations/{nid}/pre-review",
                    json={"decision": "admit", "checks": FIVE_PROTECTIONS_OK},
                ).json()["state"]
                == "admitted"
            )

        # Inspection (考核验收): competitive, four inspected for three places.
        clock.now = FIVE_GOOD_2022.inspection
        for nid, score in zip(ids[:4], (91, 78, 85, 66), strict=True):
            done = inspector.post(
                f"/v1/nominations/{nid}/inspections",
                json={
                    "methods": ["document_review", "site_visit", "live_operation"],
                    "scores": site_scores(score),
                    "checklist": SITE_CHECKLIST,
                    "verdict": "pass",
                    "notes": "现场操作熟练",
                },
            )
            assert done.status_code == 200 and done.json()["state"] == "inspected"
        after_inspection = clock.now

        # Commendation (表彰): within quota, best first.
        clock.now = FIVE_GOOD_2022.commendation
        result = reviewer.post(
            f"/v1/campaigns/{cid}/commendations", json={"category": "five_good_site"}
        ).json()
        assert [c["id"] for c in result["commended"]] == [ids[0], ids[2], ids[1]]
        assert result["commended_total"] == 3
        again = reviewer.post(
            f"/v1/campaigns/{cid}/commendations", json={"category": "five_good_site"}
        ).json()
        assert again["commended"] == []

        # Revocation of a granted title (撤销荣誉).
        revoked = reviewer.post(
            f"/v1/nominations/{ids[1]}/revocation",
            json={"reason": "复查发现设备长期停用 / equipment idle"},
        )
        assert revoked.json()["state"] == "revoked"
        problem(
            reviewer.post(f"/v1/nominations/{ids[3]}/revocation", json={"reason": "no title"}),
            409,
            "invalid-transition",
        )

        # History and as-of reads (auditor).
        history = auditor.get(f"/v1/nominations/{ids[1]}/history").json()
        assert [e["type"] for e in history] == [
            "nomination.declared",
            "nomination.pre_reviewed",
            "nomination.inspected",
            "nomination.commended",
            "nomination.revoked",
        ]
        assert history[1]["actor"]["role"] == "reviewer" and history[4]["data"]["reason"].startswith(
            "复查"
        )
        past = auditor.get(
            f"/v1/nominations/{ids[1]}", params={"as_of": after_inspection.astimezone(UTC).isoformat()}
        )
        assert past.json()["state"] == "inspected" and past.headers["etag"] == '"3"'
        assert auditor.get(f"/v1/nominations/{ids[1]}").json()["state"] == "revoked"

        # The commendation list (表彰名单) as XLSX.
        xlsx = auditor.get(f"/v1/campaigns/{cid}/commendations.xlsx")
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "排名 / Rank" and rows[0][3] == "表彰对象 / Nominee"
        assert [r[3] for r in rows[1:]] == ["vil-3-01 站点", "vil-3-03 站点", "vil-3-02 站点"]
        assert rows[3][8].endswith("/ revoked")

        # The auditor changes nothing.
        problem(
            auditor.post(f"/v1/campaigns/{cid}/commendations", json={"category": "five_good_site"}),
            403,
            "role-not-allowed",
        )
        for client in (declarer, reviewer, inspector, auditor):
            client.close()
