"""Aggregates built on their own, without an application (pure, for transition tests)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import uuid4

from domain.nominations import Nomination
from domain.values import Nominee
from tests.builders.actors import TOWNSHIP_DECLARER
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import category
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import TOWNSHIP, VILLAGE


def declared_nomination(
    template: str = "five-good-sites",
    category_code: str = "five_good_site",
    *,
    form: dict[str, Any] | None = None,
    at: datetime = FIVE_GOOD_2022.declaration,
) -> Nomination:
    """前双村's site declared by 彭镇 in a campaign that exists nowhere else."""
    nominee = Nominee(
        kind=category(template, category_code).nominee_kind, unit_id=VILLAGE, name="前双村远教站点"
    )
    return Nomination.declare(
        campaign_id=uuid4(),
        category=category_code,
        declaring_unit_id=TOWNSHIP,
        nominee=nominee,
        form=dict(form or {}),
        material=TYPICAL_MATERIAL,
        actor=TOWNSHIP_DECLARER,
        at=at,
    )
