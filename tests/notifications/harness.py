"""Notification test harness: services with a fast retry schedule pointed at a test SMTP
server, e-mails queued straight into the store, notices written into the outbox as the
recorder writes them, and the environment of a ``laurel notify send`` process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.notifications.kinds import NoticeKind
from domain.notifications.notices import Audience, Notice
from domain.vocabulary import Role
from infra.bootstrap import Services, bootstrap
from infra.notifications.store import Delivery, NotificationStore
from infra.roster_store import OUTBOX_COLUMNS, outbox_row
from infra.settings import Settings
from tests.builders.http import ADMIN_TOKEN

FAST = {
    "notify_retry_base": 0.2,
    "notify_retry_cap": 1.0,
    "notify_poll_interval": 0.05,
    "smtp_timeout": 2.0,
}
SUBJECT = "【初审未通过】示范村文化站 / [Rejected at pre-review] Model village site"
BODY = "示范村文化站的申报未通过初审。\n原因：材料不足\n\n————\n\nThe nomination was rejected.\n"


@contextmanager
def services_for(
    database_url: str, clock: Callable[[], datetime] | None = None, **overrides: Any
) -> Iterator[Services]:
    settings = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, **{**FAST, **overrides})
    services = bootstrap(settings, configure_logs=False, **({"clock": clock} if clock else {}))
    try:
        yield services
    finally:
        services.close()


def email(n: int, address: str = "zhang.san@example.cn", status: str = "pending") -> Delivery:
    return Delivery(
        f"n-{n}:1:rejected",
        None,
        f"contact:c-{n}",
        "email",
        address,
        "rejected",
        None,
        f"s-{n}",
        SUBJECT,
        BODY,
        status,
    )


def queue_emails(store: NotificationStore, count: int, **kwargs: Any) -> list[str]:
    """``count`` e-mails queued now; their notice keys."""
    rows = [email(n, **kwargs) for n in range(count)]
    store.add(rows, datetime.now(UTC).timestamp())
    return [r.notice_key for r in rows]


def notice(
    n: int,
    unit_id: str,
    roles: tuple[Role, ...] = (Role.REVIEWER,),
    kind: NoticeKind = NoticeKind.SILENT_ESCALATION,
    facts: dict[str, Any] | None = None,
) -> Notice:
    return Notice(
        key=f"subject-{n}:1:{kind}",
        kind=kind,
        subject_id=f"subject-{n}",
        occurred_at=datetime(2022, 6, 1, 2, 0, tzinfo=UTC),
        audience=(Audience(unit_id, roles),),
        facts=facts if facts is not None else {},
    )


def write_outbox(services: Services, notices: list[Notice]) -> None:
    """Rows in ``notification_outbox`` as the recorder inserts them beside their events."""
    db = services.notifications.db
    marks = ", ".join("?" for _ in OUTBOX_COLUMNS)
    with db.transaction() as sql:
        sql.executemany(
            f"INSERT INTO {db.ns}notification_outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({marks})",
            [outbox_row(n) for n in notices],
        )


def environment(settings: Settings, home: Path, **extra: Any) -> dict[str, str]:
    """The LAUREL_* environment of a ``laurel notify send`` process for ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUREL_")}
    values = {**FAST, **extra}
    env.update({f"LAUREL_{k.upper()}": str(v) for k, v in values.items()})
    env.update(
        LAUREL_DATABASE_URL=settings.database_url,
        LAUREL_HOME_DIR=str(home),
        LAUREL_LOG_FORMAT="json",
        LAUREL_ADMIN_TOKEN=ADMIN_TOKEN,
    )
    return env
