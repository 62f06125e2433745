"""Phase gating and deadline changes. Rules that depend on time take ``at`` explicitly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from domain.errors import PhaseNotOpenError, RuleFailure
from domain.values import Phase
from domain.vocabulary import PhaseStatus, Step


def require_open(phase: Phase, step: Step | str, at: datetime) -> None:
    if phase.is_open_at(at):
        return
    term = Step.parse(step)
    en, zh = (term.en, term.zh) if term else (step, step)
    if at < phase.opens_at and phase.status != PhaseStatus.CLOSED:
        when_en, when_zh = (
            f"opens at {phase.opens_at.isoformat()}",
            f"于 {phase.opens_at.isoformat()} 开始",
        )
    else:
        when_en, when_zh = (
            f"closed at {phase.closes_at.isoformat()}",
            f"已于 {phase.closes_at.isoformat()} 截止",
        )
    raise PhaseNotOpenError(
        f"{en} is not open: phase '{phase.code}' {when_en}",
        f"{zh}不在办理期内：阶段「{phase.name_zh}」{when_zh}",
        phase=phase.code,
        opens_at=phase.opens_at.isoformat(),
        closes_at=phase.closes_at.isoformat(),
    )


def phase_order_failures(phases: Sequence[Phase]) -> list[RuleFailure]:
    failures: list[RuleFailure] = []
    for i, phase in enumerate(phases):
        if phase.closes_at <= phase.opens_at:
            failures.append(
                RuleFailure(
                    "phase_closes_after_opening",
                    f"phase '{phase.code}' must close after it opens",
                    f"阶段「{phase.name_zh}」的截止时间须晚于开始时间",
                    f"deadlines.{phase.code}",
                )
            )
        if i and phases[i - 1].closes_at > phase.opens_at:
            failures.append(
                RuleFailure(
                    "phases_in_order",
                    f"phase '{phases[i - 1].code}' must close before '{phase.code}' opens",
                    f"阶段「{phases[i - 1].name_zh}」须在「{phase.name_zh}」开始前截止",
                    f"deadlines.{phases[i - 1].code}",
                )
            )
    return failures


def move_close(phases: Sequence[Phase], index: int, new_close: datetime) -> list[Phase]:
    """Phases with phase ``index`` closing at ``new_close``; a later phase that would open
    before it opens at ``new_close`` instead (its own close unchanged)."""
    moved = list(phases)
    moved[index] = replace(moved[index], closes_at=new_close)
    if index + 1 < len(moved) and moved[index + 1].opens_at < new_close:
        moved[index + 1] = replace(moved[index + 1], opens_at=new_close)
    return moved


def extension_failures(
    phases: Sequence[Phase], index: int, new_close: datetime, reason: str, at: datetime
) -> list[RuleFailure]:
    """A deadline moves later, not into the past, not beyond the next phase's close, with a reason."""
    phase = phases[index]
    failures: list[RuleFailure] = []
    if not (reason or "").strip():
        failures.append(
            RuleFailure(
                "extension_reason_required",
                "a deadline extension needs a reason",
                "延期须说明理由",
                "reason",
            )
        )
    if phase.status == PhaseStatus.CLOSED or phase.closes_at <= at:
        failures.append(
            RuleFailure(
                "extension_phase_not_closed",
                f"phase '{phase.code}' has already closed",
                f"阶段「{phase.name_zh}」已截止，不能延期",
                "phase",
                None,
                phase.closes_at.isoformat(),
            )
        )
    if new_close <= at:
        failures.append(
            RuleFailure(
                "extension_not_in_past",
                "the new deadline is in the past",
                "新的截止时间早于当前时间",
                "closes_at",
                f"> {at.isoformat()}",
                new_close.isoformat(),
            )
        )
    if new_close <= phase.closes_at:
        failures.append(
            RuleFailure(
                "extension_moves_later",
                "an extension must move the deadline later",
                "延期后的截止时间须晚于原截止时间",
                "closes_at",
                f"> {phase.closes_at.isoformat()}",
                new_close.isoformat(),
            )
        )
    if index + 1 < len(phases) and new_close >= phases[index + 1].closes_at:
        nxt = phases[index + 1]
        failures.append(
            RuleFailure(
                "extension_before_next_phase_closes",
                f"the new deadline must fall before the next phase '{nxt.code}' closes "
                f"({nxt.closes_at.isoformat()})",
                f"新的截止时间须早于下一阶段「{nxt.name_zh}」的截止时间",
                "closes_at",
                f"< {nxt.closes_at.isoformat()}",
                new_close.isoformat(),
            )
        )
    return failures
