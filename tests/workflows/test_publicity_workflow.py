"""公示 on the Temporal time-skipping server (issue 23, items 1-2): commend proposes, the
organiser publishes, the campaign workflow (patch ``publicity``) closes the period at midnight
after its fifth working day — over a weekend and a holiday of the configured calendar — and
grants the titles nothing holds; an objection holds one title until it is decided (reminded
daily meanwhile); upheld, the title is not granted and the slot stays free in the quota."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.campaigns import Campaign
from domain.commands import (
    Commend,
    ConfigurePublicity,
    CreateCampaign,
    DecideObjection,
    LodgeObjection,
    PublishProposedList,
)
from domain.objections import PUBLIC
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.clock import TIMELINES
from tests.builders.tree import CITY, PENG_ZHEN_VILLAGES
from tests.builders.world import CampaignRef, World
from tests.workflows.harness import DAY, city, save_history, stage
from workflows.campaign import CampaignWorkflow

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORY = "five_good_site"
DURATIONS = {  # five-good-sites, compressed; the commendation long enough for the 公示
    "declaration": 86400,
    "pre_review": 86400,
    "inspection": 86400,
    "commendation": 40 * 86400,
}


def holiday_calendar(tmp: Path, published: date) -> tuple[Path, list[date]]:
    """A calendar for the test's years whose holiday is the Monday and Tuesday after the
    first weekend following ``published`` (the shipped one holds only 2022-2026)."""
    monday = published + timedelta(days=7 - published.weekday())
    holiday = [monday, monday + timedelta(days=1)]
    path = tmp / "calendar.yaml"
    years = {published.year, published.year + 1}
    body = "\n".join(
        f"  {y}:\n    holidays:\n"
        + (
            f'      - {{name: "测试假日", from: {holiday[0]}, to: {holiday[1]}}}\n'
            if y == holiday[0].year
            else "      []\n"
        )
        for y in sorted(years)
    )
    path.write_text(f"code: test\nname_zh: 测试日历\nname_en: Test\nyears:\n{body}", "utf-8")
    return path, holiday


def fifth_working_day_midnight(published: date, off: list[date]) -> datetime:
    day, counted = published, 0
    while counted < 5:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            counted += 1
    return datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def test_the_period_closes_on_the_right_day_and_an_objection_holds_a_title(tmp_path):
    asyncio.run(publicity_period(tmp_path))


async def publicity_period(tmp_path: Path) -> None:
    # The test server's clock starts at the wall clock: the calendar is made for its weeks.
    probe = datetime.now(SHANGHAI) + timedelta(days=3)
    path, holiday = holiday_calendar(tmp_path, probe.date())
    async with stage(tmp_path, holiday_calendar=path) as s:
        app = s.app
        city(app, villages=3)
        world = World(app)
        start = await s.now()
        cid = str(
            app.execute(
                CreateCampaign(
                    template="five-good-sites",
                    organiser_unit_id=CITY,
                    starts_at=start,
                    durations=DURATIONS,
                    quotas={CATEGORY: 3},
                ),
                ADMIN,
                at=start,
            )["id"]
        )
        ref = CampaignRef(cid, "five-good-sites", TIMELINES["five-good-sites"])
        app.execute(ConfigurePublicity(campaign_id=cid, working_days=5), CITY_REVIEWER, at=start)
        async with s.worker():
            handle = await s.start(cid)
            ids = {}
            for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:3], [95, 85, 75], strict=True):
                ids[score] = world.declare(ref, unit, at=start + timedelta(minutes=5))
            await s.env.sleep(DAY + timedelta(minutes=1))  # pre-review
            for nid in ids.values():
                world.admit(ref, nid, at=await s.now())
            await s.env.sleep(DAY)  # inspection
            for score, nid in ids.items():
                world.inspect(ref, nid, score, actor=CITY_INSPECTOR, at=await s.now())
            await s.env.sleep(DAY)  # commendation: proposed, then published
            now = await s.now()
            proposed = app.execute(Commend(campaign_id=cid, category=CATEGORY), CITY_REVIEWER, at=now)
            assert proposed["proposed"] and len(proposed["commended"]) == 3
            assert {world.state(n) for n in ids.values()} == {"proposed"}
            published_at = await s.now()
            published = app.execute(PublishProposedList(campaign_id=cid), CITY_REVIEWER, at=published_at)
            closes_at = datetime.fromisoformat(published["closes_at"])
            expected = fifth_working_day_midnight(published_at.astimezone(SHANGHAI).date(), holiday)
            assert closes_at == expected
            assert closes_at - published_at > timedelta(days=7)  # over a weekend and the holiday
            await handle.signal(CampaignWorkflow.refresh_deadlines)  # as the API does

            objected, cleared, clean = ids[95], ids[85], ids[75]
            lodged_at = await s.now() + timedelta(hours=1)
            receipts = {
                nid: app.execute(
                    LodgeObjection(campaign_id=cid, nomination_id=nid, text=f"异议：{nid[:6]}台账不实"),
                    PUBLIC,
                    at=lodged_at,
                )["receipt"]
                for nid in (objected, cleared)
            }

            await s.env.sleep(closes_at - await s.now() - timedelta(minutes=5))
            assert world.state(clean) == "proposed"  # not a minute early
            await s.env.sleep(timedelta(minutes=10))
            assert world.state(clean) == "commended"
            assert world.state(objected) == "proposed" and world.state(cleared) == "proposed"
            [closed] = [e for e in app.events.get(UUID(cid)) if isinstance(e, Campaign.PublicityClosed)]
            assert abs((closed.timestamp - closes_at).total_seconds()) < 60
            [granted] = [e for e in app.events.get(UUID(clean)) if type(e).__name__ == "Commended"]
            assert abs((granted.timestamp - closes_at).total_seconds()) < 60

            await s.env.sleep(2 * DAY)  # the workflow reminds daily while objections wait
            reminders = [
                e
                for e in app.events.get(UUID(cid))
                if isinstance(e, Campaign.ObjectionsAwaitingDecision)
            ]
            assert len(reminders) >= 2 and set(reminders[-1].nomination_ids) == {objected, cleared}

            now = await s.now()
            app.execute(
                DecideObjection(receipt=receipts[cleared], outcome="dismiss", findings="经核实不属实"),
                CITY_REVIEWER,
                at=now,
            )
            assert world.state(cleared) == "commended"  # the last objection on it decided
            app.execute(
                DecideObjection(receipt=receipts[objected], outcome="uphold", findings="经核实台账不实"),
                CITY_REVIEWER,
                at=now,
            )
            assert world.state(objected) == "not_commended"
            campaign = app.get_campaign(cid)
            assert campaign.commended_count(CATEGORY) == 2  # the slot is left to the organiser
            assert app.get_nomination(objected).title is None

            await s.env.sleep(2 * DAY)  # nothing awaits: no more reminders
            after = [
                e
                for e in app.events.get(UUID(cid))
                if isinstance(e, Campaign.ObjectionsAwaitingDecision)
            ]
            assert len(after) == len(reminders)

            await s.env.sleep(40 * DAY)  # the commendation closes: the workflow ends
            status = await handle.query(CampaignWorkflow.current_phase)
            assert status.finished
            await save_history(handle, "publicity")
