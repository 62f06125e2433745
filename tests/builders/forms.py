"""What the people of a campaign fill in: declaration forms that meet the seed standards, the
pre-review checks of a sound site, and inspection scores for a category's criteria."""

from __future__ import annotations

from typing import Any

from domain.rules.inspection import all_met
from domain.templates import get_template
from domain.values import Category
from domain.vocabulary import InspectionMethod

FIVE_PROTECTIONS_OK = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
"""A site's pre-review checks: equipment runs, no hardware damaged for want of the 五防."""

PLATFORM_FORM = {  # seed 001, advanced teaching-service platform: every threshold met
    "operation_rate": 96.5,
    "downtime_days": 12,
    "trained_rate": 97.0,
    "operation_bulletins": 3,
    "utilisation_rate": 95.0,
    "participation_rate": 88.0,
    "satisfaction_rate": 93.0,
    "feedback_rounds": 4,
}
MODEL_VILLAGE_FORM = {
    "telecom_mode_in_activity_room": True,
    "screen_inches": 55,
    "registers_kept": True,
    "fixed_study_day": True,
}
MODEL_TOWNSHIP_FORM = {"typical_cases": 3, "administrators_fully_trained": True}
ADVANCED_COUNTY_FORM = {"typical_cases": 2}

ALL_METHODS = tuple(InspectionMethod)
"""An inspection by document review, site visit, live operation and questionnaire."""


def category(template: str, code: str) -> Category:
    return next(c for c in get_template(template).categories if c.code == code)


def uniform_scores(cat: Category, score: float) -> dict[str, float]:
    """The same score for every criterion of the category (so the weighted score is ``score``)."""
    return {c.code: score for c in cat.criteria}


def site_scores(score: float) -> dict[str, Any]:
    """``score`` on every criterion of a five-good site (seed 000)."""
    return uniform_scores(category("five-good-sites", "five_good_site"), score)


SITE_CHECKLIST = all_met(category("five-good-sites", "five_good_site"))
"""A sound five-good site's checklists at inspection: every item of 持证上岗, 三簿一册 and 五防 met."""
