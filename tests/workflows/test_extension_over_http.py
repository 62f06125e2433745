"""Deadline extension over HTTP: POST /v1/campaigns/{id}/phases/{phase}/extension is decided
once, by the domain (refusals are problems naming the rule, an Idempotency-Key repeat
records nothing and answers with the first result), and the campaign's workflow follows the
recorded deadline — told at once when Temporal is there, on its next timer when it was not."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from tests.builders.http import problem
from tests.builders.tree import CITY, COUNTY
from tests.workflows.harness import DAY, TEMPORAL_AWAY, Stage, city, stage, until
from workflows.campaign import CampaignWorkflow
from workflows.contracts import campaign_workflow_id

HOUR = timedelta(hours=1)


def extension_of(campaign_id: str) -> str:
    return f"/v1/campaigns/{campaign_id}/phases/declaration/extension"


def extension(closes_at: datetime, reason: str = "山区乡镇材料延误") -> dict[str, Any]:
    return {"closes_at": closes_at.isoformat(), "reason": reason}


def declaration_closes(response: httpx.Response) -> datetime:
    phase = next(p for p in response.json()["phases"] if p["code"] == "declaration")
    return datetime.fromisoformat(phase["closes_at"])


async def create_campaign(admin: httpx.AsyncClient, start: datetime) -> str:
    """A campaign of 示范市 whose declaration closes 10 days after ``start``."""
    body = {
        "template": "five-good-sites",
        "organiser_unit_id": CITY,
        "starts_at": start.isoformat(),
        "durations": {"declaration": 10 * 86400},
    }
    created = await admin.post("/v1/campaigns", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def campaign(s: Stage, start: datetime) -> str:
    """Created over HTTP, so its workflow starts."""
    city(s.app, villages=1)
    async with s.api() as admin:
        return await create_campaign(admin, start)


def declaration_status(s: Stage, campaign_id: str) -> str:
    return s.app.get_campaign(campaign_id).phase("declaration").status


def test_an_extension_is_decided_once_by_the_domain_and_moves_the_workflows_timers(tmp_path):
    asyncio.run(decided_once(tmp_path))


async def decided_once(tmp_path):
    async with stage(tmp_path) as s, s.worker():
        start = await s.now()
        cid = await campaign(s, start)
        new_close = start + 12 * DAY
        reviewer = s.api(await s.token("reviewer", CITY))
        outsider = s.api(await s.token("reviewer", COUNTY))  # below the organiser
        async with reviewer, outsider:
            key = {"Idempotency-Key": "rainstorms-2026"}
            extended = await reviewer.post(extension_of(cid), json=extension(new_close), headers=key)
            assert extended.status_code == 200, extended.text
            assert declaration_closes(extended) == new_close
            assert extended.json()["current_phase"] == "declaration"

            repeated = await reviewer.post(extension_of(cid), json=extension(new_close), headers=key)
            assert (repeated.status_code, repeated.json()) == (200, extended.json())
            assert s.events(cid).count("DeadlineExtended") == 1

            earlier = await reviewer.post(extension_of(cid), json=extension(start + 11 * DAY))
            refusal = problem(earlier, 422, "deadline-extension-refused")
            assert [f["rule"] for f in refusal["failures"]] == ["extension_moves_later"]

            forbidden = await outsider.post(extension_of(cid), json=extension(start + 13 * DAY))
            problem(forbidden, 403, "outside-jurisdiction")

            stale = await reviewer.post(
                extension_of(cid), json=extension(start + 13 * DAY), headers={"If-Match": '"1"'}
            )
            problem(stale, 412, "stale-version")
            assert s.events(cid).count("DeadlineExtended") == 1

        handle = s.env.client.get_workflow_handle_for(CampaignWorkflow.run, campaign_workflow_id(cid))

        async def followed() -> bool:
            status = await handle.query(CampaignWorkflow.current_phase)
            return status.phases[0].closes_at == new_close

        await until(followed)  # the signal made the workflow read the recorded deadline
        await s.env.sleep(11 * DAY)
        assert declaration_status(s, cid) == "open"
        await s.env.sleep(DAY + HOUR)
        assert declaration_status(s, cid) == "closed"


def test_an_extension_recorded_while_temporal_is_away_is_followed_when_a_timer_fires(tmp_path):
    asyncio.run(temporal_away(tmp_path))


async def temporal_away(tmp_path):
    async with stage(tmp_path) as s, s.worker():
        start = await s.now()
        cid = await campaign(s, start)
        new_close = start + 12 * DAY
        token = await s.token("reviewer", CITY)
        async with s.api(token, temporal=TEMPORAL_AWAY) as reviewer:
            extended = await reviewer.post(extension_of(cid), json=extension(new_close))
        assert extended.status_code == 200, extended.text  # recorded: the domain decided
        assert s.events(cid).count("DeadlineExtended") == 1
        handle = s.env.client.get_workflow_handle_for(CampaignWorkflow.run, campaign_workflow_id(cid))
        status = await handle.query(CampaignWorkflow.current_phase)
        assert status.phases[0].closes_at == start + 10 * DAY  # the workflow was not told

        # The timers set by the old deadline fire (its reminders, then itself): the workflow
        # reads the recorded deadline each time, and moves on to the new one.
        await s.env.sleep(10 * DAY + HOUR)
        assert declaration_status(s, cid) == "open"
        status = await handle.query(CampaignWorkflow.current_phase)
        assert status.phases[0].closes_at == new_close
        await s.env.sleep(2 * DAY)
        assert declaration_status(s, cid) == "closed"
        closed = [e for e in s.app.events.get(UUID(cid)) if type(e).__name__ == "PhaseClosed"]
        assert abs((closed[0].timestamp - new_close).total_seconds()) < 60


def test_an_extension_for_a_campaign_whose_workflow_never_started_starts_it(tmp_path):
    """A campaign recorded while Temporal was away has no workflow until the reconciler's next
    round; an extension meanwhile starts it, with the deadline as recorded."""
    asyncio.run(missing_workflow(tmp_path))


async def missing_workflow(tmp_path):
    async with stage(tmp_path) as s, s.worker():
        start = await s.now()
        city(s.app, villages=1)
        async with s.api(temporal=TEMPORAL_AWAY) as admin:
            cid = await create_campaign(admin, start)  # recorded; its workflow not started
        handle = s.env.client.get_workflow_handle(campaign_workflow_id(cid))
        with pytest.raises(RPCError):
            await handle.describe()
        new_close = start + 12 * DAY
        async with s.api(await s.token("reviewer", CITY)) as reviewer:
            extended = await reviewer.post(extension_of(cid), json=extension(new_close))
        assert extended.status_code == 200, extended.text
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await s.env.sleep(10 * DAY + HOUR)
        assert declaration_status(s, cid) == "open"
        await s.env.sleep(2 * DAY)
        assert declaration_status(s, cid) == "closed"
