"""The campaign scheduler: starts ``campaign-<id>`` when a campaign is created, reconciles
(every campaign has its workflow) and sends deadline extensions through the workflow's
Update, so its timers move. Without a Temporal address (tests of the API alone), extensions
go straight to the domain and no workflow runs: phase gating still follows the clock.

A campaign is recorded before its workflow starts, and Temporal may be away at that moment:
the API then answers 201 anyway, and the worker's reconciler starts the workflow once
Temporal is back (idempotent by the workflow id, so a start that did reach Temporal late
changes nothing)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from domain import errors
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import DeadlineExtensionRefusedError, DomainError, RuleFailure
from infra.temporal import connect, start_campaign_workflow
from workflows.campaign import CampaignWorkflow
from workflows.contracts import ExtendDeadline, campaign_workflow_id

START_TIMEOUT = timedelta(
    seconds=5
)  # how long creating a campaign waits on Temporal; then it is the reconciler's job
log = structlog.get_logger("laurel.scheduler")


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
            return cls(
                [RuleFailure(**f) for f in detail.get("failures", [])],
                cause.message,
                detail.get("message_zh", ""),
            )
        return cls(cause.message, detail.get("message_zh", ""))
    message = str(cause.message if isinstance(cause, ApplicationError) else failure)
    return DeadlineExtensionRefusedError(
        [RuleFailure("extension_valid", message, "延期请求不符合要求：" + message, "closes_at")]
    )


class CampaignScheduler:
    def __init__(
        self,
        app: Laurel,
        address: str | None,
        namespace: str = "default",
        client: Client | None = None,
        reminder_offsets: list[int] | None = None,
        *,
        task_queue: str,
    ) -> None:
        self.app = app
        self.reminder_offsets = reminder_offsets
        self.address = address
        self.namespace = namespace
        self.task_queue = task_queue  # the stack's own: its workers hold this store
        self._client = client
        self._lock = asyncio.Lock()
        self._confirmed: set[str] = (
            set()
        )  # campaigns whose workflow Temporal has (or had): never checked again

    @property
    def enabled(self) -> bool:
        return self._client is not None or self.address is not None

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                assert self.address is not None
                self._client = await connect(self.address, self.namespace)
            return self._client

    async def _start(self, campaign: Any) -> str:
        return await start_campaign_workflow(
            await self.client(),
            campaign,
            task_queue=self.task_queue,
            reminder_offsets=self.reminder_offsets,
            rpc_timeout=START_TIMEOUT,
        )

    async def campaign_created(self, campaign_id: str) -> str | None:
        """Starts the new campaign's workflow, waiting on Temporal ``START_TIMEOUT`` at most.
        Never raises: the campaign is recorded already, and what fails here the reconciler
        starts later."""
        if not self.enabled:
            return None
        try:
            return await asyncio.wait_for(
                self._start(self.app.get_campaign(campaign_id)), START_TIMEOUT.total_seconds()
            )
        except Exception as exc:
            log.warning(
                "campaign workflow not started; the worker's reconciler will start it",
                campaign_id=campaign_id,
                error=repr(exc),
            )
            return None

    async def reconcile(self) -> list[str]:
        """Starts the workflow of every campaign that never had one; returns their ids. A
        campaign whose phases are all closed had its workflow (only the workflow closes
        phases), and a workflow Temporal knows, running or closed, is never started again."""
        client = await self.client()
        started: list[str] = []
        for entry in await asyncio.to_thread(
            self.app.list_campaigns
        ):  # store reads off the worker's event loop
            campaign_id = str(entry["campaign_id"])
            if campaign_id in self._confirmed:
                continue
            campaign = await asyncio.to_thread(self.app.get_campaign, campaign_id)
            if campaign.phases and all(p.status == "closed" for p in campaign.phases):
                self._confirmed.add(campaign_id)
                continue
            try:
                await client.get_workflow_handle(campaign_workflow_id(campaign_id)).describe(
                    rpc_timeout=START_TIMEOUT
                )
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                await self._start(campaign)
                started.append(campaign_id)
                log.info(
                    "started a campaign's missing workflow",
                    campaign_id=campaign_id,
                    task_queue=self.task_queue,
                )
            self._confirmed.add(campaign_id)
        return started

    async def reconcile_forever(self, interval: float) -> None:
        """``reconcile`` now and then every ``interval`` seconds; a failed round (Temporal or
        the store away) is logged and the next one tries again."""
        while True:
            try:
                await self.reconcile()
            except Exception as exc:
                log.warning(
                    "reconciling campaign workflows failed; retrying",
                    error=repr(exc),
                    in_seconds=interval,
                )
            await asyncio.sleep(interval)

    async def extend_deadline(
        self,
        campaign_id: str,
        phase: str,
        closes_at: datetime,
        reason: str,
        actor: Actor,
        idempotency_key: str | None,
    ) -> Any:
        if not self.enabled:
            return await run_in_threadpool(
                self.app.extend_deadline,
                campaign_id,
                phase,
                closes_at,
                reason,
                actor,
                idempotency_key=idempotency_key,
            )
        update = ExtendDeadline(phase=phase, closes_at=closes_at, reason=reason, actor=actor.as_dict())
        try:
            handle = (await self.client()).get_workflow_handle_for(
                CampaignWorkflow.run, campaign_workflow_id(str(campaign_id))
            )
            try:
                return await handle.execute_update(CampaignWorkflow.extend_deadline, update)
            except RPCError as error:
                if error.status != RPCStatusCode.NOT_FOUND:
                    raise
                # Created while Temporal was away, before the reconciler's next round: start it now.
                await self._start(await run_in_threadpool(self.app.get_campaign, campaign_id))
                return await handle.execute_update(CampaignWorkflow.extend_deadline, update)
        except WorkflowUpdateFailedError as failure:
            raise domain_error_from(failure) from None
        except (
            RPCError,
            OSError,
            RuntimeError,
        ) as exc:  # Temporal away: the extension is not recorded; the client may retry
            log.warning(
                "deadline extension could not reach the campaign's workflow",
                campaign_id=campaign_id,
                error=repr(exc),
            )
            raise errors.ServiceUnavailableError(
                "the campaign's workflow cannot be reached now; retry later",
                "暂时无法联系评选流程服务，请稍后重试",
                campaign=str(campaign_id),
            ) from None
