"""A seed-000 campaign year on the Temporal time-skipping server: deadlines fire by
themselves, what still waits lapses, reminders go out 3 days and 1 day ahead, silent
townships are recorded, commendation within quota, and next year's re-inspection keeps one
title (passed), revokes one (failed) and revokes one nobody re-inspected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError

from domain.actors import Actor
from domain.commands import (
    Commend,
    CreateCampaign,
    Declare,
    ExtendDeadline,
    Inspect,
    PreReview,
    Reinspect,
)
from domain.errors import AuthorizationError, DeadlineExtensionRefusedError
from tests.builders.actors import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_REVIEWER,
    TOWNSHIP_DECLARER,
)
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.workflows.harness import DAY, city, dev_stage, save_history, stage, until
from workflows.campaign import CampaignWorkflow
from workflows.contracts import ExtensionUpdate, reinspection_workflow_id

DURATIONS = {
    "declaration": 10 * 86400,
    "pre_review": 5 * 86400,
    "inspection": 16 * 86400,
    "commendation": 20 * 86400,
}


def declare(app, campaign_id, village, at):
    nominee = {"kind": "site", "unit_id": village, "name": f"{village} 站点"}
    return app.execute(
        Declare(
            campaign_id=campaign_id,
            category="five_good_site",
            declaring_unit_id=TOWNSHIP,
            nominee=nominee,
            form={},
            material=TYPICAL_MATERIAL,
        ),
        TOWNSHIP_DECLARER,
        at=at,
    )["id"]


def test_a_seed_000_year_runs_itself_to_next_years_reinspection(tmp_path):
    asyncio.run(seed_000_year(tmp_path))


async def seed_000_year(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        villages = city(app).villages[TOWNSHIP]
        start = await s.now()
        cid = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=CITY,
                starts_at=start,
                durations=DURATIONS,
                quotas={"five_good_site": 3},
            ),
            ADMIN,
            at=start,
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            now = await s.now()
            ids = [declare(app, cid, village, now) for village in villages]

            await s.env.sleep(10 * DAY + timedelta(minutes=1))  # declaration closes
            campaign = app.get_campaign(cid)
            assert campaign.silent_units == [OTHER_TOWNSHIP]
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
                app.execute(
                    PreReview(
                        nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK
                    ),
                    CITY_REVIEWER,
                    at=now,
                )
            await s.env.sleep(5 * DAY)  # pre-review closes: the sixth lapses
            assert app.get_nomination(ids[5]).state == "lapsed"

            now = await s.now()
            for nid, score, verdict in zip(
                ids[:4], (92, 85, 78, 50), ("pass", "pass", "pass", "fail"), strict=True
            ):
                app.execute(
                    Inspect(
                        nomination_id=nid,
                        methods=["document_review", "site_visit"],
                        scores=site_scores(score),
                        checklist=SITE_CHECKLIST,
                        verdict=verdict,
                    ),
                    CITY_INSPECTOR,
                    at=now,
                )
            await s.env.sleep(
                16 * DAY
            )  # inspection closes: the fifth (admitted, never inspected) lapses
            assert app.get_nomination(ids[4]).state == "lapsed"

            now = await s.now()
            result = app.execute(
                Commend(campaign_id=cid, category="five_good_site"), CITY_REVIEWER, at=now
            )
            assert [c["id"] for c in result["commended"]] == ids[:3]
            await s.env.sleep(20 * DAY)  # commendation closes: the cohort re-inspection starts
            status = await handle.result()
            assert status.finished and [p.status for p in status.phases] == ["closed"] * 4
            await save_history(handle, "campaign_year")

            anniversary = start + 51 * DAY
            anniversary = anniversary.replace(year=anniversary.year + 1)
            await s.env.sleep(anniversary - timedelta(days=59) - await s.now())  # due 60 days ahead
            assert all(app.get_nomination(n).title.reinspection_due_by == anniversary for n in ids[:3])

            now = await s.now()
            app.execute(
                Reinspect(
                    nomination_id=ids[0],
                    methods=["site_visit"],
                    scores=site_scores(88),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                ),
                CITY_INSPECTOR,
                at=now,
            )
            app.execute(
                Reinspect(
                    nomination_id=ids[1],
                    methods=["site_visit", "live_operation"],
                    scores=site_scores(40),
                    checklist=SITE_CHECKLIST,
                    verdict="fail",
                    notes="设备长期停用",
                ),
                CITY_INSPECTOR,
                at=now,
            )
            await s.env.sleep(61 * DAY)  # past the anniversary: the silent one is revoked
            states = [app.get_nomination(n).state for n in ids[:3]]
            assert states == ["commended", "revoked", "revoked"]
            causes = [app.queries.history(n)[-1]["data"].get("cause") for n in ids[1:3]]
            assert causes == ["reinspection_failed", "not_reinspected"]
            kept = app.get_nomination(ids[0]).title
            assert kept.active and kept.anniversary == anniversary.replace(year=anniversary.year + 1)
            cohort = s.env.client.get_workflow_handle(reinspection_workflow_id(cid, "five_good_site"))
            assert (await cohort.describe()).status.name == "RUNNING"  # continued as new for next year
            revocations = sum(
                1 for n in ids for e in app.queries.history(n) if e["type"] == "nomination.revoked"
            )
            assert revocations == 2


def test_a_recorded_extension_moves_the_timers_and_a_refused_one_changes_nothing(tmp_path):
    asyncio.run(extension(tmp_path))


async def extension(tmp_path):
    """The domain decides an extension; the signal makes the workflow read the recorded
    deadlines, and its timers follow them."""
    async with stage(tmp_path) as s:
        app = s.app
        village = city(app, villages=1).villages[TOWNSHIP][0]
        start = await s.now()
        cid = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=CITY,
                starts_at=start,
                durations=DURATIONS,
            ),
            ADMIN,
            at=start,
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            declare(app, cid, village, start)
            new_close = start + 12 * DAY

            def extend(closes_at: datetime, reason: str, actor: Actor) -> None:
                command = ExtendDeadline(
                    campaign_id=cid, phase="declaration", closes_at=closes_at, reason=reason
                )
                app.execute(command, actor, at=start)

            extend(new_close, "暴雨 / rainstorms", CITY_REVIEWER)
            await handle.signal(CampaignWorkflow.refresh_deadlines)

            async def followed() -> bool:
                status = await handle.query(CampaignWorkflow.current_phase)
                return status.phases[0].closes_at == new_close

            await until(followed)
            for closes_at, reason, actor, refusal in (
                (start - DAY, "late", CITY_REVIEWER, DeadlineExtensionRefusedError),
                (start + 13 * DAY, " ", CITY_REVIEWER, DeadlineExtensionRefusedError),
                (start + 30 * DAY, "too far", CITY_REVIEWER, DeadlineExtensionRefusedError),
                (start + 13 * DAY, "not mine", TOWNSHIP_DECLARER, AuthorizationError),
                (start + 13 * DAY, "outside", COUNTY_REVIEWER, AuthorizationError),
            ):
                with pytest.raises(refusal):
                    extend(closes_at, reason, actor)
            retired = ExtensionUpdate(
                phase="declaration",
                closes_at=start + 13 * DAY,
                reason="old",
                actor=CITY_REVIEWER.as_dict(),
            )
            with pytest.raises(WorkflowUpdateFailedError):  # refused by its validator
                await handle.execute_update(CampaignWorkflow.extend_deadline, retired)
            assert s.events(cid).count("DeadlineExtended") == 1

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


async def restart(tmp_path):
    """On the real dev server: the worker goes away while two deadlines pass; a new worker
    fires the overdue timers, and nothing is appended twice."""
    async with dev_stage(tmp_path) as s:
        app = s.app
        village = city(app, villages=2).villages[TOWNSHIP][0]
        start = datetime.now(UTC)
        quick = {"declaration": 3, "pre_review": 3, "inspection": 600, "commendation": 600}
        cid = app.execute(
            CreateCampaign(
                template="five-good-sites", organiser_unit_id=CITY, starts_at=start, durations=quick
            ),
            ADMIN,
            at=start,
        )["id"]
        async with s.worker():
            handle = await s.start(cid)
            nid = declare(app, cid, village, datetime.now(UTC))
            await until(lambda: app.get_campaign(cid).phase("declaration").status == "open")
        await asyncio.sleep(
            max(0.0, (start + timedelta(seconds=7) - datetime.now(UTC)).total_seconds())
        )  # both deadlines pass
        assert app.get_campaign(cid).phase("declaration").status == "open"  # nobody fired them
        async with s.worker():  # a new worker picks the campaign up
            await until(lambda: app.get_campaign(cid).phase("pre_review").status == "closed")
            await until(lambda: app.get_campaign(cid).phase("inspection").status == "open")
            campaign = app.get_campaign(cid)
            assert app.get_nomination(nid).state == "lapsed"
            kinds = [type(e).__name__ for e in app.events.get(campaign.id)]
            assert (
                kinds.count("PhaseClosed") == 2
                and kinds.count("PhaseOpened") == 3
                and kinds.count("SilentUnitsRecorded") == 1
            )
            assert [e["type"] for e in app.queries.history(nid)].count("nomination.lapsed") == 1
            assert (await handle.query(CampaignWorkflow.current_phase)).current_phase == "inspection"
            await save_history(handle, "restart")
