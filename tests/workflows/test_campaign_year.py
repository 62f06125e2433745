"""A seed-000 campaign year on the Temporal time-skipping server: deadlines fire by
themselves, what still waits lapses, reminders go out 3 days and 1 day ahead, silent
townships are recorded, commendation within quota, and next year's re-inspection keeps one
title (passed), revokes one (failed) and revokes one nobody re-inspected."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from tests.workflows.harness import (
    ADMIN,
    DAY,
    DECLARER,
    INSPECTOR,
    REVIEWER,
    SITE_CHECKS,
    city,
    dev_stage,
    material,
    save_history,
    scores,
    stage,
)
from workflows.campaign import CampaignWorkflow
from workflows.contracts import ExtendDeadline, reinspection_workflow_id

DURATIONS = {
    "declaration": 10 * 86400,
    "pre_review": 5 * 86400,
    "inspection": 16 * 86400,
    "commendation": 20 * 86400,
}


def declare(app, campaign_id, village, at):
    nominee = {"kind": "site", "unit_id": village, "name": f"{village} 站点"}
    return app.declare(
        campaign_id, "five_good_site", "town-1", nominee, {}, material(), DECLARER, at=at
    )["id"]


def test_a_seed_000_year_runs_itself_to_next_years_reinspection(tmp_path):
    asyncio.run(seed_000_year(tmp_path))


async def seed_000_year(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        city(app)
        start = await s.now()
        cid = app.create_campaign(
            "five-good-sites",
            "city-1",
            ADMIN,
            starts_at=start,
            durations=DURATIONS,
            quotas={"five_good_site": 3},
            at=start,
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            now = await s.now()
            ids = [declare(app, cid, f"vil-1-{v:02d}", now) for v in range(1, 7)]

            await s.env.sleep(10 * DAY + timedelta(minutes=1))  # declaration closes
            campaign = app.get_campaign(cid)
            assert campaign.silent_units == ["town-2"]
            reminders = [
                (e.phase, e.offset_seconds, e.timestamp)
                for e in app.events.get(campaign.id)
                if type(e).__name__ == "DeadlineApproaching"
            ]
            declaration_close = start + 10 * DAY
            assert [(p, o) for p, o, _ in reminders] == [
                ("declaration", 3 * 86400),
                ("declaration", 86400),
            ]
            for _, offset, at in reminders:
                assert abs((at - (declaration_close - timedelta(seconds=offset))).total_seconds()) < 60

            now = await s.now()
            for nid in ids[:5]:  # the sixth is never pre-reviewed
                app.pre_review(nid, "admit", [], REVIEWER, checks=SITE_CHECKS, at=now)
            await s.env.sleep(5 * DAY)  # pre-review closes: the sixth lapses
            assert app.get_nomination(ids[5]).state == "lapsed"

            now = await s.now()
            for nid, score, verdict in zip(
                ids[:4], (92, 85, 78, 50), ("pass", "pass", "pass", "fail"), strict=True
            ):
                app.inspect(
                    nid, ["document_review", "site_visit"], scores(score), verdict, INSPECTOR, at=now
                )
            await s.env.sleep(
                16 * DAY
            )  # inspection closes: the fifth (admitted, never inspected) lapses
            assert app.get_nomination(ids[4]).state == "lapsed"

            now = await s.now()
            result = app.commend(cid, "five_good_site", REVIEWER, at=now)
            assert [c["id"] for c in result["commended"]] == ids[:3]
            await s.env.sleep(20 * DAY)  # commendation closes: the cohort re-inspection starts
            status = await handle.result()
            assert status.finished and [p.status for p in status.phases] == ["closed"] * 4
            await save_history(handle, "campaign_year")

            anniversary = start + 51 * DAY
            anniversary = anniversary.replace(year=anniversary.year + 1)
            await s.env.sleep(anniversary - timedelta(days=59) - await s.now())  # due 60 days ahead
            assert all(
                app.get_nomination(n).title["reinspection_due_by"] == anniversary for n in ids[:3]
            )

            now = await s.now()
            app.reinspect(ids[0], ["site_visit"], scores(88), "pass", INSPECTOR, at=now)
            app.reinspect(
                ids[1],
                ["site_visit", "live_operation"],
                scores(40),
                "fail",
                INSPECTOR,
                notes="设备长期停用",
                at=now,
            )
            await s.env.sleep(61 * DAY)  # past the anniversary: the silent one is revoked
            states = [app.get_nomination(n).state for n in ids[:3]]
            assert states == ["commended", "revoked", "revoked"]
            causes = [app.history(n)[-1]["data"].get("cause") for n in ids[1:3]]
            assert causes == ["reinspection_failed", "not_reinspected"]
            kept = app.get_nomination(ids[0]).title
            assert kept["active"] and kept["anniversary"] == anniversary.replace(
                year=anniversary.year + 1
            )
            cohort = s.env.client.get_workflow_handle(reinspection_workflow_id(cid, "five_good_site"))
            assert (await cohort.describe()).status.name == "RUNNING"  # continued as new for next year
            revocations = sum(
                1 for n in ids for e in app.history(n) if e["type"] == "nomination.revoked"
            )
            assert revocations == 2


def test_deadline_extension_moves_the_timers_and_a_refused_one_changes_nothing(tmp_path):
    asyncio.run(extension(tmp_path))


async def extension(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        city(app, villages=1)
        start = await s.now()
        cid = app.create_campaign(
            "five-good-sites", "city-1", ADMIN, starts_at=start, durations=DURATIONS, at=start
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            declare(app, cid, "vil-1-01", start)
            new_close = start + 12 * DAY
            status = await handle.execute_update(
                CampaignWorkflow.extend_deadline,
                ExtendDeadline(
                    phase="declaration",
                    closes_at=new_close,
                    reason="暴雨 / rainstorms",
                    actor=REVIEWER.as_dict(),
                ),
            )
            assert status.phases[0].closes_at == new_close and status.current_phase == "declaration"
            for refused in (
                ExtendDeadline(
                    phase="declaration", closes_at=start - DAY, reason="late", actor=REVIEWER.as_dict()
                ),
                ExtendDeadline(
                    phase="declaration", closes_at=start + 13 * DAY, reason=" ", actor=REVIEWER.as_dict()
                ),
                ExtendDeadline(
                    phase="declaration",
                    closes_at=start + 30 * DAY,
                    reason="too far",
                    actor=REVIEWER.as_dict(),
                ),
                ExtendDeadline(
                    phase="declaration",
                    closes_at=start + 13 * DAY,
                    reason="not mine",
                    actor=DECLARER.as_dict(),
                ),
            ):
                with pytest.raises(WorkflowUpdateFailedError):
                    await handle.execute_update(CampaignWorkflow.extend_deadline, refused)
            outsider = {"token_id": "tok-x", "role": "reviewer", "unit_id": "town-2"}
            with pytest.raises(
                WorkflowUpdateFailedError
            ):  # refused by the domain (jurisdiction) in the activity
                await handle.execute_update(
                    CampaignWorkflow.extend_deadline,
                    ExtendDeadline(
                        phase="declaration", closes_at=start + 13 * DAY, reason="outside", actor=outsider
                    ),
                )
            extensions = [
                e
                for e in app.events.get(app.get_campaign(cid).id)
                if type(e).__name__ == "DeadlineExtended"
            ]
            assert len(extensions) == 1 and extensions[0].closes_at == new_close

            await s.env.sleep(10 * DAY + timedelta(hours=1))  # the old deadline passes: still open
            assert app.get_campaign(cid).phase("declaration").status == "open"
            await s.env.sleep(2 * DAY)
            campaign = app.get_campaign(cid)
            assert campaign.phase("declaration").status == "closed"
            closed = [e for e in app.events.get(campaign.id) if type(e).__name__ == "PhaseClosed"]
            assert abs((closed[0].timestamp - new_close).total_seconds()) < 60
            reminders = sorted(
                e.timestamp
                for e in app.events.get(campaign.id)
                if type(e).__name__ == "DeadlineApproaching"
            )
            assert any(abs((r - (new_close - 3 * DAY)).total_seconds()) < 60 for r in reminders)
            await save_history(handle, "extension")


def test_a_restarted_worker_fires_the_timers_and_appends_nothing_twice(tmp_path):
    asyncio.run(restart(tmp_path))


async def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


async def restart(tmp_path):
    """On the real dev server: the worker goes away while two deadlines pass; a new worker
    fires the overdue timers, and nothing is appended twice."""
    async with dev_stage(tmp_path) as s:
        app = s.app
        city(app, villages=2)
        start = datetime.now(UTC)
        quick = {"declaration": 3, "pre_review": 3, "inspection": 600, "commendation": 600}
        cid = app.create_campaign(
            "five-good-sites", "city-1", ADMIN, starts_at=start, durations=quick, at=start
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            nid = declare(app, cid, "vil-1-01", datetime.now(UTC))
            await wait_for(lambda: app.get_campaign(cid).phase("declaration").status == "open")
        await asyncio.sleep(
            max(0.0, (start + timedelta(seconds=7) - datetime.now(UTC)).total_seconds())
        )  # both deadlines pass
        assert app.get_campaign(cid).phase("declaration").status == "open"  # nobody fired them
        async with s.worker():  # a new worker picks the campaign up
            await wait_for(lambda: app.get_campaign(cid).phase("pre_review").status == "closed")
            await wait_for(lambda: app.get_campaign(cid).phase("inspection").status == "open")
            campaign = app.get_campaign(cid)
            assert app.get_nomination(nid).state == "lapsed"
            kinds = [type(e).__name__ for e in app.events.get(campaign.id)]
            assert (
                kinds.count("PhaseClosed") == 2
                and kinds.count("PhaseOpened") == 3
                and kinds.count("SilentUnitsRecorded") == 1
            )
            assert [e["type"] for e in app.history(nid)].count("nomination.lapsed") == 1
            assert (await handle.query(CampaignWorkflow.current_phase)).current_phase == "inspection"
            await save_history(handle, "restart")
