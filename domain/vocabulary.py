"""The domain's vocabulary: every state, status, decision, verdict, role and level as a typed
term with its zh-CN and English labels beside it. The pages, the spreadsheets and the API take
their labels from here and nowhere else.

A term is a ``StrEnum``: it equals, hashes and serialises as its code (``"declared"``), so
stored events and JSON keep the plain strings they always had."""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Term(StrEnum):
    """A code with its labels: ``Term.X.zh``, ``Term.X.en``, ``Term.X.label("en")``."""

    zh: str
    en: str

    def __new__(cls, code: str, zh: str = "", en: str = "") -> Self:
        member = str.__new__(cls, code)
        member._value_ = code
        member.zh = zh or code
        member.en = en or code
        return member

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    @classmethod
    def parse(cls, code: str) -> Self | None:
        """The term of ``code``; None when it names none (the caller says which rule failed)."""
        try:
            return cls(code)
        except ValueError:
            return None

    @classmethod
    def codes(cls) -> list[str]:
        return [str(member) for member in cls]


class NominationState(Term):
    DECLARED = "declared", "已申报", "Declared"
    ADMITTED = "admitted", "初审通过", "Admitted"
    REJECTED = "rejected", "初审未通过", "Rejected"
    INSPECTED = "inspected", "已考核", "Inspected"
    COMMENDED = "commended", "已表彰", "Commended"
    WITHDRAWN = "withdrawn", "已撤回", "Withdrawn"
    LAPSED = "lapsed", "已逾期", "Lapsed"
    REVOKED = "revoked", "已撤销荣誉", "Revoked"
    FORWARDED = "forwarded", "已上报", "Forwarded"
    # corrections (issue 23, items 3-4; domain/corrections.py)
    RETURNED = "returned", "已退回修改", "Returned for amendment"
    CANCELLED = "cancelled", "已随评选取消", "Closed: campaign cancelled"
    # 公示 (issue 23, items 1-2; domain/publicity.py): on the proposed list; taken off it by an
    # upheld objection (closed: the next best is not promoted in its place).
    PROPOSED = "proposed", "拟表彰", "Proposed for commendation"
    NOT_COMMENDED = "not_commended", "未予表彰", "Not commended"


# On the way to a decision, in pipeline order; and the states a nomination ends in.
OPEN_STATES = (
    NominationState.DECLARED,
    NominationState.RETURNED,
    NominationState.ADMITTED,
    NominationState.INSPECTED,
)
PIPELINE_STATES = (*OPEN_STATES, NominationState.PROPOSED, NominationState.COMMENDED)
CLOSED_STATES = (
    NominationState.REJECTED,
    NominationState.WITHDRAWN,
    NominationState.LAPSED,
    NominationState.REVOKED,
    NominationState.FORWARDED,
    NominationState.CANCELLED,
    NominationState.NOT_COMMENDED,
)
# A nominee whose nomination ended in one of these may be declared again.
REDECLARABLE_STATES = (NominationState.WITHDRAWN, NominationState.REJECTED, NominationState.LAPSED)


class ForwardedInspection(Term):
    """How an upper level takes the inspection of a nomination forwarded to it (择优上报)."""

    ACCEPT = "accept", "采信下级考核", "Accept the lower level's inspection"
    REINSPECT = "reinspect", "重新考核", "Inspect again"


class Step(Term):
    """What a campaign does in its phases; a template maps each step to one of its phases."""

    DECLARATION = "declaration", "申报", "declaration"
    PRE_REVIEW = "pre_review", "初审", "pre-review"
    INSPECTION = "inspection", "考核验收", "inspection"
    COMMENDATION = "commendation", "表彰", "commendation"


class PhaseStatus(Term):
    SCHEDULED = "scheduled", "未开始", "Scheduled"
    OPEN = "open", "进行中", "Open"
    CLOSED = "closed", "已截止", "Closed"


class TitleStatus(Term):
    ACTIVE = "active", "有效", "Active"
    REVOKED = "revoked", "已撤销", "Revoked"


class PreReviewDecision(Term):
    ADMIT = "admit", "通过", "Admitted"
    REJECT = "reject", "不予通过", "Rejected"


class InspectionVerdict(Term):
    PASS = "pass", "合格", "Pass"
    FAIL = "fail", "不合格", "Fail"


class InspectionMethod(Term):
    DOCUMENT_REVIEW = "document_review", "查阅资料", "Document review"
    SITE_VISIT = "site_visit", "实地考察", "Site visit"
    LIVE_OPERATION = "live_operation", "现场操作", "Live operation"
    QUESTIONNAIRE = "questionnaire", "问卷调查", "Questionnaire"


class RevocationCause(Term):
    DECISION = "decision", "决定撤销", "Decision"
    REINSPECTION_FAILED = "reinspection_failed", "复查不合格", "Re-inspection failed"
    NOT_REINSPECTED = "not_reinspected", "逾期未复查", "Not re-inspected in time"


class WebhookStatus(Term):
    ACTIVE = "active", "启用", "Active"
    DISABLED = "disabled", "已停用", "Disabled"
    DELETED = "deleted", "已删除", "Deleted"


class Role(Term):
    ADMIN = "admin", "管理员", "Administrator"
    DECLARER = "declarer", "申报人", "Declarer"
    REVIEWER = "reviewer", "初审人", "Reviewer"
    INSPECTOR = "inspector", "考核人", "Inspector"
    AUDITOR = "auditor", "审计员", "Auditor"
    SYSTEM = "system", "系统（流程引擎）", "System (workflow)"  # Temporal workflows and other automation
    # 公示 (issue 23): the sender of a public objection; no action is allowed to it
    # (domain/rules/jurisdiction.py ACTIONS) and no token is ever issued with it
    PUBLIC = "public", "公众（未登录）", "The public (no login)"


class Level(Term):
    CITY = "city", "市/州", "City / prefecture"
    COUNTY = "county", "县/区", "County / district"
    TOWNSHIP = "township", "乡镇/街道", "Township / street"
    MANAGEMENT_DISTRICT = "management_district", "管理区", "Management district"  # seed 002
    VILLAGE = "village", "村/社区", "Village / community"
    AGENCY = "agency", "机关", "Agency"  # a government agency under a county


# --- seed 004: the monthly distance-education activity day (远程教育活动日) -------------------


class SessionKind(Term):
    ALL_MEMBER = "all_member", "全体党员集中学习", "All-member session"
    GROUP = "group", "分批分组学习", "Group session"
    MAKEUP = "makeup", "补课", "Make-up session"


class StudyTopic(Term):
    """The "five studies" (五学习)."""

    POLITICAL_THEORY = "political_theory", "政治理论", "Political theory"
    PARTY_BUILDING = "party_building", "党建知识", "Party building"
    RURAL_POLICY_LAW = "rural_policy_law", "农村政策法规", "Rural policy and law"
    APPLIED_TECHNOLOGY = "applied_technology", "先进适用科技", "Applied technology"
    HEALTH_CULTURE = "health_culture", "健康娱乐文化", "Health and culture"


class FiveHave(Term):
    """The "five haves" (五个有) every session records."""

    NOTICE = "notice", "事前有通告", "Notice given beforehand"
    SIGN_IN = "sign_in", "党员有签到", "Members signed in"
    PLAYBACK_LOG = "playback_log", "播放有登记", "Playback logged"
    DISCUSSION_RECORD = "discussion_record", "讨论有记录", "Discussion recorded"
    FEEDBACK = "feedback", "信息有反馈", "Feedback reported"


class MemberStatus(Term):
    """Who is on a unit's activity roll. Party and probationary members are expected at its
    sessions; the others (seed 004: 注重吸纳流动党员、入党积极分子、后备干部、种养殖大户和有学习
    愿望的村民居民参加活动) may attend and are recorded, but are never expected and do not count
    in the members' attendance (``PARTY_MEMBER_STATUSES``)."""

    MEMBER = "member", "党员", "Party member"
    PROBATIONARY = "probationary", "预备党员", "Probationary member"
    FLOATING_MEMBER = "floating_member", "流动党员", "Floating party member (from elsewhere)"
    ACTIVIST = "activist", "入党积极分子", "Activist applying to join"
    RESERVE_CADRE = "reserve_cadre", "后备干部", "Reserve cadre"
    MAJOR_GROWER = "major_grower", "种养殖大户", "Major grower or breeder"
    RESIDENT = "resident", "群众（村民居民）", "Resident (not a party member)"


PARTY_MEMBER_STATUSES = frozenset({MemberStatus.MEMBER, MemberStatus.PROBATIONARY})


# --- duties (issue 21, item 5): deliverables per phase and unit besides nominations ----------


class DutyKind(Term):
    DOCUMENT = "document", "提交材料", "Document to submit"
    SPOT_CHECK = "spot_check", "督查抽查", "Spot checks"
    CIRCULAR = "circular", "通报", "Circular"
    RECTIFICATION = "rectification", "限期整改", "Rectification by a deadline"


class DutyState(Term):
    DUE = "due", "待提交", "Due"
    OVERDUE = "overdue", "逾期未交", "Overdue"
    SUBMITTED = "submitted", "已提交", "Submitted"
    LATE = "late", "逾期提交", "Submitted late"
    RETURNED = "returned", "已退回", "Returned"
    ACCEPTED = "accepted", "已通过", "Accepted"


class SpotCheckMethod(Term):
    ON_SITE = "on_site", "实地察看", "On-site visit"
    PHONE = "phone", "电话抽查", "Telephone check"
    RANDOM = "random", "随机抽查", "Random check"


class CircularKind(Term):
    NOTICE = "notice", "通报", "Circular"
    CRITICISM = "criticism", "通报批评", "Circular of criticism"


# --- checklists at inspection, model bases (issue 21, item 6) --------------------------------


class ChecklistOutcome(Term):
    """An inspection's finding on one checklist item (持证上岗, 三簿一册, 五防, 八有四防)."""

    MET = "met", "符合", "Met"
    UNMET = "unmet", "不符合", "Not met"


class BaseKind(Term):
    """What a model base (示范基地, seed 003) is: the seed prefers cooperatives, leading
    enterprises and industrial bases with a project that shows the way."""

    COOPERATIVE = "cooperative", "合作社", "Cooperative"
    ENTERPRISE = "enterprise", "企业（龙头企业）", "Enterprise (leading enterprise)"
    OTHER = "other", "其他（产业基地、致富项目等）", "Other (industrial base, project)"


# --- evidence files (issue 22, item 4) -------------------------------------------------------


class EvidenceKind(Term):
    """What a file is evidence of: the declaration (扫描的申报表, photos, sign-in sheets) or an
    inspection (photos of the visit, questionnaires)."""

    DECLARATION = "declaration", "申报材料", "Declaration evidence"
    INSPECTION = "inspection", "考核材料", "Inspection evidence"


# --- inspection teams and score normalisation (issue 22, items 1-3) --------------------------


class ScoreNormalisation(Term):
    """How a campaign's ranking compares scores given by different inspection teams
    (domain/rules/normalisation.py)."""

    NONE = "none", "不作标准化（按原始得分排名）", "None (rank by raw scores)"
    TEAM_Z = "team_z", "按考核组标准化（Z 分数）", "Per team (z-scores)"


# --- corrections and appeals (issue 23, items 3-4; domain/corrections.py) --------------------


class ReopenScope(Term):
    """Whom a phase reopened after its close lets act again (until the organiser's deadline)."""

    UNIT = "unit", "单位", "Unit"
    NOMINATION = "nomination", "申报", "Nomination"


class AppealOutcome(Term):
    UPHELD = "upheld", "申诉成立", "Upheld"
    REFUSED = "refused", "申诉不成立", "Refused"


class AppealAgainst(Term):
    """What a declarer appeals (申诉): a rejection at pre-review or a lapse."""

    REJECTION = "rejection", "初审未通过", "Rejection at pre-review"
    LAPSE = "lapse", "逾期", "Lapse"


# --- 公示 and objections (issue 23, items 1-2; domain/publicity.py, domain/objections.py) ----


class ObjectionStatus(Term):
    OPEN = "open", "待处理", "Open"
    INVESTIGATING = "investigating", "调查核实中", "Under investigation"
    UPHELD = "upheld", "异议成立", "Upheld"
    DISMISSED = "dismissed", "异议不成立", "Dismissed"


class ObjectionOutcome(Term):
    UPHOLD = "uphold", "异议成立", "Upheld"
    DISMISS = "dismiss", "异议不成立", "Dismissed"
