"""Who organises a campaign: a city, county or township party committee (villages and
agencies organise none)."""

from __future__ import annotations

from domain.errors import RuleFailure
from domain.vocabulary import Level

ORGANISER_LEVELS = (Level.CITY, Level.COUNTY, Level.TOWNSHIP)


def organiser_level_failures(level: str) -> list[RuleFailure]:
    if level in ORGANISER_LEVELS:
        return []
    return [
        RuleFailure(
            "organiser_level",
            "campaigns are organised by a city, county or township party committee",
            "评选活动须由市、县或乡镇党委组织",
            "organiser_unit_id",
            [str(code) for code in ORGANISER_LEVELS],
            level,
        )
    ]
