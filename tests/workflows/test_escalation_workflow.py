"""Escalation of silent townships on the Temporal time-skipping server (issue 24, item 4;
patch ``escalation``): with the default ladder, the townships silent when declaration closes
are reported to their county's reviewers at once, and those still silent three days on to the
city's reviewers and admins; a township that declared meanwhile, in a window reopened for it,
is not in the second step. A cancelled campaign escalates no more."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus

from domain.campaigns import Campaign
from domain.commands import (
    CancelCampaign,
    CreateCampaign,
    Declare,
    EscalateSilentUnits,
    ReopenPhase,
)
from tests.builders.actors import ADMIN, CITY_REVIEWER, SYSTEM, declarer_of
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.workflows.harness import DAY, city, save_history, stage
from workflows.campaign import CampaignWorkflow
from workflows.escalation import escalation_workflow_id

DURATIONS = {
    "declaration": 10 * 86400,
    "pre_review": 5 * 86400,
    "inspection": 16 * 86400,
    "commendation": 20 * 86400,
}


def campaign(app, start) -> str:
    command = CreateCampaign(
        template="five-good-sites", organiser_unit_id=CITY, starts_at=start, durations=DURATIONS
    )
    return str(app.execute(command, ADMIN, at=start)["id"])


def declare(app, cid, unit, village, at) -> str:
    nominee = {"kind": "site", "unit_id": village, "name": f"{village} 站点"}
    command = Declare(
        campaign_id=cid,
        category="five_good_site",
        declaring_unit_id=unit,
        nominee=nominee,
        form={},
        material=TYPICAL_MATERIAL,
    )
    return str(app.execute(command, declarer_of(unit), at=at)["id"])


def escalations(app, cid) -> list[Campaign.SilentUnitsEscalated]:
    return [
        e
        for e in app.events.get(app.get_campaign(cid).id)
        if isinstance(e, Campaign.SilentUnitsEscalated)
    ]


def test_silent_townships_are_escalated_step_by_step(tmp_path):
    asyncio.run(escalated(tmp_path))


async def escalated(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        tree = city(app, villages=2)
        start = await s.now()
        cid = campaign(app, start)
        closes = start + 10 * DAY
        async with s.worker():
            handle = await s.start(cid)
            await s.env.sleep(10 * DAY + timedelta(minutes=1))  # declaration closes: step 1
            (first,) = escalations(app, cid)
            assert first.step == 1 and first.grace_days == 0
            assert first.units == [TOWNSHIP, OTHER_TOWNSHIP]
            assert first.notified == [
                {"unit_id": COUNTY, "roles": ["reviewer"], "units": [TOWNSHIP, OTHER_TOWNSHIP]}
            ]
            assert abs((first.timestamp - closes).total_seconds()) < 60

            # 彭镇 declares in a window reopened for it: it is silent no more
            now = await s.now()
            app.execute(
                ReopenPhase(
                    campaign_id=cid,
                    phase="declaration",
                    scope="unit",
                    target=TOWNSHIP,
                    until=now + 2 * DAY,
                    reason="彭镇因汛情未能按时申报",
                ),
                CITY_REVIEWER,
                at=now,
            )
            await handle.signal(CampaignWorkflow.refresh_deadlines)
            declare(app, cid, TOWNSHIP, tree.villages[TOWNSHIP][0], now + timedelta(minutes=5))

            await s.env.sleep(3 * DAY)  # the grace: step 2, two levels up
            first, second = escalations(app, cid)
            assert second.step == 2 and second.grace_days == 3
            assert second.units == [OTHER_TOWNSHIP]
            assert second.notified == [
                {"unit_id": CITY, "roles": ["reviewer", "admin"], "units": [OTHER_TOWNSHIP]}
            ]
            # at the recorded close plus the grace (the reopening did not move it)
            assert abs((second.timestamp - (closes + 3 * DAY)).total_seconds()) < 60
            async with s.api() as admin:  # the campaign's JSON shows the ladder and the steps
                shown = (await admin.get(f"/v1/campaigns/{cid}")).json()
            assert [e["step"] for e in shown["escalated"]] == [1, 2]
            assert shown["escalated"][1]["notified"] == second.notified
            assert shown["escalation"][1] == {
                "grace_days": 3,
                "levels_up": 2,
                "roles": ["reviewer", "admin"],
            }
            await s.env.sleep(DAY)
            assert len(escalations(app, cid)) == 2  # each step once
            assert not (await handle.describe()).close_time  # the run goes on
            await save_history(handle, "escalated")


def test_a_cancelled_campaign_escalates_no_more(tmp_path):
    asyncio.run(cancelled(tmp_path))


async def cancelled(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        city(app, villages=2)
        start = await s.now()
        cid = campaign(app, start)
        async with s.worker():
            handle = await s.start(cid)
            await s.env.sleep(10 * DAY + timedelta(minutes=1))
            assert [e.step for e in escalations(app, cid)] == [1]
            now = await s.now()
            app.execute(CancelCampaign(campaign_id=cid, reason="上级通知停止本次评选"), ADMIN, at=now)
            await handle.signal(CampaignWorkflow.campaign_cancelled)
            status = await handle.result()
            assert status.finished
            # The ladder runs on in its own workflow (the campaign's ended without waiting for
            # it); its next step finds the campaign cancelled and records nothing. The
            # time-skipping server fires no timer of a child whose parent has closed, so the
            # step's command is run here at its time, as the ladder's activity runs it.
            child = s.env.client.get_workflow_handle(escalation_workflow_id(cid))
            assert (await child.describe()).status == WorkflowExecutionStatus.RUNNING
            step = EscalateSilentUnits(campaign_id=cid, step=2)
            answer = app.execute(step, SYSTEM, at=start + 13 * DAY)
            assert (answer["recorded"], answer["cancelled"]) == (False, True)
            assert [e.step for e in escalations(app, cid)] == [1]
            await child.terminate("the test ends")
            await save_history(handle, "escalation_cancelled")
