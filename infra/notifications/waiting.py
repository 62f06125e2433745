"""What waits for reviewers and inspectors, for the daily digest: per campaign whose pre-review
or inspection step is open now, the nominations still waiting on it, counted for the
contacts of the organiser unit (those of the levels it kept: a level delegated is the
delegate's) and of a unit the campaign delegated levels to (the nominees of those levels) —
the desks of the work queues (api/pages/work_queues.py) seen from the organiser's and the
delegates' side. Tokens have no e-mail: they see their queues in the work pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from domain.errors import DomainError
from domain.notifications.notices import contact_recipient
from domain.notifications.waiting_steps import QUEUE_DESKS


class WorkWaiting:
    """Read once per digest run: ``recipients()`` the people something waits for, and
    ``__call__(recipient)`` their lines (``label_zh``, ``label_en``, ``count``)."""

    def __init__(self, app: Any, clock: Callable[[], datetime]) -> None:
        self.app, self.clock = app, clock
        self._lines: dict[str, list[dict[str, Any]]] | None = None
        self._units: dict[str, str] = {}

    def lines(self) -> dict[str, list[dict[str, Any]]]:
        if self._lines is None:
            found: dict[str, list[dict[str, Any]]] = {}
            now = self.clock()
            for entry in self.app.list_campaigns():
                try:
                    self._campaign(self.app.get_campaign(entry["campaign_id"]), now, found)
                except DomainError:  # gone or unreadable meanwhile: nothing waits there
                    continue
            self._lines = found
        return self._lines

    def _campaign(self, campaign: Any, now: datetime, found: dict[str, list[dict[str, Any]]]) -> None:
        for desk in QUEUE_DESKS:
            step, role, states = desk.step, desk.roles[0], desk.waiting
            zh, en = desk.label_zh, desk.label_en
            try:
                campaign.require_step_open(step, now)
            except (DomainError, KeyError, ValueError):
                continue
            waiting, _ = self.app.queries.nomination_page(campaign.id, states=[str(s) for s in states])
            if not waiting:
                continue
            delegated: dict[str, set[str]] = {}  # a unit may act for several levels
            for level, code in campaign.delegates.items():
                delegated.setdefault(code, set()).add(str(level))
            leveled = [(self._level(n), n) for n in waiting]
            kept = [n for level, n in leveled if level not in campaign.delegates]
            desks: list[tuple[str, Sequence[Any]]] = [
                (campaign.organiser_unit_id, kept),
                *(
                    (code, [n for level, n in leveled if level in mine])
                    for code, mine in delegated.items()
                ),
            ]
            for unit_id, nominations in desks:
                if not nominations:
                    continue
                label = f"{campaign.name_zh}：{zh}", f"{campaign.name_en}: {en}"
                for contact, details in self.app.contacts.contacts_for(unit_id, (role,)):
                    if not details.email:
                        continue
                    recipient = contact_recipient(contact.contact_id)
                    self._units[recipient] = unit_id
                    found.setdefault(recipient, []).append(
                        {"label_zh": label[0], "label_en": label[1], "count": len(nominations)}
                    )

    def _level(self, nomination: Any) -> str:
        try:
            return str(self.app.get_unit(nomination.nominee.unit_id).level)
        except DomainError:
            return ""

    def recipients(self) -> list[str]:
        return list(self.lines())

    def unit_of(self, recipient: str) -> str | None:
        """The unit of a contact something waits for (its address is looked up when sent)."""
        self.lines()
        return self._units.get(recipient)

    def __call__(self, recipient: str) -> list[dict[str, Any]]:
        return self.lines().get(recipient, [])
