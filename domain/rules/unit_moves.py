"""A unit moves only if every open nomination (declared, admitted, inspected) stays in its
jurisdiction: its nominee within the declaring unit, the declaring unit within the campaign's
organiser."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import RuleFailure
from domain.units import Unit


@dataclass(frozen=True)
class OpenNomination:
    """An open nomination a move touches, with its units as they would stand after the move."""

    nomination_id: str
    declaring: Unit
    nominee: Unit
    organiser_unit_id: str

    def within_jurisdiction(self) -> bool:
        return self.nominee.is_within(self.declaring.code) and self.declaring.is_within(
            self.organiser_unit_id
        )


def leaving_jurisdiction_failures(nominations: Iterable[OpenNomination]) -> list[RuleFailure]:
    return [
        RuleFailure(
            "unit_move_keeps_open_nominations",
            f"open nomination {n.nomination_id} would leave its jurisdiction: "
            "withdraw it or wait until it is decided",
            f"申报 {n.nomination_id} 尚在办理中，移动后将超出管辖范围：请先撤回或待其办结",
            "parent_id",
            None,
            n.nomination_id,
        )
        for n in nominations
        if not n.within_jurisdiction()
    ]
