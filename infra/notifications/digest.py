"""The daily digest: once a day, from LAUREL_NOTIFY_DIGEST_HOUR in the campaigns' zone
(Asia/Shanghai), one e-mail per recipient listing the day's notices it chose to receive in
the digest, and what waits for it (reviewers and inspectors: ``waiting.WorkWaiting``). Its key is
``digest:<YYYY-MM-DD>``, unique per recipient, so a restart never sends two; a recipient with
nothing to read gets nothing. The text is ``rendering.render_digest``'s, each notice rendered
again from its outbox facts; the address is looked up when it is sent, as for any e-mail."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import structlog
from jinja2 import TemplateError

from domain.notifications.kinds import Channel, NoticeKind
from domain.notifications.notices import Notice
from domain.notifications.rendering import TemplatesInvalidError, render_digest
from infra.notifications.store import Delivery, NotificationStore
from infra.roster_store import outbox_of

log = structlog.get_logger("laurel.notifications")
ZONE = ZoneInfo("Asia/Shanghai")


class Waiting(Protocol):
    """What waits for people (``WorkWaiting``), read once per digest run."""

    def recipients(self) -> list[str]: ...

    def unit_of(self, recipient: str) -> str | None: ...

    def __call__(self, recipient: str) -> Sequence[Mapping[str, Any]]: ...


def digest_key(day: str) -> str:
    return f"digest:{day}"


class Digest:
    def __init__(
        self,
        app: Any,
        store: NotificationStore,
        *,
        public_url: str | None,
        hour: int,
        clock: Callable[[], datetime],
        facts: Callable[[Notice], dict[str, Any]] = lambda notice: dict(notice.facts),
        waiting: Callable[[], Waiting] | None = None,
    ) -> None:
        self.app, self.store, self.hour, self.clock = app, store, hour, clock
        self.links = {"base": public_url} if public_url else {}
        self.facts, self.waiting = facts, waiting
        self._done: str | None = None  # the last day this process queued every digest

    def run_once(self) -> int:
        """The digests of today once its hour has come; how many it queued."""
        local = self.clock().astimezone(ZONE)
        day = local.date().isoformat()
        if local.hour < self.hour or self._done == day:
            return 0
        waiting = self.waiting() if self.waiting else None
        recipients = dict.fromkeys(self.store.digest_recipients())
        recipients.update(dict.fromkeys(waiting.recipients() if waiting else []))
        queued = 0
        for recipient in recipients:
            try:
                queued += self.queue(recipient, day, waiting)
            except (TemplateError, TemplatesInvalidError):  # the same tomorrow: this one waits
                log.exception("daily digest not rendered", recipient=recipient, day=day)
        self._done = day
        if queued:
            log.info("daily digests queued", day=day, digests=queued)
        return queued

    def items(self, held: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """``render_digest``'s items of the held e-mails: their notices' kinds and facts."""
        outbox = outbox_of(self.app.recorder)
        items = []
        for row in held:
            found = outbox.select_outbox(int(row["outbox_id"]) - 1, 1) if row["outbox_id"] else []
            if found and found[0][0] == int(row["outbox_id"]):
                notice = found[0][1]
                items.append({"kind": str(notice.kind), "facts": self.facts(notice)})
        return items

    def queue(self, recipient: str, day: str, work: Waiting | None = None) -> int:
        held = self.store.waiting_digest(recipient)
        unit_id = next((r["unit_id"] for r in reversed(held) if r["unit_id"]), None)
        if unit_id is None and work is not None:
            unit_id = work.unit_of(recipient)
        waiting = [dict(w) for w in work(recipient)] if work is not None else []
        if unit_id is None or not (held or waiting):
            return 0
        if self.store.has_delivery(digest_key(day), recipient, str(Channel.EMAIL)):
            return 0  # sent today already (the key is unique anyway: this spares the rendering)
        rendered = render_digest(self.items(held), links=self.links, day=day, waiting=waiting)
        digest = Delivery(
            digest_key(day),
            None,
            recipient,
            str(Channel.EMAIL),
            None,  # looked up when sent
            str(NoticeKind.DAILY_DIGEST),
            None,
            None,
            rendered.subject,
            rendered.text,
            "pending",
            unit_id,
        )
        now = self.clock().timestamp()
        return int(self.store.send_digest(digest, [int(r["id"]) for r in held], now))
