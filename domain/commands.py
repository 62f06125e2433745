"""The use cases, one small immutable command each (in the manner of Cosmic Python's
``commands.py``). A command says what its sender wants; ``Laurel.execute(command, actor, ...)``
hands it to its handler (``domain/handlers/``), which decides through the aggregates.

``command`` is a command's stable name: idempotency receipts and logs record it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.vocabulary import InspectionVerdict, Level, PreReviewDecision, RevocationCause, Role

Id = UUID | str  # an aggregate id as the sender has it (parsed by the handler: a bad one is not found)


@dataclass(frozen=True, kw_only=True)
class Command:
    command: ClassVar[str]  # the stable name receipts and logs record


# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterUnit(Command):
    command: ClassVar[str] = "register_unit"
    code: str
    name: str
    name_zh: str
    level: Level | str
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenameUnit(Command):
    command: ClassVar[str] = "rename_unit"
    code: str
    name: str
    name_zh: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MoveUnit(Command):
    command: ClassVar[str] = "move_unit"
    code: str
    parent_id: str
    reason: str


# --- campaigns and their phases ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateCampaign(Command):
    command: ClassVar[str] = "create_campaign"
    template: str
    organiser_unit_id: str
    year: int | None = None
    starts_at: datetime | None = None
    durations: Mapping[str, Any] | None = None
    deadlines: Mapping[str, datetime] | None = None
    quotas: Mapping[str, Any] | None = None
    parent_campaign_id: Id | None = None
    create_parent: bool = False  # also create the parent campaign of the template's upper level
    # Nominee level -> the unit below the organiser that reviews, inspects and commends the
    # nominees of that level (seed 001: 县直机关工委 the agencies); the template's
    # ``delegable_levels`` say which levels may be delegated.
    delegates: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class CreateNextYearCampaign(Command):
    """Next year's campaign from this year's (``previous_campaign_id``): the same template,
    organiser, categories and quotas (``quotas`` overrides some), every date a year later; the
    titles of last year that the seed re-inspects every year (每年一评) fall due for
    re-inspection by the new campaign's inspection deadline."""

    command: ClassVar[str] = "create_next_year_campaign"
    previous_campaign_id: Id
    quotas: Mapping[str, Any] | None = None
    parent_campaign_id: Id | None = None


@dataclass(frozen=True, kw_only=True)
class ExtendDeadline(Command):
    command: ClassVar[str] = "extend_deadline"
    campaign_id: Id
    phase: str
    closes_at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class OpenPhase(Command):
    command: ClassVar[str] = "open_phase"
    campaign_id: Id
    phase: str


@dataclass(frozen=True, kw_only=True)
class ClosePhase(Command):
    """Close a phase and (``lapse_waiting``) lapse every nomination still waiting on one of its
    steps, in batches of ``LapseWaiting`` (the campaign workflow runs those batches itself)."""

    command: ClassVar[str] = "close_phase"
    campaign_id: Id
    phase: str
    reason: str = "deadline reached / 截止时间已到"
    lapse_waiting: bool = True


@dataclass(frozen=True, kw_only=True)
class LapseWaiting(Command):
    """One batch (up to ``limit``) of the nominations still waiting on a step of ``phase``,
    which has closed, lapsed in one transaction. Repeating it takes the next batch: a lapsed
    nomination no longer waits."""

    command: ClassVar[str] = "lapse_waiting"
    campaign_id: Id
    phase: str
    limit: int = 500


# --- nominations -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Declare(Command):
    command: ClassVar[str] = "declare"
    campaign_id: Id
    category: str
    declaring_unit_id: str
    nominee: Mapping[str, Any]  # kind, unit_id, name, person_id: as sent, checked by the handler
    form: Mapping[str, Any] = field(default_factory=dict)
    material: str = ""


@dataclass(frozen=True, kw_only=True)
class PreReview(Command):
    command: ClassVar[str] = "pre_review"
    nomination_id: Id
    decision: PreReviewDecision | str
    reasons: Sequence[str] = ()
    checks: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Inspect(Command):
    command: ClassVar[str] = "inspect"
    nomination_id: Id
    methods: Sequence[str]
    scores: Mapping[str, Any]
    verdict: InspectionVerdict | str
    notes: str = ""
    # {checklist: {item: met, or {"met": bool, "note": str}}}: every item the category asks
    checklist: Mapping[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    command: ClassVar[str] = "withdraw"
    nomination_id: Id
    reason: str


@dataclass(frozen=True, kw_only=True)
class Revoke(Command):
    command: ClassVar[str] = "revoke"
    nomination_id: Id
    reason: str
    cause: RevocationCause | str = RevocationCause.DECISION


@dataclass(frozen=True, kw_only=True)
class MarkReinspectionDue(Command):
    command: ClassVar[str] = "reinspection_due"
    nomination_id: Id
    due_by: datetime


@dataclass(frozen=True, kw_only=True)
class Reinspect(Command):
    command: ClassVar[str] = "reinspect"
    nomination_id: Id
    methods: Sequence[str]
    scores: Mapping[str, Any]
    verdict: InspectionVerdict | str
    notes: str = ""
    # {checklist: {item: met, or {"met": bool, "note": str}}}: every item the category asks
    checklist: Mapping[str, Mapping[str, Any]] | None = None


# --- commendation and forwarding ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Commend(Command):
    """Commend best-first within quota: ``nomination_ids`` a chosen subset, ``None`` all."""

    command: ClassVar[str] = "commend"
    campaign_id: Id
    category: str
    nomination_ids: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class Forward(Command):
    """Forward one nomination that passed inspection (commended or not) to the parent
    campaign (择优上报), within the parent's forwarding quota for this organiser and category."""

    command: ClassVar[str] = "forward"
    nomination_id: Id
    target_category: str | None = None


@dataclass(frozen=True, kw_only=True)
class ForwardSelected(Command):
    """Select and forward (择优上报) a category's best: ``nomination_ids`` a chosen list (which
    must be within the quota), ``None`` every one that passed inspection, best first, up to
    what the parent's forwarding quota leaves."""

    command: ClassVar[str] = "forward_selected"
    campaign_id: Id
    category: str
    nomination_ids: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class SetForwardingQuotas(Command):
    """The parent campaign's forwarding quotas: child organiser unit -> category -> how many
    it may forward (a category left out: no limit)."""

    command: ClassVar[str] = "set_forwarding_quotas"
    campaign_id: Id
    quotas: Mapping[str, Mapping[str, int]]
    reason: str = ""


# --- what the campaign workflow does on schedule -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RemindDeadline(Command):
    command: ClassVar[str] = "remind_deadline"
    campaign_id: Id
    phase: str
    offset_seconds: int


@dataclass(frozen=True, kw_only=True)
class RecordSilentUnits(Command):
    command: ClassVar[str] = "record_silent_units"
    campaign_id: Id


@dataclass(frozen=True, kw_only=True)
class ForwardCommended(Command):
    command: ClassVar[str] = "forward_commended"
    campaign_id: Id


@dataclass(frozen=True, kw_only=True)
class MarkReinspectionsDue(Command):
    """One batch (``offset``, ``limit``) of a category's titles due for re-inspection."""

    command: ClassVar[str] = "mark_reinspections_due"
    campaign_id: Id
    category: str
    due_by: datetime
    offset: int
    limit: int


@dataclass(frozen=True, kw_only=True)
class RevokeUnreinspected(Command):
    """One batch (``offset``, ``limit``) of a category's titles not re-inspected in time."""

    command: ClassVar[str] = "revoke_unreinspected"
    campaign_id: Id
    category: str
    offset: int
    limit: int


# --- access tokens -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IssueToken(Command):
    command: ClassVar[str] = "issue_token"
    role: Role | str
    unit_id: str | None
    label: str
    expires_at: datetime | None = None
    contact_id: str | None = None  # the person it is issued to: a contact of its unit (issue 24)


@dataclass(frozen=True, kw_only=True)
class RevokeToken(Command):
    command: ClassVar[str] = "revoke_token"
    token_id: str
    reason: str


# --- activity days (seed 004) ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterMember(Command):
    command: ClassVar[str] = "register_member"
    unit_id: str
    member_id: str
    name: str
    status: str
    leader: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordActivity(Command):
    command: ClassVar[str] = "record_activity"
    unit_id: str
    session: Mapping[str, Any]
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ExemptMember(Command):
    """按规定可暂不参加组织生活: the member is not expected from ``start`` to ``end``."""

    command: ClassVar[str] = "exempt_member"
    unit_id: str
    member_id: str
    start: str  # a date, YYYY-MM-DD
    end: str  # a date, YYYY-MM-DD (inclusive)
    reason: str


@dataclass(frozen=True, kw_only=True)
class SetActivityDay(Command):
    """A township's fixed activity day (day of the month, None: none) and after how many days
    a session of the township or its villages counts as recorded late."""

    command: ClassVar[str] = "set_activity_day"
    unit_id: str
    fixed_day: int | None = None
    late_after_days: int = 30
    reason: str = ""


# --- webhook subscriptions ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateWebhook(Command):
    command: ClassVar[str] = "create_webhook"
    url: str
    event_types: Sequence[str]
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class RotateWebhookSecret(Command):
    command: ClassVar[str] = "rotate_webhook_secret"
    webhook_id: Id


@dataclass(frozen=True, kw_only=True)
class DisableWebhook(Command):
    command: ClassVar[str] = "disable_webhook"
    webhook_id: Id
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeleteWebhook(Command):
    command: ClassVar[str] = "delete_webhook"
    webhook_id: Id


# --- duties ------------------------------------------------------------------------------------
# Issue 21, item 5: deliverables per phase and unit (domain/duties.py). ``duty`` is a template
# duty's code, or a rectification's (``<circular duty>.<n>``, made by a 通报批评).


@dataclass(frozen=True, kw_only=True)
class SubmitDuty(Command):
    command: ClassVar[str] = "submit_duty"
    campaign_id: Id
    duty: str
    unit_id: str
    title: str
    body: str


@dataclass(frozen=True, kw_only=True)
class AcceptDuty(Command):
    command: ClassVar[str] = "accept_duty"
    campaign_id: Id
    duty: str
    unit_id: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ReturnDuty(Command):
    command: ClassVar[str] = "return_duty"
    campaign_id: Id
    duty: str
    unit_id: str
    reason: str
    resubmit_by: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RecordSpotCheck(Command):
    command: ClassVar[str] = "record_spot_check"
    campaign_id: Id
    duty: str
    unit_id: str  # the unit checked
    method: str
    checked_on: str  # a date, YYYY-MM-DD
    checker: str
    findings: str


@dataclass(frozen=True, kw_only=True)
class IssueCircular(Command):
    """A circular (通报); a 通报批评 names a unit and a 限期整改 deadline, which makes that
    unit owe a rectification report by then."""

    command: ClassVar[str] = "issue_circular"
    campaign_id: Id
    duty: str
    title: str
    body: str
    kind: str = "notice"
    unit_id: str | None = None
    rectify_by: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RecordOverdueDuties(Command):
    """One batch (up to ``limit``) of the duties whose deadline has passed undone, each
    recorded overdue; repeating it takes the next batch (an overdue duty is not due again)."""

    command: ClassVar[str] = "record_overdue_duties"
    campaign_id: Id
    limit: int = 500


# --- evidence files (issue 22, item 4) ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AttachEvidence(Command):
    """Records a file already checked and stored by its SHA-256 (the route stores the bytes
    first and removes them again when this is refused): its kind (declaration | inspection),
    size, sniffed media type, clean original name, the thumbnail's hash for an image and, for an
    inspection file, which inspection (1-based, in the order recorded) when it is one."""

    command: ClassVar[str] = "attach_evidence"
    nomination_id: Id
    kind: str
    sha256: str
    size: int
    media_type: str
    name: str
    thumbnail_sha256: str | None = None
    inspection: int | None = None


# --- inspection teams, recusal and score normalisation (issue 22, items 1-3) --------------------


@dataclass(frozen=True, kw_only=True)
class FormTeam(Command):
    """An inspection team (考核验收组) of a campaign. ``members``: each either an inspector token
    ``{"token_id": …, "home_unit_id": …?, "name": …?}`` (its home unit defaults to the token's
    unit) or a named person ``{"name": …, "home_unit_id": …}`` (no token: the leader's token
    records that person's inspections). ``leader``: the token id of a token member.
    ``team_id``: a short slug (made from the order of forming when absent)."""

    command: ClassVar[str] = "form_team"
    campaign_id: Id
    name: str
    leader: str
    members: Sequence[Mapping[str, Any]]
    team_id: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class ChangeTeam(Command):
    """Adds and removes members (``remove``: member keys — a token id, or ``person:<name>@<unit>``),
    renames the team or changes its leader; what is not given stays."""

    command: ClassVar[str] = "change_team"
    campaign_id: Id
    team_id: str
    reason: str
    add: Sequence[Mapping[str, Any]] = ()
    remove: Sequence[str] = ()
    name: str | None = None
    leader: str | None = None


@dataclass(frozen=True, kw_only=True)
class DisbandTeam(Command):
    command: ClassVar[str] = "disband_team"
    campaign_id: Id
    team_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AssignToTeam(Command):
    """Assigns nominations to a team by hand (one or many); a reassignment needs a reason."""

    command: ClassVar[str] = "assign_to_team"
    campaign_id: Id
    team_id: str
    nomination_ids: Sequence[Id]
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AutoAssign(Command):
    """Assigns the campaign's admitted, not yet inspected, unassigned nominations (of
    ``category``, if given) to its teams: balanced by count, never to a team with a recused
    member, deterministic; those no team can take are reported, not assigned."""

    command: ClassVar[str] = "auto_assign"
    campaign_id: Id
    category: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class DeclareConflict(Command):
    """A team member declares a conflict of interest on a nomination (``member``: the member's
    key; absent, the sender's own token)."""

    command: ClassVar[str] = "declare_conflict"
    nomination_id: Id
    reason: str
    member: str | None = None


@dataclass(frozen=True, kw_only=True)
class InspectForMember(Inspect):
    """An inspection recorded by a team leader's token for a named member of the team (a
    person without a token): ``member`` is that member's key (``person:<name>@<unit>``)."""

    command: ClassVar[str] = "inspect_for_member"
    member: str


@dataclass(frozen=True, kw_only=True)
class SetScoreNormalisation(Command):
    """How the campaign's ranking compares teams' scores: ``none`` or ``team_z``."""

    command: ClassVar[str] = "set_score_normalisation"
    campaign_id: Id
    method: str
    reason: str = ""


# --- 公示 and objections (issue 23, items 1-2; domain/publicity.py, domain/objections.py) ----


@dataclass(frozen=True, kw_only=True)
class ConfigurePublicity(Command):
    """The campaign's 公示: ``working_days`` (1..60; 0 turns it off: commend grants at once, as
    before) and whether the public page shows the list. Refused once a list is proposed."""

    command: ClassVar[str] = "configure_publicity"
    campaign_id: Id
    working_days: int
    public_page: bool = True
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class SetPublicPage(Command):
    """Switches the campaign's public page (and public objections) on or off."""

    command: ClassVar[str] = "set_public_page"
    campaign_id: Id
    public_page: bool
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class PublishProposedList(Command):
    """Publishes the proposed list (拟表彰名单) of ``category`` (None: every category) not yet
    published: the period closes after the template's working days, in the campaign's zone."""

    command: ClassVar[str] = "publish_proposed_list"
    campaign_id: Id
    category: str | None = None
    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AdvancePublicity(Command):
    """The workflow's step: closes the periods due, grants the titles of the proposed with no
    open objection, and reminds (at most daily) of the objections awaiting a decision."""

    command: ClassVar[str] = "advance_publicity"
    campaign_id: Id


@dataclass(frozen=True, kw_only=True)
class LodgeObjection(Command):
    """An objection (异议/举报) by anyone, against a nomination on a published list, during its
    period. ``client``: a digest of the sender's address (never the address itself)."""

    command: ClassVar[str] = "lodge_objection"
    campaign_id: Id
    nomination_id: Id
    text: str
    contact: str = ""
    evidence: Mapping[str, Any] | None = None  # domain/evidence.py prepared (sha256, size, ...)
    client: str = ""


@dataclass(frozen=True, kw_only=True)
class InvestigateObjection(Command):
    command: ClassVar[str] = "investigate_objection"
    receipt: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class DecideObjection(Command):
    """``outcome``: uphold (the nomination leaves the list; its slot stays free in the quota)
    or dismiss (the title is granted once the period has closed and no objection is open)."""

    command: ClassVar[str] = "decide_objection"
    receipt: str
    outcome: str
    findings: str


# --- corrections and appeals (issue 23, items 3-4; domain/corrections.py) -----------------------


@dataclass(frozen=True, kw_only=True)
class VoidInspection(Command):
    """Voids one inspection (``inspection``: 1-based in recorded order) with a reason."""

    command: ClassVar[str] = "void_inspection"
    nomination_id: Id
    inspection: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ReturnForAmendment(Command):
    command: ClassVar[str] = "return_for_amendment"
    nomination_id: Id
    reasons: Sequence[str]
    fields: Sequence[str] = ()


@dataclass(frozen=True, kw_only=True)
class Amend(Command):
    """The declarer's amendment of a returned declaration (form and/or material)."""

    command: ClassVar[str] = "amend"
    nomination_id: Id
    form: Mapping[str, Any] | None = None
    material: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReopenPhase(Command):
    """Reopens a closed phase for one unit or nomination (``scope``, ``target``) until ``until``."""

    command: ClassVar[str] = "reopen_phase"
    campaign_id: Id
    phase: str
    scope: str
    target: str
    until: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class CloseReopenings(Command):
    """The workflow: closes the reopened windows whose deadline has come, lapsing (up to
    ``limit`` per run) what each let in and nobody acted on."""

    command: ClassVar[str] = "close_reopenings"
    campaign_id: Id
    limit: int = 500


@dataclass(frozen=True, kw_only=True)
class CancelCampaign(Command):
    command: ClassVar[str] = "cancel_campaign"
    campaign_id: Id
    reason: str


@dataclass(frozen=True, kw_only=True)
class CloseCancelled(Command):
    """One batch of a cancelled campaign's open nominations closed with the reason."""

    command: ClassVar[str] = "close_cancelled"
    campaign_id: Id
    limit: int = 500


@dataclass(frozen=True, kw_only=True)
class LodgeAppeal(Command):
    command: ClassVar[str] = "lodge_appeal"
    nomination_id: Id
    grounds: str


@dataclass(frozen=True, kw_only=True)
class DecideAppeal(Command):
    """``outcome``: upheld or refused; ``until``: the deadline of the implicit reopening of the
    restored step when its phase has closed (upheld)."""

    command: ClassVar[str] = "decide_appeal"
    nomination_id: Id
    outcome: str
    findings: str
    until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class CorrectNomineeName(Command):
    """Corrects the nominee's name on a commended nomination holding its title (issue 23,
    item 3): the certificate and the lists follow; the old name stays in the history."""

    command: ClassVar[str] = "correct_nominee_name"
    nomination_id: Id
    name: str
    reason: str


# --- a unit's contacts (issue 24) --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AddContact(Command):
    """``role``: admin, declarer, reviewer or inspector (which of the unit's notices reach it);
    ``phone`` is kept for later channels."""

    command: ClassVar[str] = "add_contact"
    unit_id: str
    name: str
    role: Role | str
    email: str
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class ChangeContact(Command):
    command: ClassVar[str] = "change_contact"
    unit_id: str
    contact_id: str
    name: str
    role: Role | str
    email: str
    phone: str = ""


@dataclass(frozen=True, kw_only=True)
class RemoveContact(Command):
    """Erases the contact's details; its id stays in the unit's history."""

    command: ClassVar[str] = "remove_contact"
    unit_id: str
    contact_id: str


# --- escalation of silent townships (issue 24, item 4; domain/escalation.py) ------------------


@dataclass(frozen=True, kw_only=True)
class EscalateSilentUnits(Command):
    """Step ``step`` (1-based) of the campaign's escalation ladder, once declaration has
    closed: the townships still silent, each reported to its unit ``levels_up`` above."""

    command: ClassVar[str] = "escalate_silent_units"
    campaign_id: Id
    step: int
