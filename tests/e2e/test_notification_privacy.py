"""Contact data stays out of what leaves the store (issue 24, item 1): a contact's name, e-mail
and phone are in no webhook body delivered and in no line of ``laurel audit export``, while
the contact's id is in the export (its unit's events name it).

How: on each store (SQLite, PostgreSQL), a webhook subscribed to every event type (``*``) is
served by a real dispatcher (in a thread, tests/webhooks/harness.py) to the receiver process
of tests/webhooks/receiver.py, which verifies each delivery's signature (standardwebhooks) and
parses it (cloudevents). Contacts are then added over the HTTP API (one with an
Idempotency-Key, so its receipt is an event too), one is changed (new e-mail and phone: the
old ones must not linger either) and one removed, a token is issued carrying a contact, and a
nomination whose declaring unit has the contact is rejected (its notice is in the outbox).
Once the receiver has accepted every event of the audit log, every record it kept (each
delivery's CloudEvents attributes and its ``data``) is serialised and searched for each
personal value; ``laurel audit export -o FILE`` runs as its own process over the same store
and its file is searched the same way; each contact's id is in it (its unit's events name the
contact by id and role). A webhook's ``data`` is thin: a contact event names its unit (the
subject), not even the contact's id. The notices' outbox, read as the sender reads it, holds
no personal value either."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.commands import CreateWebhook, PreReview
from domain.ids import unit_uuid
from domain.vocabulary import PreReviewDecision
from domain.webhooks import matches
from infra.roster_store import outbox_of
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.http import ADMIN_TOKEN, in_process
from tests.builders.http_world import register_units
from tests.builders.tree import COUNTY, TOWNSHIP, UNIT_TREE
from tests.builders.world import World
from tests.webhooks.harness import Receiver, dispatching, services_for, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

WANG = {
    "name": "王芳",
    "role": "declarer",
    "email": "wang.fang@peng.example.org",
    "phone": "13800000001",
}
WANG_LATER = {**WANG, "email": "fang.wang@mail.example.org", "phone": "13900000009"}
LI = {"name": "李明远", "role": "admin", "email": "li.mingyuan@peng.example.org", "phone": "13800000002"}
ZHAO = {
    "name": "赵强",
    "role": "reviewer",
    "email": "zhao.qiang@yijun.example.org",
    "phone": "13800000003",
}
PERSONAL = [
    value
    for person in (WANG, WANG_LATER, LI, ZHAO)
    for value in (person["name"], person["email"], person["email"].split("@")[0], person["phone"])
]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.stop()


def leaks(text: str) -> list[str]:
    return [value for value in dict.fromkeys(PERSONAL) if value in text]


@BACKENDS
def test_contact_data_is_in_no_webhook_body_and_not_in_the_audit_export(
    database_url: str, tmp_path: Path, receiver: Receiver
) -> None:
    with services_for(database_url) as services:
        app = services.app
        command = CreateWebhook(url=receiver.url, event_types=["*"], description="隐私检查 / privacy")
        receiver.start(app.execute(command, ADMIN)["secret"])
        with dispatching(services):
            admin = in_process(services).client(ADMIN_TOKEN)
            register_units(admin, UNIT_TREE)
            town, county = f"/v1/units/{TOWNSHIP}/contacts", f"/v1/units/{COUNTY}/contacts"
            key = {"Idempotency-Key": "wang-fang-added"}
            wang = admin.post(town, json=WANG, headers=key)
            assert wang.status_code == 201, wang.text
            wang_id = wang.json()["id"]
            changed = admin.put(f"{town}/{wang_id}", json=WANG_LATER)
            assert changed.status_code == 200, changed.text
            li_id = admin.post(town, json=LI).json()["id"]
            assert admin.delete(f"{town}/{li_id}").status_code == 204
            zhao_id = admin.post(county, json=ZHAO).json()["id"]
            kept = admin.get(town).json()  # the details are kept, beside the events
            assert [(c["name"], c["email"], c["phone"]) for c in kept] == [
                (WANG_LATER["name"], WANG_LATER["email"], WANG_LATER["phone"])
            ]
            body = {"role": "declarer", "unit_id": TOWNSHIP, "contact_id": wang_id}
            issued = admin.post("/v1/tokens", json=body)
            assert issued.status_code == 201 and issued.json()["contact_id"] == wang_id, issued.text

            world = World(app)
            campaign = world.campaign()
            nomination = world.declare(campaign)
            reject = PreReview(
                nomination_id=nomination,
                decision=PreReviewDecision.REJECT,
                reasons=["材料不全 / material incomplete"],
            )
            app.execute(reject, CITY_REVIEWER, at=FIVE_GOOD_2022.pre_review)

            logged = {e.event_id: e.type for e in services.views.audit_entries(0, 10_000)}
            delivered = {i for i, t in logged.items() if matches(["*"], t)}  # not bookkeeping
            wait_for(
                lambda: {r["ce_id"] for r in receiver.accepted()} >= delivered,
                30,
                "every deliverable event accepted",
            )
        records = receiver.log()
        outbox = outbox_of(app.recorder).select_outbox(0, 1000)

    told = sorted((r["type"], r["subject"]) for r in records if r["type"].startswith("unit.contact_"))
    town_id, county_id = str(unit_uuid(TOWNSHIP)), str(unit_uuid(COUNTY))
    assert told == sorted(
        [
            ("unit.contact_added", county_id),
            ("unit.contact_added", town_id),
            ("unit.contact_added", town_id),
            ("unit.contact_changed", town_id),
            ("unit.contact_removed", town_id),
        ]
    )
    assert all(r["verified"] == [True] and "parse_error" not in r for r in records)
    for record in records:
        shown = json.dumps(record, ensure_ascii=False)
        assert leaks(shown) == [], (record["type"], shown)

    kinds = [notice.kind for _, notice in outbox]
    assert "rejected" in kinds, kinds
    for _, notice in outbox:
        assert leaks(notice.body()) == [], notice.body()

    out = tmp_path / "audit.jsonl"
    exported = laurel(database_url, tmp_path, "audit", "export", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    text = out.read_text("utf-8")
    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    assert {r["event_id"] for r in lines} >= set(logged)
    assert leaks(text) == []
    for contact_id in (wang_id, li_id, zhao_id):  # named by id in its unit's events
        assert contact_id in text, contact_id
