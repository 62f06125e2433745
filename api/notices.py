"""What the inbox routes (api/routes/inbox.py) and pages (api/pages/inbox) share (issue 24):
the notification store's read API as they use it, the recipient keys a caller reads notices
as, who reads a unit's feed and the delivery log (an admin's subtree's recipients, which
the store filters), preferences (checked by ``domain.notifications.preferences``), and an address as
the log shows it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

import structlog
from fastapi import Path

from domain.actors import Actor
from domain.application import Laurel
from domain.errors import NotFoundError, OutsideJurisdictionError
from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.notifications.notices import contact_recipient, token_recipient
from domain.notifications.preferences import check_preference
from domain.rules.jurisdiction import require_role, sees_all
from domain.units import Unit
from domain.vocabulary import Role
from infra.bootstrap import Services

log = structlog.get_logger("laurel.pages")


# A notice's id in a path: bounded, so a huge number is a 422, never a database overflow.
NoticeId = Annotated[int, Path(ge=1, le=2**62)]


class NoticeNotFoundError(NotFoundError):
    """No notice by that id in the caller's inbox (another person's is not found either)."""

    code = "notice-not-found"


class InboxStore(Protocol):
    """The notification store (infra/notifications/store.py, ``services.notifications``) as
    the inbox, the feed and the delivery log use it (the API reaches infra only through the
    composition root)."""

    def inbox(
        self,
        recipients: Sequence[str],
        *,
        unread_only: bool = False,
        limit: int = 50,
        before: int | None = None,
    ) -> list[dict[str, Any]]: ...

    def unread_count(self, recipients: Sequence[str]) -> int: ...

    def mark_read(self, recipients: Sequence[str], ids: Sequence[int]) -> int: ...

    def mark_all_read(self, recipients: Sequence[str]) -> int: ...

    def preferences(self, recipient: str) -> dict[str, str]: ...

    def set_preference(self, recipient: str, kind: str, mode: str) -> dict[str, str]: ...

    def feed(self, unit_id: str, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]: ...

    def deliveries(
        self,
        *,
        channel: str | None = "email",
        limit: int = 50,
        before: int | None = None,
        recipients: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]: ...


def notification_store(services: Services) -> InboxStore:
    """The store of inboxes, feeds, preferences and deliveries, beside the event store."""
    return services.notifications


def recipients_of(app: Laurel, actor: Actor) -> list[str]:
    """The recipient keys the actor reads notices as: its contact's when its token carries
    one, else its token's (``ContactReads.recipients_of``)."""
    return app.contacts.recipients_of(actor)


@dataclass(frozen=True, slots=True)
class InboxContext:
    """The caller's inbox: the store and the keys it reads as (the first: the person whose
    preferences are read and set)."""

    store: InboxStore
    recipients: list[str]

    @property
    def person(self) -> str:
        return self.recipients[0]

    def holds(self, notice_id: int) -> bool:
        """Whether notice ``notice_id`` is in this inbox (the newest at or below that id)."""
        rows = self.store.inbox(self.recipients, limit=1, before=notice_id + 1)
        return bool(rows) and int(rows[0]["id"]) == notice_id

    def mark_read(self, notice_id: int) -> int:
        """Marks one notice read: how many were marked (0: read already); not the caller's,
        404 notice-not-found."""
        marked: int = self.store.mark_read(self.recipients, [notice_id])
        if not marked and not self.holds(notice_id):
            raise NoticeNotFoundError(
                f"no notice {notice_id} in your inbox",
                f"您的消息中没有编号为 {notice_id} 的消息",
                notice_id=notice_id,
            )
        return marked

    def unread(self) -> int:
        return int(self.store.unread_count(self.recipients))

    def preferences(self) -> list[dict[str, Any]]:
        """Every kind a person may choose for, with its choice (the store's: immediate when
        none was made; the daily digest is no choice)."""
        chosen: dict[str, str] = self.store.preferences(self.person)
        return [{**kind_labels(kind), "mode": mode} for kind, mode in chosen.items()]

    def set_preference(self, kind: str, mode: str) -> None:
        """Keeps the caller's choice: an unknown kind or mode is 422 ``preference-invalid``,
        muting a mandatory kind 422 ``notice-mandatory``, the digest for a token naming no
        person 422 ``preference-invalid`` (``check_preference``, before the store is touched)."""
        by_mail = self.person.startswith(contact_recipient(""))
        notice_kind, delivery_mode = check_preference(kind, mode, has_address=by_mail)
        self.store.set_preference(self.person, str(notice_kind), str(delivery_mode))


def inbox_of(services: Services, actor: Actor) -> InboxContext:
    return InboxContext(notification_store(services), recipients_of(services.app, actor))


def unread_of(services: Services, actor: Actor) -> int | None:
    """The actor's unread count for the navigation badge; None when the store cannot answer
    (a page never fails for its badge; the failure is logged)."""
    try:
        return int(notification_store(services).unread_count(recipients_of(services.app, actor)))
    except Exception:  # the badge is a courtesy: the page renders without it
        log.warning("unread count unavailable", exc_info=True)
        return None


def kind_labels(code: str) -> dict[str, Any]:
    try:
        kind = NoticeKind(code)
    except ValueError:  # a kind this version does not know (a newer sender's row)
        return {"kind": code, "kind_zh": code, "kind_en": code, "mandatory": False}
    return {"kind": code, "kind_zh": kind.zh, "kind_en": kind.en, "mandatory": kind in MANDATORY}


def require_feed_reader(app: Laurel, actor: Actor, unit_id: str) -> Unit:
    """A unit's feed: its own tokens, and the admins of it or of a unit above it (an admin
    without a unit: every unit's)."""
    unit = app.get_unit(unit_id)
    require_role(actor, "read")
    own = actor.unit_id == unit.code
    admin_above = actor.role == Role.ADMIN and (actor.unit_id is None or unit.is_within(actor.unit_id))
    if not (own or admin_above or actor.role == Role.SYSTEM):
        raise OutsideJurisdictionError(
            f"the feed of '{unit.code}' is for its own tokens and the admins above it",
            f"「{unit.name_zh or unit.code}」的消息动态仅本单位令牌及上级管理员可查看",
            action="read_feed",
            unit=unit.code,
        )
    return unit


def delivery_recipients(app: Laurel, actor: Actor) -> list[str] | None:
    """The recipient keys whose deliveries an admin reads: the contacts and tokens of its
    subtree (None: every one, for an admin without a unit)."""
    require_role(actor, "manage_units")
    if sees_all(actor):
        return None
    assert actor.unit_id is not None
    keys: list[str] = []
    for unit in app.queries.units_in_subtree(actor.unit_id):
        keys += [contact_recipient(c) for c in getattr(unit, "contacts", {})]
    keys += [token_recipient(t["id"]) for t in app.access.list_tokens(actor)]
    return keys


def delivery_log(
    services: Services, actor: Actor, *, channel: str | None, limit: int, before: int | None
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of the delivery log as ``actor`` may read it (newest first) and the ``before``
    of the next page: an admin of a unit reads the deliveries to its subtree's recipients
    (the store filters them)."""
    recipients = delivery_recipients(services.app, actor)
    store = notification_store(services)
    rows = store.deliveries(channel=channel, limit=limit, before=before, recipients=recipients)
    return rows, next_before(rows, limit)


def instant(seconds: Any) -> datetime | None:
    """A store's instant (unix seconds, or already a datetime) as a datetime."""
    if seconds is None:
        return None
    if isinstance(seconds, datetime):
        return seconds if seconds.tzinfo else seconds.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(seconds), UTC)


def next_before(rows: Sequence[Mapping[str, Any]], limit: int) -> int | None:
    """The ``before`` of the next (older) page: the last row's id when the page was full."""
    return int(rows[-1]["id"]) if rows and len(rows) == limit else None
