"""Determinism guard: histories recorded from the workflow tests replay against today's
workflow code. A non-deterministic change fails here; such a change needs workflow.patched().

histories/*.json were recorded before the patch ``read-recorded-deadlines`` (an extension
went through the workflow's Update) and replay down the unpatched path;
histories/read-recorded-deadlines/*.json were recorded after it (re-recorded with
LAUREL_RECORD_HISTORIES=1) and replay down the patched one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from infra.temporal import WORKFLOWS
from tests.workflows.harness import HISTORIES, RECORDING
from workflows.campaign import READ_RECORDED_DEADLINES

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
    }


def markers(path: Path) -> list[str]:
    return [e["eventType"] for e in json.loads(path.read_text())["events"] if "MARKER" in e["eventType"]]


def test_only_the_histories_recorded_after_the_patch_carry_its_marker():
    for path in RECORDED:
        assert bool(markers(path)) == (path.parent == RECORDING), name(path)


@pytest.mark.parametrize("path", RECORDED, ids=[name(h) for h in RECORDED])
def test_recorded_history_replays_deterministically(path: Path):
    async def replay() -> None:
        replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)
        await replayer.replay_workflow(load(path))

    asyncio.run(replay())
