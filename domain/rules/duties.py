"""Duties (issue 21, item 5): who may act on a duty, and what a submission, a review, a spot
check and a circular must hold. Pure functions; each failure names its field in zh and en.

Who may do what:
- the owing unit submits its own duties: the declarer of that very unit, or an admin whose
  subtree holds it;
- the organiser reviews (accepts, returns), records spot checks and issues circulars: a
  reviewer whose subtree holds the campaign's organiser (as for commending), or such an admin;
- the system (the campaign workflow) records overdue duties.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from domain.actors import Actor
from domain.errors import OutsideJurisdictionError, RoleNotAllowedError, RuleFailure
from domain.units import Unit
from domain.vocabulary import CircularKind, Role, SpotCheckMethod

TITLE_MAX = 200  # characters
BODY_MAX = 100_000  # a document's text (no files: issue 22 does files)
NOTE_MAX = 2_000  # a review's note or a return's reason
CHECKER_MAX = 100
FINDINGS_MAX = 20_000
RECTIFY_WITHIN = timedelta(days=366)  # a 限期整改 deadline further off is a typo


def _role_refused(actor: Actor, action: str, roles: str, roles_zh: str) -> RoleNotAllowedError:
    return RoleNotAllowedError(
        f"role '{actor.role}' may not {action.replace('_', ' ')}: {roles} only",
        f"角色「{actor.role.zh}」无权执行此操作（{action}），仅限{roles_zh}",
        action=action,
        role=actor.role,
    )


def _outside(actor: Actor, unit: Unit, action: str) -> OutsideJurisdictionError:
    return OutsideJurisdictionError(
        f"unit '{unit.code}' is outside the jurisdiction of '{actor.unit_id}'",
        f"单位「{unit.name_zh or unit.code}」不在「{actor.unit_id}」的管辖范围内",
        action=action,
        unit=unit.code,
    )


def require_owing_unit(actor: Actor, unit: Unit, action: str = "submit_duty") -> None:
    """The owing unit's own declarer, or an admin above it (a root admin anywhere)."""
    if actor.role == Role.SYSTEM:
        return
    if actor.role == Role.DECLARER:
        if actor.unit_id != unit.code:
            raise _outside(actor, unit, action)
        return
    if actor.role == Role.ADMIN:
        if actor.unit_id is not None and not unit.is_within(actor.unit_id):
            raise _outside(actor, unit, action)
        return
    raise _role_refused(actor, action, "the owing unit's declarer or an admin", "本单位申报人或管理员")


def require_organiser(actor: Actor, organiser: Unit, action: str) -> None:
    """A reviewer (or admin) whose subtree holds the campaign's organiser."""
    if actor.role == Role.SYSTEM:
        return
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        raise _role_refused(actor, action, "the organiser's reviewer", "组织单位的初审人")
    if actor.unit_id is not None and not organiser.is_within(actor.unit_id):
        raise _outside(actor, organiser, action)
    if actor.unit_id is None and actor.role == Role.REVIEWER:
        raise _outside(actor, organiser, action)


def require_system(actor: Actor, action: str) -> None:
    if actor.role != Role.SYSTEM:
        raise _role_refused(actor, action, "the workflow", "流程引擎")


def _text(
    value: str, field: str, name_en: str, name_zh: str, limit: int, *, required: bool = True
) -> list[RuleFailure]:
    if required and not value.strip():
        return [
            RuleFailure(
                f"{field}_required", f"{name_en} is required", f"须填写{name_zh}", field, None, value
            )
        ]
    if len(value) > limit:
        return [
            RuleFailure(
                f"{field}_length",
                f"{name_en} may hold at most {limit} characters (it has {len(value)})",
                f"{name_zh}最多 {limit} 个字符（现有 {len(value)} 个）",
                field,
                limit,
                len(value),
            )
        ]
    return []


def submission_failures(title: str, body: str) -> list[RuleFailure]:
    return _text(title, "title", "the title", "标题", TITLE_MAX) + _text(
        body, "body", "the text", "正文", BODY_MAX
    )


def note_failures(note: str) -> list[RuleFailure]:
    return _text(note, "note", "the note", "审核意见", NOTE_MAX, required=False)


def _aware(moment: datetime | None, field: str) -> list[RuleFailure]:
    if moment is not None and moment.tzinfo is None:
        return [
            RuleFailure(
                "timezone_required",
                f"{field} needs a time zone (e.g. Z)",
                f"{field} 须带时区（如 Z）",
                field,
            )
        ]
    return []


def return_failures(reason: str, resubmit_by: datetime | None, at: datetime) -> list[RuleFailure]:
    failures = _text(reason, "reason", "the reason for returning", "退回理由", NOTE_MAX)
    failures += _aware(resubmit_by, "resubmit_by")
    if not failures and resubmit_by is not None and resubmit_by <= at:
        failures.append(
            RuleFailure(
                "resubmit_by_future",
                "the new deadline must lie after now",
                "重新提交的期限须晚于当前时间",
                "resubmit_by",
                at.isoformat(),
                resubmit_by.isoformat(),
            )
        )
    return failures


UNIT_ID_MAX = 64  # a unit's code, as the API's paths take it


def spot_check_failures(
    unit_id: str, method: str, checked_on: str, checker: str, findings: str, at: datetime
) -> tuple[list[RuleFailure], date | None]:
    """The failures, and the date checked when it reads as one. The unit checked is named (an
    empty one is refused here, before any unit is looked up)."""
    failures = _text(unit_id, "unit_id", "the unit checked", "被检查单位", UNIT_ID_MAX)
    if SpotCheckMethod.parse(method) is None:
        failures.append(
            RuleFailure(
                "method_known",
                "the method is on_site (实地察看), phone (电话抽查) or random (随机抽查)",
                "检查方式须为 on_site（实地察看）、phone（电话抽查）或 random（随机抽查）",
                "method",
                SpotCheckMethod.codes(),
                method,
            )
        )
    on: date | None = None
    try:
        on = date.fromisoformat(checked_on.strip()[:10])
    except ValueError:
        failures.append(
            RuleFailure(
                "checked_on_date",
                "the date checked is a date (YYYY-MM-DD)",
                "检查日期须为日期（YYYY-MM-DD）",
                "checked_on",
                "YYYY-MM-DD",
                checked_on,
            )
        )
    if on is not None and on > (at + timedelta(days=1)).date():
        failures.append(
            RuleFailure(
                "checked_on_past",
                "a check is recorded once done: its date may not lie in the future",
                "检查须在完成后登记：检查日期不能晚于今天",
                "checked_on",
                at.date().isoformat(),
                on.isoformat(),
            )
        )
    failures += _text(checker, "checker", "who checked", "检查人", CHECKER_MAX)
    failures += _text(findings, "findings", "what was found", "检查发现", FINDINGS_MAX)
    return failures, on


def circular_failures(
    kind: str,
    title: str,
    body: str,
    unit_id: str | None,
    rectify_by: datetime | None,
    at: datetime,
) -> list[RuleFailure]:
    failures = submission_failures(title, body)
    parsed = CircularKind.parse(kind)
    if parsed is None:
        failures.append(
            RuleFailure(
                "circular_kind_known",
                "the kind is notice (通报) or criticism (通报批评)",
                "通报类型须为 notice（通报）或 criticism（通报批评）",
                "kind",
                CircularKind.codes(),
                kind,
            )
        )
    if parsed == CircularKind.CRITICISM:
        if not (unit_id or "").strip():
            failures.append(
                RuleFailure(
                    "criticised_unit_required",
                    "a circular of criticism names the unit criticised",
                    "通报批评须指明被批评的单位",
                    "unit_id",
                )
            )
        if rectify_by is None:
            failures.append(
                RuleFailure(
                    "rectify_by_required",
                    "a circular of criticism sets a rectification deadline (限期整改)",
                    "通报批评须规定整改期限（限期整改）",
                    "rectify_by",
                )
            )
        else:
            failures += _aware(rectify_by, "rectify_by")
            if rectify_by.tzinfo is not None and not at < rectify_by <= at + RECTIFY_WITHIN:
                failures.append(
                    RuleFailure(
                        "rectify_by_range",
                        "the rectification deadline lies after now and within a year",
                        "整改期限须晚于当前时间且在一年之内",
                        "rectify_by",
                        at.isoformat(),
                        rectify_by.isoformat(),
                    )
                )
    elif parsed == CircularKind.NOTICE and (unit_id or rectify_by is not None):
        failures.append(
            RuleFailure(
                "notice_names_no_rectification",
                "only a circular of criticism (criticism) names a unit and a rectification deadline",
                "只有通报批评（criticism）才指明单位和整改期限",
                "kind",
                CircularKind.CRITICISM,
                kind,
            )
        )
    return failures


def limit_failures(limit: int) -> list[RuleFailure]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 5000:
        return [
            RuleFailure("limit_range", "limit is 1 to 5000", "批量须为 1 至 5000", "limit", 5000, limit)
        ]
    return []
