"""Corrections on the Temporal time-skipping server (issue 23, item 3; patch ``corrections``):
a declaration reopened for one township lets it declare late; a pre-review reopened for that
nomination closes on time, lapsing it when nobody acted; a cancellation ends the run and the
campaign's open nominations close — told by the signal, or noticed at the next wake-up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.commands import CancelCampaign, CreateCampaign, Declare, ReopenPhase
from domain.errors import PhaseNotOpenError
from tests.builders.actors import ADMIN, CITY_REVIEWER, TOWNSHIP_DECLARER, declarer_of
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.workflows.harness import DAY, city, save_history, stage
from workflows.campaign import CampaignWorkflow

DURATIONS = {
    "declaration": 10 * 86400,
    "pre_review": 5 * 86400,
    "inspection": 16 * 86400,
    "commendation": 20 * 86400,
}


def declare(app, cid, unit, village, at):
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


def campaign(app, start) -> str:
    return str(
        app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=CITY,
                starts_at=start,
                durations=DURATIONS,
            ),
            ADMIN,
            at=start,
        )["id"]
    )


def test_a_reopened_window_lets_one_unit_declare_late_and_closes_on_time(tmp_path):
    asyncio.run(reopened(tmp_path))


async def reopened(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        tree = city(app, villages=2)
        start = await s.now()
        cid = campaign(app, start)
        async with s.worker():
            handle = await s.start(cid)
            await s.env.sleep(10 * DAY + timedelta(minutes=1))  # declaration closes
            now = await s.now()
            village = tree.villages[TOWNSHIP][0]
            with pytest.raises(PhaseNotOpenError):
                declare(app, cid, TOWNSHIP, village, now)
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
            await handle.signal(CampaignWorkflow.refresh_deadlines)  # as the API does
            late = declare(app, cid, TOWNSHIP, village, now + timedelta(minutes=5))
            with pytest.raises(PhaseNotOpenError):  # only 彭镇's window is open
                declare(app, cid, OTHER_TOWNSHIP, tree.villages[OTHER_TOWNSHIP][0], now)

            await s.env.sleep(5 * DAY)  # pre-review closes: the late one, never reviewed, lapses
            assert app.get_nomination(late).state == "lapsed"
            windows = app.get_campaign(cid).reopenings
            assert windows[0]["closed"] is True  # closed at its deadline by the workflow
            closed_at = next(
                e.timestamp
                for e in app.events.get(app.get_campaign(cid).id)
                if type(e).__name__ == "ReopeningClosed"
            )
            assert abs((closed_at - (now + 2 * DAY)).total_seconds()) < 60

            # the pre-review reopened for that nomination: nobody acts, it lapses on time
            now = await s.now()
            from domain.commands import DecideAppeal, LodgeAppeal

            app.execute(LodgeAppeal(nomination_id=late, grounds="汛情"), TOWNSHIP_DECLARER, at=now)
            app.execute(
                DecideAppeal(nomination_id=late, outcome="upheld", findings="属实", until=now + DAY),
                CITY_REVIEWER,
                at=now,
            )
            await handle.signal(CampaignWorkflow.refresh_deadlines)
            assert app.get_nomination(late).state == "declared"
            await s.env.sleep(DAY + timedelta(minutes=1))
            lapsed = app.get_nomination(late)
            assert lapsed.state == "lapsed"
            last = list(app.events.get(lapsed.id))[-1]
            assert type(last).__name__ == "Lapsed"
            assert abs((last.timestamp - (now + DAY)).total_seconds()) < 60
            assert not (await handle.describe()).close_time  # the run goes on
            await save_history(handle, "reopened")


@pytest.mark.parametrize("told", [True, False], ids=["signalled", "noticed"])
def test_a_cancellation_ends_the_run_and_closes_open_nominations(tmp_path, told):
    asyncio.run(cancelled(tmp_path, told))


async def cancelled(tmp_path, told):
    async with stage(tmp_path) as s:
        app = s.app
        tree = city(app, villages=2)
        start = await s.now()
        cid = campaign(app, start)
        async with s.worker():
            handle = await s.start(cid)
            ids = [declare(app, cid, TOWNSHIP, v, start) for v in tree.villages[TOWNSHIP]]
            await s.env.sleep(DAY)
            now = await s.now()
            done = app.execute(
                CancelCampaign(campaign_id=cid, reason="上级通知停止本次评选"), ADMIN, at=now
            )
            assert sorted(done["closed"]) == sorted(ids)
            if told:
                await handle.signal(CampaignWorkflow.campaign_cancelled)
            else:  # not told: it notices at its next timer, the reminder 3 days ahead
                await s.env.sleep(6 * DAY + timedelta(minutes=5))
            status = await handle.result()
            assert status.finished
            closed = (await handle.describe()).close_time
            assert closed is not None
            # signalled: at once; not told: at the reminder, long before the declaration closes
            assert closed < start + 7 * DAY + timedelta(minutes=5)
            assert {app.get_nomination(n).state for n in ids} == {"cancelled"}
            await save_history(handle, f"cancelled_{'signalled' if told else 'noticed'}")
