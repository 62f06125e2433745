"""The composition root: settings -> logging -> event store -> services.

Both entrypoints (CLI, API) and the integration tests call ``bootstrap``; nothing here runs
at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import structlog

from domain.application import Laurel, utc_now
from domain.rules.tokens import TokenPolicy
from domain.working_days import load_calendar
from infra.access_store import AccessStore
from infra.audit_signing import audit_signer
from infra.blob_store import BlobStore, open_blob_store
from infra.logging import configure_logging
from infra.notifications import NotificationStore, open_notification_store
from infra.scheduling import CampaignScheduler
from infra.settings import Settings, eventsourcing_env, lifetime_seconds, reminder_offset_seconds
from infra.webhooks import AddressGuard, WebhookStore, open_store
from infra.webhooks.db import open_db
from projections.views import Views


@dataclass
class Services:
    settings: Settings
    app: Laurel
    scheduler: CampaignScheduler
    views: Views
    webhooks: WebhookStore  # delivery state (infra/webhooks), beside the event store
    access: AccessStore  # page sessions and tokens' last use, beside the event store
    blobs: BlobStore  # evidence files' bytes by SHA-256 (a directory, or PostgreSQL's table)
    # Contacts' personal data, preferences, inbox and e-mail queue (infra/notifications)
    notifications: NotificationStore

    def close(self) -> None:
        self.notifications.close()
        self.blobs.close()
        self.access.close()
        self.webhooks.close()
        self.app.close()


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] = utc_now,
    configure_logs: bool = True,
) -> Services:
    settings = settings or Settings()
    if configure_logs:
        configure_logging(settings.log_format, settings.log_level)
    env = eventsourcing_env(settings)
    # Creates the store's tables; the rebuild processes' opener does not (two PostgreSQL
    # sessions running the same CREATE … IF NOT EXISTS can collide in the catalogue).
    app = Laurel(
        env=env,
        clock=clock,
        url_guard=AddressGuard(settings.webhook_allow_private).check_url,  # SSRF guard at registration
        secret_vault=open_store,  # signing secrets beside the event store, not in its events
        token_policy=TokenPolicy(
            timedelta(seconds=lifetime_seconds(settings.token_lifetime)),
            timedelta(seconds=lifetime_seconds(settings.token_max_lifetime)),
        ),
        holiday_calendar=load_calendar(settings.holiday_calendar),  # 公示 periods (issue 23)
        contact_vault=open_notification_store,  # contacts' personal data, out of the events
    )
    notifications = app.collaborators.contact_vault
    if not isinstance(notifications, NotificationStore):
        raise TypeError("the contact vault is the notification store (open_notification_store)")
    webhooks = app.collaborators.secret_vault
    if not isinstance(webhooks, WebhookStore):
        raise TypeError("the webhook secret vault is the delivery store (infra.webhooks.open_store)")
    structlog.get_logger("laurel").info(
        "event store ready", backend=settings.backend, temporal=settings.temporal_address or "off"
    )
    scheduler = CampaignScheduler(
        app,
        settings.temporal_address,
        settings.temporal_namespace,
        reminder_offsets=reminder_offset_seconds(settings.reminder_offsets),
        task_queue=settings.temporal_task_queue,
    )
    access = AccessStore(open_db(app))
    return Services(
        settings=settings,
        app=app,
        scheduler=scheduler,
        views=Views(
            app,
            opener=partial(Laurel, env={**env, "CREATE_TABLE": "no"}),
            signer=audit_signer(settings),
            checkpoint_every=settings.audit_checkpoint_every,
        ),
        webhooks=webhooks,
        access=access,
        blobs=open_blob_store(app, settings),
        notifications=notifications,
    )
