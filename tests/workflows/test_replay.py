"""Determinism guard: histories recorded from the workflow tests (committed under
histories/, re-recorded with LAUREL_RECORD_HISTORIES=1) replay against today's workflow
code. A non-deterministic change fails here; such a change needs workflow.patched()."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from infra.temporal import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_recorded_histories_exist():
    assert {h.stem for h in HISTORIES} >= {"campaign_year", "extension", "restart"}


@pytest.mark.parametrize("path", HISTORIES, ids=[h.stem for h in HISTORIES])
def test_recorded_history_replays_deterministically(path: Path):
    history = WorkflowHistory.from_json(f"{path.stem}-workflow", json.loads(path.read_text()))

    async def replay() -> None:
        await Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter).replay_workflow(
            history
        )

    asyncio.run(replay())
