"""Duties on the Temporal time-skipping server (issue 21, item 5): the campaign workflow
records the duties undone at their deadlines (patch ``duties-overdue``) — seed 001's
implementation rules and creation targets at the mobilisation's close, and a 通报批评's
限期整改 deadline set during the campaign, followed once the workflow is told."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta

from temporalio.client import WorkflowHandle

from domain.actors import SYSTEM
from domain.commands import AcceptDuty, CreateCampaign, IssueCircular, RecordOverdueDuties, SubmitDuty
from domain.duties import Duty, DutyBook, duty_uuid
from tests.builders.actors import ADMIN, COUNTY_REVIEWER, declarer_of
from tests.builders.tree import COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.workflows.harness import DAY, HISTORIES, city, stage
from workflows.campaign import DUTIES_OVERDUE, CampaignWorkflow

DURATIONS = {  # seed 001's five phases, compressed
    "mobilisation": 2 * 86400,
    "creation": 4 * 86400,
    "consolidation": 6 * 86400,
    "assessment": 2 * 86400,
    "commendation": 2 * 86400,
}


async def save_history(handle: WorkflowHandle, name: str) -> None:
    """With LAUREL_RECORD_HISTORIES=1, keep the history for the replay test (committed)."""
    if os.environ.get("LAUREL_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    folder = HISTORIES / DUTIES_OVERDUE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))


def states(app, cid: str) -> dict[tuple[str, str], str]:
    book = DutyBook(app.load, app.queries, app.get_campaign(cid))
    return {(o.item.code, o.item.unit_id): str(o.state) for o in book.all()}


def overdue_events(app, cid: str, code: str, unit: str) -> list:
    return [e for e in app.events.get(duty_uuid(cid, code, unit)) if isinstance(e, Duty.MarkedOverdue)]


def test_the_workflow_records_overdue_duties_and_a_rectification_deadline(tmp_path):
    asyncio.run(duties_year(tmp_path))


async def duties_year(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        city(app, villages=2)
        start = await s.now()
        cid = app.execute(
            CreateCampaign(
                template="double-strengthen",
                organiser_unit_id=COUNTY,
                starts_at=start,
                durations=DURATIONS,
            ),
            ADMIN,
            at=start,
        )["id"]
        cid = str(cid)
        mobilisation_close = app.get_campaign(cid).phase("mobilisation").closes_at
        async with s.worker():
            handle = await s.start(cid)
            now = await s.now()
            app.execute(
                SubmitDuty(
                    campaign_id=cid,
                    duty="implementation_rules",
                    unit_id=TOWNSHIP,
                    title="彭镇实施细则",
                    body="实施细则正文",
                ),
                declarer_of(TOWNSHIP),
                at=now,
            )

            await s.env.sleep(2 * DAY + timedelta(minutes=1))  # the mobilisation closes
            found = states(app, cid)
            assert found[("implementation_rules", TOWNSHIP)] == "submitted"
            assert found[("implementation_rules", OTHER_TOWNSHIP)] == "overdue"
            assert found[("creation_targets", TOWNSHIP)] == "overdue"
            assert found[("creation_targets", OTHER_TOWNSHIP)] == "overdue"
            [event] = overdue_events(app, cid, "implementation_rules", OTHER_TOWNSHIP)
            assert event.due_at == mobilisation_close
            assert abs((event.timestamp - mobilisation_close).total_seconds()) < 60
            # a repeat records nothing (each overdue duty once)
            again = app.execute(RecordOverdueDuties(campaign_id=cid), SYSTEM, at=await s.now())
            assert again["recorded"] == []

            await s.env.sleep(4 * DAY)  # into the consolidation: the county office criticises
            now = await s.now()
            rectify_by = now + DAY
            for unit in (TOWNSHIP, OTHER_TOWNSHIP):
                app.execute(
                    IssueCircular(
                        campaign_id=cid,
                        duty="supervision_circular",
                        kind="criticism",
                        title=f"关于{unit}活动开展不积极的通报",
                        body="图形式、走过场，限期整改落实。",
                        unit_id=unit,
                        rectify_by=rectify_by,
                    ),
                    COUNTY_REVIEWER,
                    at=now,
                )
            await handle.signal(CampaignWorkflow.refresh_deadlines)  # as the API does
            app.execute(
                SubmitDuty(
                    campaign_id=cid,
                    duty="supervision_circular.1",
                    unit_id=TOWNSHIP,
                    title="彭镇整改报告",
                    body="已整改：完善制度，补齐台账。",
                ),
                declarer_of(TOWNSHIP),
                at=now + timedelta(hours=2),
            )
            app.execute(
                AcceptDuty(campaign_id=cid, duty="supervision_circular.1", unit_id=TOWNSHIP),
                COUNTY_REVIEWER,
                at=now + timedelta(hours=3),
            )

            await s.env.sleep(DAY + timedelta(minutes=1))  # the rectification deadline passes
            found = states(app, cid)
            assert found[("supervision_circular.1", TOWNSHIP)] == "accepted"
            assert found[("supervision_circular.2", OTHER_TOWNSHIP)] == "overdue"
            [event] = overdue_events(app, cid, "supervision_circular.2", OTHER_TOWNSHIP)
            # recorded at the deadline itself, not at the phase's close five days later
            assert abs((event.timestamp - rectify_by).total_seconds()) < 60

            await s.env.sleep(7 * DAY + timedelta(hours=12))  # into the commendation, the last phase
            now = await s.now()
            late_deadline = now + 3 * DAY  # after the campaign's last phase closes
            app.execute(
                IssueCircular(
                    campaign_id=cid,
                    duty="supervision_circular",
                    kind="criticism",
                    title="关于彭镇总结材料不实的通报",
                    body="限期整改。",
                    unit_id=TOWNSHIP,
                    rectify_by=late_deadline,
                ),
                COUNTY_REVIEWER,
                at=now,
            )
            await handle.signal(CampaignWorkflow.refresh_deadlines)
            await s.env.sleep(2 * DAY)  # every phase closed: the workflow waits for the deadline
            status = await handle.query(CampaignWorkflow.current_phase)
            assert not status.finished and {p.status for p in status.phases} == {"closed"}
            found = states(app, cid)
            assert found[("work_summary", OTHER_TOWNSHIP)] == "overdue"
            assert found[("supervision_checks", COUNTY)] == "overdue"
            assert found[("supervision_circular.3", TOWNSHIP)] == "due"

            await s.env.sleep(DAY + timedelta(minutes=1))
            status = await handle.query(CampaignWorkflow.current_phase)
            assert status.finished
            [event] = overdue_events(app, cid, "supervision_circular.3", TOWNSHIP)
            assert abs((event.timestamp - late_deadline).total_seconds()) < 60
            await save_history(handle, "duties_year")
