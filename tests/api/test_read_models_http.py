"""Read models over real HTTP: the dashboard equals the aggregates, as_of is validated, the
audit log pages in order, histories carry their chain position and hash, and the projection
lag is on /metrics."""

from __future__ import annotations

from domain.commands import RegisterUnit
from tests.api.page_session import login
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.http import ADMIN_TOKEN, serve_in_process
from tests.builders.scripted import LATER, scripted_campaign
from tests.builders.tree import TOWNSHIP

pytestmark = BACKENDS


def test_read_models_answer_over_http(database_url: str) -> None:
    with serve_in_process(database_url, lambda: LATER) as server, server.client() as admin:
        script = scripted_campaign(server.services)
        campaign_id, ids = script["campaign_id"], script["ids"]

        board = admin.get(f"/v1/campaigns/{campaign_id}/dashboard").json()
        site = next(c for c in board["categories"] if c["code"] == "five_good_site")
        assert (
            site["states"]["commended"] == 2
            and site["states"]["revoked"] == 1
            and site["commended"] == 3
        )
        assert board["position"] == admin.get("/v1/audit/events?after=0&limit=1000").json()["next_after"]

        naive = admin.get(
            f"/v1/campaigns/{campaign_id}/dashboard", params={"as_of": "2022-10-20T00:00:00"}
        )
        assert naive.status_code == 422 and naive.json()["failures"][0]["rule"] == "as_of_timezone"
        before = admin.get(
            f"/v1/campaigns/{campaign_id}/dashboard", params={"as_of": "2000-01-01T00:00:00Z"}
        )
        assert before.status_code == 404 and before.headers["content-type"] == "application/problem+json"

        unknown = admin.get(
            f"/v1/campaigns/{campaign_id}/ranking", params={"category": "no_such_category"}
        )
        assert unknown.status_code == 422
        ranking = admin.get(
            f"/v1/campaigns/{campaign_id}/ranking", params={"category": "five_good_site"}
        ).json()
        assert [e["id"] for e in ranking["entries"]] == [
            e["id"]
            for e in server.services.app.queries.ranking(campaign_id, "five_good_site")["entries"]
        ]

        history = admin.get(f"/v1/nominations/{ids[0]}/history").json()
        assert all(e["position"] and len(e["hash"]) == 64 for e in history)
        assert [e["position"] for e in history] == sorted(e["position"] for e in history)

        first = admin.get("/v1/audit/events?limit=5").json()
        second = admin.get(f"/v1/audit/events?after={first['next_after']}&limit=5").json()
        assert [e["position"] for e in first["items"] + second["items"]] == list(range(1, 11))

        assert admin.get("/v1/audit/verify").json()["ok"] is True
        exported = admin.get("/v1/audit/export")
        assert (
            exported.headers["content-type"] == "application/x-ndjson"
            and exported.text.count("\n") == board["position"]
        )

        titles = admin.get("/v1/titles", params={"campaign_id": campaign_id, "status": "active"}).json()[
            "items"
        ]
        assert len(titles) == 2 and all(t["status"] == "active" for t in titles)

        cookie_only = server.client(token=None)
        assert login(cookie_only, ADMIN_TOKEN).status_code == 303
        assert (
            cookie_only.get(f"/v1/campaigns/{campaign_id}/dashboard").status_code == 200
        )  # the page session reads
        refused = cookie_only.post(
            "/v1/units", json={"id": "x-1", "name": "X", "name_zh": "某", "level": "city"}
        )
        assert (
            refused.status_code == 401
        )  # but a cookie alone never writes through /v1 (no cross-site form posts)

        server.services.app.execute(
            RegisterUnit(
                code="xincun-cun",
                name="Xincun Village",
                name_zh="新村",
                level="village",
                parent_id=TOWNSHIP,
            ),
            ADMIN,
        )
        metrics = admin.get("/metrics").text
        assert 'laurel_projection_lag_events{projection="audit"}' in metrics
