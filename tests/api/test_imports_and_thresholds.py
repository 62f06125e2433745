"""Bulk declaration from XLSX and CSV with a per-row report, and a seed-001 pre-review over
HTTP that names every threshold the township platform missed."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import Workbook

from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import problem, serve_in_process
from tests.builders.material import material_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def world(admin) -> None:
    for unit in [
        {"id": "city-1", "name_zh": "示范市", "level": "city"},
        {"id": "county-1", "name_zh": "宜君县", "level": "county", "parent_id": "city-1"},
        {"id": "town-3", "name_zh": "彭镇", "level": "township", "parent_id": "county-1"},
        {"id": "vil-3-01", "name_zh": "前双村", "level": "village", "parent_id": "town-3"},
        {"id": "vil-3-02", "name_zh": "后双村", "level": "village", "parent_id": "town-3"},
    ]:
        assert admin.post("/v1/units", json=unit).status_code == 201


def test_bulk_declaration_from_xlsx_reports_each_row(tmp_path):
    clock = Clock(FIVE_GOOD_2022.declaration)
    with (
        serve_in_process(f"sqlite:///{tmp_path / 'i.sqlite3'}", clock) as server,
        server.client() as admin,
    ):
        world(admin)
        declarer = server.client(
            admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "town-3"}).json()["token"]
        )
        cid = admin.post(
            "/v1/campaigns",
            json={"template": "five-good-sites", "organiser_unit_id": "city-1", "year": 2022},
        ).json()["id"]
        book = Workbook()
        sheet = book.active
        sheet.append(
            [
                "类别 / category",
                "申报单位 / declaring_unit_id",
                "对象类型 / nominee_kind",
                "对象单位 / nominee_unit_id",
                "对象名称 / nominee_name",
                "典型材料 / material",
            ]
        )
        sheet.append(["five_good_site", "town-3", "site", "vil-3-01", "前双村站点", material_of()])
        sheet.append(["five_good_site", "town-3", "site", "vil-3-02", "后双村站点", material_of(500)])
        sheet.append(["five_good_site", "town-3", "site", "vil-9-99", "不存在", material_of()])
        buffer = io.BytesIO()
        book.save(buffer)

        first = declarer.post(
            f"/v1/campaigns/{cid}/nominations:import",
            content=buffer.getvalue(),
            headers={"Content-Type": XLSX, "Idempotency-Key": "batch-1"},
        )
        report = first.json()
        assert first.status_code == 200 and (report["created"], report["failed"]) == (1, 2)
        assert [r["status"] for r in report["rows"]] == ["created", "error", "error"]
        assert report["rows"][1]["errors"][0]["rule"] == "typical_material_min_length"
        assert report["rows"][2]["errors"][0]["status"] == 404
        again = declarer.post(
            f"/v1/campaigns/{cid}/nominations:import",
            content=buffer.getvalue(),
            headers={"Content-Type": XLSX, "Idempotency-Key": "batch-1"},
        ).json()
        assert [r["status"] for r in again["rows"]] == ["replayed", "error", "error"]
        assert len(admin.get(f"/v1/campaigns/{cid}/nominations").json()["items"]) == 1
        problem(
            declarer.post(
                f"/v1/campaigns/{cid}/nominations:import",
                content=b"",
                headers={"Content-Type": "text/csv"},
            ),
            422,
            "import-invalid",
        )
        declarer.close()


@BACKENDS
def test_seed_001_pre_review_names_every_threshold_missed(database_url):
    clock = Clock(datetime(2011, 9, 20, 2, tzinfo=UTC))  # creation phase: townships report
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        world(admin)
        declarer = server.client(
            admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "town-3"}).json()["token"]
        )
        # The reviewer acts eleven months later: a token living longer than the default 90 days.
        reviewer = server.client(
            admin.post(
                "/v1/tokens",
                json={"role": "reviewer", "unit_id": "county-1", "expires_at": "2012-09-01T00:00:00Z"},
            ).json()["token"]
        )
        cid = admin.post(
            "/v1/campaigns",
            json={"template": "double-strengthen", "organiser_unit_id": "county-1", "year": 2011},
        ).json()["id"]
        csv = (
            "category,declaring_unit_id,nominee_kind,nominee_unit_id,nominee_name,material,form.operation_rate,form.downtime_days,form.trained_rate,"
            "form.operation_bulletins,form.utilisation_rate,form.participation_rate,form.satisfaction_rate,form.feedback_rounds\n"
            f"advanced_teaching_platform,town-3,site,town-3,彭镇远程教育站,{material_of(line_width=None)},94.9,30,95,2,96,84,90,3\n"
            f"advanced_teaching_platform,town-3,site,town-3,彭镇远程教育站（缺表）,{material_of(line_width=None)},,,,,,,,\n"
        )
        report = declarer.post(
            f"/v1/campaigns/{cid}/nominations:import",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        ).json()
        assert report["rows"][0]["status"] == "created"
        missing = {e["field"] for e in report["rows"][1]["errors"]}
        assert len(missing) == 8 and "form.operation_rate" in missing
        nid = report["rows"][0]["id"]

        clock.now = datetime(2012, 8, 10, 2, tzinfo=UTC)  # assessment: pre-review
        refused = problem(
            reviewer.post(f"/v1/nominations/{nid}/pre-review", json={"decision": "admit"}),
            422,
            "pre-review-refused",
        )
        assert sorted(f["rule"] for f in refused["failures"]) == [
            "downtime_under_30_days",
            "feedback_at_least_4",
            "operation_rate_at_least_95",
            "participation_at_least_85",
        ]
        assert all(f["message_zh"] for f in refused["failures"])
        assert admin.get(f"/v1/nominations/{nid}").json()["state"] == "declared"
        declarer.close()
        reviewer.close()
