"""EscalationWorkflow (``escalation-<campaign>``): the townships silent at the declaration's
close, escalated step by step along the campaign's ladder (issue 24, item 4; started by the
campaign workflow under the patch ``escalation``).

A child of its own, abandoned by the parent: a ladder's last step may lie days after the
declaration's close, and neither the phases nor the campaign workflow's completion wait for
it. Each step runs at the declaration's recorded close plus its grace days (read once, after
the close: a reopening does not move them) and records the townships silent then (one whose
reopened window is still open is not, yet: a later step may find it); a cancelled campaign ends
the ladder (the step's command says so)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.activities import CampaignActivities
    from workflows.contracts import (
        RETRY,
        CampaignRef,
        EscalationOutcome,
        EscalationPlan,
        EscalationRun,
    )

ACTIVITY_TIMEOUT = timedelta(minutes=30)


def escalation_workflow_id(campaign_id: str) -> str:
    return f"escalation-{campaign_id}"


@workflow.defn
class EscalationWorkflow:
    def __init__(self) -> None:
        self.steps_taken = 0

    @workflow.query
    def progress(self) -> dict[str, int]:
        return {"steps_taken": self.steps_taken}

    @workflow.run
    async def run(self, ref: CampaignRef) -> int:
        """The steps that recorded silent townships."""
        plan: EscalationPlan = await workflow.execute_activity_method(
            CampaignActivities.escalation_plan,
            ref,
            schedule_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        for number, at in enumerate(plan.steps, start=1):
            delay = at - workflow.now()
            if delay > timedelta(0):
                await workflow.sleep(delay)
            outcome: EscalationOutcome = await workflow.execute_activity_method(
                CampaignActivities.escalate_silent_units,
                EscalationRun(campaign_id=ref.campaign_id, step=number, at=workflow.now()),
                schedule_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
            if outcome.cancelled:
                break
            self.steps_taken += int(outcome.recorded)
        return self.steps_taken
