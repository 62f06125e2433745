"""The pages' message catalogue (zh-CN, the default, and English) and the language choice:
``?lang=en`` or ``?lang=zh`` switches and is kept in a cookie.

The names of the domain's terms (states, roles, decisions, …) are not here: the ``Translator``
takes them from ``domain.vocabulary``, and an event's name from its class
(``Nomination.Declared.zh``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from api.pages.messages import (
    admin,
    audit,
    contacts,
    corrections,
    declarer,
    documents,
    duties,
    evidence,
    inbox,
    levels,
    organiser,
    publicity,
    review,
    teams,
)
from domain.campaigns import Campaign
from domain.history import event_class_type
from domain.nominations import Nomination
from domain.objections import Objection
from domain.units import Unit
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
CORE_MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("远程教育评选表彰系统", "Laurel · commendation campaigns"),
    "lang.switch": ("English", "中文"),
    "nav.campaigns": ("评选活动", "Campaigns"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.signed_in_as": ("当前令牌", "Signed in as"),
    "nav.skip": ("跳到正文", "Skip to the content"),
    "nav.label": ("主导航", "Main navigation"),
    "nav.declare": ("申报", "Declare"),
    "nav.review": ("初审", "Pre-review"),
    "nav.inspect": ("考核", "Inspect"),
    "nav.organise": ("表彰", "Commend"),
    "nav.audit": ("审计", "Audit"),
    "nav.admin": ("管理", "Administer"),
    "form.done": ("已保存。", "Saved."),
    "form.refused": (
        "有 {n} 处需要修改，请按提示改正后再提交：",
        "{n} thing(s) to correct before you submit:",
    ),
    "form.stale": (
        "您打开此表单后，这条记录已被他人修改。下面显示的是最新内容，请确认后再提交。",
        "This record changed since you opened the form. It is shown as it is now: check it "
        "and submit again.",
    ),
    "form.required": ("必填", "required"),
    "login.admin_hint_title": ("第一次使用？", "First time here?"),
    "login.admin_hint": (
        "管理员令牌由 laurel up 在启动时打印，并保存在项目目录下的 .laurel/admin-token 文件中"
        "（若设置了环境变量 LAUREL_ADMIN_TOKEN，则为该变量的值）。用它登录后即可建立单位树、"
        "创建评选活动并为各乡镇签发令牌。其他人员请使用管理员为您签发的令牌。",
        "The administrator's token is printed by laurel up when it starts and kept in the file "
        ".laurel/admin-token of the project folder (or it is the value of LAUREL_ADMIN_TOKEN when "
        "that is set). Log in with it to build the unit tree, create a campaign and issue tokens "
        "for the townships. Everyone else uses the token their administrator issued.",
    ),
    "home.steps_title": ("开始使用：三个步骤", "Getting started: three steps"),
    "home.step_done": ("已完成", "Done"),
    "home.step_todo": ("待完成", "To do"),
    "home.step_tree": ("建立或导入单位树", "Build or import the unit tree"),
    "home.step_tree_hint": (
        "逐个添加市、县、乡镇、村，或上传单位表格一次导入。",
        "Add the city, counties, townships and villages one by one, or import them from a sheet.",
    ),
    "home.step_campaign": ("用模板创建评选活动", "Create a campaign from a template"),
    "home.step_campaign_hint": (
        "选择模板（如远程教育“五好站点”评选），设定年度或开始时间。",
        "Choose a template (e.g. the five-good sites), then the year or the start.",
    ),
    "home.step_tokens": ("为各乡镇签发令牌", "Issue tokens for the townships"),
    "home.step_tokens_hint": (
        "为每个乡镇签发申报人令牌，为初审、考核人员签发各自的令牌；令牌只显示一次。",
        "Issue a declarer's token per township and tokens for reviewers and inspectors; each "
        "secret is shown once.",
    ),
    "campaign.created": ("创建于", "Created"),
    "campaign.new": ("新建评选活动", "New campaign"),
    "campaign.create": ("创建", "Create"),
    "campaign.created_flash": ("评选活动已创建。", "The campaign is created."),
    "campaign.choose": ("请选择", "Choose"),
    "campaign.organiser_hint": (
        "组织评选的单位（模板规定其层级，如市/州）。",
        "The unit that runs the campaign (the template says at which level, e.g. a city).",
    ),
    "campaign.schedule": ("阶段时间", "Phase times"),
    "campaign.schedule_hint": (
        "二选一：填写年度，各阶段按模板规定的日期；或清空年度、填写开始时间，各阶段按模板时长依次排列。",
        "One or the other: a year, and the phases take the template's dates; or clear the year "
        "and give a start, and the phases follow one another for the template's durations.",
    ),
    "campaign.starts_at": ("开始时间", "Starts at"),
    "campaign.starts_at_hint": (
        "按模板所在时区（如北京时间）。",
        "In the template's time zone (e.g. Beijing time).",
    ),
    "campaign.id": ("编号", "Id"),
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
    "dashboard.awarded": ("已授予称号（计入名额）", "Titles awarded (count against the quota)"),
    "dashboard.awarded_hint": (
        "含之后被撤销的称号：撤销不退还名额。",
        "Including titles revoked since: a revocation does not give the place back.",
    ),
    "dashboard.held": ("现持有称号", "Titles held now"),
    "dashboard.revoked": ("其中已撤销", "Of which revoked"),
    "dashboard.quota_fill_label": (
        "{name}名额使用：已授予 {awarded} / 名额 {quota}",
        "{name} quota used: {awarded} awarded of {quota}",
    ),
    "dashboard.campaign_quota": ("全活动名额", "Campaign-wide quota"),
    "dashboard.own_figures": (
        "以下数字和列表仅统计「{unit}」及其下级单位申报的对象；名额为整个活动的名额。",
        "The figures and the list below count only what {unit} and the units below it declared; "
        "the quota is the whole campaign's.",
    ),
    "dashboard.campaign_figures": (
        "以下为整个活动的数据。",
        "The figures below are the whole campaign's.",
    ),
    "dashboard.as_of_banner": (
        "以下为 {when}（{zone}）时的状态：阶段、数字和申报列表均为当时的情况，倒计时已停止。",
        "As of {when} ({zone}): the phases, figures and nominations as they were then; the "
        "countdown is stopped.",
    ),
    "dashboard.back_to_now": ("查看当前状态", "Show the present"),
    "dashboard.left_then": ("当时剩余", "Time left then"),
    "dashboard.times_in": ("时间均为 {zone}", "Times in {zone}"),
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
    "event.lapsed_reason": (
        "阶段「{phase}」截止时此步骤仍未办理，申报自动逾期。",
        "The phase “{phase}” closed before this step was done: the nomination lapsed.",
    ),
    "event.target_link": ("查看上报后的申报记录", "Open the forwarded nomination"),
    "event.token": ("令牌编号", "Token id"),
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
    "compliance.figures": ("统计", "Figures"),
    "compliance.members_title": ("党员参加情况", "Members' attendance"),
    "compliance.monthly_title": ("各月最长一次集中学习", "Longest activity day per month"),
    "compliance.month": ("月份", "Month"),
    "compliance.month_name": ("{m}月", "Month {m}"),
    "compliance.hours": ("时长（小时）", "Hours"),
    "compliance.judged_on": (
        "按 {date} 之前已结束的月份核查（{zone}）",
        "Judged on the months complete before {date} ({zone})",
    ),
    "nomination.material": ("典型材料", "Typical material"),
    "nomination.material_count": ("共 {n} 字（不少于 {min} 字）", "{n} characters (at least {min})"),
    "nomination.form": ("申报表", "Declaration form"),
    "nomination.no_material": ("未填写典型材料。", "No typical material."),
    "nomination.yes": ("是", "Yes"),
    "nomination.no": ("否", "No"),
    "nomination.facts": ("基本情况", "Summary"),
    "error.title": ("无法显示此页面", "This page cannot be shown"),
    "error.403": ("没有权限", "Not allowed"),
    "error.403_hint": (
        "您当前的令牌无权查看或执行此操作。如需权限，请联系管理员。",
        "Your token may not see or do this. Ask your administrator if you need to.",
    ),
    "error.404": ("未找到", "Not found"),
    "error.404_hint": (
        "要查看的内容不存在，或地址有误。",
        "What you asked for does not exist, or the address is wrong.",
    ),
    "error.409": ("与当前状态冲突", "In conflict with the current state"),
    "error.409_hint": (
        "此操作与记录的当前状态不符，请返回刷新后再试。",
        "This does not fit the record's current state: go back, reload and try again.",
    ),
    "error.422": ("请求有误", "The request is not valid"),
    "error.422_hint": ("请按下列提示修改：", "Please correct the following:"),
    "error.other": ("出现问题", "Something went wrong"),
    "error.other_hint": ("请稍后再试。", "Please try again later."),
    "error.back": ("返回评选活动列表", "Back to the campaigns"),
}

# One table for every page: the shared messages above and each area's (api/pages/messages/).
MESSAGES: dict[str, tuple[str, str]] = {
    **CORE_MESSAGES,
    **admin.MESSAGES,
    **audit.MESSAGES,
    **declarer.MESSAGES,
    **documents.MESSAGES,
    **duties.MESSAGES,
    **evidence.MESSAGES,
    **levels.MESSAGES,
    **organiser.MESSAGES,
    **review.MESSAGES,
    **teams.MESSAGES,  # inspection teams (issue 22, items 1-3)
    **publicity.MESSAGES,  # 公示 and objections (issue 23, items 1-2)
    **corrections.MESSAGES,  # corrections and appeals (issue 23, items 3-4)
    **inbox.MESSAGES,  # the inbox, preferences and unit feeds (issue 24)
    **contacts.MESSAGES,  # a unit's contacts (issue 24)
}

# Each nomination event by its type name (``nomination.declared``), for its labels.
NOMINATION_EVENTS = {event_class_type(cls): cls for cls in Nomination.events()}
# The campaign's, an objection's and a unit's events that carry zh/en names (a unit's contact
# events, issue 24).
NAMED_EVENTS: dict[str, tuple[str, str]] = {
    event_class_type(cls): (str(vars(cls)["zh"]), str(vars(cls)["en"]))
    for owner in (Campaign, Objection, Unit)
    for cls in vars(owner).values()
    if isinstance(cls, type) and issubclass(cls, owner.Event) and isinstance(vars(cls).get("zh"), str)
}


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
        named = NAMED_EVENTS.get(type_name)  # 公示 (issue 23): a campaign's or an objection's
        if named is not None:
            return named[0] if self.lang == "zh" else named[1]
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
