"""Organisational units: city/prefecture > county > township/street > village/community,
with agencies (机关) under a county. In a county-level city (seed 000) townships sit straight
under the city; some townships keep a management district (管理区, seed 002) above their
villages. Each unit knows its ancestors, so "is X within Y's jurisdiction" is answered from X
alone, and its children, so a subtree can be walked. Units are renamed and moved by events
with actor and reason; a move rewrites the ancestors of every unit in the moved subtree.

A unit also keeps its contacts (issue 24): the people its notices reach. Its events hold a
contact's id, role and vault reference only; the name, e-mail and phone are in the contact
vault (``domain/contacts.py``), so nothing personal is ever in the event store."""

from __future__ import annotations

import re
from typing import Any

from email_validator import EmailNotValidError, validate_email
from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.contacts import Contact, ContactDetails
from domain.errors import InvalidUnitError, NotFoundError, RuleFailure, RuleViolationError
from domain.ids import unit_uuid
from domain.vocabulary import Level, Role

__all__ = [  # Level: some callers still import it from here
    "CONTACT_ROLES",
    "MAX_CONTACTS",
    "PARENT_LEVELS",
    "ContactInvalidError",
    "ContactNotFoundError",
    "Level",
    "Unit",
    "contact_details_failures",
    "contact_role_failures",
    "contacts_limit_failures",
    "parent_level_failures",
    "reason_failures",
    "unit_name_failures",
    "unit_placement_failures",
]


# Which level a unit's parent may have.
PARENT_LEVELS: dict[Level, tuple[Level | None, ...]] = {
    Level.CITY: (None,),
    Level.COUNTY: (Level.CITY,),
    Level.TOWNSHIP: (
        Level.COUNTY,
        Level.CITY,
    ),  # a county-level city's towns report to the city (seed 000)
    Level.MANAGEMENT_DISTRICT: (Level.TOWNSHIP,),
    Level.VILLAGE: (Level.TOWNSHIP, Level.MANAGEMENT_DISTRICT),
    Level.AGENCY: (Level.COUNTY,),
}


def unit_name_failures(name: str, name_zh: str) -> list[RuleFailure]:
    if not (name or "").strip() and not (name_zh or "").strip():
        return [RuleFailure("unit_name_required", "a unit needs a name", "单位须有名称", "name")]
    return []


def unit_placement_failures(
    code: str, level: Level | str, parent: Unit | None, name: str, name_zh: str
) -> list[RuleFailure]:
    """Every reason a unit cannot be registered under ``parent``."""
    failures: list[RuleFailure] = []
    if not code or not code.strip() or len(code) > 64:
        failures.append(
            RuleFailure(
                "unit_id_format", "unit id must be 1-64 characters", "单位编号须为 1-64 个字符", "id"
            )
        )
    failures += unit_name_failures(name, name_zh)
    failures += parent_level_failures(level, parent)
    return failures


def parent_level_failures(level: Level | str, parent: Unit | None) -> list[RuleFailure]:
    """Why a unit of ``level`` cannot sit under ``parent`` (empty: it can)."""
    term = Level.parse(level)
    if term is None:
        return [
            RuleFailure(
                "unit_level_known",
                f"unknown level {level!r}",
                f"未知层级 {level!r}",
                "level",
                Level.codes(),
                level,
            )
        ]
    parent_level = parent.level if parent else None
    allowed = PARENT_LEVELS[term]
    if parent_level in allowed:
        return []
    return [
        RuleFailure(
            "unit_parent_level",
            f"a {term} must sit under {' or '.join(p or 'nothing (root)' for p in allowed)}",
            f"{term.zh} 的上级须为 {'或'.join(p.zh if p else '无（根）' for p in allowed)}",
            "parent_id",
            [str(p) if p else None for p in allowed],
            parent_level,
        )
    ]


def reason_failures(reason: str) -> list[RuleFailure]:
    if not (reason or "").strip():
        return [RuleFailure("reason_required", "a reason is required", "须说明理由", "reason")]
    return []


# --- contacts (issue 24) -------------------------------------------------------------------

CONTACT_ROLES = (Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR)
MAX_CONTACTS = 20  # per unit
NAME_MAX, EMAIL_MAX, PHONE_MAX = 60, 254, 30
PHONE = re.compile(r"[0-9+\- ]*")


class ContactInvalidError(RuleViolationError):
    code = "contact-invalid"


class ContactNotFoundError(NotFoundError):
    code = "contact-not-found"


def contact_role_failures(role: str) -> list[RuleFailure]:
    if Role.parse(role) in CONTACT_ROLES:
        return []
    return [
        RuleFailure(
            "contact_role_known",
            f"a contact's role is one of {', '.join(CONTACT_ROLES)}",
            f"联系人角色须为{'、'.join(r.zh for r in CONTACT_ROLES)}之一",
            "role",
            [str(r) for r in CONTACT_ROLES],
            role,
        )
    ]


def _email_reason(refused: EmailNotValidError) -> str:
    """The library's reason, said plainly for the part sending mail depends on."""
    text = str(refused)
    if "SMTPUTF8" in text or "internationalized" in text.lower():
        return (
            "the part before the @ must be ASCII (letters, digits, . _ + -): mail to other "
            "characters needs SMTPUTF8, which relays do not all offer"
        )
    return text


def contacts_limit_failures(count: int) -> list[RuleFailure]:
    """A unit holding ``count`` contacts may take one more."""
    if count < MAX_CONTACTS:
        return []
    return [
        RuleFailure(
            "contacts_per_unit",
            f"a unit has at most {MAX_CONTACTS} contacts",
            f"每个单位最多 {MAX_CONTACTS} 名联系人",
            None,
            MAX_CONTACTS,
            count,
        )
    ]


def contact_details_failures(
    name: str, email: str, phone: str
) -> tuple[list[RuleFailure], ContactDetails]:
    """Why these details cannot be kept (empty: they can), and the details as kept: trimmed,
    the e-mail's domain in its normal form (no DNS lookup: an address may be internal)."""
    failures: list[RuleFailure] = []
    name, email, phone = (name or "").strip(), (email or "").strip(), (phone or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        failures.append(
            RuleFailure(
                "contact_name_length",
                f"a contact's name is 1-{NAME_MAX} characters",
                f"联系人姓名须为 1-{NAME_MAX} 个字符",
                "name",
                NAME_MAX,
                len(name),
            )
        )
    if len(email) > EMAIL_MAX:
        failures.append(
            RuleFailure(
                "contact_email_length",
                f"an e-mail address is at most {EMAIL_MAX} characters",
                f"电子邮箱地址最多 {EMAIL_MAX} 个字符",
                "email",
                EMAIL_MAX,
                len(email),
            )
        )
    else:
        try:
            # No SMTPUTF8: a relay without it cannot deliver to a non-ASCII local part.
            email = validate_email(email, check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError as refused:
            failures.append(
                RuleFailure(
                    "contact_email_valid",
                    f"not a valid e-mail address: {_email_reason(refused)}",
                    "电子邮箱地址格式不正确（@ 前须为英文字母、数字或常用符号）",
                    "email",  # not echoed back: personal data stays out of answers and logs
                )
            )
    if len(phone) > PHONE_MAX or not PHONE.fullmatch(phone):
        failures.append(
            RuleFailure(
                "contact_phone_format",
                f"a phone number is at most {PHONE_MAX} digits, '+', '-' or spaces",
                f"电话号码最多 {PHONE_MAX} 个字符，仅限数字、「+」「-」和空格",
                "phone",
            )
        )
    return failures, ContactDetails(name=name, email=email, phone=phone)


class Unit(Aggregate):
    """A unit holds its level as a term behind ``level``: a snapshot gives back the stored code."""

    # version-1 snapshots: ``registered_by`` a dict, the level as ``level``; version 2: no contacts
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        upcast_actor(state, "registered_by")
        state["_level"] = state.pop("level")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["_contacts"] = {}

    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Registered(Event, Aggregate.Created):
        code: str
        name: str
        name_zh: str
        level: Level
        parent_code: str | None
        path: list[str]
        actor: Actor

    class ChildAdded(Event):
        child_code: str
        child_level: Level
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.children[self.child_code] = self.child_level

    class ChildRemoved(Event):
        """The child moved under another parent."""

        child_code: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.children.pop(self.child_code, None)

    class Renamed(Event):
        code: str
        name: str
        name_zh: str
        previous_name: str
        previous_name_zh: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.name, aggregate.name_zh = self.name, self.name_zh

    class Moved(Event):
        """The unit (``moved == code``) or an ancestor of it (``moved``) now sits under another
        parent: ``path`` is the unit's new list of ancestors."""

        code: str
        moved: str
        parent_code: str | None
        path: list[str]
        previous_path: list[str]
        reason: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate.path = list(self.path)
            aggregate.parent_code = self.path[-1] if self.path else None

    class ContactAdded(Event):
        """A contact's personal data is in the vault under ``details_ref``, never here."""

        zh, en = "新增联系人", "Contact added"

        contact_id: str
        role: Role
        details_ref: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate._contacts[self.contact_id] = {
                "role": str(self.role),
                "details_ref": self.details_ref,
            }

    class ContactChanged(ContactAdded):
        """New details are kept under a new ``details_ref`` (the previous one is erased); the
        same fields as ``ContactAdded``, applied alike."""

        zh, en = "修改联系人", "Contact changed"

    class ContactRemoved(Event):
        """Its details are erased from the vault; its id stays in the unit's history."""

        zh, en = "删除联系人", "Contact removed"

        contact_id: str
        actor: Actor

        def apply(self, aggregate: Unit) -> None:
            aggregate._contacts.pop(self.contact_id, None)

    def __init__(
        self,
        code: str,
        name: str,
        name_zh: str,
        level: Level,
        parent_code: str | None,
        path: list[str],
        actor: Actor,
    ) -> None:
        self.code = code
        self.name = name
        self.name_zh = name_zh
        self._level = Level(level)
        self.parent_code = parent_code
        self.path = list(path)  # ancestor codes, root first
        self.children: dict[str, str] = {}  # child code -> its level's code
        self.registered_by = actor
        self._contacts: dict[str, dict[str, str]] = {}  # contact id -> its role and details_ref

    @property
    def level(self) -> Level:
        return Level(self._level)

    @classmethod
    def register(
        cls,
        code: str,
        name: str,
        name_zh: str,
        level: Level | str,
        parent: Unit | None,
        actor: Actor,
        at: Any = None,
    ) -> Unit:
        failures = unit_placement_failures(code, level, parent, name, name_zh)
        if failures:
            raise InvalidUnitError(failures)
        level = Level(level)
        path = [*parent.path, parent.code] if parent else []
        unit = cls._create(
            cls.Registered,
            id=unit_uuid(code),
            timestamp=at,
            code=code,
            name=name,
            name_zh=name_zh,
            level=level,
            parent_code=parent.code if parent else None,
            path=path,
            actor=actor,
        )
        if parent is not None:
            parent.trigger_event(
                Unit.ChildAdded, timestamp=at, child_code=code, child_level=level, actor=actor
            )
        return unit

    def rename(self, name: str, name_zh: str, reason: str, actor: Actor, at: Any) -> bool:
        """False when the names are what they were (nothing to record)."""
        failures = unit_name_failures(name, name_zh) + reason_failures(reason)
        if failures:
            raise InvalidUnitError(failures)
        if (name, name_zh) == (self.name, self.name_zh):
            return False
        self.trigger_event(
            self.Renamed,
            timestamp=at,
            code=self.code,
            name=name,
            name_zh=name_zh,
            previous_name=self.name,
            previous_name_zh=self.name_zh,
            reason=reason,
            actor=actor,
        )
        return True

    def move_under(
        self,
        parent: Unit,
        old_parent: Unit | None,
        descendants: list[Unit],
        reason: str,
        actor: Actor,
        at: Any,
    ) -> None:
        """This unit and ``descendants`` (its whole subtree) now under ``parent``."""
        failures = parent_level_failures(self.level, parent) + reason_failures(reason)
        if parent.is_within(self.code):
            failures.append(
                RuleFailure(
                    "unit_move_not_into_itself",
                    "a unit cannot move into its own subtree",
                    "单位不能移入其自身的下级",
                    "parent_id",
                    None,
                    parent.code,
                )
            )
        if failures:
            raise InvalidUnitError(failures)
        new_path = [*parent.path, parent.code]
        for unit in [self, *descendants]:
            # A descendant keeps the part of its path below this unit.
            below = unit.path[unit.path.index(self.code) :] if unit is not self else []
            unit.trigger_event(
                Unit.Moved,
                timestamp=at,
                code=unit.code,
                moved=self.code,
                parent_code=parent.code,
                path=[*new_path, *below],
                previous_path=list(unit.path),
                reason=reason,
                actor=actor,
            )
        if old_parent is not None:
            old_parent.trigger_event(
                Unit.ChildRemoved, timestamp=at, child_code=self.code, reason=reason, actor=actor
            )
        parent.trigger_event(
            Unit.ChildAdded, timestamp=at, child_code=self.code, child_level=self.level, actor=actor
        )

    # --- contacts --------------------------------------------------------------------------

    @property
    def contacts(self) -> dict[str, Contact]:
        """The unit's contacts by id (a fresh dict: changing it changes nothing)."""
        return {
            contact_id: Contact(contact_id, self.code, Role(c["role"]), c["details_ref"])
            for contact_id, c in self._contacts.items()
        }

    def contact(self, contact_id: str) -> Contact:
        found = self.contacts.get(contact_id)
        if found is None:
            raise ContactNotFoundError(
                f"no contact '{contact_id}' in unit '{self.code}'",
                f"单位「{self.name_zh or self.code}」没有联系人「{contact_id}」",
                contact=contact_id,
                unit=self.code,
            )
        return found

    def add_contact(
        self, contact_id: str, role: Role | str, details_ref: str, actor: Actor, at: Any
    ) -> None:
        failures = contact_role_failures(role) + contacts_limit_failures(len(self._contacts))
        if failures:
            raise ContactInvalidError(failures)
        self.trigger_event(
            self.ContactAdded,
            timestamp=at,
            contact_id=contact_id,
            role=Role(role),
            details_ref=details_ref,
            actor=actor,
        )

    def change_contact(
        self, contact_id: str, role: Role | str, details_ref: str, actor: Actor, at: Any
    ) -> Contact:
        """The contact as it was (its ``details_ref`` is the one to erase)."""
        previous = self.contact(contact_id)
        failures = contact_role_failures(role)
        if failures:
            raise ContactInvalidError(failures)
        self.trigger_event(
            self.ContactChanged,
            timestamp=at,
            contact_id=contact_id,
            role=Role(role),
            details_ref=details_ref,
            actor=actor,
        )
        return previous

    def remove_contact(self, contact_id: str, actor: Actor, at: Any) -> Contact:
        """The contact removed (its ``details_ref`` is the one to erase)."""
        removed = self.contact(contact_id)
        self.trigger_event(self.ContactRemoved, timestamp=at, contact_id=contact_id, actor=actor)
        return removed

    def is_within(self, ancestor_code: str) -> bool:
        """True when this unit is ``ancestor_code`` or lies in its subtree (its jurisdiction)."""
        return ancestor_code == self.code or ancestor_code in self.path

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.code,
            "name": self.name,
            "name_zh": self.name_zh,
            "level": self.level,
            "parent_id": self.parent_code,
            "path": list(self.path),
            "children": sorted(self.children),
        }
