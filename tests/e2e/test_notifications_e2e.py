"""Notifications end to end (issue 24): a campaign run by its workflow on the Temporal
time-skipping server, the people named over the HTTP API (contacts of three townships, one of
which stays silent, of the county and of the city, tokens carrying some of them), and the
notifier (infra/notifications) run round by round against a real SMTP server (aiosmtpd).

What arrives, each message parsed as a mail client parses it (``email.message_from_bytes``
with ``policy.default``): the declaration's deadline reminders, to the silent township's
contact only; a pre-review rejection made over HTTP, with its reasons, to the declaring
unit's contact; at the declaration's close the escalation's first step, to the county's
reviewer, and after the grace the second, to the city's reviewer and admin. Subjects decode
to Chinese, the headers are right, the Chinese text names the campaign, nominee, reasons and
units. The same notices are in the inbox over HTTP, for the token carrying the contact and
for a token of that unit and role carrying none; marking them read lowers the unread count.

The campaign is run once per store, SQLite and PostgreSQL (a module fixture, a few seconds);
each test reads what it left: the messages the SMTP server kept, and the store, reopened by a
fresh API (Temporal gone by then).

The application runs on a clock the test sets to the Temporal server's time after each skip
(tests/builders/mail_stage.py): commands over HTTP and the workflow's timers then agree."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from infra.bootstrap import Services, bootstrap
from infra.notifications.sender import build_notifier
from infra.settings import Settings
from tests.builders.backends import backend_url
from tests.builders.clock import Clock
from tests.builders.http import in_process
from tests.builders.http_world import declaration
from tests.builders.mail_stage import (
    SENDER,
    assert_well_formed,
    clocked_stage,
    drain,
    mails_to,
    sync,
    text_of,
)
from tests.builders.smtp import Received, SmtpServer, smtp_server
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, TOWNSHIP
from tests.builders.world import World
from tests.workflows.harness import ADMIN_TOKEN, DAY, until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

THIRD_TOWNSHIP = "taian-zhen"  # 太安镇, the third township World.city makes
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the five-good-sites campaign's zone
SEPARATOR = "—" * 24  # between the Chinese and the English text
REASONS = ["站点设备台账缺失", "未提供近三个月学用记录"]

# The people, as they are entered over HTTP: (unit, role, name, e-mail, phone).
PEOPLE: dict[str, tuple[str, str, str, str, str]] = {
    "peng": (TOWNSHIP, "declarer", "王芳", "wang.fang@peng.example.org", "13800000001"),
    "taian": (THIRD_TOWNSHIP, "admin", "周敏", "zhou.min@taian.example.org", "13800000002"),
    "qipan": (OTHER_TOWNSHIP, "declarer", "李明", "li.ming@qipan.example.org", "13800000003"),
    "county": (COUNTY, "reviewer", "赵强", "zhao.qiang@yijun.example.org", "13800000004"),
    "city_reviewer": (CITY, "reviewer", "陈静", "chen.jing@shifan.example.org", "13800000005"),
    "city_admin": (CITY, "admin", "刘洋", "liu.yang@shifan.example.org", "13800000006"),
}


def email_of(person: str) -> str:
    return PEOPLE[person][3]


@dataclass
class Run:
    """What the campaign's run left: its store, the clock's last reading, the ids, the tokens'
    secrets, and every message the SMTP server accepted."""

    database_url: str
    now: datetime
    campaign_id: str
    campaign_zh: str
    declaration_closes: datetime
    nominee_zh: str  # 彭镇's nominee, rejected
    contacts: dict[str, str]  # person -> contact id
    tokens: dict[str, str]  # who -> secret
    received: list[Received] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=dict)  # what each step sent

    def mails(self, person: str) -> list[EmailMessage]:
        return mails_to(self.received, email_of(person))


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()) if response.content else {}


async def add_contact(client: httpx.AsyncClient, person: str) -> str:
    unit, role, name, email, phone = PEOPLE[person]
    body = {"name": name, "role": role, "email": email, "phone": phone}
    return str(ok(await client.post(f"/v1/units/{unit}/contacts", json=body), 201)["id"])


async def issue(client: httpx.AsyncClient, role: str, unit: str, contact: str | None = None) -> str:
    body = {"role": role, "unit_id": unit, "label": f"{role} {unit}", "contact_id": contact}
    issued = ok(await client.post("/v1/tokens", json=body), 201)
    assert issued.get("contact_id") == contact
    return str(issued["token"])


async def run_campaign(tmp: Path, database_url: str, smtp: SmtpServer) -> Run:
    clock = Clock(datetime.now(UTC))
    settings = {"smtp_from": SENDER, **smtp.settings}
    async with clocked_stage(tmp, clock, database_url, **settings) as s, s.worker():
        start = await sync(s, clock)
        tree = World(s.app).city(townships=3, villages=1)
        notifier = build_notifier(s.services, clock=clock)
        sent: dict[str, int] = {}

        async def step(name: str, days: timedelta | None = None) -> None:
            if days is not None:
                await s.env.sleep(days)
            await sync(s, clock)
            drain(notifier)
            sent[name] = len(smtp.messages()) - sum(sent.values())

        contacts: dict[str, str] = {}
        tokens: dict[str, str] = {}
        async with s.api() as root:
            # the county's admin enters the people of its townships and its own reviewer
            county_admin = s.api(await issue(root, "admin", COUNTY))
            async with county_admin:
                for person in ("taian", "qipan", "county"):
                    contacts[person] = await add_contact(county_admin, person)
            # 彭镇's declarer enters itself; the root admin enters the city's people
            peng_declarer = s.api(await issue(root, "declarer", TOWNSHIP))
            async with peng_declarer:
                contacts["peng"] = await add_contact(peng_declarer, "peng")
            for person in ("city_reviewer", "city_admin"):
                contacts[person] = await add_contact(root, person)
            tokens["qipan_person"] = await issue(root, "declarer", OTHER_TOWNSHIP, contacts["qipan"])
            tokens["qipan_token"] = await issue(root, "declarer", OTHER_TOWNSHIP)  # nobody named
            tokens["peng_person"] = await issue(root, "declarer", TOWNSHIP, contacts["peng"])
            tokens["city_reviewer"] = await issue(root, "reviewer", CITY)
            tokens["taian_declarer"] = await issue(root, "declarer", THIRD_TOWNSHIP)
            body = {
                "template": "five-good-sites",
                "organiser_unit_id": CITY,
                "starts_at": start.isoformat(),
                "durations": {"declaration": 10 * 86400, "pre_review": 5 * 86400},
            }
            cid = str(ok(await root.post("/v1/campaigns", json=body), 201)["id"])

        await until(lambda: s.app.get_campaign(cid).phase("declaration").status == "open")
        await sync(s, clock)
        nominations = {}
        for who, unit in (("peng_person", TOWNSHIP), ("taian_declarer", THIRD_TOWNSHIP)):
            village = tree.villages[unit][0]
            async with s.api(tokens[who]) as declarer:
                name = f"{World(s.app).name_zh(village)}远教站点"
                made = declaration(village, declaring_unit=unit, name=name)
                answer = await declarer.post(f"/v1/campaigns/{cid}/nominations", json=made)
                nominations[unit] = str(ok(answer, 201)["id"])
        await step("declared")
        await step("reminder_3_days", 7 * DAY + timedelta(hours=1))
        await step("reminder_1_day", 2 * DAY)
        await step("closed", DAY)  # declaration closed at day 10: escalation step 1

        async with s.api(tokens["city_reviewer"]) as reviewer:
            decided = await reviewer.post(
                f"/v1/nominations/{nominations[TOWNSHIP]}/pre-review",
                json={"decision": "reject", "reasons": REASONS},
            )
            ok(decided)
        await step("rejected")
        await step("grace", 3 * DAY)  # day 13: escalation step 2 (and day 12's reminder)
        campaign = s.app.get_campaign(cid)
        return Run(
            database_url,
            clock.now,
            cid,
            campaign.name_zh,
            campaign.phase("declaration").closes_at,
            s.app.get_nomination(nominations[TOWNSHIP]).nominee.name,
            contacts,
            tokens,
            smtp.messages(),
            sent,
        )


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """The campaign run once per store."""
    tmp = tmp_path_factory.mktemp("notified")
    with backend_url(request, request.param, tmp) as url, smtp_server() as smtp:
        yield asyncio.run(run_campaign(tmp, url, smtp))


@pytest.fixture
def services(run: Run) -> Iterator[Services]:
    """A fresh API's services over the store the campaign left (Temporal is gone)."""
    settings = Settings(
        database_url=run.database_url,
        admin_token=ADMIN_TOKEN,
        auth_failure_limit="100000/minute",
    )
    opened = bootstrap(settings, configure_logs=False, clock=Clock(run.now))
    try:
        yield opened
    finally:
        opened.close()


def subjects(messages: list[EmailMessage]) -> list[str]:
    return [str(m["Subject"]) for m in messages]


# --- e-mail ------------------------------------------------------------------------------------


def kinds(messages: list[EmailMessage], prefix: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["Subject"]).startswith(prefix)]


def beijing(moment: datetime) -> str:
    """An instant as the Chinese text shows it: the campaign's local time, no offset."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def test_reminders_reach_only_the_silent_townships_contact(run: Run) -> None:
    reminders = run.mails("qipan")
    assert len(reminders) == 2, subjects(reminders)
    assert run.delivered["declared"] == 0  # declaring tells nobody
    assert run.delivered["reminder_3_days"] == 1 and run.delivered["reminder_1_day"] == 1
    closes = beijing(run.declaration_closes)
    for message in reminders:
        subject = assert_well_formed(message, email_of("qipan"))
        assert subject.startswith(f"【截止提醒】{run.campaign_zh}："), subject
        assert f"申报将于{closes}截止 / [Deadline] " in subject, subject
        zh, _, en = text_of(message).partition(SEPARATOR)
        assert f"{run.campaign_zh}的申报阶段将于{closes}截止。" in zh, zh
        assert "以下单位尚未办理：棋盘镇。" in zh, zh
        assert "Not yet done by: Qipan Town." in en, en
    assert len({m["Message-ID"] for m in reminders}) == 2
    assert run.mails("taian") == []  # 太安镇 declared: no reminder
    assert kinds(run.mails("peng"), "【截止提醒】") == []


def test_a_rejection_with_its_reasons_reaches_the_declaring_units_contact(run: Run) -> None:
    [message] = run.mails("peng")
    assert run.delivered["rejected"] == 1
    subject = assert_well_formed(message, email_of("peng"))
    nominee = run.nominee_zh
    assert subject == f"【初审未通过】{nominee} / [Rejected at pre-review] {nominee}"
    zh, _, en = text_of(message).partition(SEPARATOR)
    assert zh.startswith(f"{run.campaign_zh}（"), zh  # the campaign, then its category
    assert f"彭镇申报的「{nominee}」未通过初审。" in zh, zh
    for reason in REASONS:
        assert f"- {reason}" in zh and f"- {reason}" in en
    assert f'"{nominee}" declared by Peng Town was rejected at pre-review.' in en, en


def test_silent_townships_are_escalated_to_the_county_then_a_level_up(run: Run) -> None:
    [first] = run.mails("county")
    subject = assert_well_formed(first, email_of("county"))
    assert subject.startswith(f"【未申报督办】{run.campaign_zh}：1 个乡镇未申报 / "), subject
    zh, _, en = text_of(first).partition(SEPARATOR)
    assert f"{run.campaign_zh}申报已截止，以下乡镇仍未申报（督办第 1 步）" in zh, zh
    assert "宜君县辖区：棋盘镇" in zh and "彭镇" not in zh and "太安镇" not in zh, zh
    assert "Under Yijun County: Qipan Town" in en, en

    [second] = run.mails("city_admin")
    [also] = kinds(run.mails("city_reviewer"), "【未申报督办】")
    for message, person in ((second, "city_admin"), (also, "city_reviewer")):
        assert_well_formed(message, email_of(person))
        zh = text_of(message).partition(SEPARATOR)[0]
        assert "（宽限 3 天后）" in zh and "督办第 2 步" in zh and "示范市辖区：棋盘镇" in zh, zh
    assert second["Message-ID"] != also["Message-ID"]
    # in between, the city's reviewer heard of the pre-review's deadline (太安镇's nomination
    # still waited); the rest were its daily digests (sent once the day's digest hour passed)
    heard = [str(m["Subject"]).split("】")[0] + "】" for m in run.mails("city_reviewer")]
    assert [h for h in heard if h != "【每日待办汇总】"] == ["【截止提醒】", "【未申报督办】"], heard


def test_every_message_once_and_no_contact_data_of_others(run: Run) -> None:
    """Each (notice, recipient) once; a message names its own recipient's address only, and
    nobody's name or phone."""
    ids = [m["Message-ID"] for m in (r.parsed() for r in run.received)]
    digests = kinds([r.parsed() for r in run.received], "【每日待办汇总】")
    assert len(ids) == len(set(ids)) == 7 + len(digests)
    for received in run.received:
        assert len(received.rcpt_tos) == 1 and received.mail_from == SENDER
        raw = received.data.decode("ascii")  # 7-bit: encoded-word headers, a base64 body
        text = f"{raw}\n{received.parsed()['Subject']}\n{text_of(received.parsed())}"
        for person, (_, _, name, email, phone) in PEOPLE.items():
            assert name not in text and phone not in text, person
            if email not in received.rcpt_tos:
                assert email not in text, person


# --- the inbox over HTTP -------------------------------------------------------------------------


def test_the_same_notices_are_in_the_inbox_and_read_marks_lower_the_count(
    run: Run, services: Services
) -> None:
    server = in_process(services)
    person, token = server.client(run.tokens["qipan_person"]), server.client(run.tokens["qipan_token"])
    mine = person.get("/v1/inbox").json()
    assert [i["subject"] for i in mine["items"]] == subjects(run.mails("qipan"))[::-1]
    assert all(i["kind"] == "deadline_approaching" and i["unread"] for i in mine["items"])
    assert mine["unread"] == 2
    assert "以下单位尚未办理：棋盘镇。" in mine["items"][0]["body"]
    # the token naming nobody reads the same notices as its own
    theirs = token.get("/v1/inbox").json()
    assert [i["subject"] for i in theirs["items"]] == [i["subject"] for i in mine["items"]]
    assert {i["id"] for i in theirs["items"]}.isdisjoint(i["id"] for i in mine["items"])

    marked = person.post(f"/v1/inbox/{mine['items'][0]['id']}/read").json()
    assert marked == {"marked": 1, "unread": 1}
    assert person.get("/v1/inbox/unread-count").json() == {"unread": 1}
    assert token.get("/v1/inbox/unread-count").json() == {"unread": 2}  # its own, unread
    assert token.post("/v1/inbox/read").json() == {"marked": 2, "unread": 0}
    assert person.get("/v1/inbox/unread-count").json() == {"unread": 1}

    peng = server.client(run.tokens["peng_person"]).get("/v1/inbox").json()
    assert [(i["kind"], i["mandatory"]) for i in peng["items"]] == [("rejected", True)]
    assert all(r in peng["items"][0]["body"] for r in REASONS)
    assert peng["items"][0]["subject"] == str(run.mails("peng")[0]["Subject"])


def test_the_units_feed_and_the_delivery_log_over_http(run: Run, services: Services) -> None:
    """The silent township's feed lists its reminders; the delivery log shows each e-mail
    delivered, to a masked address only."""
    server = in_process(services)
    feed = server.client(run.tokens["qipan_token"]).get(f"/v1/units/{OTHER_TOWNSHIP}/feed").json()
    assert [i["kind"] for i in feed["items"]] == ["deadline_approaching"] * 2
    log = server.client(ADMIN_TOKEN).get("/v1/notifications/deliveries", params={"channel": "email"})
    assert log.status_code == 200, log.text
    rows = log.json()["items"]
    assert len(rows) == len(run.received)
    assert {r["status"] for r in rows} == {"delivered"} and {r["attempts"] for r in rows} == {1}
    for person, contact in run.contacts.items():
        if mails := run.mails(person):
            local, _, domain = email_of(person).partition("@")
            shown = [r["address"] for r in rows if r["recipient"] == f"contact:{contact}"]
            assert shown == [f"{local[0]}***@{domain}"] * len(mails), (person, shown)
    for person in PEOPLE:
        assert email_of(person) not in log.text
