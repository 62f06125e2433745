"""The inbox over HTTP (issue 24): each token reads its own notices (newest first, the unread
only, page by page), marks one or all read, chooses per kind how notices reach it (the
mandatory kinds never muted: 422 notice-mandatory), a unit's feed for its own tokens and the
admins above it, and the delivery log for admins, each its subtree's, addresses masked and
no text. On both stores; the notices are put in the real notification store as its fan-out
leaves them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.notifications.notices import token_recipient
from tests.api.inbox_seed import feed_entry, notice
from tests.builders.backends import BACKENDS
from tests.builders.http import ADMIN_TOKEN, Server, problem
from tests.builders.http_world import register_units
from tests.builders.tree import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_TOWNSHIP,
    TOWNSHIP,
    UNIT_TREE,
)


@dataclass
class Person:
    token_id: str
    client: httpx.Client

    @property
    def recipient(self) -> str:
        return token_recipient(self.token_id)


def issue(server: Server, role: str, unit_id: str) -> Person:
    with server.client(ADMIN_TOKEN) as admin:
        response = admin.post("/v1/tokens", json={"role": role, "unit_id": unit_id, "label": role})
    assert response.status_code == 201, response.text
    return Person(response.json()["id"], server.client(response.json()["token"]))


def issue_to_person(server: Server, role: str, unit_id: str) -> Person:
    """A token carrying a contact of ``unit_id`` (its notices are that person's)."""
    with server.client(ADMIN_TOKEN) as admin:
        contact = admin.post(
            f"/v1/units/{unit_id}/contacts",
            json={"name": "王芳", "role": role, "email": "wang.fang@example.org"},
        )
        assert contact.status_code == 201, contact.text
        body = {"role": role, "unit_id": unit_id, "label": role, "contact_id": contact.json()["id"]}
        response = admin.post("/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return Person(response.json()["id"], server.client(response.json()["token"]))


@pytest.fixture
def world(server: Server) -> Server:
    with server.client(ADMIN_TOKEN) as admin:
        register_units(admin, UNIT_TREE)
    return server


def store(server: Server):  # the notification store of the running API
    return server.services.notifications


@BACKENDS
def test_a_token_reads_its_own_notices_newest_first_page_by_page(world: Server) -> None:
    town, other = issue(world, "declarer", TOWNSHIP), issue(world, "declarer", OTHER_TOWNSHIP)
    ids = [notice(store(world), town.recipient, subject=f"通知 {n} / Notice {n}") for n in range(5)]
    theirs = notice(store(world), other.recipient)

    page = town.client.get("/v1/inbox", params={"limit": 3}).json()
    assert [i["id"] for i in page["items"]] == ids[::-1][:3]
    assert page["unread"] == 5 and page["next_before"] == ids[2]
    first = page["items"][0]
    assert first["subject"] == "通知 4 / Notice 4" and first["unread"] and first["read_at"] is None
    assert (first["kind"], first["kind_zh"], first["mandatory"]) == ("admitted", "初审通过", False)
    assert "Your nomination passed pre-review." in first["body"]
    rest = town.client.get("/v1/inbox", params={"limit": 3, "before": page["next_before"]}).json()
    assert [i["id"] for i in rest["items"]] == ids[1::-1] and rest["next_before"] is None

    assert town.client.get("/v1/inbox/unread-count").json() == {"unread": 5}
    assert [i["id"] for i in other.client.get("/v1/inbox").json()["items"]] == [theirs]
    assert other.client.get("/v1/inbox/unread-count").json() == {"unread": 1}


@BACKENDS
def test_marking_read_one_then_all(world: Server) -> None:
    town, other = issue(world, "declarer", TOWNSHIP), issue(world, "declarer", OTHER_TOWNSHIP)
    first, second, third = (notice(store(world), town.recipient) for _ in range(3))
    theirs = notice(store(world), other.recipient)

    assert town.client.post(f"/v1/inbox/{second}/read").json() == {"marked": 1, "unread": 2}
    assert town.client.post(f"/v1/inbox/{second}/read").json() == {"marked": 0, "unread": 2}
    unread = town.client.get("/v1/inbox", params={"unread": "true"}).json()["items"]
    assert [i["id"] for i in unread] == [third, first]
    read = next(i for i in town.client.get("/v1/inbox").json()["items"] if i["id"] == second)
    assert not read["unread"] and read["read_at"] is not None

    # Another person's notice, or none at all, is not the caller's to mark: 404 alike.
    for missing in (theirs, 10**9):
        problem(town.client.post(f"/v1/inbox/{missing}/read"), 404, "notice-not-found")
    assert other.client.get("/v1/inbox/unread-count").json() == {"unread": 1}

    assert town.client.post("/v1/inbox/read").json() == {"marked": 2, "unread": 0}
    assert town.client.get("/v1/inbox", params={"unread": "true"}).json()["items"] == []
    problem(town.client.post("/v1/inbox/0/read"), 422, "request-invalid")
    problem(town.client.get("/v1/inbox", params={"limit": 0}), 422, "request-invalid")


@BACKENDS
def test_preferences_per_kind_and_the_mandatory_kinds(world: Server) -> None:
    town = issue(world, "declarer", TOWNSHIP)
    preferences = town.client.get("/v1/inbox/preferences").json()
    by_kind = {p["kind"]: p for p in preferences}
    assert {p["mode"] for p in preferences} == {"immediate"}
    assert {k for k, p in by_kind.items() if p["mandatory"]} == {str(k) for k in MANDATORY}
    assert str(NoticeKind.DAILY_DIGEST) not in by_kind  # the digest is no choice

    # A token naming no person has no address: the digest means nothing to it.
    refused = problem(
        town.client.put("/v1/inbox/preferences/admitted", json={"mode": "digest"}),
        422,
        "preference-invalid",
    )
    assert [(f["rule"], f["field"]) for f in refused["failures"]] == [("digest_needs_email", "mode")]
    person = issue_to_person(world, "declarer", TOWNSHIP)
    changed = person.client.put("/v1/inbox/preferences/admitted", json={"mode": "digest"})
    assert changed.status_code == 200, changed.text
    assert {p["kind"]: p["mode"] for p in changed.json()}["admitted"] == "digest"
    person.client.put("/v1/inbox/preferences/deadline_approaching", json={"mode": "muted"})
    person.client.put("/v1/inbox/preferences/rejected", json={"mode": "digest"})
    modes = {p["kind"]: p["mode"] for p in person.client.get("/v1/inbox/preferences").json()}
    assert (modes["admitted"], modes["deadline_approaching"], modes["rejected"]) == (
        "digest",
        "muted",
        "digest",
    )

    for kind in MANDATORY:
        refused = problem(
            town.client.put(f"/v1/inbox/preferences/{kind}", json={"mode": "muted"}),
            422,
            "notice-mandatory",
        )
        assert [f["field"] for f in refused["failures"]] == ["mode"]
        assert refused["failures"][0]["message_zh"]
    unknown = problem(
        town.client.put("/v1/inbox/preferences/no_such_kind", json={"mode": "digest"}), 422
    )
    assert unknown["failures"][0]["field"] == "kind"
    problem(town.client.put("/v1/inbox/preferences/admitted", json={"mode": "loud"}), 422)
    problem(town.client.put("/v1/inbox/preferences/admitted", json={}), 422, "request-invalid")
    # Another token's choices are its own.
    other = issue(world, "declarer", OTHER_TOWNSHIP)
    assert {p["mode"] for p in other.client.get("/v1/inbox/preferences").json()} == {"immediate"}


@BACKENDS
def test_a_units_feed_is_for_its_own_tokens_and_the_admins_above(world: Server) -> None:
    older = feed_entry(store(world), TOWNSHIP, kind="admitted", subject="初审通过")
    newer = feed_entry(store(world), TOWNSHIP, kind="rejected", subject="初审未通过")
    feed_entry(store(world), OTHER_TOWNSHIP)
    readers = [
        issue(world, "declarer", TOWNSHIP).client,
        issue(world, "inspector", TOWNSHIP).client,
        issue(world, "admin", COUNTY).client,
        world.client(ADMIN_TOKEN),
    ]
    for client in readers:
        page = client.get(f"/v1/units/{TOWNSHIP}/feed").json()
        assert [(i["id"], i["kind"]) for i in page["items"]] == [
            (newer, "rejected"),
            (older, "admitted"),
        ]
        assert page["items"][0]["subject"] == "初审未通过"
    paged = readers[0].get(f"/v1/units/{TOWNSHIP}/feed", params={"limit": 1}).json()
    assert [i["id"] for i in paged["items"]] == [newer] and paged["next_before"] == newer
    for refused in (
        issue(world, "declarer", OTHER_TOWNSHIP).client,  # a sibling township
        issue(world, "reviewer", COUNTY).client,  # above, but not an admin
        issue(world, "admin", OTHER_COUNTY).client,  # an admin of another subtree
    ):
        assert refused.get(f"/v1/units/{TOWNSHIP}/feed").status_code == 403
    problem(world.client(ADMIN_TOKEN).get("/v1/units/no-such-unit/feed"), 404)


@BACKENDS
def test_the_delivery_log_is_an_admins_of_its_subtree_masked_and_without_text(world: Server) -> None:
    town, far = issue(world, "declarer", TOWNSHIP), issue(world, "declarer", OTHER_COUNTY_TOWNSHIP)
    mine = notice(
        store(world),
        town.recipient,
        channel="email",
        address="wang.fang@example.org",
        status="pending",
    )
    theirs = notice(
        store(world), far.recipient, channel="email", address="li@example.org", status="pending"
    )
    inbox_row = notice(store(world), town.recipient)

    root = world.client(ADMIN_TOKEN).get("/v1/notifications/deliveries").json()["items"]
    assert {r["id"] for r in root} >= {mine, theirs, inbox_row}
    row = next(r for r in root if r["id"] == mine)
    assert row["address"] == "w***@example.org" and row["channel"] == "email"
    assert row["status"] == "pending" and row["recipient"] == town.recipient
    assert "body" not in row and "subject" not in row
    assert "wang.fang" not in world.client(ADMIN_TOKEN).get("/v1/notifications/deliveries").text

    county_admin = issue(world, "admin", COUNTY).client
    seen = county_admin.get("/v1/notifications/deliveries", params={"channel": "email"}).json()
    assert [r["id"] for r in seen["items"]] == [mine]
    one = county_admin.get("/v1/notifications/deliveries", params={"limit": 1}).json()
    assert [r["id"] for r in one["items"]] == [inbox_row] and one["next_before"] == inbox_row
    rest = county_admin.get("/v1/notifications/deliveries", params={"before": inbox_row}).json()
    assert [r["id"] for r in rest["items"]] == [mine]

    assert town.client.get("/v1/notifications/deliveries").status_code == 403
    problem(county_admin.get("/v1/notifications/deliveries", params={"channel": "sms"}), 422)


@BACKENDS
def test_an_empty_store_answers_empty(world: Server) -> None:
    town = issue(world, "declarer", TOWNSHIP)
    assert town.client.get("/v1/inbox").json() == {"items": [], "next_before": None, "unread": 0}
    assert town.client.post("/v1/inbox/read").json() == {"marked": 0, "unread": 0}
    assert town.client.get(f"/v1/units/{TOWNSHIP}/feed").json() == {"items": [], "next_before": None}
    admin = world.client(ADMIN_TOKEN)
    assert admin.get("/v1/notifications/deliveries").json() == {"items": [], "next_before": None}
