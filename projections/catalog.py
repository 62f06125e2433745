"""The read models Laurel keeps, chosen by name: what the views, a rebuild's processes and
the CLI share."""

from __future__ import annotations

from collections.abc import Sequence

from projections.audit import AuditLog
from projections.campaigns import CampaignBoard
from projections.checkpoints import CheckpointBook
from projections.duties import DutyBoard
from projections.projection import Projection
from projections.titles import TitleRegister

PROJECTIONS: tuple[type[Projection], ...] = (AuditLog, CampaignBoard, TitleRegister, DutyBoard)
NAMES = tuple(p.name for p in PROJECTIONS)


class UnknownProjectionError(ValueError):
    pass


def select(names: Sequence[str] | None) -> list[type[Projection]]:
    """The projections ``names`` names (all of them when none)."""
    if not names:
        return list(PROJECTIONS)
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise UnknownProjectionError(
            f"unknown projection(s) {', '.join(unknown)}; known: {', '.join(NAMES)} / 未知的投影"
        )
    return [p for p in PROJECTIONS if p.name in names]


def instances(chosen: Sequence[type[Projection]], book: CheckpointBook | None) -> list[Projection]:
    """The projections, the audit chain held to the book's signed checkpoints."""
    return [AuditLog(book.anchoring) if p is AuditLog and book is not None else p() for p in chosen]
