"""The fan-out: outbox notices -> deliveries (inbox rows, e-mails) and unit feed entries.

A notice names units and roles; here they become people as they stand now: the unit's
contacts with those roles (inbox + e-mail), its valid tokens with those roles that carry no
contact (inbox only), and the members of the named inspection teams. Preferences apply
(muted: nothing unless the kind is mandatory; digest: the e-mail waits for the daily digest).
The rows of a batch and the position's move are one transaction; (notice, recipient, channel)
is unique, so doing a batch again inserts nothing. An e-mail row names the contact and its
unit, not the address: the sender looks the address up when it sends.

A failure reading what a notice needs (the database, the event store) fails the whole batch:
the position stays and the batch is done again next round. A notice whose template does not
render (a deterministic failure: an operator's template naming a fact the rule does not give)
is set aside, visibly: a ``failed`` record (channel inbox, recipient ``fanout``, the error as
body) that ``laurel notify log --status failed`` lists and ``laurel notify retry`` redoes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from jinja2 import TemplateError

from domain.access import AccessToken
from domain.application import Laurel
from domain.errors import NotFoundError
from domain.notifications.kinds import Channel, DeliveryMode
from domain.notifications.notices import Notice, contact_recipient, token_recipient
from domain.notifications.rendering import TemplatesInvalidError, render
from domain.vocabulary import Role
from infra.notifications.store import FANOUT_FAILED, Delivery, FeedEntry, NotificationStore
from infra.roster_store import outbox_of

log = structlog.get_logger("laurel.notifications")


class RenderFailedError(Exception):
    """A notice's template does not render with its facts (the same next time)."""


@dataclass(frozen=True)
class Person:
    """One recipient: its key, whether it has an e-mail address (a contact with one) and,
    for a contact, its unit (where the sender looks the address up)."""

    recipient: str
    email: str | None = None
    unit_id: str | None = None


class Fanout:
    def __init__(
        self,
        app: Laurel,
        store: NotificationStore,
        *,
        email: bool,
        public_url: str | None = None,
        clock: Callable[[], datetime],
        batch_size: int = 200,
    ) -> None:
        self.app, self.store, self.email = app, store, email
        self.links = {"base": public_url} if public_url else {}
        self.clock, self.batch_size = clock, batch_size

    def run_once(self) -> int:
        """Fans out the next batch; how many notices it read (0: none waiting)."""
        position = self.store.fanout_position()
        batch = outbox_of(self.app.recorder).select_outbox(position, self.batch_size)
        if not batch:
            return 0
        deliveries: list[Delivery] = []
        feed: list[FeedEntry] = []
        people = People(self.app, self.clock())
        for outbox_id, notice in batch:
            try:
                d, f = self.deliveries(outbox_id, notice, people)
            except RenderFailedError as exc:  # deterministic: set aside, visibly
                log.error("notice set aside: its template fails", notice=notice.key, error=str(exc))
                d, f = [self.failure(outbox_id, notice, exc)], []
            deliveries += d
            feed += f
        now = self.clock().timestamp()
        if self.store.enqueue(position, batch[-1][0], deliveries, feed, now):
            log.info("notices fanned out", after=position, to=batch[-1][0], deliveries=len(deliveries))
        return len(batch)

    def failure(self, outbox_id: int, notice: Notice, exc: Exception) -> Delivery:
        """The record of a notice set aside (``store.FANOUT_FAILED``)."""
        return Delivery(
            notice.key,
            outbox_id,
            FANOUT_FAILED,
            str(Channel.INBOX),
            None,
            str(notice.kind),
            notice.campaign_id,
            notice.subject_id,
            f"fan-out failed: {notice.kind}",
            str(exc)[:2000],
            "failed",
        )

    def redo(self, failed: Mapping[str, Any]) -> bool:
        """A set-aside notice (its failure record) fanned out again, once its template is
        fixed; raises RenderFailedError while it still fails."""
        outbox_id = int(failed["outbox_id"])
        found = outbox_of(self.app.recorder).select_outbox(outbox_id - 1, 1)
        if not found or found[0][0] != outbox_id:
            return False
        deliveries, feed = self.deliveries(outbox_id, found[0][1], People(self.app, self.clock()))
        return self.store.redo_fanout(int(failed["id"]), deliveries, feed, self.clock().timestamp())

    def facts(self, notice: Notice) -> dict[str, Any]:
        """The notice's facts completed with the campaign's and units' names."""
        facts = dict(notice.facts)
        if notice.campaign_id:
            try:
                campaign = self.app.get_campaign(notice.campaign_id)
            except NotFoundError:
                campaign = None
            if campaign is not None:
                facts.setdefault("campaign_name_zh", campaign.name_zh)
                facts.setdefault("campaign_name_en", campaign.name_en)
                facts.setdefault("campaign_year", campaign.year)
                facts.setdefault("timezone", campaign.timezone)  # when_zh/_en show its local time
                category = next(
                    (c for c in campaign.categories if c.code == facts.get("category")), None
                )
                if category is not None:
                    facts.setdefault("category_name_zh", category.name_zh)
                    facts.setdefault("category_name_en", category.name_en)
        names = dict(facts.get("unit_names") or {})
        for code in unit_codes(facts, notice):
            if code not in names:
                try:
                    unit = self.app.get_unit(code)
                except (NotFoundError, ValueError):
                    continue
                names[code] = {"zh": unit.name_zh, "en": unit.name}
        facts["unit_names"] = names
        return facts

    def deliveries(
        self, outbox_id: int, notice: Notice, people: People
    ) -> tuple[list[Delivery], list[FeedEntry]]:
        facts = self.facts(notice)
        try:
            rendered = render(notice.kind, facts, links=self.links)
        except (TemplateError, TemplatesInvalidError) as exc:
            raise RenderFailedError(f"{type(exc).__name__}: {exc}") from exc
        subject, body = str(rendered.subject), str(rendered.text)
        recipients: dict[str, Person] = {}
        for audience in notice.audience:
            for person in people.of_unit(audience.unit_id, audience.roles):
                recipients.setdefault(person.recipient, person)
        for person in people.of_teams(notice.campaign_id, notice.teams):
            recipients.setdefault(person.recipient, person)
        modes = self.store.modes(list(recipients))
        kind = str(notice.kind)

        def row(person: Person, channel: Channel, status: str) -> Delivery:
            return Delivery(
                notice.key,
                outbox_id,
                person.recipient,
                str(channel),
                None,  # an e-mail's address is looked up when it is sent
                kind,
                notice.campaign_id,
                notice.subject_id,
                subject,
                body,
                status,
                person.unit_id if channel == Channel.EMAIL else None,
            )

        rows = []
        for person in recipients.values():
            mode = modes.get((person.recipient, kind), str(DeliveryMode.IMMEDIATE))
            if mode == DeliveryMode.MUTED and not notice.mandatory:
                continue
            rows.append(row(person, Channel.INBOX, "delivered"))
            if self.email and person.email:
                status = "digest" if mode == DeliveryMode.DIGEST else "pending"
                rows.append(row(person, Channel.EMAIL, status))
        occurred = notice.occurred_at.timestamp()
        feed = [
            FeedEntry(
                outbox_id,
                unit_id,
                notice.key,
                kind,
                notice.campaign_id,
                notice.subject_id,
                subject,
                body,
                occurred,
            )
            for unit_id in dict.fromkeys(a.unit_id for a in notice.audience)
        ]
        return rows, feed


def unit_codes(facts: Mapping[str, Any], notice: Notice) -> list[str]:
    """The unit codes a notice's text may name (facts ``*unit_id`` and ``units``, audiences)."""
    found: list[str] = [a.unit_id for a in notice.audience]
    for key, value in facts.items():
        if key.endswith("unit_id") and isinstance(value, str):
            found.append(value)
        elif key in ("units", "unit_ids") and isinstance(value, list):
            found += [v for v in value if isinstance(v, str)]
    notified = facts.get("notified")
    if isinstance(notified, list):
        for entry in notified:
            if isinstance(entry, Mapping):
                found += [str(entry.get("unit_id") or "")] + [
                    u for u in entry.get("units") or [] if isinstance(u, str)
                ]
    return [c for c in dict.fromkeys(found) if c]


class People:
    """Who holds which role in a unit, read once per batch."""

    def __init__(self, app: Laurel, now: datetime) -> None:
        self.app, self.now = app, now
        self._tokens: dict[str, list[AccessToken]] | None = None

    def tokens(self) -> dict[str, list[AccessToken]]:
        """The valid tokens per unit."""
        if self._tokens is None:
            self._tokens = {}
            load = self.app.load
            for entry in load.token_directory(self.now).entries.values():
                token = load.find(entry["uuid"], AccessToken, for_update=False)
                if token is not None and token.valid_at(self.now) and token.unit_id:
                    self._tokens.setdefault(token.unit_id, []).append(token)
        return self._tokens

    def of_unit(self, unit_id: str, roles: Sequence[Role]) -> Iterable[Person]:
        for contact, details in self.app.contacts.contacts_for(unit_id, tuple(roles)):
            yield Person(contact_recipient(contact.contact_id), details.email or None, unit_id)
        for token in self.tokens().get(unit_id, []):
            # A token carrying a person is reached through that contact (of the same role).
            if token.role in roles and self.app.contacts.recipient_of(token)[1] is None:
                yield Person(token_recipient(token.token_id))

    def of_token(self, token: AccessToken) -> Person:
        """A team member: the person its token carries (its e-mail), else the token."""
        key, contact = self.app.contacts.recipient_of(token)
        if contact is None:
            return Person(key)
        details = self.app.contacts.details_of(contact)
        return Person(key, details.email if details else None, contact.unit_id)

    def of_teams(self, campaign_id: str | None, team_ids: Sequence[str]) -> Iterable[Person]:
        if not team_ids or not campaign_id:
            return
        campaign = self.app.get_campaign(campaign_id)
        members = {
            m["token_id"]
            for t in campaign.teams
            if t["id"] in team_ids
            for m in t["members"]
            if m.get("token_id")
        }
        for tokens in self.tokens().values():
            for token in tokens:
                if token.token_id in members:
                    yield self.of_token(token)
