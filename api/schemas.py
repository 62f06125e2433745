"""Request and response models of HTTP API v1 (families XCreate / XPublic). Every model
allows extra fields to be added later without breaking clients.

Requests are strict: a JSON value of the wrong type is a 422 naming the field (``true`` is not
a quota of 1, ``"yes"`` not a boolean), every text has a length limit and refuses control
characters (``Text``), every collection a size limit, and instants are ISO 8601 texts.

States, roles, decisions, verdicts, methods and levels are the vocabulary's terms
(``domain.vocabulary``): the OpenAPI document lists each one's codes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from domain.access import ISSUABLE_ROLES
from domain.errors import InvalidCampaignError
from domain.rules.text import describe, forbidden_character
from domain.templates import MAX_QUOTA, parse_duration
from domain.vocabulary import (
    BaseKind,
    FiveHave,
    InspectionMethod,
    InspectionVerdict,
    Level,
    MemberStatus,
    NominationState,
    PhaseStatus,
    PreReviewDecision,
    RevocationCause,
    Role,
    SessionKind,
    StudyTopic,
    TitleStatus,
)

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


def _printable(value: str) -> str:
    char = forbidden_character(value)
    if char is not None:
        raise PydanticCustomError(
            "text_control_character",
            "text may hold tab, newline and carriage return but no other control character; "
            "found {char}",
            {"char": describe(char)},
        )
    return value


def _iso_text(value: Any) -> Any:
    """An instant is an ISO 8601 text: a number would be read as seconds since 1970."""
    if not isinstance(value, str | datetime):
        raise PydanticCustomError(
            "instant_text", "an instant is an ISO 8601 text such as 2026-11-23T10:00:00Z"
        )
    return value


def _issuable(value: Any) -> Any:
    """A token is issued for a person's role, never the workflows' ``system``."""
    if value not in ISSUABLE_ROLES:
        expected = ", ".join(f"'{r}'" for r in ISSUABLE_ROLES)
        raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})
    return value


Text = Annotated[StrictStr, AfterValidator(_printable)]
TokenRole = Annotated[
    Role,
    BeforeValidator(_issuable),
    WithJsonSchema({"type": "string", "enum": [str(r) for r in ISSUABLE_ROLES]}),
]
Code = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=64, pattern=CODE_PATTERN)
]  # unit ids, category, phase and template codes
Id = Annotated[
    StrictStr, StringConstraints(min_length=1, max_length=64)
]  # an aggregate id as the API gave it
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]  # an int is a number too; a bool is not
Instant = Annotated[datetime, BeforeValidator(_iso_text)]
FORM_TEXT_MAX = 2000


def _form_value(value: Any) -> Any:
    """One value of the declaration form: what the template's field types need, nothing nested."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PydanticCustomError(
                "finite_number", "numbers must be finite (NaN and Infinity are not JSON)"
            )
        return value
    if isinstance(value, str):
        if len(value) > FORM_TEXT_MAX:
            raise PydanticCustomError(
                "string_too_long",
                "a form text holds at most {max_length} characters",
                {"max_length": FORM_TEXT_MAX},
            )
        return _printable(value)
    raise PydanticCustomError("form_value_type", "a form value is a number, a boolean, a text or null")


FormValue = Annotated[
    Any,
    BeforeValidator(_form_value),
    WithJsonSchema({"type": ["number", "boolean", "string", "null"], "maxLength": FORM_TEXT_MAX}),
]


# Instants a request may name: far enough either side for any real campaign, near enough
# that phase arithmetic (start + durations, UTC conversion) stays inside datetime's range.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
LONGEST_PHASE = timedelta(days=3660)


class Model(BaseModel):
    """Request bodies: unknown fields are refused, and so are NaN and Infinity (not JSON
    numbers, though the parser accepts them) — they would otherwise reach the event store."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _in_range(value: datetime | None, field: str) -> datetime | None:
    """Naive instants pass (the domain refuses them with its own rule); aware ones must lie
    in [EARLIEST, LATEST)."""
    if value is not None and value.tzinfo is not None:
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            utc = None
        if utc is None or not EARLIEST <= utc < LATEST:
            raise ValueError(f"{field} must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


class UnitCreate(Model):
    id: Code = Field(examples=["town-3"])
    name: Text = Field("", max_length=200, examples=["Qianshuang Township"])
    name_zh: Text = Field("", max_length=200, examples=["前双镇"])
    level: Level
    parent_id: Code | None = Field(None, examples=["county-1"])


class UnitPublic(BaseModel):
    id: str
    name: str
    name_zh: str
    level: Level
    parent_id: str | None
    path: list[str]
    children: list[str]
    replayed: bool = False


class UnitPage(BaseModel):
    items: list[UnitPublic]
    next_offset: int | None
    total: int


class UnitRename(Model):
    name: Text = Field("", max_length=200, examples=["Qianshuang Town"])
    name_zh: Text = Field("", max_length=200, examples=["前双镇"])
    reason: Text = Field(
        min_length=1, max_length=2000, examples=["撤乡设镇 / the township became a town"]
    )


class UnitMove(Model):
    parent_id: Code = Field(examples=["city-1"])
    reason: Text = Field(
        min_length=1, max_length=2000, examples=["区划调整 / administrative boundaries redrawn"]
    )


class TokenCreate(Model):
    role: TokenRole
    unit_id: Code | None = Field(None, examples=["town-3"])
    label: Text = Field("", max_length=200, examples=["彭镇党委申报员 / Peng township declarer"])
    expires_at: Instant | None = Field(
        None,
        description="with a time zone; default: now + LAUREL_TOKEN_LIFETIME, "
        "at most now + LAUREL_TOKEN_MAX_LIFETIME / 有效期",
    )
    contact_id: Id | None = Field(
        None,
        description="the person the token is issued to: a contact of its unit; its notices then "
        "reach that contact (issue 24) / 令牌持有人（本单位联系人）",
    )

    @field_validator("expires_at")
    @classmethod
    def _expires_in_range(cls, value: datetime | None) -> datetime | None:
        return _in_range(value, "expires_at")


class TokenPublic(BaseModel):
    id: str
    role: Role
    unit_id: str | None
    label: str
    created_at: datetime
    created_by: str | None = None
    expires_at: datetime | None = Field(
        None, description="null: never (tokens issued before lifetimes existed)"
    )
    last_used_at: datetime | None = Field(None, description="to the minute / 最近使用时间")
    revoked: bool
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    revocation_reason: str | None = None
    contact_id: str | None = Field(None, description="the contact the token is issued to")


class TokenCreated(TokenPublic):
    token: str | None = Field(None, description="The secret, shown once / 令牌明文，仅显示一次")
    replayed: bool = False


class CampaignCreate(Model):
    template: Code = Field(examples=["five-good-sites"])
    organiser_unit_id: Code = Field(examples=["city-1"])
    year: StrictInt | None = Field(None, ge=1990, le=2100, examples=[2022])
    starts_at: Instant | None = Field(None, examples=["2026-11-23T10:00:00Z"])
    durations: dict[Code, Number | Annotated[Text, Field(max_length=64)]] | None = Field(
        None,
        max_length=20,
        description="seconds or ISO 8601 per phase",
        examples=[{"declaration": "PT10M", "pre_review": 600}],
    )
    deadlines: dict[Code, Instant] | None = Field(
        None,
        max_length=20,
        description="closes_at overrides per phase",
        examples=[{"declaration": "2022-10-21T16:00:00Z"}],
    )
    quotas: dict[Code, Annotated[StrictInt, Field(ge=0, le=MAX_QUOTA)] | None] | None = Field(
        None,
        max_length=50,
        description=f"per category, 0-{MAX_QUOTA}; null: no quota",
        examples=[{"five_good_site": 50}],
    )
    parent_campaign_id: Id | None = None
    create_parent: bool = Field(
        False,
        description="also create the upper level's campaign from the template's parent template "
        "(run by the organiser's superior at that level; the caller must administer it)",
    )
    delegates: dict[Code, Code] | None = Field(
        None,
        max_length=10,
        description="nominee level -> the unit below the organiser that reviews, inspects and "
        "commends the nominees of that level (levels the template's delegable_levels allow)",
        examples=[{"agency": "yijun-jiguan-gongwei"}],
    )

    @field_validator("starts_at")
    @classmethod
    def _starts_in_range(cls, value: datetime | None) -> datetime | None:
        return _in_range(value, "starts_at")

    @field_validator("deadlines")
    @classmethod
    def _deadlines_in_range(cls, value: dict[str, datetime] | None) -> dict[str, datetime] | None:
        for code, closes_at in (value or {}).items():
            _in_range(closes_at, f"deadlines.{code}")
        return value

    @field_validator("durations")
    @classmethod
    def _durations_bounded(cls, value: dict[str, float | str] | None) -> dict[str, float | str] | None:
        """At most LONGEST_PHASE each; a malformed or non-positive duration is left to the
        domain, which refuses it with its own rule (duration_format)."""
        for code, given in (value or {}).items():
            try:
                length = parse_duration(given, f"durations.{code}")
            except InvalidCampaignError:
                continue
            except (OverflowError, ValueError):
                length = None
            if length is None or length > LONGEST_PHASE:
                raise ValueError(f"durations.{code} must be at most {LONGEST_PHASE.days} days")
        return value


class PhasePublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    opens_at: datetime
    closes_at: datetime
    status: PhaseStatus


class CategorySummary(BaseModel):
    code: str
    name_zh: str
    name_en: str
    nominee_kind: str
    quota: int | None
    commended: int
    nominations: int


class ForwardedCount(BaseModel):
    from_unit_id: str
    category: str
    count: int


class EscalationStepPublic(BaseModel):
    """A step of the campaign's escalation ladder (issue 24; docs/notifications.md)."""

    grace_days: int
    levels_up: int
    roles: list[str]


class EscalationNotified(BaseModel):
    unit_id: str
    roles: list[str]
    units: list[str]


class EscalationTaken(BaseModel):
    step: int
    at: datetime
    grace_days: int
    units: list[str]
    notified: list[EscalationNotified]


class CampaignPublic(BaseModel):
    id: str
    version: int
    template: str
    name_zh: str
    name_en: str
    organiser_unit_id: str
    year: int | None
    timezone: str
    parent_campaign_id: str | None
    steps: dict[str, str]
    phases: list[PhasePublic]
    categories: list[CategorySummary]
    current_phase: str | None = None
    previous_campaign_id: str | None = None
    forwarded_inspection: str = "reinspect"
    local_inspection: dict[str, list[str]] = {}
    delegates: dict[str, str] = {}
    next_campaign_id: str | None = None
    forwarding_quotas: dict[str, dict[str, int]] = {}
    forwarded: list[ForwardedCount] = []
    escalation: list[EscalationStepPublic] = []  # the ladder the campaign keeps
    escalated: list[EscalationTaken] = []  # the steps taken so far
    parent_campaign: CampaignPublic | None = None


class NextYearCampaignCreate(Model):
    quotas: dict[Code, Annotated[StrictInt, Field(ge=0, le=MAX_QUOTA)] | None] | None = Field(
        None, max_length=50, description="per category, overriding last year's"
    )
    parent_campaign_id: Id | None = None


class ForwardingQuotas(Model):
    quotas: dict[
        Code, Annotated[dict[Code, Annotated[StrictInt, Field(ge=0, le=10_000)]], Field(max_length=50)]
    ] = Field(
        max_length=1000,
        description="child organiser unit -> category -> how many it may forward",
        examples=[{"yijun-xian": {"model_village": 3, "model_township": 1}}],
    )
    reason: Text = Field("", max_length=2000)


class ForwardSelectedCreate(Model):
    category: Code = Field(examples=["model_village"])
    nomination_ids: list[Id] | None = Field(
        None,
        max_length=500,
        description="these (within the forwarding quota); none: the best that passed",
    )


class ForwardedEntry(BaseModel):
    id: str
    forwarded_to: str
    score: float | None


class ForwardSelectedResult(BaseModel):
    campaign_id: str
    category: str
    parent_campaign_id: str
    forwarding_quota_left: int | None
    forwarded: list[ForwardedEntry]
    replayed: bool = False


class HeldTitlePublic(BaseModel):
    nomination_id: str
    campaign_id: str
    campaign_name_zh: str
    campaign_name_en: str
    campaign_year: int | None
    level: str
    category: str
    category_name_zh: str
    category_name_en: str
    holder_unit_id: str
    holder_name: str
    holder_person_id: str | None
    in_force: bool
    granted_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    next_reinspection_by: datetime | None


class CampaignListItem(BaseModel):
    id: str
    organiser_unit_id: str
    template: str
    year: int | None


class DeadlineExtension(Model):
    closes_at: Annotated[AwareDatetime, BeforeValidator(_iso_text)] = Field(
        description="with a time zone (e.g. Z): a naive instant would be read in the server's local zone"
    )
    reason: Text = Field(
        min_length=1,
        max_length=2000,
        examples=["暴雨导致山区乡镇材料延误 / Rainstorms delayed the mountain townships' materials"],
    )

    @field_validator("closes_at")
    @classmethod
    def _closes_in_range(cls, value: datetime) -> datetime:
        return _in_range(value, "closes_at")  # type: ignore[return-value]


class NomineeIn(Model):
    kind: Literal["site", "person", "unit", "base"]
    unit_id: Code = Field(examples=["vil-3-07"])
    name: Text = Field(min_length=1, max_length=200, examples=["前双村远程教育站点"])
    person_id: Code | None = None
    base_kind: BaseKind | None = Field(
        None, description="a model base's kind (示范基地类型): cooperative, enterprise or other"
    )


class NominationCreate(Model):
    category: Code = Field(examples=["five_good_site"])
    declaring_unit_id: Code = Field(examples=["town-3"])
    nominee: NomineeIn
    form: dict[Code, FormValue] = Field(
        default_factory=dict,
        max_length=100,
        description="the declaration form's fields as the template declares them "
        "(number, integer, percent, boolean, text)",
        examples=[{"operation_rate": 97.5}],
    )
    material: Text = Field(
        "",
        max_length=200_000,
        description="typical material (典型材料), ≥ the category minimum in characters",
    )


class CommandResult(BaseModel):
    id: str
    state: NominationState
    version: int
    replayed: bool = False
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="e.g. seed-004 activity-day shortfalls at declaration / 提示（如活动日未达标）",
    )
    forwarded_to: dict[str, str] | None = None


class PreReviewCreate(Model):
    decision: PreReviewDecision
    reasons: list[Annotated[Text, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=20, examples=[["材料翔实 / Material thorough"]]
    )
    checks: dict[Code, StrictBool] = Field(
        default_factory=dict,
        max_length=50,
        examples=[{"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}],
    )


class ChecklistMarkIn(Model):
    """One checklist item found met or not, with an optional note / 检查项是否符合及备注."""

    met: StrictBool
    note: Text = Field("", max_length=500, examples=["灭火器过期 / extinguisher out of date"])


ChecklistItems = Annotated[dict[Code, ChecklistMarkIn | StrictBool], Field(max_length=50)]


class InspectionCreate(Model):
    methods: list[InspectionMethod] = Field(
        min_length=1, max_length=4, examples=[["document_review", "site_visit"]]
    )
    scores: dict[Code, Number] = Field(
        max_length=50,
        description="every criterion of the category, each 0-100 / 各项标准得分（0-100）",
        examples=[
            {
                "party_attention": 90,
                "site_management": 85,
                "programmes_watched": 88,
                "equipment_running": 92,
                "effect": 87,
            }
        ],
    )
    verdict: InspectionVerdict
    notes: Text = Field("", max_length=5000, examples=["三簿一册记录规范 / registers kept to standard"])
    checklist: dict[Code, ChecklistItems] | None = Field(
        None,
        max_length=20,
        description="every item of every checklist the category asks of the nominee (持证上岗, "
        "三簿一册, 五防, 八有四防), met or not: true/false or {met, note}; a missing item is "
        "refused, and a required checklist's unmet item refuses a pass / 检查清单逐项记录",
        examples=[
            {
                "five_protections": {
                    "fire": True,
                    "theft": True,
                    "damp": {"met": False, "note": "机房返潮 / damp in the room"},
                    "lightning": True,
                    "dust": True,
                }
            }
        ],
    )

    def checklist_marks(self) -> dict[str, dict[str, Any]] | None:
        """As the command takes it: each item ``true``/``false`` or ``{met, note}``."""
        if self.checklist is None:
            return None
        return {
            code: {
                item: mark.model_dump() if isinstance(mark, ChecklistMarkIn) else mark
                for item, mark in items.items()
            }
            for code, items in self.checklist.items()
        }


class CommendationCreate(Model):
    category: Code = Field(examples=["five_good_site"])
    nomination_ids: list[Id] | None = Field(
        None, max_length=MAX_QUOTA, description="commend these (within quota) instead of the best scores"
    )


class CommendationEntry(BaseModel):
    id: str
    rank: int
    score: float


class CommendationResult(BaseModel):
    campaign_id: str
    category: str
    quota: int | None
    commended: list[CommendationEntry]
    commended_total: int
    not_selected: list[dict[str, Any]]
    replayed: bool = False


class ReasonCreate(Model):
    reason: Text = Field(
        min_length=1,
        max_length=2000,
        examples=["复查发现设备长期停用 / Equipment found idle at re-inspection"],
    )


class ForwardingCreate(Model):
    category: Code | None = Field(
        None, description="category in the parent campaign (default: the same code)"
    )


class NominationPublic(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    version: int
    campaign_id: str
    category: str
    state: NominationState
    state_zh: str


class NominationPage(BaseModel):
    items: list[NominationPublic]
    next_cursor: str | None


class ActorPublic(BaseModel):
    """Who did it: the token, its role and its unit (none: the whole tree)."""

    token_id: str
    role: Role
    unit_id: str | None = None


class HistoryEvent(BaseModel):
    position: int | None = None  # in the global audit order
    version: int
    type: str
    occurred_at: datetime
    actor: ActorPublic | None
    data: dict[str, Any]
    hash: str | None = None  # the audit chain's hash at that position


class TitlePublic(BaseModel):
    """A title granted (荣誉称号), active or revoked (``domain.values.Title``)."""

    nomination_id: str
    campaign_id: str
    category: str
    nominee: str
    nominee_unit_id: str
    nominee_person_id: str | None = None
    status: TitleStatus
    granted_at: datetime
    rank: int
    anniversary: datetime
    yearly_reinspection: bool
    reinspection_due_by: datetime | None = None
    next_reinspection_by: datetime | None = None
    last_reinspected_at: datetime | None = None
    last_reinspection_passed: bool | None = None
    revoked_at: datetime | None = None
    revocation_cause: RevocationCause | None = None
    revocation_reason: str | None = None


class TitlePage(BaseModel):
    items: list[TitlePublic]
    next_after: str | None = Field(None, description="the last nomination id of this page")


class ImportRow(BaseModel):
    row: int
    status: Literal["created", "replayed", "error"]
    id: str | None = None
    errors: list[dict[str, Any]] = Field(default_factory=list)


class ImportReport(BaseModel):
    created: int
    failed: int
    rows: list[ImportRow]


# --- seed 004: members and activity days -------------------------------------------------


class MemberCreate(Model):
    id: Code = Field(examples=["m-0012"])
    name: Text = Field(min_length=1, max_length=100, examples=["王建国"])
    status: MemberStatus = Field(
        MemberStatus.MEMBER,
        description=(
            "党员 member · 预备党员 probationary (expected at sessions); taking part, never "
            "expected: 流动党员 floating_member · 入党积极分子 activist · 后备干部 reserve_cadre · "
            "种养殖大户 major_grower · 群众 resident"
        ),
    )
    leader: StrictBool = Field(
        False,
        description="on the organisation's leading group / 党组织负责人、领导班子成员 (attends first)",
    )


class MemberPublic(BaseModel):
    unit_id: str
    id: str
    name: str
    status: MemberStatus
    leader: bool
    replayed: bool = False


class ActivityDayCreate(Model):
    session_id: Code | None = Field(
        None, description="defaults to the date; the same id again corrects the record"
    )
    date: StrictStr = Field(examples=["2022-03-10"], pattern=r"^\d{4}-\d{2}-\d{2}$")
    kind: SessionKind = SessionKind.ALL_MEMBER
    hours: Number = Field(gt=0, le=24, examples=[4])
    topic: StudyTopic = Field(description="one of the five studies / 五学习")
    expected: list[Code] = Field(
        default_factory=list, max_length=5000, description="members expected (all-member: every member)"
    )
    attendees: list[Code] = Field(
        default_factory=list, max_length=5000, description="the sign-in list / 签到名单"
    )
    five_haves: dict[FiveHave, StrictBool] = Field(
        examples=[
            {
                "notice": True,
                "sign_in": True,
                "playback_log": True,
                "discussion_record": True,
                "feedback": True,
            }
        ]
    )
    makeup_for: Code | None = None
    mandatory: StrictBool = Field(
        False, description="必学必看 / 规定动作: every member attends it or a make-up of it"
    )
    off_day_reason: Text = Field(
        "",
        max_length=2000,
        description="why an all-member session is off the township's fixed day / 非统一活动日的原因",
    )
    reason: Text = Field(
        "", max_length=2000, description="required when correcting a recorded session / 更正理由"
    )


class ActivityDayRecorded(BaseModel):
    unit_id: str
    year: int
    session_id: str
    outcome: Literal["recorded", "corrected", "unchanged"]
    version: int
    warnings: list[dict[str, Any]] = Field(
        default_factory=list,
        description="recorded late, off the township's fixed day, members left out: never refusing",
    )
    replayed: bool = False


class ExemptionCreate(Model):
    start: StrictStr = Field(examples=["2022-03-01"], pattern=r"^\d{4}-\d{2}-\d{2}$")
    end: StrictStr = Field(examples=["2022-08-31"], pattern=r"^\d{4}-\d{2}-\d{2}$")
    reason: Text = Field(
        min_length=1,
        max_length=2000,
        description="按规定可暂不参加组织生活的依据 / the rule that exempts the member",
    )


class ExemptionPublic(BaseModel):
    start: str
    end: str
    reason: str


class MemberExemptions(BaseModel):
    unit_id: str
    member_id: str
    name: str
    exemptions: list[ExemptionPublic]
    changed: bool
    version: int
    replayed: bool = False


class ActivityDaySettings(Model):
    fixed_day: int | None = Field(
        None, ge=1, le=31, description="day of the month (31: the month's last day); null: none"
    )
    late_after_days: int = Field(
        30, ge=1, le=366, description="a session recorded more days after its date is flagged"
    )
    reason: Text = Field("", max_length=2000)


class ActivityDaySettingsPublic(BaseModel):
    unit_id: str
    fixed_day: int | None
    late_after_days: int
    changed: bool = False
    version: int | None = None
    replayed: bool = False


class CompliancePublic(BaseModel):
    unit_id: str
    year: int
    through: str
    months_checked: list[int]
    compliant: bool | None
    assessed: bool
    shortfalls: list[dict[str, Any]]
    stats: dict[str, Any]
    flags: list[dict[str, Any]] = Field(
        default_factory=list,
        description="sessions recorded late (杜绝突击造假) or off the township's fixed day",
    )


# --- duties (issue 21, item 5) -------------------------------------------------------------
# Lengths as the domain's rules (domain/rules/duties.py) state them.


class DutySubmission(Model):
    title: Text = Field(max_length=200, examples=["彭镇“双强双创双争”活动实施细则"])
    body: Text = Field(
        max_length=100_000,
        description="the document's text (no files) / 正文",
        examples=["一、目标任务……二、步骤安排……三、保障措施……"],
    )


class DutyAcceptance(Model):
    note: Text = Field("", max_length=2000, examples=["同意 / Accepted"])


class DutyReturn(Model):
    reason: Text = Field(max_length=2000, examples=["缺少保障措施 / The safeguards are missing"])
    resubmit_by: Annotated[AwareDatetime, BeforeValidator(_iso_text)] | None = Field(
        None, description="a new deadline for the resubmission / 重新提交期限"
    )


class SpotCheckCreate(Model):
    unit_id: Code = Field(examples=["qianshuang-cun"])
    method: Literal["on_site", "phone", "random"] = Field(
        description="on_site 实地察看, phone 电话抽查, random 随机抽查"
    )
    checked_on: Annotated[str, StringConstraints(max_length=10)] = Field(examples=["2011-11-04"])
    checker: Text = Field(max_length=100, examples=["王明"])
    findings: Text = Field(max_length=20_000, examples=["设备完好，签到簿记录齐全。"])


class CircularCreate(Model):
    kind: Literal["notice", "criticism"] = Field(
        "notice", description="notice 通报, criticism 通报批评 (names a unit and a 限期整改 deadline)"
    )
    title: Text = Field(max_length=200, examples=["关于棋盘镇活动开展不积极的通报"])
    body: Text = Field(max_length=100_000)
    unit_id: Code | None = Field(None, description="the unit criticised / 被通报批评的单位")
    rectify_by: Annotated[AwareDatetime, BeforeValidator(_iso_text)] | None = Field(
        None, description="the rectification deadline (限期整改) / 整改期限"
    )


class DutyPublic(BaseModel):
    duty: str
    kind: str
    kind_zh: str
    phase: str
    name_zh: str
    name_en: str
    unit_id: str
    unit_name_zh: str | None = None
    due_at: str
    state: str
    state_zh: str
    late: bool
    min_count: int
    title: str
    submitted_at: str | None
    note: str
    records: int
    origin: dict[str, Any] | None = None
    version: int
    body: str | None = None
    entries: list[dict[str, Any]] | None = None
    history: list[dict[str, Any]] | None = None
    check: dict[str, Any] | None = None
    circular: dict[str, Any] | None = None
    changed: bool | None = None
    replayed: bool = False


class DutyUnitSummary(BaseModel):
    unit_id: str
    unit_name_zh: str | None
    states: dict[str, int]
    late: int
    owed: int


class DutyBoard(BaseModel):
    campaign_id: str
    duties: list[DutyPublic]
    units: list[DutyUnitSummary]


class DutyBoardEntry(BaseModel):
    duty: str
    kind: str
    state: str
    late: bool
    due_at: str | None
    updated_at: str | None = None


class DutyBoardUnit(DutyUnitSummary):
    duties: list[DutyBoardEntry]


class DutyBoardPublic(BaseModel):
    campaign_id: str
    units: list[DutyBoardUnit]


# --- evidence files (issue 22, item 4) ----------------------------------------------------------


class EvidencePublic(BaseModel):
    kind: str = Field(description="declaration | inspection / 申报材料 | 考核材料")
    sha256: str = Field(description="the SHA-256 of the bytes (the file's name in the blob store)")
    size: int
    media_type: str = Field(description="sniffed from the bytes / 由文件内容识别")
    name: str = Field(description="the original file name, cleaned / 原文件名")
    thumbnail_sha256: str | None = None
    inspection: int | None = Field(None, description="which inspection (1-based), if named")
    uploaded_by: dict[str, Any]
    uploaded_at: datetime
    download: str
    thumbnail: str | None = None


class EvidenceAttachResult(BaseModel):
    id: str
    version: int
    attached: bool = Field(description="false: the same file was already attached this way")
    replayed: bool = False
    evidence: EvidencePublic | None = None


class EvidenceList(BaseModel):
    nomination_id: str
    items: list[EvidencePublic]


# --- printed documents and verification codes (issue 22, item 5) -------------------------------


class Bilingual(BaseModel):
    zh: str
    en: str


class TitleVerification(BaseModel):
    """What a public check of a certificate's code answers: what the certificate shows, and
    whether the title is in force."""

    code: str = Field(description="the code as printed: LRL-XXXX-XXXX-XXXX")
    status: Literal["active", "revoked"] = Field(description="active: in force / 有效；revoked: 已撤销")
    status_zh: str
    holder_name: str
    category: Bilingual = Field(description="the title / 荣誉称号")
    campaign: Bilingual
    organiser: Bilingual
    granted_on: str = Field(description="the date granted, in the campaign's time zone")
    revoked_on: str | None = None
    revocation: Bilingual | None = Field(None, description="why it was revoked (the cause)")
    verify_path: str
