"""Duties (issue 21, item 5): a unit submits what it owes; the organiser accepts or returns
it, records spot checks and issues circulars (a 通报批评 makes the unit it names owe a
rectification by its 限期整改 deadline); the campaign workflow records what is overdue."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from domain.commands import (
    AcceptDuty,
    Command,
    IssueCircular,
    RecordOverdueDuties,
    RecordSpotCheck,
    ReturnDuty,
    SubmitDuty,
)
from domain.duties import Duty, DutyBook, Owed, OwedItem, rectification_code, rectification_item
from domain.errors import DutyInvalidError, RuleFailure
from domain.handlers.context import Context, Decision, Handler
from domain.rules.duties import (
    circular_failures,
    limit_failures,
    note_failures,
    require_organiser,
    require_owing_unit,
    require_system,
    return_failures,
    spot_check_failures,
    submission_failures,
)
from domain.rules.jurisdiction import require_within
from domain.vocabulary import CircularKind, DutyKind


def _book(ctx: Context, campaign_id: Any) -> DutyBook:
    return DutyBook(ctx.load, ctx.queries, ctx.load.get_campaign(campaign_id))


def _refuse(failures: list[RuleFailure]) -> None:
    if failures:
        raise DutyInvalidError(failures)


def _opened(book: DutyBook, item: OwedItem, duty: Duty | None, ctx: Context) -> Duty:
    return duty if duty is not None else Duty.open(book.campaign_id, item, ctx.at)


def _answer(item: OwedItem, duty: Duty, **more: Any) -> dict[str, Any]:
    return {**Owed(item, duty).as_dict(), **more}


def submit_duty(command: SubmitDuty, ctx: Context) -> Decision:
    book = _book(ctx, command.campaign_id)
    require_owing_unit(ctx.actor, ctx.load.get_unit(command.unit_id))
    _refuse(submission_failures(command.title, command.body))
    item, found = book.owed(command.duty, command.unit_id, for_update=True)
    duty = _opened(book, item, found, ctx)
    due_at = Owed(item, duty).due_at
    changed = duty.submit(command.title, command.body, due_at, ctx.actor, ctx.at)
    return Decision([duty] if changed else [], _answer(item, duty, changed=changed))


def _review(command: AcceptDuty | ReturnDuty, ctx: Context, action: str) -> tuple[OwedItem, Duty]:
    book = _book(ctx, command.campaign_id)
    require_organiser(ctx.actor, ctx.load.organiser(book.campaign), action)
    item, duty = book.owed(command.duty, command.unit_id, for_update=True)
    if duty is None:
        duty = Duty.open(book.campaign_id, item, ctx.at)  # refused below: nothing was submitted
    return item, duty


def accept_duty(command: AcceptDuty, ctx: Context) -> Decision:
    _refuse(note_failures(command.note))
    item, duty = _review(command, ctx, "accept_duty")
    duty.accept(command.note.strip(), ctx.actor, ctx.at)
    return Decision([duty], _answer(item, duty))


def return_duty(command: ReturnDuty, ctx: Context) -> Decision:
    _refuse(return_failures(command.reason, command.resubmit_by, ctx.at))
    item, duty = _review(command, ctx, "return_duty")
    resubmit_by = None if command.resubmit_by is None else command.resubmit_by.astimezone(UTC)
    duty.return_(command.reason.strip(), resubmit_by, ctx.actor, ctx.at)
    return Decision([duty], _answer(item, duty))


def _organisers_duty(book: DutyBook, code: str, kind: DutyKind, ctx: Context) -> tuple[OwedItem, Duty]:
    spec = book.spec(code)
    if spec.kind != kind or code != spec.code:
        raise DutyInvalidError(
            [
                RuleFailure(
                    "duty_kind",
                    f"'{code}' is not a duty of kind {kind}",
                    f"「{code}」不是「{kind.zh}」类任务",
                    "duty",
                    str(kind),
                    spec.kind,
                )
            ]
        )
    item, found = book.owed(code, book.campaign.organiser_unit_id, for_update=True)
    return item, _opened(book, item, found, ctx)


def record_spot_check(command: RecordSpotCheck, ctx: Context) -> Decision:
    book = _book(ctx, command.campaign_id)
    organiser = ctx.load.organiser(book.campaign)
    require_organiser(ctx.actor, organiser, "record_spot_check")
    failures, on = spot_check_failures(
        command.unit_id, command.method, command.checked_on, command.checker, command.findings, ctx.at
    )
    _refuse(failures)
    checked = ctx.load.get_unit(command.unit_id.strip())
    require_within(ctx.actor, [checked], "record_spot_check")
    if not checked.is_within(organiser.code):
        _refuse(
            [
                RuleFailure(
                    "checked_unit_within_organiser",
                    f"'{checked.code}' lies outside the organiser's jurisdiction",
                    f"「{checked.name_zh}」不在组织单位的管辖范围内",
                    "unit_id",
                    organiser.code,
                    checked.code,
                )
            ]
        )
    item, duty = _organisers_duty(book, command.duty, DutyKind.SPOT_CHECK, ctx)
    assert on is not None
    check = {
        "number": len(duty.records) + 1,
        "unit_id": checked.code,
        "unit_name_zh": checked.name_zh,
        "method": command.method,
        "checked_on": on.isoformat(),
        "checker": command.checker.strip(),
        "findings": command.findings.strip(),
    }
    duty.record_check(check, Owed(item, duty).due_at, ctx.actor, ctx.at)
    return Decision([duty], _answer(item, duty, check=check))


def issue_circular(command: IssueCircular, ctx: Context) -> Decision:
    book = _book(ctx, command.campaign_id)
    organiser = ctx.load.organiser(book.campaign)
    require_organiser(ctx.actor, organiser, "issue_circular")
    _refuse(
        circular_failures(
            command.kind, command.title, command.body, command.unit_id, command.rectify_by, ctx.at
        )
    )
    item, duty = _organisers_duty(book, command.duty, DutyKind.CIRCULAR, ctx)
    number = len(duty.records) + 1
    circular: dict[str, Any] = {
        "number": number,
        "kind": command.kind,
        "title": command.title.strip(),
        "body": command.body,
    }
    save: list[Duty] = [duty]
    if command.kind == CircularKind.CRITICISM:
        named = ctx.load.get_unit(str(command.unit_id))
        if named.code == organiser.code or not named.is_within(organiser.code):
            _refuse(
                [
                    RuleFailure(
                        "criticised_unit_within_organiser",
                        f"'{named.code}' is not a unit below the organiser",
                        f"「{named.name_zh}」不是组织单位下属的单位",
                        "unit_id",
                        organiser.code,
                        named.code,
                    )
                ]
            )
        assert command.rectify_by is not None
        rectify_by = command.rectify_by.astimezone(UTC)
        circular |= {
            "unit_id": named.code,
            "unit_name_zh": named.name_zh,
            "rectify_by": rectify_by.isoformat(),
            "rectification": rectification_code(command.duty, number),
        }
        spec = book.spec(command.duty)
        owed = rectification_item(spec, circular)
        origin = {k: v for k, v in circular.items() if k != "body"}
        save.append(Duty.open(book.campaign_id, owed, ctx.at, due_at=rectify_by, origin=origin))
    duty.issue(circular, Owed(item, duty).due_at, ctx.actor, ctx.at)
    shown = {k: v for k, v in circular.items() if k != "body"}
    return Decision(save, _answer(item, duty, circular=shown))


def record_overdue_duties(command: RecordOverdueDuties, ctx: Context) -> Decision:
    require_system(ctx.actor, "record_overdue_duties")
    _refuse(limit_failures(command.limit))
    book = _book(ctx, command.campaign_id)
    pending = [o for o in book.all(with_units=False) if o.pending_at(ctx.at)]
    save: list[Duty] = []
    recorded = []
    for owed in pending[: command.limit]:
        duty = book.find(owed.item.code, owed.item.unit_id, for_update=True)
        duty = _opened(book, owed.item, duty, ctx)
        if duty.mark_overdue(owed.due_at, ctx.actor, ctx.at):
            save.append(duty)
            recorded.append({"duty": owed.item.code, "unit_id": owed.item.unit_id})
    more = len(pending) > command.limit
    return Decision(save, {"campaign_id": book.campaign_id, "recorded": recorded, "more": more})


HANDLERS: dict[type[Command], Handler] = {
    SubmitDuty: submit_duty,
    AcceptDuty: accept_duty,
    ReturnDuty: return_duty,
    RecordSpotCheck: record_spot_check,
    IssueCircular: issue_circular,
    RecordOverdueDuties: record_overdue_duties,
}
