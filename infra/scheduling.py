"""The campaign scheduler: starts ``campaign-<id>`` when a campaign is created, reconciles
(every campaign has its workflow) and tells a campaign's workflow that the domain recorded a
new deadline, so its timers follow.

Temporal is never asked to decide anything, and may be away: a campaign or an extension is
recorded first, and what cannot reach Temporal within ``START_TIMEOUT`` is caught up later —
the worker's reconciler starts a missing workflow (idempotent by the workflow id, so a start
that did reach Temporal late changes nothing), and a running workflow reads the recorded
deadlines whenever one of its timers fires. Without a Temporal address (tests of the API
alone) no workflow runs: phase gating still follows the clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.application import Laurel
from domain.campaigns import Campaign
from infra.temporal import connect, start_campaign_workflow
from workflows.campaign import CampaignWorkflow
from workflows.contracts import campaign_workflow_id

START_TIMEOUT = timedelta(seconds=5)  # how long a request waits on Temporal; then catching up does
log = structlog.get_logger("laurel.scheduler")


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
        # Campaigns whose workflow Temporal has (or had): never checked again.
        self._confirmed: set[str] = set()

    @property
    def enabled(self) -> bool:
        return self._client is not None or self.address is not None

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                assert self.address is not None
                self._client = await connect(self.address, self.namespace)
            return self._client

    async def _start(self, campaign: Campaign) -> str:
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
            campaign = await asyncio.to_thread(self.app.get_campaign, campaign_id)
            return await asyncio.wait_for(self._start(campaign), START_TIMEOUT.total_seconds())
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
        # Store reads off the event loop.
        for entry in await asyncio.to_thread(self.app.list_campaigns):
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

    async def deadline_extended(self, campaign_id: str) -> None:
        """Signals ``campaign-<id>`` to read its recorded deadlines (a workflow never started
        starts with them), waiting on Temporal ``START_TIMEOUT`` at most. Never raises: the
        extension is recorded already, and the workflow reads the deadlines when its next
        timer fires."""
        if not self.enabled:
            return
        try:
            await asyncio.wait_for(self._refresh(campaign_id), START_TIMEOUT.total_seconds())
        except Exception as exc:
            log.warning(
                "campaign workflow not told of the extension; it reads it when its next timer fires",
                campaign_id=campaign_id,
                error=repr(exc),
            )

    async def _refresh(self, campaign_id: str) -> None:
        handle = (await self.client()).get_workflow_handle_for(
            CampaignWorkflow.run, campaign_workflow_id(campaign_id)
        )
        try:
            await handle.signal(CampaignWorkflow.refresh_deadlines, rpc_timeout=START_TIMEOUT)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            # Created while Temporal was away, before the reconciler's next round: start it now.
            await self._start(await asyncio.to_thread(self.app.get_campaign, campaign_id))

    # --- corrections (issue 23, item 3) ---------------------------------------------------------

    async def campaign_cancelled(self, campaign_id: str) -> None:
        """Signals ``campaign-<id>`` that its campaign was cancelled (the run ends). Never
        raises: the cancellation is recorded, and a run not told notices it at its next wake-up."""
        if not self.enabled:
            return

        async def signal() -> None:
            handle = (await self.client()).get_workflow_handle_for(
                CampaignWorkflow.run, campaign_workflow_id(campaign_id)
            )
            await handle.signal(CampaignWorkflow.campaign_cancelled, rpc_timeout=START_TIMEOUT)

        try:
            await asyncio.wait_for(signal(), START_TIMEOUT.total_seconds())
        except Exception as exc:
            log.warning(
                "campaign workflow not told of the cancellation; it notices at its next wake-up",
                campaign_id=campaign_id,
                error=repr(exc),
            )
