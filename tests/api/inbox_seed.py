"""Notices put in the notification store as its fan-out leaves them (inbox rows, delivered at
once; e-mail rows; a unit's feed), for the tests of what the API and the pages read from it:
those tests do not depend on the rules or the sender (tested on their own)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from infra.notifications.store import Delivery, FeedEntry

_keys = itertools.count(1)


def notice(
    store: Any,
    recipient: str,
    *,
    kind: str = "admitted",
    subject: str = "初审通过 / Passed pre-review",
    body: str = "您的申报已通过初审。\n----\nYour nomination passed pre-review.",
    channel: str = "inbox",
    address: str | None = None,
    status: str = "delivered",
) -> int:
    """One delivery to ``recipient``; its id (the newest row of that recipient and channel)."""
    key = f"test-notice-{next(_keys)}:{kind}"
    store.add(
        [
            Delivery(
                notice_key=key,
                outbox_id=None,
                recipient=recipient,
                channel=channel,
                address=address,
                kind=kind,
                campaign_id="campaign-1",
                subject_id="nomination-1",
                subject=subject,
                body=body,
                status=status,
            )
        ],
        time.time(),
    )
    rows = store.deliveries(channel=channel, limit=1)
    assert rows and rows[0]["notice_key"] == key
    return int(rows[0]["id"])


def feed_entry(store: Any, unit_id: str, *, kind: str = "rejected", subject: str = "初审未通过") -> int:
    """One notice in ``unit_id``'s feed, at the next fan-out position (its id)."""
    position = store.fanout_position()
    entry = FeedEntry(
        outbox_id=position + 1,
        unit_id=unit_id,
        notice_key=f"test-feed-{next(_keys)}:{kind}",
        kind=kind,
        campaign_id="campaign-1",
        subject_id="nomination-1",
        subject=subject,
        body="……",
        occurred_at=time.time(),
    )
    assert store.enqueue(position, position + 1, [], [entry], time.time())
    return position + 1
