"""The pages' message catalogue (zh-CN, the default, and English) and the language choice:
``?lang=en`` or ``?lang=zh`` switches and is kept in a cookie.

The names of the domain's terms (states, roles, decisions, …) are not here: the ``Translator``
takes them from ``domain.vocabulary``, and an event's name from its class
(``Nomination.Declared.zh``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from domain.history import event_class_type
from domain.nominations import Nomination
from domain.vocabulary import (
    CLOSED_STATES,
    PIPELINE_STATES,
    InspectionMethod,
    InspectionVerdict,
    NominationState,
    PhaseStatus,
    PreReviewDecision,
    RevocationCause,
    Role,
    SessionKind,
    Term,
)

__all__ = ["CLOSED_STATES", "LANGUAGES", "LANG_COOKIE", "PIPELINE_STATES", "Translator", "language_of"]

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANG_COOKIE = "laurel_lang"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

# key: (zh-CN, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("远程教育评选表彰系统", "Laurel · commendation campaigns"),
    "lang.switch": ("English", "中文"),
    "nav.campaigns": ("评选活动", "Campaigns"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.signed_in_as": ("当前令牌", "Signed in as"),
    "login.title": ("登录", "Log in"),
    "login.intro": (
        "请粘贴管理员签发的访问令牌。登录后本浏览器只保存一个会话编号（不保存令牌），退出登录即失效。",
        "Paste the access token your administrator issued. This browser then keeps a session id "
        "only (never the token), which ends when you log out.",
    ),
    "login.token": ("访问令牌", "Access token"),
    "login.submit": ("登录", "Log in"),
    "login.invalid": ("令牌无效、已过期或已撤销。", "Unknown, expired or revoked token."),
    "login.throttled": ("失败次数过多，请稍后再试。", "Too many failed attempts: try again later."),
    "login.logged_out": ("已退出登录。", "You are logged out."),
    "campaigns.title": ("评选活动", "Campaigns"),
    "campaigns.none": ("暂无可查看的评选活动。", "No campaign you may read yet."),
    "campaign.name": ("活动名称", "Campaign"),
    "campaign.year": ("年度", "Year"),
    "campaign.organiser": ("组织单位", "Organiser"),
    "campaign.template": ("模板", "Template"),
    "campaign.current_phase": ("当前阶段", "Current phase"),
    "campaign.no_phase": ("不在任何阶段", "No phase open"),
    "dashboard.title": ("活动看板", "Dashboard"),
    "dashboard.as_of": ("数据截至", "As of"),
    "dashboard.time_left": ("剩余时间", "Time left"),
    "dashboard.deadline": ("截止", "Deadline"),
    "dashboard.phases": ("阶段与截止时间", "Phases and deadlines"),
    "dashboard.categories": ("各类别进展", "Progress by category"),
    "dashboard.pipeline": ("申报流程", "Pipeline"),
    "dashboard.in_progress": ("流程中", "In the pipeline"),
    "dashboard.closed_states": ("已结束", "Closed"),
    "dashboard.quota": ("名额", "Quota"),
    "dashboard.commended": ("已表彰", "Commended"),
    "dashboard.remaining": ("剩余名额", "Remaining"),
    "dashboard.nominations": ("申报总数", "Nominations"),
    "dashboard.no_quota": ("不限名额", "No fixed quota"),
    "dashboard.quota_fill": ("名额使用", "Quota fill"),
    "dashboard.silent_units": ("未申报的乡镇", "Townships that declared nothing"),
    "dashboard.silent_none": ("无", "None"),
    "dashboard.nomination_list": ("申报列表", "Nominations"),
    "dashboard.more": (
        "仅显示前 {n} 条，完整列表见 API。",
        "Showing the first {n}; the API lists them all.",
    ),
    "phase.name": ("阶段", "Phase"),
    "phase.opens_at": ("开始", "Opens"),
    "phase.closes_at": ("截止", "Closes"),
    "phase.status": ("状态", "Status"),
    "phase.countdown": ("倒计时", "Countdown"),
    "phase.opens_in": ("距开始", "Opens in"),
    "phase.ended": ("已截止", "Closed"),
    "unit.day": ("天", "d"),
    "unit.hour": ("小时", "h"),
    "unit.minute": ("分", "m"),
    "unit.second": ("秒", "s"),
    "nomination.title": ("申报记录", "Nomination"),
    "nomination.nominee": ("申报对象", "Nominee"),
    "nomination.category": ("类别", "Category"),
    "nomination.declaring_unit": ("申报单位", "Declaring unit"),
    "nomination.state": ("状态", "State"),
    "nomination.score": ("得分", "Score"),
    "nomination.timeline": ("全过程记录", "Timeline"),
    "nomination.back": ("返回活动看板", "Back to the dashboard"),
    "event.when": ("时间", "When"),
    "event.actor": ("操作人", "Actor"),
    "event.reasons": ("理由", "Reasons"),
    "event.decision": ("结论", "Decision"),
    "event.verdict": ("考核结论", "Verdict"),
    "event.score": ("加权得分", "Weighted score"),
    "event.methods": ("考核方式", "Methods"),
    "event.notes": ("备注", "Notes"),
    "event.rank": ("名次", "Rank"),
    "event.due_by": ("复查期限", "Due by"),
    "event.phase": ("阶段", "Phase"),
    "event.cause": ("原因", "Cause"),
    "event.target": ("上报至", "Forwarded to"),
    "event.material_chars": ("典型材料字数", "Typical material (characters)"),
    "compliance.title": ("活动日达标情况", "Activity-day compliance"),
    "compliance.year": ("年度", "Year"),
    "compliance.through": ("核查截至（不含）", "Judged on the complete months before"),
    "compliance.months": ("核查月份", "Months checked"),
    "compliance.verdict": ("结论", "Verdict"),
    "compliance.compliant": ("达标", "Compliant"),
    "compliance.short": ("未达标", "Falls short"),
    "compliance.not_assessed": (
        "本年度未建立活动登记，不作评定",
        "No activity register this year: not assessed",
    ),
    "compliance.shortfalls": ("未达标事项", "Shortfalls"),
    "compliance.none": ("无", "None"),
    "compliance.sessions": ("活动次数", "Sessions"),
    "compliance.required": ("每名党员应参加次数", "Sessions required per member"),
    "compliance.longest": ("最长一次集中学习（小时）", "Longest activity day (hours)"),
    "compliance.attendance": ("{kind}出勤率", "{kind} attendance"),
    "compliance.member": ("党员", "Member"),
    "compliance.member_sessions": ("参加次数", "Sessions attended"),
    "compliance.leader": ("班子成员", "Leader"),
    "error.title": ("无法显示此页面", "This page cannot be shown"),
    "error.back": ("返回评选活动列表", "Back to the campaigns"),
}

# Each nomination event by its type name (``nomination.declared``), for its labels.
NOMINATION_EVENTS = {event_class_type(cls): cls for cls in Nomination.events()}


@dataclass(frozen=True)
class Translator:
    lang: str

    @property
    def index(self) -> int:
        return LANGUAGES.index(self.lang)

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    @property
    def other(self) -> str:
        return "en" if self.lang == "zh" else "zh"

    def __call__(self, key: str, **values: Any) -> str:
        text = MESSAGES[key][self.index]
        return text.format(**values) if values else text

    def term(self, cls: type[Term], code: str | None) -> str:
        """The label of ``code`` as a term of ``cls``; the code itself when it names none."""
        term = cls.parse(code) if code else None
        return term.label(self.lang) if term else str(code or "")

    def state(self, code: str) -> str:
        return self.term(NominationState, code)

    def role(self, code: str | None) -> str:
        return self.term(Role, code)

    def method(self, code: str) -> str:
        return self.term(InspectionMethod, code)

    def decision(self, code: str | None) -> str:
        return self.term(PreReviewDecision, code)

    def verdict(self, code: str | None) -> str:
        return self.term(InspectionVerdict, code)

    def cause(self, code: str | None) -> str:
        return self.term(RevocationCause, code)

    def phase_status(self, code: str | None) -> str:
        return self.term(PhaseStatus, code)

    def session_kind(self, code: str | None) -> str:
        return self.term(SessionKind, code)

    def event(self, type_name: str) -> str:
        """An event's name (``nomination.declared`` -> 申报 / Declared)."""
        cls = NOMINATION_EVENTS.get(type_name)
        if cls is None:
            return type_name
        return cls.zh if self.lang == "zh" else cls.en

    def name(self, item: Any) -> str:
        """The localised name of anything carrying ``name_zh``/``name_en`` (dict or object)."""

        def get(key: str) -> Any:
            return item.get(key) if isinstance(item, dict) else getattr(item, key, None)

        zh, en = get("name_zh"), get("name_en") or get("name")
        return (zh or en or "") if self.lang == "zh" else (en or zh or "")


def language_of(request: Request) -> str:
    """``?lang=`` first, then the cookie, then zh-CN."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT_LANGUAGE
