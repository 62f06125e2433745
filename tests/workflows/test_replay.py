"""Determinism guard: histories recorded from the workflow tests replay against today's
workflow code. A non-deterministic change fails here; such a change needs workflow.patched().

histories/*.json were recorded before the patch ``read-recorded-deadlines`` (an extension
went through the workflow's Update) and replay down the unpatched path;
histories/read-recorded-deadlines/*.json were recorded after it and replay down the patched
one; histories/lapse-in-batches/*.json after the patch ``lapse-in-batches`` as well (phase
close, then a batch of lapses per activity); histories/duties-overdue after ``duties-overdue``;
histories/corrections after ``publicity`` and ``corrections`` (the 公示 period closed by the
workflow, a reopened window, a cancelled run); histories/escalation after ``escalation`` (the
silent townships escalated step by step, a cancelled campaign escalating no more). New ones
are recorded with LAUREL_RECORD_HISTORIES=1 into the newest patch's directory."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from infra.temporal import WORKFLOWS
from tests.workflows.harness import HISTORIES
from workflows.campaign import (
    CORRECTIONS,
    DUTIES_OVERDUE,
    ESCALATION,
    LAPSE_IN_BATCHES,
    PUBLICITY,
    READ_RECORDED_DEADLINES,
)

RECORDED = sorted(HISTORIES.rglob("*.json"))


def name(path: Path) -> str:
    return path.relative_to(HISTORIES).with_suffix("").as_posix()


def load(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"{path.stem}-workflow", json.loads(path.read_text()))


def test_recorded_histories_exist():
    assert {name(h) for h in RECORDED} >= {
        "campaign_year",
        "extension",
        "restart",
        f"{READ_RECORDED_DEADLINES}/campaign_year",
        f"{READ_RECORDED_DEADLINES}/extension",
        f"{READ_RECORDED_DEADLINES}/restart",
        f"{LAPSE_IN_BATCHES}/campaign_year",
        f"{LAPSE_IN_BATCHES}/extension",
        f"{LAPSE_IN_BATCHES}/restart",
        f"{DUTIES_OVERDUE}/duties_year",
        f"{CORRECTIONS}/campaign_year",
        f"{CORRECTIONS}/extension",
        f"{CORRECTIONS}/restart",
        f"{CORRECTIONS}/publicity",
        f"{CORRECTIONS}/reopened",
        f"{CORRECTIONS}/cancelled_signalled",
        f"{CORRECTIONS}/cancelled_noticed",
        f"{ESCALATION}/campaign_year",
        f"{ESCALATION}/extension",
        f"{ESCALATION}/restart",
        f"{ESCALATION}/publicity",
        f"{ESCALATION}/reopened",
        f"{ESCALATION}/cancelled_signalled",
        f"{ESCALATION}/cancelled_noticed",
        f"{ESCALATION}/escalated",
        f"{ESCALATION}/escalation_cancelled",
    }


def patches(path: Path) -> set[str]:
    """The patch ids the history's markers name."""
    return {
        json.loads(base64.b64decode(payload["data"]))["id"]
        for e in json.loads(path.read_text())["events"]
        if "MARKER" in e["eventType"]
        for payload in e["markerRecordedEventAttributes"]["details"]["patch-data"]["payloads"]
    }


# oldest first; ``publicity`` and ``corrections`` landed together: their histories are recorded
# under the newer one and carry both markers
PATCHES = (
    READ_RECORDED_DEADLINES,
    LAPSE_IN_BATCHES,
    DUTIES_OVERDUE,
    PUBLICITY,
    CORRECTIONS,
    ESCALATION,
)


def test_each_history_carries_the_marker_of_its_patch_and_none_newer():
    for path in RECORDED:
        recorded_after = PATCHES.index(path.parent.name) + 1 if path.parent != HISTORIES else 0
        found = patches(path)
        assert found <= set(PATCHES[:recorded_after]), name(path)
        assert recorded_after == 0 or PATCHES[recorded_after - 1] in found, name(path)


@pytest.mark.parametrize("path", RECORDED, ids=[name(h) for h in RECORDED])
def test_recorded_history_replays_deterministically(path: Path):
    async def replay() -> None:
        replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
        await replayer.replay_workflow(load(path))

    asyncio.run(replay())
