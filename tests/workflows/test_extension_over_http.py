"""Deadline extension over HTTP: POST /v1/campaigns/{id}/phases/{phase}/extension goes
through the campaign workflow's Update (the API connects to the Temporal test server), the
workflow's timers follow the new deadline, refusals come back as problem+json."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from infra.temporal import build_worker
from tests.api.conftest import running_server
from tests.workflows.harness import DAY, stage


def test_extension_over_http_moves_the_workflows_deadline(tmp_path):
    asyncio.run(scenario(tmp_path))


async def scenario(tmp_path):
    async with stage(tmp_path / "t") as s:
        target = s.env.client.service_client.config.target_host
        with running_server(f"sqlite:///{tmp_path / 'http.sqlite3'}") as server:
            server.services.scheduler.address = target
            app = server.services.app
            async with build_worker(
                s.env.client, app, task_queue=server.services.scheduler.task_queue
            ):  # the worker uses the API's event store and the API's queue
                with server.client() as admin:
                    for unit in [
                        {"id": "city-1", "name_zh": "示范市", "level": "city"},
                        {"id": "city-2", "name_zh": "邻市", "level": "city"},
                    ]:
                        admin.post("/v1/units", json=unit)
                    reviewer = server.client(
                        admin.post("/v1/tokens", json={"role": "reviewer", "unit_id": "city-1"}).json()[
                            "token"
                        ]
                    )
                    outsider = server.client(
                        admin.post("/v1/tokens", json={"role": "reviewer", "unit_id": "city-2"}).json()[
                            "token"
                        ]
                    )
                    start = await s.now()
                    body = {
                        "template": "five-good-sites",
                        "organiser_unit_id": "city-1",
                        "starts_at": start.isoformat(),
                        "durations": {"declaration": 10 * 86400},
                    }
                    created = await run_in_threadpool(admin.post, "/v1/campaigns", json=body)
                    assert created.status_code == 201
                    cid = created.json()["id"]
                    new_close = start + 12 * DAY
                    extended = await run_in_threadpool(
                        reviewer.post,
                        f"/v1/campaigns/{cid}/phases/declaration/extension",
                        json={"closes_at": new_close.isoformat(), "reason": "山区乡镇材料延误"},
                    )
                    assert extended.status_code == 200, extended.text
                    assert (
                        extended.json()["phases"][0]["closes_at"].replace("Z", "+00:00")
                        == new_close.isoformat()
                    )
                    refused = await run_in_threadpool(
                        reviewer.post,
                        f"/v1/campaigns/{cid}/phases/declaration/extension",
                        json={"closes_at": (start + 11 * DAY).isoformat(), "reason": "earlier"},
                    )
                    assert (
                        refused.status_code == 422
                        and refused.headers["content-type"] == "application/problem+json"
                    )
                    forbidden = await run_in_threadpool(
                        outsider.post,
                        f"/v1/campaigns/{cid}/phases/declaration/extension",
                        json={"closes_at": (start + 13 * DAY).isoformat(), "reason": "not mine"},
                    )
                    assert forbidden.status_code == 403
                    await s.env.sleep(11 * DAY)
                    assert app.get_campaign(cid).phase("declaration").status == "open"
                    await s.env.sleep(DAY + timedelta(hours=1))
                    assert app.get_campaign(cid).phase("declaration").status == "closed"
                    reviewer.close()
                    outsider.close()


def test_an_extension_for_a_campaign_whose_workflow_never_started_starts_it(tmp_path):
    """A campaign recorded while Temporal was away has no workflow until the reconciler's next
    round; an extension meanwhile starts it and then moves its deadline (it used to be a 500)."""
    asyncio.run(missing_workflow(tmp_path))


async def missing_workflow(tmp_path):
    from domain.actors import Actor

    async with stage(tmp_path / "t") as s:
        target = s.env.client.service_client.config.target_host
        with running_server(f"sqlite:///{tmp_path / 'http.sqlite3'}") as server:
            app = server.services.app
            async with build_worker(s.env.client, app, task_queue=server.services.scheduler.task_queue):
                with server.client() as admin:
                    admin.post("/v1/units", json={"id": "city-1", "name_zh": "示范市", "level": "city"})
                    reviewer = server.client(
                        admin.post("/v1/tokens", json={"role": "reviewer", "unit_id": "city-1"}).json()[
                            "token"
                        ]
                    )
                    start = await s.now()
                    # Recorded with no scheduler at all: no workflow, as after a POST while Temporal was down.
                    cid = str(
                        app.create_campaign(
                            "five-good-sites",
                            "city-1",
                            Actor("tok", "admin", None),
                            starts_at=start,
                            durations={"declaration": 10 * 86400},
                        )["id"]
                    )
                    server.services.scheduler.address = target
                    new_close = start + 12 * DAY
                    extended = await run_in_threadpool(
                        reviewer.post,
                        f"/v1/campaigns/{cid}/phases/declaration/extension",
                        json={"closes_at": new_close.isoformat(), "reason": "山区乡镇材料延误"},
                    )
                    assert extended.status_code == 200, extended.text
                    await s.env.sleep(12 * DAY + timedelta(hours=1))
                    assert app.get_campaign(cid).phase("declaration").status == "closed"
                    reviewer.close()
