"""A token carrying the person it was issued to (issue 24): only a contact of the token's unit,
shown in its public form, the keys its inbox is read by (the person's, and the token's again
once the contact is removed), tokens issued before it (version 3) carrying none, and no
personal data in any stored event (the audit export and webhooks read those)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.access import AccessToken
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    AddContact,
    ChangeContact,
    IssueToken,
    RegisterUnit,
    RemoveContact,
    RevokeToken,
)
from domain.contacts import MemoryContactVault
from domain.errors import RuleViolationError
from domain.vocabulary import Role
from infra.settings import Settings, eventsourcing_env
from tests.builders.actors import ADMIN, COUNTY_ADMIN, TOWNSHIP_DECLARER
from tests.builders.backends import backend_url
from tests.builders.tree import OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE

WANG = {"name": "王芳", "role": "declarer", "email": "wang.fang@example.org", "phone": "13900001111"}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Laurel]:
    if request.param == "memory":
        env = {"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"}
        laurel = Laurel(env=env, contact_vault=MemoryContactVault())
        for row in UNIT_TREE:
            laurel.execute(RegisterUnit(**row._asdict()), ADMIN)
        yield laurel
        return
    with backend_url(request, request.param, tmp_path) as url:
        env = dict(eventsourcing_env(Settings(database_url=url, home_dir=tmp_path)))
        laurel = Laurel(env=env, contact_vault=MemoryContactVault())
        for row in UNIT_TREE:
            laurel.execute(RegisterUnit(**row._asdict()), ADMIN)
        yield laurel
        laurel.close()


def contact(app: Laurel, unit: str = TOWNSHIP, **fields: str) -> str:
    return str(app.execute(AddContact(unit_id=unit, **{**WANG, **fields}), COUNTY_ADMIN)["id"])


def issue(app: Laurel, contact_id: str | None, unit: str | None = TOWNSHIP) -> dict[str, object]:
    role = "declarer" if unit else "admin"
    command = IssueToken(role=role, unit_id=unit, label="彭镇申报令牌", contact_id=contact_id)
    return app.execute(command, ADMIN if unit is None else COUNTY_ADMIN)


def test_a_token_carries_a_contact_of_its_unit_and_reads_as_that_person(app: Laurel) -> None:
    contact_id = contact(app)
    issued = issue(app, contact_id)
    assert issued["contact_id"] == contact_id
    (listed,) = [t for t in app.access.list_tokens(ADMIN) if t["id"] == issued["id"]]
    assert listed["contact_id"] == contact_id
    person = Actor(str(issued["id"]), Role.DECLARER, TOWNSHIP)
    assert app.contacts.contact_of(str(issued["id"])) == app.get_unit(TOWNSHIP).contacts[contact_id]
    assert app.contacts.recipients_of(person) == [f"contact:{contact_id}"]
    (own,) = app.contacts.contacts(TOWNSHIP, person)  # the person reads its own entry only
    assert (own["id"], own["email"]) == (contact_id, "wang.fang@example.org")
    contact(app, name="李明", email="li@example.org")
    assert [c["id"] for c in app.contacts.contacts(TOWNSHIP, person)] == [contact_id]

    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), COUNTY_ADMIN)
    assert app.contacts.contact_of(str(issued["id"])) is None
    assert app.contacts.recipients_of(person) == [f"token:{issued['id']}"]  # the token again


def test_a_token_without_a_contact_reads_as_itself(app: Laurel) -> None:
    issued = issue(app, None)
    assert issued["contact_id"] is None
    actor = Actor(str(issued["id"]), Role.DECLARER, TOWNSHIP)
    assert app.contacts.recipients_of(actor) == [f"token:{issued['id']}"]
    assert app.contacts.recipients_of(TOWNSHIP_DECLARER) == ["token:tok-peng-zhen-declarer"]


@pytest.mark.parametrize("where", ["unknown", "other-unit", "no-unit"])
def test_a_token_carries_only_a_contact_of_its_own_unit(app: Laurel, where: str) -> None:
    elsewhere = contact(app, unit=OTHER_TOWNSHIP)
    contact_id = {"unknown": "ct_nobody", "other-unit": elsewhere, "no-unit": elsewhere}[where]
    with pytest.raises(RuleViolationError) as raised:
        issue(app, contact_id, unit=None if where == "no-unit" else TOWNSHIP)
    assert [(f.rule, f.field) for f in raised.value.failures] == [
        ("token_contact_of_unit", "contact_id")
    ]
    assert app.access.list_tokens(ADMIN) == []


def test_a_token_issued_before_contacts_carries_none(app: Laurel) -> None:
    """A version-3 ``Issued`` event (no ``contact_id``) is read as carrying no person."""
    issued = issue(app, None)
    token = app.load.get_token(str(issued["id"]), datetime.now(UTC))
    (stored,) = app.recorder.select_events(token.id)
    state = json.loads(stored.state)
    assert state["class_version"] == 4
    state.pop("contact_id")
    state["class_version"] = 3
    old = type(stored)(stored.originator_id, 1, stored.topic, json.dumps(state).encode())
    event = app.mapper.to_domain_event(old)
    assert isinstance(event, AccessToken.Issued) and event.contact_id is None
    again = event.mutate(None)
    assert again is not None and again.contact_id is None and again.public()["contact_id"] is None


def test_no_stored_event_holds_a_contacts_personal_data(app: Laurel) -> None:
    """The audit export and webhook bodies are made from the stored events: the events of a
    contact's add, change and removal, and the command receipts, name its id, role and vault
    reference only."""
    before = app.recorder.max_notification_id() or 0
    added = app.execute(
        AddContact(unit_id=TOWNSHIP, **WANG), TOWNSHIP_DECLARER, idempotency_key="add-wang"
    )
    changed = {**WANG, "name": "王芳芳", "email": "wff@example.org", "phone": "010-12345678"}
    app.execute(
        ChangeContact(unit_id=TOWNSHIP, contact_id=str(added["id"]), **changed),
        TOWNSHIP_DECLARER,
        idempotency_key="change-wang",
    )
    issue(app, str(added["id"]))
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=str(added["id"])), COUNTY_ADMIN)
    stored = app.recorder.select_notifications(before + 1, 1000)
    topics = {n.topic.rpartition(".")[2] for n in stored}
    assert {"ContactAdded", "ContactChanged", "ContactRemoved", "Recorded"} <= topics
    states = b"\n".join(n.state for n in stored)
    assert str(added["id"]).encode() in states
    for personal in [*WANG.values(), *changed.values()]:
        if personal in ("declarer",):
            continue
        assert personal.encode() not in states, personal
        assert json.dumps(personal).encode() not in states, personal  # nor \u-escaped


def test_a_token_carries_a_contact_of_its_own_role_only(app: Laurel) -> None:
    """A declarer's token carrying an inspector would make the inspector hear what declarers
    are told (and act as one): refused, naming the field and the rule."""
    inspector = contact(app, name="李明", email="li@example.org", role="inspector")
    with pytest.raises(RuleViolationError) as raised:
        issue(app, inspector)
    (failure,) = raised.value.failures
    assert (failure.rule, failure.field, failure.actual) == (
        "token_contact_role",
        "contact_id",
        "inspector",
    )
    assert app.access.list_tokens(ADMIN) == []
    command = IssueToken(role="inspector", unit_id=TOWNSHIP, label="李明", contact_id=inspector)
    assert app.execute(command, COUNTY_ADMIN)["contact_id"] == inspector


def test_a_carried_contacts_role_does_not_change_while_its_token_is_valid(app: Laurel) -> None:
    contact_id = contact(app)
    issued = issue(app, contact_id)
    to_admin = ChangeContact(unit_id=TOWNSHIP, contact_id=contact_id, **{**WANG, "role": "admin"})
    with pytest.raises(RuleViolationError) as raised:
        app.execute(to_admin, COUNTY_ADMIN)
    (failure,) = raised.value.failures
    assert (failure.rule, failure.field, failure.expected) == (
        "contact_role_carried",
        "role",
        [issued["id"]],
    )
    assert app.get_unit(TOWNSHIP).contacts[contact_id].role is Role.DECLARER
    renamed = ChangeContact(unit_id=TOWNSHIP, contact_id=contact_id, **{**WANG, "name": "王芳芳"})
    app.execute(renamed, COUNTY_ADMIN)  # the rest of it may change
    app.execute(RevokeToken(token_id=str(issued["id"]), reason="王芳改任管理员"), COUNTY_ADMIN)
    app.execute(to_admin, COUNTY_ADMIN)  # revoked: nobody acts as it any more
    assert app.get_unit(TOWNSHIP).contacts[contact_id].role is Role.ADMIN


def test_one_function_gives_a_tokens_recipient_key(app: Laurel) -> None:
    contact_id = contact(app)
    carrying, bare = issue(app, contact_id), issue(app, None)
    now = datetime.now(UTC)
    token = app.load.get_token(str(carrying["id"]), now)
    person = app.get_unit(TOWNSHIP).contacts[contact_id]
    assert app.contacts.recipient_of(token) == (f"contact:{contact_id}", person)
    plain = app.load.get_token(str(bare["id"]), now)
    assert app.contacts.recipient_of(plain) == (f"token:{bare['id']}", None)
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), COUNTY_ADMIN)
    assert app.contacts.recipient_of(token) == (f"token:{carrying['id']}", None)
