"""The campaign scheduler the API talks to: starts ``campaign-<id>`` when a campaign is
created and sends deadline extensions through the workflow's Update, so its timers move.
Without a Temporal address (tests of the API alone), extensions go straight to the domain
and no workflow runs: phase gating still follows the clock."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError

from domain import errors
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import DeadlineExtensionRefusedError, DomainError, RuleFailure
from infra.temporal import connect, start_campaign_workflow
from workflows.campaign import CampaignWorkflow
from workflows.contracts import ExtendDeadline, campaign_workflow_id


def _error_classes(base: type[DomainError] = DomainError) -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    for cls in base.__subclasses__():
        found.setdefault(cls.code, cls)
        found.update({k: v for k, v in _error_classes(cls).items() if k not in found})
    return found


def domain_error_from(failure: WorkflowUpdateFailedError) -> DomainError:
    """The domain refusal behind a failed Update (validator or activity), as a DomainError."""
    cause = failure.cause
    while isinstance(cause, ActivityError) and cause.cause is not None:
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.details:
        detail = cause.details[0] if isinstance(cause.details[0], dict) else {}
        cls = _error_classes().get(str(cause.type), errors.ConflictError)
        if issubclass(cls, errors.RuleViolationError):
            return cls([RuleFailure(**f) for f in detail.get("failures", [])], cause.message, detail.get("message_zh", ""))
        return cls(cause.message, detail.get("message_zh", ""))
    message = str(cause.message if isinstance(cause, ApplicationError) else failure)
    return DeadlineExtensionRefusedError([RuleFailure("extension_valid", message, "延期请求不符合要求：" + message, "closes_at")])


class CampaignScheduler:
    def __init__(self, app: Laurel, address: str | None, namespace: str = "default", client: Client | None = None, reminder_offsets: list[int] | None = None) -> None:
        self.app = app
        self.reminder_offsets = reminder_offsets
        self.address = address
        self.namespace = namespace
        self._client = client
        self._lock = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self._client is not None or self.address is not None

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                assert self.address is not None
                self._client = await connect(self.address, self.namespace)
            return self._client

    async def campaign_created(self, campaign_id: str) -> str | None:
        if not self.enabled:
            return None
        return await start_campaign_workflow(await self.client(), self.app.get_campaign(campaign_id), self.reminder_offsets)

    async def extend_deadline(self, campaign_id: str, phase: str, closes_at: datetime, reason: str, actor: Actor, idempotency_key: str | None) -> Any:
        if not self.enabled:
            return await run_in_threadpool(self.app.extend_deadline, campaign_id, phase, closes_at, reason, actor, idempotency_key=idempotency_key)
        handle = (await self.client()).get_workflow_handle_for(CampaignWorkflow.run, campaign_workflow_id(str(campaign_id)))
        try:
            return await handle.execute_update(CampaignWorkflow.extend_deadline, ExtendDeadline(phase=phase, closes_at=closes_at, reason=reason, actor=actor.as_dict()))
        except WorkflowUpdateFailedError as failure:
            raise domain_error_from(failure) from None
