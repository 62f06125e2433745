"""Fixtures for the domain unit tests: a fresh in-memory world per test (no I/O)."""

from __future__ import annotations

import pytest

from tests.builders.world import CampaignRef, World


@pytest.fixture
def world() -> World:
    return World.in_memory()


@pytest.fixture
def five_good(world: World) -> CampaignRef:
    """The seed-000 city campaign for 2022, organised by 示范市."""
    return world.campaign("five-good-sites")
