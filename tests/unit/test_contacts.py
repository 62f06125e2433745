"""A unit's contacts (issue 24): who manages them, what a contact must be, who reads them, and
that the personal data lives in the vault only (a change keeps it under a new reference and
erases the old one; a removal erases it). On the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.actors import Actor
from domain.application import Laurel
from domain.commands import AddContact, ChangeContact, RegisterUnit, RemoveContact
from domain.contacts import ContactDetails, MemoryContactVault
from domain.errors import (
    ConcurrencyConflictError,
    OutsideJurisdictionError,
    RoleNotAllowedError,
    RuleViolationError,
)
from domain.units import MAX_CONTACTS, ContactNotFoundError, Unit
from domain.vocabulary import Role
from infra.settings import Settings, eventsourcing_env
from tests.builders.actors import (
    ADMIN,
    AUDITOR,
    COUNTY_ADMIN,
    COUNTY_DECLARER,
    COUNTY_REVIEWER,
    OTHER_TOWNSHIP_DECLARER,
    TOWNSHIP_DECLARER,
    declarer_of,
)
from tests.builders.backends import BACKENDS, backend_url
from tests.builders.services import running_services
from tests.builders.tree import OTHER_COUNTY, TOWNSHIP, UNIT_TREE, VILLAGE

OTHER_COUNTY_ADMIN = Actor("tok-liyang-admin", Role.ADMIN, OTHER_COUNTY)
TOWNSHIP_ADMIN = Actor("tok-pengzhen-admin", Role.ADMIN, TOWNSHIP)
WANG = {
    "name": "王芳",
    "role": "declarer",
    "email": "wang.fang@example.org",
    "phone": "+86 139-0000-0000",
}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The event store's settings: in memory, a SQLite file or a PostgreSQL schema."""
    if request.param == "memory":
        yield {"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"}
        return
    with backend_url(request, request.param, tmp_path) as url:
        yield dict(eventsourcing_env(Settings(database_url=url, home_dir=tmp_path)))


@pytest.fixture
def vault() -> MemoryContactVault:
    return MemoryContactVault()


@pytest.fixture
def app(env: dict[str, str], vault: MemoryContactVault) -> Iterator[Laurel]:
    laurel = Laurel(env=env, contact_vault=vault)
    for row in UNIT_TREE:
        laurel.execute(RegisterUnit(**row._asdict()), ADMIN)
    yield laurel
    laurel.close()


def add(app: Laurel, actor: Actor | None = None, unit: str = TOWNSHIP, **fields: str) -> str:
    """Added by the township's declarer (a declarer contact) or its admin (any other role)."""
    role = fields.get("role", WANG["role"])
    actor = actor or (TOWNSHIP_DECLARER if role == "declarer" else TOWNSHIP_ADMIN)
    result = app.execute(AddContact(unit_id=unit, **{**WANG, **fields}), actor)
    return str(result["contact_id"])


# --- the lifecycle and the vault ------------------------------------------------------------------


def test_a_contact_is_added_changed_and_removed_its_details_only_in_the_vault(
    app: Laurel, vault: MemoryContactVault
) -> None:
    contact_id = add(app)
    (contact,) = app.get_unit(TOWNSHIP).contacts.values()
    assert (contact.contact_id, contact.unit_id, contact.role) == (contact_id, TOWNSHIP, Role.DECLARER)
    assert vault.kept == {contact.details_ref: vault.contact_details(contact.details_ref)}
    assert vault.kept[contact.details_ref].email == "wang.fang@example.org"

    changed = ChangeContact(
        unit_id=TOWNSHIP, contact_id=contact_id, name="王芳", role="admin", email="wf@example.org"
    )
    answer = app.execute(changed, COUNTY_ADMIN)
    assert answer["role"] == "admin" and "email" not in answer and "name" not in answer
    now = app.get_unit(TOWNSHIP).contacts[contact_id]
    assert now.role is Role.ADMIN and now.details_ref != contact.details_ref
    assert contact.details_ref not in vault.kept  # the old details are erased
    assert vault.kept[now.details_ref].email == "wf@example.org"

    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), COUNTY_ADMIN)
    assert app.get_unit(TOWNSHIP).contacts == {} and vault.kept == {}
    with pytest.raises(ContactNotFoundError):
        app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), COUNTY_ADMIN)


def test_a_change_to_what_is_there_records_nothing(app: Laurel, vault: MemoryContactVault) -> None:
    contact_id = add(app)
    before = app.get_unit(TOWNSHIP).version
    same = ChangeContact(unit_id=TOWNSHIP, contact_id=contact_id, **{**WANG, "name": " 王芳 "})
    app.execute(same, TOWNSHIP_DECLARER)
    assert app.get_unit(TOWNSHIP).version == before and len(vault.kept) == 1


def test_contacts_survive_a_reload_from_events_and_from_a_snapshot(
    app: Laurel, env: dict[str, str], vault: MemoryContactVault
) -> None:
    if "POPOFactory" in env.get("PERSISTENCE_MODULE", ""):
        pytest.skip("a store in memory is not opened again")
    first, second = add(app), add(app, email="li@example.org", role="reviewer")
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=first), TOWNSHIP_DECLARER)
    again = Laurel(env=env, contact_vault=vault)
    assert list(again.get_unit(TOWNSHIP).contacts) == [second]
    again.close()
    app.take_snapshot(app.get_unit(TOWNSHIP).id)
    from_snapshot = Laurel(env=env, contact_vault=vault)
    unit = from_snapshot.get_unit(TOWNSHIP)
    assert isinstance(unit, Unit) and unit.contacts[second].role is Role.REVIEWER
    assert [c["email"] for c in from_snapshot.contacts.contacts(TOWNSHIP, ADMIN)] == ["li@example.org"]
    from_snapshot.close()


def test_without_a_vault_adding_a_contact_fails_loudly_and_records_nothing(env: dict[str, str]) -> None:
    app = Laurel(env=env)
    for row in UNIT_TREE[:3]:
        app.execute(RegisterUnit(**row._asdict()), ADMIN)
    with pytest.raises(RuntimeError, match="no contact vault is wired"):
        app.execute(AddContact(unit_id=TOWNSHIP, **WANG), ADMIN)
    assert app.get_unit(TOWNSHIP).contacts == {}
    app.close()


def test_the_vault_may_be_given_as_a_factory_of_the_application(env: dict[str, str]) -> None:
    made: list[Laurel] = []

    def factory(app: Laurel) -> MemoryContactVault:
        made.append(app)
        return MemoryContactVault()

    app = Laurel(env=env, contact_vault=factory)
    assert made == [app] and isinstance(app.collaborators.contacts(), MemoryContactVault)
    app.close()


# --- what a contact must be -------------------------------------------------------------------------


def refused(app: Laurel, **fields: str) -> dict[str, str]:
    """The rules ``fields`` break, by field."""
    with pytest.raises(RuleViolationError) as raised:
        add(app, **fields)
    assert raised.value.code == "contact-invalid"
    return {str(f.field): f.rule for f in raised.value.failures}


def test_each_field_is_checked_and_named(app: Laurel) -> None:
    assert refused(app, name="", email="not-an-address", phone="call me", role="boss") == {
        "name": "contact_name_length",
        "email": "contact_email_valid",
        "phone": "contact_phone_format",
        "role": "contact_role_known",
    }
    assert refused(app, name="名" * 61) == {"name": "contact_name_length"}
    assert refused(app, email="a" * 64 + "@" + "b" * 186 + ".org") == {"email": "contact_email_length"}
    assert refused(app, phone="1" * 31) == {"phone": "contact_phone_format"}
    assert refused(app, role="auditor") == {"role": "contact_role_known"}
    assert refused(app, email="wang@localhost") == {"email": "contact_email_valid"}
    assert refused(app, email="王芳@example.org") == {"email": "contact_email_valid"}
    add(app, name="名" * 60, phone="1" * 30)  # at the limits
    add(app, email="no-phone@example.org", phone="")
    assert app.get_unit(TOWNSHIP).contacts and len(app.get_unit(TOWNSHIP).contacts) == 2


def test_one_address_is_one_contact_of_a_unit(app: Laurel) -> None:
    first = add(app)
    assert refused(app, email="WANG.FANG@Example.org") == {"email": "contact_email_unique"}
    add(app, unit=VILLAGE, actor=COUNTY_ADMIN)  # another unit may know the same person
    keep = ChangeContact(unit_id=TOWNSHIP, contact_id=first, **{**WANG, "role": "admin"})
    app.execute(keep, TOWNSHIP_ADMIN)  # its own address is no duplicate
    second = add(app, email="li@example.org")
    with pytest.raises(RuleViolationError) as raised:
        app.execute(ChangeContact(unit_id=TOWNSHIP, contact_id=second, **WANG), TOWNSHIP_DECLARER)
    assert [f.rule for f in raised.value.failures] == ["contact_email_unique"]


def test_a_unit_has_at_most_twenty_contacts(app: Laurel) -> None:
    for n in range(MAX_CONTACTS):
        add(app, email=f"p{n}@example.org")
    with pytest.raises(RuleViolationError) as raised:
        add(app, email="one-more@example.org")
    assert [f.rule for f in raised.value.failures] == ["contacts_per_unit"]


def test_an_unknown_contact_is_not_found(app: Laurel) -> None:
    with pytest.raises(ContactNotFoundError) as raised:
        app.execute(ChangeContact(unit_id=TOWNSHIP, contact_id="ct_none", **WANG), ADMIN)
    assert raised.value.code == "contact-not-found"


def test_an_address_needing_smtputf8_is_refused_plainly(app: Laurel) -> None:
    """A non-ASCII local part needs SMTPUTF8, which the relay may not offer: refused, said
    plainly, the address not echoed back (it is personal data)."""
    with pytest.raises(RuleViolationError) as raised:
        add(app, email="王芳@example.org")
    (failure,) = raised.value.failures
    assert (failure.rule, failure.field) == ("contact_email_valid", "email")
    assert "ASCII" in failure.message_en and "王芳" not in failure.message_en
    add(app, email="wang@例子.中国")  # an internationalised domain is sent as IDNA: fine


# --- refused or failed: no personal data left in the vault ------------------------------------------


def test_refused_adds_and_changes_leave_no_vault_rows(app: Laurel, vault: MemoryContactVault) -> None:
    """Every rule (the unit's limit, a duplicate address, the role, who may) is checked before
    the vault keeps anything."""
    first = add(app)
    for n in range(MAX_CONTACTS - 1):
        add(app, email=f"p{n}@example.org")
    with pytest.raises(RuleViolationError):
        add(app, name="李四", email="li@example.org")  # the limit
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=first), TOWNSHIP_DECLARER)
    with pytest.raises(RuleViolationError):
        add(app, name="李四", email="p0@example.org")  # a duplicate
    with pytest.raises(RuleViolationError):
        add(app, name="李四", email="li@example.org", role="auditor")
    with pytest.raises(OutsideJurisdictionError):
        add(app, TOWNSHIP_DECLARER, name="李四", email="li@example.org", role="admin")
    second = next(iter(app.get_unit(TOWNSHIP).contacts))
    with pytest.raises(RuleViolationError):
        app.execute(
            ChangeContact(unit_id=TOWNSHIP, contact_id=second, **{**WANG, "email": "p1@example.org"}),
            TOWNSHIP_DECLARER,
        )
    refs = {c.details_ref for c in app.get_unit(TOWNSHIP).contacts.values()}
    assert set(vault.kept) == refs and len(refs) == MAX_CONTACTS - 1


class MeddlingVault(MemoryContactVault):
    """Keeps as the memory vault does, but while it keeps, another command changes the unit
    (``meddle`` times): the save that follows conflicts and the command decides again."""

    def __init__(self) -> None:
        super().__init__()
        self.app: Laurel | None = None
        self.meddle = 0

    def keep_contact(self, details: ContactDetails) -> str:
        ref = super().keep_contact(details)
        if self.app is not None and self.meddle > 0:
            self.meddle -= 1
            app, self.app = self.app, None  # the meddler's own keep does not meddle
            add(app, email=f"meddler{self.meddle}@example.org")
            self.app = app
        return ref


def test_what_a_failed_save_kept_is_forgotten(env: dict[str, str]) -> None:
    vault = MeddlingVault()
    app = Laurel(env=env, contact_vault=vault)
    for row in UNIT_TREE[:3]:
        app.execute(RegisterUnit(**row._asdict()), ADMIN)
    vault.app, vault.meddle = app, 1
    add(app)  # conflicts once, decides again, saves
    refs = {c.details_ref for c in app.get_unit(TOWNSHIP).contacts.values()}
    assert len(refs) == 2 and set(vault.kept) == refs  # the first attempt's details are gone

    vault.app, vault.meddle = app, 100  # every attempt conflicts: refused in the end
    with pytest.raises(ConcurrencyConflictError):
        add(app, email="never@example.org")
    refs = {c.details_ref for c in app.get_unit(TOWNSHIP).contacts.values()}
    assert set(vault.kept) == refs and all(d.email != "never@example.org" for d in vault.kept.values())
    app.close()


# --- who manages them ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [ADMIN, COUNTY_ADMIN, TOWNSHIP_ADMIN, TOWNSHIP_DECLARER],
    ids=["root-admin", "ancestor-admin", "own-admin", "own-declarer"],
)
def test_admins_above_and_the_units_own_declarers_manage_its_contacts(app: Laurel, actor: Actor) -> None:
    contact_id = add(app, actor=actor)
    app.execute(
        ChangeContact(unit_id=TOWNSHIP, contact_id=contact_id, **{**WANG, "name": "王芳芳"}), actor
    )
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), actor)


def test_a_declarer_manages_declarer_contacts_only(app: Laurel, vault: MemoryContactVault) -> None:
    """Who reviews or administers a unit is for its admins to say, not its declarers."""
    own = add(app)
    reviewer = add(app, name="李明", email="li@example.org", role="reviewer")
    refusals = [
        AddContact(unit_id=TOWNSHIP, **{**WANG, "email": "new@example.org", "role": "admin"}),
        ChangeContact(unit_id=TOWNSHIP, contact_id=own, **{**WANG, "role": "reviewer"}),
        ChangeContact(unit_id=TOWNSHIP, contact_id=reviewer, **{**WANG, "email": "x@example.org"}),
        RemoveContact(unit_id=TOWNSHIP, contact_id=reviewer),
    ]
    for command in refusals:
        with pytest.raises(OutsideJurisdictionError) as raised:
            app.execute(command, TOWNSHIP_DECLARER)
        assert raised.value.details["rule"] == "contact_role_for_declarers"
    assert {c.role for c in app.get_unit(TOWNSHIP).contacts.values()} == {
        Role.DECLARER,
        Role.REVIEWER,
    }
    assert len(vault.kept) == 2  # nothing kept by a refusal
    app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=reviewer), TOWNSHIP_ADMIN)


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        (OTHER_COUNTY_ADMIN, OutsideJurisdictionError),
        (Actor("tok-qianshuang-admin", Role.ADMIN, VILLAGE), OutsideJurisdictionError),
        (COUNTY_DECLARER, OutsideJurisdictionError),  # a declarer above: not its own unit
        (declarer_of(VILLAGE), OutsideJurisdictionError),
        (OTHER_TOWNSHIP_DECLARER, OutsideJurisdictionError),
        (COUNTY_REVIEWER, RoleNotAllowedError),
        (AUDITOR, RoleNotAllowedError),
    ],
    ids=[
        "other-county-admin",
        "admin-below",
        "declarer-above",
        "declarer-below",
        "sibling",
        "reviewer",
        "auditor",
    ],
)
def test_others_may_not_manage_a_units_contacts(
    app: Laurel, vault: MemoryContactVault, actor: Actor, refusal: type[Exception]
) -> None:
    contact_id = add(app)
    with pytest.raises(refusal):
        add(app, actor=actor, email="other@example.org")
    with pytest.raises(refusal):
        app.execute(ChangeContact(unit_id=TOWNSHIP, contact_id=contact_id, **WANG), actor)
    with pytest.raises(refusal):
        app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), actor)
    assert len(app.get_unit(TOWNSHIP).contacts) == 1 and len(vault.kept) == 1


# --- who reads them -----------------------------------------------------------------------------------


def test_the_admins_of_the_subtree_read_every_contact_with_its_details(app: Laurel) -> None:
    first, second = add(app), add(app, name="李明", email="li@example.org", role="reviewer")
    for reader in (ADMIN, COUNTY_ADMIN, TOWNSHIP_ADMIN):
        rows = app.contacts.contacts(TOWNSHIP, reader)
        assert [(r["id"], r["name"], r["role"]) for r in rows] == [
            (first, "王芳", "declarer"),
            (second, "李明", "reviewer"),
        ]
    assert rows[0]["phone"] == "+86 139-0000-0000" and rows[0]["unit_id"] == TOWNSHIP


@pytest.mark.parametrize(
    "reader",
    [
        TOWNSHIP_DECLARER,
        COUNTY_REVIEWER,
        AUDITOR,
        OTHER_COUNTY_ADMIN,
        Actor("tok-v", Role.ADMIN, VILLAGE),
    ],
    ids=["declarer", "reviewer", "auditor", "other-admin", "admin-below"],
)
def test_nobody_else_reads_them(app: Laurel, reader: Actor) -> None:
    add(app)
    with pytest.raises((OutsideJurisdictionError, RoleNotAllowedError)):
        app.contacts.contacts(TOWNSHIP, reader)


def test_the_sender_reads_the_contacts_of_some_roles(app: Laurel) -> None:
    add(app)
    add(app, name="李明", email="li@example.org", role="reviewer")
    add(app, name="赵强", email="zhao@example.org", role="admin")
    found = app.contacts.contacts_for(TOWNSHIP, [Role.DECLARER, "admin"])
    assert sorted((c.role, d.name) for c, d in found) == [("admin", "赵强"), ("declarer", "王芳")]
    assert app.contacts.contacts_for(VILLAGE, list(Role)) == []
    assert app.contacts.contacts_for("no-such-unit", [Role.ADMIN]) == []


# --- as deployed: the vault is the notification store beside the event store ------------------------


@BACKENDS
def test_the_deployed_vault_keeps_and_erases_the_details(database_url: str) -> None:
    with running_services(database_url) as services:
        app = services.app
        for row in UNIT_TREE[:3]:
            app.execute(RegisterUnit(**row._asdict()), ADMIN)
        contact_id = add(app)
        first = app.get_unit(TOWNSHIP).contacts[contact_id].details_ref
        vault = app.collaborators.contacts()
        assert vault.contact_details(first) is not None
        changed = ChangeContact(
            unit_id=TOWNSHIP, contact_id=contact_id, **{**WANG, "email": "w@example.org"}
        )
        app.execute(changed, TOWNSHIP_DECLARER)
        second = app.get_unit(TOWNSHIP).contacts[contact_id].details_ref
        assert vault.contact_details(first) is None
        assert [c["email"] for c in app.contacts.contacts(TOWNSHIP, COUNTY_ADMIN)] == ["w@example.org"]
        app.execute(RemoveContact(unit_id=TOWNSHIP, contact_id=contact_id), TOWNSHIP_DECLARER)
        assert vault.contact_details(second) is None
