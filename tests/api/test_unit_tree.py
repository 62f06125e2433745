"""The unit tree the seeds describe, over real HTTP on both stores: towns straight under a
county-level city (seed 000), management districts between a township and its villages
(seed 002), units renamed and moved with a reason, and a subtree listed only to its own."""

from __future__ import annotations

import httpx

from tests.builders.backends import BACKENDS
from tests.builders.http import serve_in_process

pytestmark = BACKENDS

TREE = (
    {"id": "xianji-shi", "name": "County-level City", "name_zh": "县级市", "level": "city"},
    {
        "id": "zhen-1",
        "name": "Town 1",
        "name_zh": "一镇",
        "level": "township",
        "parent_id": "xianji-shi",
    },
    {
        "id": "guanli-1",
        "name": "District 1",
        "name_zh": "第一管理区",
        "level": "management_district",
        "parent_id": "zhen-1",
    },
    {"id": "cun-1", "name": "Village 1", "name_zh": "一村", "level": "village", "parent_id": "guanli-1"},
    {
        "id": "zhen-2",
        "name": "Town 2",
        "name_zh": "二镇",
        "level": "township",
        "parent_id": "xianji-shi",
    },
)


def build(admin: httpx.Client) -> None:
    for unit in TREE:
        response = admin.post("/v1/units", json=unit)
        assert response.status_code == 201, response.text


def test_seed_000_and_002_trees_register(database_url: str) -> None:
    with serve_in_process(database_url) as server, server.client() as admin:
        build(admin)
        assert admin.get("/v1/units/cun-1").json()["path"] == ["xianji-shi", "zhen-1", "guanli-1"]
        listed = admin.get("/v1/units", params={"within": "zhen-1"}).json()
        assert [u["id"] for u in listed["items"]] == ["zhen-1", "guanli-1", "cun-1"] and listed[
            "total"
        ] == 3


def test_renaming_and_moving_are_recorded_with_actor_and_reason(database_url: str) -> None:
    with serve_in_process(database_url) as server, server.client() as admin:
        build(admin)
        renamed = admin.post(
            "/v1/units/zhen-1/rename",
            json={"name": "Town One", "name_zh": "壹镇", "reason": "更名 / renamed"},
        )
        assert renamed.status_code == 200 and renamed.json()["name_zh"] == "壹镇"
        moved = admin.post(
            "/v1/units/guanli-1/move",
            json={"parent_id": "zhen-2", "reason": "区划调整 / boundaries redrawn"},
        )
        assert moved.status_code == 200 and moved.json()["path"] == ["xianji-shi", "zhen-2"]
        assert admin.get("/v1/units/cun-1").json()["path"] == ["xianji-shi", "zhen-2", "guanli-1"]
        assert "guanli-1" not in admin.get("/v1/units/zhen-1").json()["children"]
        types = [e["type"] for e in admin.get("/v1/audit/events?limit=1000").json()["items"]]
        assert (
            types.count("unit.renamed") == 1
            and types.count("unit.moved") == 2
            and "unit.child_removed" in types
        )  # the district and its village
        refused = admin.post("/v1/units/zhen-2/move", json={"parent_id": "cun-1", "reason": "wrong"})
        assert refused.status_code == 422 and {f["rule"] for f in refused.json()["failures"]} >= {
            "unit_parent_level"
        }
        no_reason = admin.post(
            "/v1/units/zhen-2/rename", json={"name": "X", "name_zh": "X", "reason": ""}
        )
        assert no_reason.status_code == 422


def test_a_township_token_lists_and_reads_its_own_subtree_and_its_superiors_only(
    database_url: str,
) -> None:
    with serve_in_process(database_url) as server, server.client() as admin:
        build(admin)
        token = admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "zhen-1"}).json()["token"]
        with server.client(token) as clerk:
            assert [u["id"] for u in clerk.get("/v1/units").json()["items"]] == [
                "zhen-1",
                "guanli-1",
                "cun-1",
            ]
            city = clerk.get("/v1/units/xianji-shi")
            assert city.status_code == 200 and city.json()["children"] == [
                "zhen-1"
            ]  # a superior, without the siblings
            assert clerk.get("/v1/units/zhen-2").status_code == 403
            assert clerk.get("/v1/units", params={"within": "xianji-shi"}).status_code == 403


def test_roll_ups_follow_a_moved_unit_and_a_renamed_one(database_url: str) -> None:
    from datetime import UTC, datetime, timedelta

    from tests.builders.material import material_of

    with serve_in_process(database_url) as server, server.client() as admin:
        build(admin)
        declarer = server.client(
            admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "zhen-1"}).json()["token"]
        )
        starts = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        campaign = admin.post(
            "/v1/campaigns",
            json={
                "template": "five-good-sites",
                "organiser_unit_id": "xianji-shi",
                "starts_at": starts,
                "durations": {"declaration": 86400},
            },
        ).json()["id"]
        nominee = {"kind": "site", "unit_id": "cun-1", "name": "一村站点"}
        nid = declarer.post(
            f"/v1/campaigns/{campaign}/nominations",
            json={
                "category": "five_good_site",
                "declaring_unit_id": "zhen-1",
                "nominee": nominee,
                "material": material_of(900),
            },
        ).json()["id"]
        refused = admin.post(
            "/v1/units/guanli-1/move", json={"parent_id": "zhen-2", "reason": "区划调整"}
        )
        assert refused.status_code == 422 and [f["actual"] for f in refused.json()["failures"]] == [
            nid
        ]  # an open nomination would leave zhen-1
        assert (
            declarer.post(f"/v1/nominations/{nid}/withdrawal", json={"reason": "撤回"}).status_code
            == 200
        )
        assert (
            admin.post(
                "/v1/units/guanli-1/move", json={"parent_id": "zhen-2", "reason": "区划调整"}
            ).status_code
            == 200
        )
        assert (
            admin.post(
                "/v1/units/zhen-2/rename", json={"name": "Town Two", "name_zh": "贰镇", "reason": "更名"}
            ).status_code
            == 200
        )
        assert admin.get("/v1/units/zhen-2/rollup").json()["states"]["withdrawn"] == 1
        assert admin.get("/v1/units/zhen-1/rollup").json()["nominations"] == 0
        city = admin.get("/v1/units/xianji-shi/rollup").json()
        assert {c["unit_id"]: (c["name_zh"], c["nominations"]) for c in city["children"]} == {
            "zhen-1": ("一镇", 0),
            "zhen-2": ("贰镇", 1),
        }
        declarer.close()


def test_an_import_whose_rows_name_each_other_as_parents_is_answered_row_by_row(
    database_url: str,
) -> None:
    """A cycle in the file's parent_id column (a -> b -> a) must not trap the up-front check:
    each row fails on its own (its parent does not exist yet)."""
    with serve_in_process(database_url) as server, server.client() as admin:
        build(admin)
        body = b"id,name,name_zh,level,parent_id\nloop-a,A,A,village,loop-b\nloop-b,B,B,village,loop-a\n"
        response = admin.post(
            "/v1/units:import", content=body, headers={"Content-Type": "text/csv"}, timeout=10
        )
        assert response.status_code == 200, response.text
        assert (response.json()["created"], response.json()["failed"]) == (0, 2)
