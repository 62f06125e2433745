"""Roles and jurisdiction. A unit's jurisdiction is its subtree.

- admin: units, campaigns, tokens, webhooks anywhere in its subtree (no unit: everywhere);
- declarer: declares and withdraws nominations whose declaring unit and nominee lie in its
  subtree;
- reviewer: pre-reviews, commends, revokes, forwards and extends deadlines for campaigns
  whose organiser is its unit or lies in its subtree (a superior department may act for the
  campaigns of the departments below it);
- inspector: inspections and re-inspections for those campaigns; where the campaign's
  template says so, an inspector of a unit below the organiser inspects the nominees of the
  named levels in its own subtree (assessment by the level below, seed 001);
- auditor: reads what lies in its subtree and changes nothing; system: the workflows.

A unit's contacts (issue 24) are managed by the admins of its subtree's root and above and by
the unit's own declarers (``require_contact_manager``).

An admin or auditor without a unit is "of the root": it reads the whole tree, the whole audit
log and its export; with a unit, it reads that unit's subtree like every other role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from domain.actors import Actor
from domain.errors import DomainError, OutsideJurisdictionError, RoleNotAllowedError
from domain.units import Unit
from domain.vocabulary import Role

ACTIONS: dict[str, frozenset[str]] = {
    "manage_units": frozenset({Role.ADMIN}),
    "manage_campaigns": frozenset({Role.ADMIN}),
    "manage_webhooks": frozenset({Role.ADMIN}),
    "declare": frozenset({Role.DECLARER}),
    "withdraw": frozenset({Role.DECLARER}),
    "pre_review": frozenset({Role.REVIEWER}),
    "commend": frozenset({Role.REVIEWER}),
    "revoke": frozenset({Role.REVIEWER}),
    "forward": frozenset({Role.REVIEWER}),
    "extend_deadline": frozenset({Role.REVIEWER}),
    "manage_phases": frozenset({Role.REVIEWER, Role.ADMIN}),
    "inspect": frozenset({Role.INSPECTOR}),
    "reinspect": frozenset({Role.INSPECTOR}),
    "record_activity": frozenset({Role.DECLARER}),
    "read": frozenset({Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR, Role.AUDITOR}),
    # corrections and appeals (issue 23): the organiser's reviewers correct (void, return,
    # reopen, decide appeals); the declaring unit's declarers amend and appeal
    "correct": frozenset({Role.REVIEWER}),
    "amend": frozenset({Role.DECLARER}),
    "appeal": frozenset({Role.DECLARER}),
    # a unit's contacts (issue 24): its admins (or an ancestor's) and its own declarers
    "manage_contacts": frozenset({Role.ADMIN, Role.DECLARER}),
}


def require_role(actor: Actor, action: str) -> None:
    if actor.role == Role.SYSTEM:
        return
    if actor.role not in ACTIONS[action]:
        raise RoleNotAllowedError(
            f"role '{actor.role}' may not {action.replace('_', ' ')}",
            f"角色「{actor.role.zh}」无权执行此操作（{action}）",
            action=action,
            role=actor.role,
        )


def require_within(actor: Actor, units: Iterable[Unit], action: str) -> None:
    """Every unit must lie in the actor's subtree (system and unit-less admins see all)."""
    if actor.role == Role.SYSTEM or (actor.role == Role.ADMIN and actor.unit_id is None):
        return
    for unit in units:
        if actor.unit_id is None or not unit.is_within(actor.unit_id):
            raise OutsideJurisdictionError(
                f"unit '{unit.code}' is outside the jurisdiction of '{actor.unit_id}'",
                f"单位「{unit.name_zh or unit.code}」不在「{actor.unit_id}」的管辖范围内",
                action=action,
                unit=unit.code,
            )


def sees_all(actor: Actor) -> bool:
    """The system, and admins and auditors without a unit (of the root)."""
    return actor.role == Role.SYSTEM or (
        actor.role in (Role.ADMIN, Role.AUDITOR) and actor.unit_id is None
    )


def can_read_campaign(actor: Actor, organiser: Unit, actor_unit: Unit | None) -> bool:
    """Root readers read everything; reviewers, inspectors, admins and auditors the campaigns
    organised in their subtree; declarers the campaigns that cover their unit."""
    if sees_all(actor):
        return True
    if actor_unit is None:
        return False
    if actor.role == Role.DECLARER:
        return actor_unit.is_within(organiser.code)
    return organiser.is_within(actor_unit.code)


AUDIT_LOG = "the audit log / 审计日志"
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMIN, Role.SYSTEM})


def require_audit_reader(actor: Actor) -> None:
    """The audit log (the API's /v1/audit/events) and the audit pages: auditors and admins, and
    the system. Of the root they read all of it, of a unit its subtree's; the whole chain, its
    checkpoints and its export are ``require_whole_log_reader``'s."""
    require_role(actor, "read")
    if actor.role not in AUDIT_READERS:
        raise RoleNotAllowedError(
            f"only auditors and admins may read {AUDIT_LOG}",
            f"仅审计员和管理员可以查看{AUDIT_LOG}",
            action="read_audit",
            role=actor.role,
        )


def require_whole_log_reader(actor: Actor, what: str) -> None:
    """The whole audit log, its export and the register of every title span all jurisdictions:
    auditors and admins of the root (without a unit) only."""
    require_role(actor, "read")
    if not sees_all(actor):
        raise RoleNotAllowedError(
            f"only auditors and admins without a unit (of the root) may read {what}",
            f"仅不限单位（根级）的审计员和管理员可以查看{what}",
            action="read_all",
            role=actor.role,
        )


def can_read_unit_records(actor: Actor, unit: Unit) -> bool:
    """A unit's registers (members, activity days, compliance, roll-up): the tokens of the unit
    or of a unit above it, and root readers."""
    return sees_all(actor) or (actor.unit_id is not None and unit.is_within(actor.unit_id))


def can_read_unit(actor: Actor, unit: Unit, actor_unit: Unit | None) -> bool:
    """A unit itself (its name, level, place in the tree): what a token's subtree holds, and the
    units above the token's own (its superiors, e.g. the organiser of a campaign it declares in)."""
    return can_read_unit_records(actor, unit) or (
        actor_unit is not None and unit.code in actor_unit.path
    )


def can_read_nomination(
    actor: Actor, organiser: Unit, declaring_unit: Unit, actor_unit: Unit | None
) -> bool:
    """Declarers read the nominations declared in their subtree; the others as for campaigns."""
    if actor.role == Role.DECLARER:
        return actor_unit is not None and declaring_unit.is_within(actor_unit.code)
    return can_read_campaign(actor, organiser, actor_unit)


def require_read(actor: Actor, allowed: bool, what: str) -> None:
    require_role(actor, "read")
    if not allowed:
        raise OutsideJurisdictionError(
            f"{what} is outside the jurisdiction of '{actor.unit_id}'",
            f"{what} 不在「{actor.unit_id}」的管辖范围内",
            action="read",
        )


def require_contact_manager(actor: Actor, unit: Unit, roles: Iterable[str] = ()) -> None:
    """An admin of the unit or of a unit above it, any contact; a declarer of that very unit
    only (a township's declarer does not manage its villages' contacts), and only contacts in
    the declarer role, before and after (``roles``): who reviews or administers a unit is not
    for its declarers to say."""
    require_role(actor, "manage_contacts")
    if actor.role == Role.DECLARER and actor.unit_id != unit.code:
        raise OutsideJurisdictionError(
            f"a declarer manages the contacts of its own unit only, not of '{unit.code}'",
            f"申报人只能管理本单位的联系人，不能管理「{unit.name_zh or unit.code}」的联系人",
            action="manage_contacts",
            unit=unit.code,
        )
    if actor.role == Role.DECLARER and any(str(r) != Role.DECLARER for r in roles):
        raise OutsideJurisdictionError(
            "a declarer manages contacts in the declarer role only; the unit's admins manage the others",
            "申报人只能管理角色为申报人的联系人，其他联系人由管理员管理",
            action="manage_contacts",
            unit=unit.code,
            rule="contact_role_for_declarers",
        )
    require_within(actor, [unit], "manage_contacts")


def authorize(actor: Actor, action: str, units: Iterable[Unit] = ()) -> None:
    require_role(actor, action)
    require_within(actor, units, action)


def acting_units(
    organiser: Unit,
    delegates: Mapping[str, str],
    levels: Sequence[str],
    load_unit: Callable[[str], Unit],
) -> list[Unit]:
    """Where an action on nominees of ``levels`` may be authorised: the organiser, and the unit
    the campaign delegated them all to (seed 001: 县直机关工委 reviews, inspects and commends
    the agencies), if one."""
    delegated = {delegates.get(str(level)) for level in levels}
    if len(delegated) == 1 and None not in delegated and levels:
        (code,) = delegated
        assert code is not None
        return [organiser, load_unit(code)]
    return [organiser]


def authorize_any(actor: Actor, action: str, candidates: Sequence[Unit]) -> None:
    """Authorised at the first of ``candidates`` that allows it; otherwise the first's refusal."""
    refusal: DomainError | None = None
    for unit in candidates:
        try:
            authorize(actor, action, [unit])
            return
        except DomainError as refused:
            refusal = refusal or refused
    if refusal is not None:
        raise refusal


def local_assessor(
    actor: Actor, actor_unit: Unit | None, organiser: Unit, local_inspection: Mapping[str, Sequence[str]]
) -> bool:
    """An inspector of a unit below the organiser at a level the campaign's local inspection
    names (it reads the campaign, and the nominations it assesses, to inspect them)."""
    return (
        actor.role == Role.INSPECTOR
        and actor_unit is not None
        and actor_unit.code != organiser.code
        and actor_unit.is_within(organiser.code)
        and str(actor_unit.level) in local_inspection
    )


def assesses_locally(
    actor: Actor,
    actor_unit: Unit,
    nominee_unit: Unit,
    organiser: Unit,
    local_inspection: Mapping[str, Sequence[str]],
) -> bool:
    """Assessment by the level below (seed 001: each township assesses its own village
    sites): an inspector of a unit below the organiser, at a level the campaign names,
    inspects the nominees of the levels named for it within its own subtree."""
    return (
        local_assessor(actor, actor_unit, organiser, local_inspection)
        and nominee_unit.is_within(actor_unit.code)
        and str(nominee_unit.level) in local_inspection.get(str(actor_unit.level), ())
    )


def require_unscoped(actor: Actor, action: str) -> None:
    """Acts above every unit (a new root unit): only an admin without a unit, or the system."""
    if actor.role == Role.SYSTEM or (actor.unit_id is None and actor.role != Role.PUBLIC):
        return
    raise OutsideJurisdictionError(
        f"only an admin without a unit may {action.replace('_', ' ')} at the root; "
        f"'{actor.unit_id}' is scoped",
        f"仅不限单位的管理员可在根层级执行此操作；当前令牌限于「{actor.unit_id}」",
        action=action,
    )
