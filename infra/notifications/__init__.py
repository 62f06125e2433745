"""Notifications to people (issue 24): the store beside the event store (contact vault,
preferences, inbox, feed, e-mail queue and its log), the fan-out of the outbox, the SMTP
mailer, the daily digest and the sender process that runs them (``laurel notify send``)."""

from __future__ import annotations

from typing import Any

from infra.notifications.store import NotificationStore, mask
from infra.webhooks.db import open_db

__all__ = ["NotificationStore", "mask", "open_notification_store"]


def open_notification_store(app: Any) -> NotificationStore:
    """The notification store of ``app``'s event store (its own connection on SQLite)."""
    return NotificationStore(open_db(app))
