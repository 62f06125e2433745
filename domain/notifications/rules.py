"""What each event tells whom: ONE table, ``RULES`` (event class -> its rules), read by the write
path (``notices_of``, through ``Laurel.save``) and printed by the README (``rule_rows``).

A rule names units and roles, never people (``notices.py``); its facts are what the templates
show: ids, the campaign, the category, the nominee's name, reasons, phase, dates, units —
never contact data, never an objection's text, findings or receipt (they may name the
objector). ``notices_of`` is pure: an event whose class has no rule costs one dict lookup, so
the declaration path does not slow."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.campaigns import Campaign
from domain.nominations import Nomination
from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.notifications.notices import Audience, Notice
from domain.notifications.waiting_steps import acting_roles
from domain.objections import Objection
from domain.vocabulary import PreReviewDecision, Role

Batch = Mapping[str, Any]
"""The aggregates saved together, by id (str): a rule may read a sibling (an objection's
nomination and campaign are saved with its decision)."""
Build = Callable[[Any, Any, Batch], list[Notice]]

UNIT_PEOPLE = (Role.ADMIN, Role.DECLARER)  # who acts for a unit in a campaign


@dataclass(frozen=True)
class Rule:
    """``kinds``: what it may send (one, or the choice ``build`` makes by the event's fields);
    ``who``/``when``: for the README, zh and en."""

    kinds: tuple[NoticeKind, ...]
    who_zh: str
    who_en: str
    when_zh: str
    when_en: str
    build: Build | None = None  # None: a row to show (another rule's build or the sender makes it)


# --- helpers -------------------------------------------------------------------------------------


def notice(
    kind: NoticeKind,
    aggregate: Any,
    event: Any,
    audience: Iterable[Audience],
    facts: Mapping[str, Any],
    *,
    campaign_id: Any = None,
    teams: Sequence[str] = (),
    key_suffix: str = "",
) -> Notice:
    """``key_suffix``: when one event sends several notices of one kind (one per unit told),
    what tells them apart (``<id>:<version>:<kind>:<suffix>``)."""
    seen: dict[str, list[Role]] = {}
    for a in audience:  # one entry per unit, its roles merged in order
        roles = seen.setdefault(a.unit_id, [])
        roles.extend(r for r in a.roles if r not in roles)
    return Notice(
        key=f"{event.originator_id}:{event.originator_version}:{kind}"
        + (f":{key_suffix}" if key_suffix else ""),
        kind=kind,
        subject_id=str(event.originator_id),
        occurred_at=event.timestamp,
        campaign_id=None if campaign_id is None else str(campaign_id),
        audience=tuple(Audience(u, tuple(r)) for u, r in seen.items()),
        teams=tuple(teams),
        facts=dict(facts),
    )


def iso(moment: datetime) -> str:
    return moment.isoformat()


def nomination_facts(n: Nomination) -> dict[str, Any]:
    return {
        "nomination_id": str(n.id),
        "campaign_id": str(n.campaign_id),
        "category": n.category,
        "nominee_name": n.nominee.name,
        "declaring_unit_id": n.declaring_unit_id,
        "nominee_unit_id": n.nominee.unit_id,
    }


def declaring(n: Nomination) -> list[Audience]:
    return [Audience(n.declaring_unit_id, UNIT_PEOPLE)]


def nominee_and_declaring(n: Nomination) -> list[Audience]:
    return [Audience(n.nominee.unit_id, UNIT_PEOPLE), *declaring(n)]


def about(kind: NoticeKind, audience: Callable[[Nomination], list[Audience]], *fields: str) -> Build:
    """A nomination's notice: its facts plus the event's ``fields``."""

    def build(n: Nomination, event: Any, batch: Batch) -> list[Notice]:
        facts = nomination_facts(n) | {f: _plain(getattr(event, f)) for f in fields}
        return [notice(kind, n, event, audience(n), facts, campaign_id=n.campaign_id)]

    return build


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (int, float, bool)) or value is None else str(value)


# --- the builders that need more than ``about`` ---------------------------------------------------


def deadline_approaching(c: Campaign, event: Campaign.DeadlineApproaching, batch: Batch) -> list[Notice]:
    units = list(dict.fromkeys(event.pending_units))
    if not units:
        return []
    steps = c.steps_of(event.phase)
    roles = tuple(dict.fromkeys(r for s in steps for r in acting_roles(s)))
    if not roles:
        return []
    facts = {
        "campaign_id": str(c.id),
        "phase": event.phase,
        "steps": [str(s) for s in steps],
        "closes_at": iso(event.closes_at),
        "offset_seconds": event.offset_seconds,
        "units": units,
    }
    audience = [Audience(u, roles) for u in units]
    return [notice(NoticeKind.DEADLINE_APPROACHING, c, event, audience, facts, campaign_id=c.id)]


def pre_reviewed(n: Nomination, event: Nomination.PreReviewed, batch: Batch) -> list[Notice]:
    admitted = event.decision == PreReviewDecision.ADMIT
    kind = NoticeKind.ADMITTED if admitted else NoticeKind.REJECTED
    facts = nomination_facts(n) | {"decision": str(event.decision), "reasons": list(event.reasons)}
    return [notice(kind, n, event, declaring(n), facts, campaign_id=n.campaign_id)]


def assigned(n: Nomination, event: Nomination.AssignedToTeam, batch: Batch) -> list[Notice]:
    facts = nomination_facts(n) | {"team_id": event.team_id, "previous_team_id": event.previous}
    audience = [Audience(n.nominee.unit_id, UNIT_PEOPLE), *declaring(n)]
    return [
        notice(
            NoticeKind.INSPECTION_SCHEDULED,
            n,
            event,
            audience,
            facts,
            campaign_id=n.campaign_id,
            teams=(event.team_id,),
        )
    ]


def commended(n: Nomination, event: Nomination.Commended, batch: Batch) -> list[Notice]:
    """Commended; granted after a 公示 (it was proposed), also the 公示's outcome."""
    facts = nomination_facts(n) | {"rank": event.rank, "score": event.score}
    made = [
        notice(
            NoticeKind.COMMENDED, n, event, nominee_and_declaring(n), facts, campaign_id=n.campaign_id
        )
    ]
    if n.proposed_rank is not None:
        outcome = nomination_facts(n) | {"outcome": "granted", "rank": event.rank}
        made.append(
            notice(
                NoticeKind.PUBLICITY_OUTCOME, n, event, declaring(n), outcome, campaign_id=n.campaign_id
            )
        )
    return made


def withdrawn_from_list(
    n: Nomination, event: Nomination.WithdrawnFromList, batch: Batch
) -> list[Notice]:
    facts = nomination_facts(n) | {"outcome": "withdrawn", "reason": event.reason}
    return [
        notice(NoticeKind.PUBLICITY_OUTCOME, n, event, declaring(n), facts, campaign_id=n.campaign_id)
    ]


def objection_decided(o: Objection, event: Objection.Decided, batch: Batch) -> list[Notice]:
    """To the declaring unit of the nomination objected to and the organiser's reviewers (both
    saved with the decision); the findings and the receipt stay on the objection."""
    facts: dict[str, Any] = {
        "campaign_id": o.campaign_id,
        "nomination_id": o.nomination_id,
        "category": o.category,
        "outcome": event.outcome,
    }
    audience: list[Audience] = []
    nomination = batch.get(o.nomination_id)
    if isinstance(nomination, Nomination):
        facts |= nomination_facts(nomination) | {"nomination_state": str(nomination.state)}
        audience += declaring(nomination)
    campaign = batch.get(o.campaign_id)
    if isinstance(campaign, Campaign):
        audience.append(Audience(campaign.organiser_unit_id, (Role.REVIEWER,)))
    if not audience:
        return []
    return [notice(NoticeKind.OBJECTION_OUTCOME, o, event, audience, facts, campaign_id=o.campaign_id)]


def silent_escalation(c: Campaign, event: Campaign.SilentUnitsEscalated, batch: Batch) -> list[Notice]:
    """One notice per unit told, of its own silent townships only (a county hears of its
    townships, not of another county's): its ``units`` and its one ``notified`` entry."""
    made = []
    for told in event.notified:
        unit_id, units = str(told["unit_id"]), list(told["units"])
        roles = tuple(Role(r) for r in told["roles"])
        facts = {
            "campaign_id": str(c.id),
            "step": event.step,
            "grace_days": event.grace_days,
            "units": units,
            "notified": [{"unit_id": unit_id, "units": units}],
        }
        made.append(
            notice(
                NoticeKind.SILENT_ESCALATION,
                c,
                event,
                [Audience(unit_id, roles)],
                facts,
                campaign_id=c.id,
                key_suffix=unit_id,
            )
        )
    return made


# --- the table -----------------------------------------------------------------------------------

_UNIT = ("申报单位（申报人、管理员）", "the declaring unit (declarer, admin)")
_BOTH = (
    "被推荐对象所在单位和申报单位（管理员、申报人）",
    "the nominee's unit and the declaring unit (admin, declarer)",
)

RULES: dict[type, tuple[Rule, ...]] = {
    Campaign.DeadlineApproaching: (
        Rule(
            (NoticeKind.DEADLINE_APPROACHING,),
            "尚未办理的单位：申报阶段为申报人、管理员；初审阶段为初审人；考核阶段为考核人",
            "each unit not yet acted: declarer+admin (declaration), reviewer (pre-review), "
            "inspector (inspection)",
            "阶段截止前按模板设定的提醒时点；无待办单位则不发",
            "at the template's reminder offsets before a phase closes; none if nothing pending",
            deadline_approaching,
        ),
    ),
    Nomination.Lapsed: (
        Rule(
            (NoticeKind.LAPSED,),
            *_UNIT,
            "阶段截止时仍未办理，申报失效",
            "a phase closed while the nomination still waited on it",
            about(NoticeKind.LAPSED, declaring, "phase", "reason"),
        ),
    ),
    Nomination.PreReviewed: (
        Rule(
            (NoticeKind.ADMITTED,),
            *_UNIT,
            "初审通过",
            "pre-review admits it",
            pre_reviewed,  # either kind, by the decision
        ),
        Rule(
            (NoticeKind.REJECTED,),
            *_UNIT,
            "初审不予通过（含理由）",
            "pre-review rejects it (with the reasons)",
        ),
    ),
    Nomination.ReturnedForAmendment: (
        Rule(
            (NoticeKind.RETURNED,),
            *_UNIT,
            "退回修改（含理由和需修改的字段）",
            "returned for amendment (with the reasons and the fields to amend)",
            about(NoticeKind.RETURNED, declaring, "reasons", "fields"),
        ),
    ),
    Nomination.AssignedToTeam: (
        Rule(
            (NoticeKind.INSPECTION_SCHEDULED,),
            "考核组成员；被推荐对象所在单位和申报单位（管理员、申报人）",
            "the inspection team's members; the nominee's unit and the declaring unit (admin, declarer)",
            "分配（或改派）考核组",
            "assigned (or reassigned) to an inspection team",
            assigned,
        ),
    ),
    Nomination.Commended: (
        Rule(
            (NoticeKind.COMMENDED,),
            *_BOTH,
            "授予荣誉称号",
            "the title is granted",
            commended,
        ),
        Rule(
            (NoticeKind.PUBLICITY_OUTCOME,),
            *_UNIT,
            "公示期满后授予荣誉称号",
            "the title is granted after the 公示",
        ),
    ),
    Nomination.WithdrawnFromList: (
        Rule(
            (NoticeKind.PUBLICITY_OUTCOME,),
            *_UNIT,
            "异议成立，撤出拟表彰名单",
            "an upheld objection took it off the proposed list",
            withdrawn_from_list,
        ),
    ),
    Objection.Decided: (
        Rule(
            (NoticeKind.OBJECTION_OUTCOME,),
            "被异议对象的申报单位（申报人、管理员）；组织单位初审人",
            "the declaring unit of the nomination objected to (declarer, admin); the "
            "organiser's reviewers",
            "异议处理决定作出（不含异议内容和调查情况）",
            "an objection is decided (without its text or findings)",
            objection_decided,
        ),
    ),
    Nomination.Revoked: (
        Rule(
            (NoticeKind.REVOKED,),
            "称号持有单位和申报单位（管理员、申报人）",
            "the holder's unit and the declaring unit (admin, declarer)",
            "撤销荣誉称号（含理由）",
            "a title is revoked (with the reason)",
            about(NoticeKind.REVOKED, nominee_and_declaring, "reason", "cause"),
        ),
    ),
    Nomination.ReinspectionDue: (
        Rule(
            (NoticeKind.REINSPECTION_DUE,),
            "称号持有单位（管理员、申报人）",
            "the holder's unit (admin, declarer)",
            "年度复查开始，须于期限前完成",
            "a yearly re-inspection falls due",
            about(
                NoticeKind.REINSPECTION_DUE,
                lambda n: [Audience(n.nominee.unit_id, UNIT_PEOPLE)],
                "due_by",
            ),
        ),
    ),
    Campaign.SilentUnitsEscalated: (
        Rule(
            (NoticeKind.SILENT_ESCALATION,),
            "上级单位的指定角色（按模板的督办阶梯，默认县级初审人，宽限期后上两级初审人和管理员），"
            "各单位只获知本辖区的乡镇",
            "the roles the template's ladder names at the level above (default: the county's "
            "reviewers, after the grace period two levels up, reviewers and admins); each unit "
            "hears of its own townships only",
            "申报截止时仍未申报的乡镇（重新开放期间的除外），每一督办步骤一次",
            "townships still silent when declaration closes (not while a window reopened for "
            "them is open), once per escalation step",
            silent_escalation,
        ),
    ),
}

DIGEST_RULE = Rule(
    (NoticeKind.DAILY_DIGEST,),
    "选择每日汇总的人；初审人、考核人的待办",
    "people who chose the digest; what waits for reviewers and inspectors",
    "每天一次（LAUREL_NOTIFY_DIGEST_HOUR，评选所在时区）",
    "once a day (LAUREL_NOTIFY_DIGEST_HOUR, in the campaign's zone)",
)


# --- reading the table ---------------------------------------------------------------------------


def notices_of(aggregate: Any, event: Any, batch: Batch | None = None) -> list[Notice]:
    """The notices ``event`` sends: ``aggregate`` is as it is saved (every pending event
    applied), ``batch`` the aggregates saved with it, by id."""
    rules = RULES.get(type(event))
    if rules is None:
        return []
    return [n for r in rules if r.build is not None for n in r.build(aggregate, event, batch or {})]


def notices_of_saved(objs: Iterable[Any]) -> list[Notice]:
    """The notices of every pending event of the aggregates about to be saved together."""
    aggregates = [o for o in objs if getattr(o, "pending_events", None)]
    if not any(type(e) in RULES for a in aggregates for e in a.pending_events):
        return []  # the common case: nothing to tell (a declaration)
    batch = {str(a.id): a for a in aggregates}
    return [n for a in aggregates for e in a.pending_events for n in notices_of(a, e, batch)]


def event_name(event: type) -> str:
    return event.__qualname__


def rule_rows() -> list[dict[str, str]]:
    """The table as the README prints it: one row per kind a rule sends, the digest last."""
    shown: list[tuple[str, tuple[Rule, ...]]] = [(event_name(e), r) for e, r in RULES.items()]
    shown.append(("(sender)", (DIGEST_RULE,)))
    rows = []
    for event, rules in shown:
        for rule in rules:
            for kind in rule.kinds:
                rows.append(
                    {
                        "kind": kind.value,
                        "kind_zh": kind.zh,
                        "kind_en": kind.en,
                        "event": event,
                        "mandatory": "yes" if kind in MANDATORY else "no",
                        "who_zh": rule.who_zh,
                        "who_en": rule.who_en,
                        "when_zh": rule.when_zh,
                        "when_en": rule.when_en,
                    }
                )
    return rows
