"""A campaign with phases of a few seconds, driven over HTTP against a running stack, and what
Temporal holds for it (asked with a real client, as an operator would)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

UNITS = "id,name,name_zh,level,parent_id\ncity-1,City,示范市,city,\ncounty-1,County,示范县,county,city-1\ntown-1,Town 1,彭镇1,township,county-1\n"
QUICK = {"declaration": 4, "pre_review": 4, "inspection": 4, "commendation": 4}  # seconds


def seed_city(client: httpx.Client) -> None:
    client.post(
        "/v1/units:import", content=UNITS.encode(), headers={"Content-Type": "text/csv"}
    ).raise_for_status()


def quick_campaign(
    client: httpx.Client, lead_seconds: float = 3.0, durations: dict[str, int] | None = None
) -> httpx.Response:
    """POST a five-good-sites campaign opening ``lead_seconds`` from now, phases of seconds."""
    starts = datetime.now(UTC) + timedelta(seconds=lead_seconds)
    body = {
        "template": "five-good-sites",
        "organiser_unit_id": "city-1",
        "starts_at": starts.isoformat(),
        "durations": durations or QUICK,
    }
    return client.post("/v1/campaigns", json=body)


def audit_events(client: httpx.Client, kind: str, subject: str) -> list[dict[str, Any]]:
    """Every ``kind`` event of ``subject`` in the store's global order."""
    found: list[dict[str, Any]] = []
    after = 0
    while page := client.get("/v1/audit/events", params={"after": after, "limit": 1000}).json()["items"]:
        found += [e for e in page if e["type"] == kind and e["subject"] == subject]
        after = page[-1]["position"]
    return found


def closings(client: httpx.Client, campaign_id: str) -> dict[str, list[datetime]]:
    """phase -> when each of its ``campaign.phase_closed`` events occurred."""
    out: dict[str, list[datetime]] = {}
    for event in audit_events(client, "campaign.phase_closed", campaign_id):
        out.setdefault(event["data"]["phase"], []).append(datetime.fromisoformat(event["occurred_at"]))
    return out


def deadlines(client: httpx.Client, campaign_id: str) -> dict[str, datetime]:
    phases = client.get(f"/v1/campaigns/{campaign_id}").json()["phases"]
    return {p["code"]: datetime.fromisoformat(p["closes_at"]) for p in phases}


def workflow_runs(address: str, namespace: str, workflow_id: str) -> int:
    """How many executions of ``workflow_id`` the server at ``address`` holds in ``namespace``
    (0 when it has none, or no such namespace)."""

    async def count() -> int:
        client = await Client.connect(address, namespace=namespace)
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return 0
            raise
        return sum([1 async for _ in client.list_workflows(f'WorkflowId = "{workflow_id}"')])

    return asyncio.run(count())


def workflow_status(address: str, namespace: str, workflow_id: str) -> str:
    async def status() -> str:
        client = await Client.connect(address, namespace=namespace)
        described = await client.get_workflow_handle(workflow_id).describe()
        return described.status.name if described.status else "UNKNOWN"

    return asyncio.run(status())
