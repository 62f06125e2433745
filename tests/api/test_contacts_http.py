"""A unit's contacts over HTTP (issue 24): the admins of the unit or above and the unit's own
declarers add, change and remove them (Idempotency-Key as for every command, each bad field
named); only the admins of the unit's subtree and the person itself (a token carrying the
contact) read them; the person's inbox is its contact's; the audit export never carries the
details. On both stores."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from domain.notifications.notices import contact_recipient
from tests.api.inbox_seed import notice
from tests.builders.backends import BACKENDS
from tests.builders.http import ADMIN_TOKEN, Server, problem
from tests.builders.http_world import register_units
from tests.builders.tree import COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE

CONTACTS = f"/v1/units/{TOWNSHIP}/contacts"
WANG = {"name": "王芳", "role": "declarer", "email": "wang.fang@example.org", "phone": "13800000000"}


def token(server: Server, role: str, unit_id: str, **extra: Any) -> httpx.Client:
    body = {"role": role, "unit_id": unit_id, "label": role, **extra}
    with server.client(ADMIN_TOKEN) as admin:
        response = admin.post("/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return server.client(response.json()["token"])


@pytest.fixture
def world(server: Server) -> Server:
    with server.client(ADMIN_TOKEN) as admin:
        register_units(admin, UNIT_TREE)
    return server


@BACKENDS
def test_an_admin_above_adds_changes_and_removes_a_contact(world: Server) -> None:
    county = token(world, "admin", COUNTY)
    added = county.post(CONTACTS, json=WANG, headers={"Idempotency-Key": "wang-1"})
    assert added.status_code == 201, added.text
    contact = added.json()
    assert {k: contact[k] for k in WANG} == WANG and contact["unit_id"] == TOWNSHIP
    again = county.post(CONTACTS, json=WANG, headers={"Idempotency-Key": "wang-1"})
    assert again.status_code == 200 and again.json()["id"] == contact["id"]

    for reader in (county, world.client(ADMIN_TOKEN)):
        listed = reader.get(CONTACTS).json()
        assert [(c["id"], c["name"], c["email"], c["phone"]) for c in listed] == [
            (contact["id"], "王芳", "wang.fang@example.org", "13800000000")
        ]

    changed = {**WANG, "name": "王芳芳", "email": "wff@example.org", "role": "admin", "phone": ""}
    response = county.put(f"{CONTACTS}/{contact['id']}", json=changed)
    assert response.status_code == 200, response.text
    listed = county.get(CONTACTS).json()
    assert [(c["name"], c["role"], c["email"]) for c in listed] == [
        ("王芳芳", "admin", "wff@example.org")
    ]

    assert county.delete(f"{CONTACTS}/{contact['id']}").status_code == 204
    assert county.get(CONTACTS).json() == []
    assert county.put(f"{CONTACTS}/{contact['id']}", json=changed).status_code == 404  # removed: gone
    problem(county.put(f"{CONTACTS}/no-such-contact", json=changed), 404)


@BACKENDS
def test_the_units_declarer_adds_contacts_but_reads_none_of_others(world: Server) -> None:
    declarer = token(world, "declarer", TOWNSHIP)
    added = declarer.post(CONTACTS, json={**WANG, "phone": ""})
    assert added.status_code == 201, added.text
    assert declarer.get(CONTACTS).status_code == 403
    for outsider in (
        token(world, "declarer", OTHER_TOWNSHIP),
        token(world, "reviewer", COUNTY),
        token(world, "admin", OTHER_COUNTY),
    ):
        assert outsider.post(CONTACTS, json=WANG).status_code == 403
        assert outsider.get(CONTACTS).status_code == 403
    assert len(world.client(ADMIN_TOKEN).get(CONTACTS).json()) == 1


@BACKENDS
def test_bad_fields_are_named(world: Server) -> None:
    admin = world.client(ADMIN_TOKEN)
    for field, value in (
        ("email", "not-an-address"),
        ("email", ""),
        ("role", "auditor"),
        ("name", ""),
        ("name", "名" * 61),
        ("phone", "1" * 31),
    ):
        refused = problem(admin.post(CONTACTS, json={**WANG, field: value}), 422)
        assert field in {f["field"] for f in refused["failures"]}, (field, refused)
    missing = problem(admin.post(CONTACTS, json={"name": "王芳", "role": "declarer"}), 422)
    assert {f["field"] for f in missing["failures"]} == {"email"}
    problem(admin.post("/v1/units/no-such-unit/contacts", json=WANG), 404)
    assert admin.get(CONTACTS).json() == []


@BACKENDS
def test_a_token_carrying_a_contact_reads_it_and_its_inbox(world: Server) -> None:
    admin = world.client(ADMIN_TOKEN)
    contact = admin.post(CONTACTS, json=WANG).json()
    admin.post(CONTACTS, json={**WANG, "name": "李明", "email": "li.ming@example.org"})
    person = token(world, "declarer", TOWNSHIP, contact_id=contact["id"])

    assert [c["id"] for c in person.get(CONTACTS).json()] == [contact["id"]]
    store = world.services.notifications
    mine = notice(store, contact_recipient(contact["id"]), kind="rejected")
    assert [i["id"] for i in person.get("/v1/inbox").json()["items"]] == [mine]
    assert person.get("/v1/inbox/unread-count").json() == {"unread": 1}
    # Its preferences are the person's, kept under the contact.
    person.put("/v1/inbox/preferences/admitted", json={"mode": "digest"})
    assert store.preferences(contact_recipient(contact["id"]))["admitted"] == "digest"


@BACKENDS
def test_the_audit_export_carries_no_contact_details(world: Server) -> None:
    admin = world.client(ADMIN_TOKEN)
    contact = admin.post(CONTACTS, json=WANG).json()
    admin.put(f"{CONTACTS}/{contact['id']}", json={**WANG, "email": "second@example.org"})
    export = admin.get("/v1/audit/export")
    assert export.status_code == 200
    for detail in ("王芳", "wang.fang@example.org", "second@example.org", "13800000000"):
        assert detail not in export.text
    assert contact["id"] in export.text  # the event names the contact, not the person
