"""What a running stack did with a campaign: its audit events over HTTP, its phase deadlines,
and what Temporal holds for it (asked with a real client, as an operator would)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import httpx
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode


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
