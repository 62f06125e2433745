"""Test data for the domain's unit tests: an organisational tree with real-sounding names,
a typical material written like a township's narrative (seed 002), declaration forms that
meet the seed standards, and a ``World`` that runs Laurel in memory (no I/O).

Every instant is an explicit UTC datetime: commands are always given ``at=`` so phase
gating never depends on the wall clock.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from domain.actors import SYSTEM, Actor
from domain.application import Laurel
from domain.nominations import Nomination
from domain.templates import get_template
from domain.values import Category, Nominee


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- the organisational tree ----------------------------------------------------------------

CITY = "shifan-shi"  # 示范市
COUNTY = "yijun-xian"  # 宜君县
TOWNSHIP = "peng-zhen"  # 彭镇
VILLAGE = "qianshuang-cun"  # 前双村
PENG_ZHEN_VILLAGES = {
    VILLAGE: "前双村",
    "houshuang-cun": "后双村",
    "yangliu-cun": "杨柳村",
    "shiqiao-cun": "石桥村",
    "liuwan-cun": "柳湾村",
}
OTHER_TOWNSHIP = "qipan-zhen"  # 棋盘镇, also in 宜君县
OTHER_TOWNSHIP_VILLAGE = "mazhuang-cun"  # 马庄村
AGENCY = "yijun-nongyeju"  # 宜君县农业局 (an agency under the county)
OTHER_COUNTY = "liyang-xian"  # 黎阳县, a second county of the city
OTHER_COUNTY_TOWNSHIP = "baishi-zhen"  # 白石镇
OTHER_COUNTY_VILLAGE = "shanxia-cun"  # 山下村

# code, English name, Chinese name, level, parent
UNIT_TREE: tuple[tuple[str, str, str, str, str | None], ...] = (
    (CITY, "Shifan City", "示范市", "city", None),
    (COUNTY, "Yijun County", "宜君县", "county", CITY),
    (TOWNSHIP, "Peng Town", "彭镇", "township", COUNTY),
    *(
        (code, code.replace("-cun", " Village").title(), zh, "village", TOWNSHIP)
        for code, zh in PENG_ZHEN_VILLAGES.items()
    ),
    (OTHER_TOWNSHIP, "Qipan Town", "棋盘镇", "township", COUNTY),
    (OTHER_TOWNSHIP_VILLAGE, "Mazhuang Village", "马庄村", "village", OTHER_TOWNSHIP),
    (AGENCY, "Yijun County Agriculture Bureau", "宜君县农业局", "agency", COUNTY),
    (OTHER_COUNTY, "Liyang County", "黎阳县", "county", CITY),
    (OTHER_COUNTY_TOWNSHIP, "Baishi Town", "白石镇", "township", OTHER_COUNTY),
    (OTHER_COUNTY_VILLAGE, "Shanxia Village", "山下村", "village", OTHER_COUNTY_TOWNSHIP),
)

UNIT_NAMES_ZH = {code: name_zh for code, _, name_zh, _, _ in UNIT_TREE}

# --- who acts ------------------------------------------------------------------------------

ADMIN = Actor("tok-root-admin", "admin", None)
CITY_REVIEWER = Actor("tok-shifan-reviewer", "reviewer", CITY)
CITY_INSPECTOR = Actor("tok-shifan-inspector", "inspector", CITY)
CITY_AUDITOR = Actor("tok-shifan-auditor", "auditor", CITY)
COUNTY_ADMIN = Actor("tok-yijun-admin", "admin", COUNTY)
COUNTY_REVIEWER = Actor("tok-yijun-reviewer", "reviewer", COUNTY)
COUNTY_INSPECTOR = Actor("tok-yijun-inspector", "inspector", COUNTY)
COUNTY_DECLARER = Actor("tok-yijun-declarer", "declarer", COUNTY)
OTHER_COUNTY_REVIEWER = Actor("tok-liyang-reviewer", "reviewer", OTHER_COUNTY)
TOWNSHIP_DECLARER = Actor("tok-pengzhen-declarer", "declarer", TOWNSHIP)
OTHER_TOWNSHIP_DECLARER = Actor("tok-qipan-declarer", "declarer", OTHER_TOWNSHIP)
SYSTEM_ACTOR = SYSTEM

# --- the typical material (典型材料) ----------------------------------------------------------

TYPICAL_MATERIAL = """\
彭镇远程教育典型材料
建强阵地　学用结合　让远教站点成为群众致富的加油站
中共彭镇委员会

　　彭镇位于宜君县东部，辖五个行政村、一个社区，共有农村党支部六个，党员四百八十六名。全镇已建成远程教育终端站点六个，建点率达到百分之百，站点设备正常运行率常年保持在百分之九十八以上。近年来，镇党委在县委组织部的精心指导下，紧紧围绕“让党员干部经常受教育、使农民群众长期得实惠”的目标，坚持建、管、用并重，以学用结合为核心，把远教站点办成了党员干部学习的课堂、群众致富的加油站，取得了明显成效。

一、强化领导，健全网络，夯实远教工作组织基础
　　镇党委把远程教育工作列入全镇党建工作重要议事日程，成立了由党委书记任组长、组织委员任副组长、各村党支部书记为成员的远程教育工作领导小组，每季度召开一次专题会议，研究解决站点建设、管理和使用中的实际问题。镇里明确一名熟悉计算机操作的年轻干部担任远教站指导员，各村均选配了有文化、懂技术、责任心强的站点管理员，并推行AB岗责任制，形成了镇、片、村三级联动的工作网络。

二、规范管理，落实制度，确保站点设备正常运转
　　我们坚持把规范管理作为站点发挥作用的前提，制定了站点管理员岗位职责、设备维护保养、学习登记等八项制度，统一制作上墙。各站点严格落实防火、防盗、防潮、防雷、防尘“五防”措施，做到专室专用、专人管理。镇远教站每月对各村站点进行一次巡检，对发现的故障做到二十四小时内响应、三天内排除，全年没有发生一起因管理不善造成的设备损坏。“三簿一册”填写真实完整，节目下载及时，节目预告按时张贴。

三、创新形式，突出实效，推动学用转化见成果
　　坚持每月二十日为“远教固定学习日”，结合农时季节，组织党员群众集中收看苹果栽培、生猪养殖、劳务技能等实用节目，全年累计组织集中学习一百五十六场次，参学党员群众八千余人次。前双村党支部利用远教平台学习矮化苹果密植技术，带领群众新建高标准果园六百亩，户均增收一万二千元；后双村依托站点开展电商培训，帮助农户把土蜂蜜、核桃等特产卖到了全国各地。我们还组织“学用标兵”现身说法，开展“远教大讲堂”和田间课堂，把课堂搬到地头，把专家请进村里，让群众看得懂、学得会、用得上。

四、加强督查，严格考核，建立长效工作机制
　　镇党委将远教工作纳入各村年度目标责任考核，实行季度督查通报、年终综合考评制度，考核结果与村干部绩效报酬挂钩。每年开展四次学习需求调查和教学效果反馈，及时调整教学内容。通过抽样测评，党员群众对远教工作的满意率达到百分之九十四。

　　下一步，我们将进一步巩固创建成果，完善长效机制，努力把远程教育工作提高到一个新水平，为全镇经济社会发展提供坚强的组织保证和人才支撑。
"""

_GLYPHS = "".join(ch for ch in unicodedata.normalize("NFC", TYPICAL_MATERIAL) if not ch.isspace())


def material_of(chars: int, *, line_width: int = 38) -> str:
    """A material of exactly ``chars`` non-whitespace characters, cut from the typical
    material, laid out like a document: paragraphs indented with full-width spaces and
    lines broken every ``line_width`` characters (layout that must not count)."""
    glyphs = (_GLYPHS * (chars // len(_GLYPHS) + 1))[:chars]
    lines = [glyphs[i : i + line_width] for i in range(0, len(glyphs), line_width)]
    return "\n".join(("　　" + line) if i % 5 == 0 else line for i, line in enumerate(lines))


# --- declaration forms and pre-review checks that meet the seed standards ---------------------

FIVE_PROTECTIONS_OK = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}

PLATFORM_FORM = {  # seed 001, advanced teaching-service platform: every threshold met
    "operation_rate": 96.5,
    "downtime_days": 12,
    "trained_rate": 97.0,
    "operation_bulletins": 3,
    "utilisation_rate": 95.0,
    "participation_rate": 88.0,
    "satisfaction_rate": 93.0,
    "feedback_rounds": 4,
}
MODEL_VILLAGE_FORM = {
    "telecom_mode_in_activity_room": True,
    "screen_inches": 55,
    "registers_kept": True,
    "fixed_study_day": True,
}
MODEL_TOWNSHIP_FORM = {"typical_cases": 3, "administrators_fully_trained": True}
ADVANCED_COUNTY_FORM = {"typical_cases": 2}


# --- templates and their timelines --------------------------------------------------------


@dataclass(frozen=True)
class Timeline:
    """One instant inside each step's window for a template instantiated for its seed year."""

    before_declaration: datetime
    declaration: datetime
    pre_review: datetime
    inspection: datetime
    commendation: datetime
    after_commendation: datetime


FIVE_GOOD_2022 = Timeline(
    before_declaration=utc(2022, 10, 15, 15, 59, 59),
    declaration=utc(2022, 10, 17, 2),
    pre_review=utc(2022, 10, 22, 2),
    inspection=utc(2022, 11, 1, 2),
    commendation=utc(2022, 11, 15, 2),
    after_commendation=utc(2022, 11, 30, 16),
)
DOUBLE_STRENGTHEN_2011 = Timeline(
    before_declaration=utc(2011, 7, 20, 2),
    declaration=utc(2011, 8, 15, 2),
    pre_review=utc(2012, 8, 10, 2),
    inspection=utc(2012, 8, 20, 2),
    commendation=utc(2012, 10, 15, 2),
    after_commendation=utc(2012, 11, 1, 2),
)
FOUR_CREATIONS_2017 = Timeline(
    before_declaration=utc(2017, 10, 20, 2),
    declaration=utc(2017, 11, 3, 2),
    pre_review=utc(2017, 11, 13, 2),
    inspection=utc(2017, 11, 15, 2),
    commendation=utc(2017, 11, 25, 2),
    after_commendation=utc(2017, 12, 1, 2),
)
TIMELINES = {
    "five-good-sites": FIVE_GOOD_2022,
    "double-strengthen": DOUBLE_STRENGTHEN_2011,
    "four-creations-three-selections": FOUR_CREATIONS_2017,
}
SEED_YEARS = {
    "five-good-sites": 2022,
    "double-strengthen": 2011,
    "four-creations-three-selections": 2017,
}


def category(template: str, code: str) -> Category:
    return next(c for c in get_template(template).categories if c.code == code)


def uniform_scores(cat: Category, score: float) -> dict[str, float]:
    """The same score for every criterion of the category (so the weighted score is ``score``)."""
    return {c.code: score for c in cat.criteria}


def declared_nomination(
    template: str = "five-good-sites",
    category_code: str = "five_good_site",
    *,
    form: dict[str, Any] | None = None,
    at: datetime = FIVE_GOOD_2022.declaration,
) -> Nomination:
    """A fresh Nomination aggregate in memory, without any application (pure)."""
    return Nomination.declare(
        campaign_id=uuid4(),
        category=category_code,
        declaring_unit_id=TOWNSHIP,
        nominee=Nominee(
            kind=category(template, category_code).nominee_kind, unit_id=VILLAGE, name="前双村远教站点"
        ),
        form=dict(form or {}),
        material=TYPICAL_MATERIAL,
        actor=TOWNSHIP_DECLARER.as_dict(),
        at=at,
    )


# --- an application in memory with the tree registered ---------------------------------------


@dataclass(frozen=True)
class CampaignRef:
    id: str
    template: str
    when: Timeline

    def category(self, code: str) -> Category:
        return category(self.template, code)


class World:
    """Laurel in memory (POPO event store) with the organisational tree registered."""

    def __init__(self, now: datetime = FIVE_GOOD_2022.declaration) -> None:
        self.now = now
        self.app = Laurel(env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=lambda: self.now)
        for code, name, name_zh, level, parent in UNIT_TREE:
            self.app.register_unit(code, name, name_zh, level, parent, ADMIN, at=utc(2010, 1, 1))

    def events_recorded(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def campaign(
        self,
        template: str = "five-good-sites",
        organiser: str = CITY,
        *,
        year: int | None = None,
        quotas: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> CampaignRef:
        year = SEED_YEARS[template] if year is None and "starts_at" not in kwargs else year
        created = self.app.create_campaign(
            template, organiser, ADMIN, year=year, quotas=quotas, at=utc(2010, 1, 1), **kwargs
        )
        return CampaignRef(created["id"], template, TIMELINES[template])

    def declare(
        self,
        campaign: CampaignRef,
        unit: str = VILLAGE,
        *,
        category: str = "five_good_site",
        name: str | None = None,
        kind: str | None = None,
        person_id: str | None = None,
        form: dict[str, Any] | None = None,
        material: str = TYPICAL_MATERIAL,
        declaring_unit: str = TOWNSHIP,
        actor: Actor = TOWNSHIP_DECLARER,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        cat = campaign.category(category)
        nominee = {
            "kind": kind or cat.nominee_kind,
            "unit_id": unit,
            "name": name or f"{UNIT_NAMES_ZH[unit]}远教站点",
            "person_id": person_id,
        }
        result = self.app.declare(
            campaign.id,
            category,
            declaring_unit,
            nominee,
            form or {},
            material,
            actor,
            at=at or campaign.when.declaration,
            idempotency_key=idempotency_key,
        )
        return result["id"]

    def admit(
        self,
        campaign: CampaignRef,
        nomination_id: str,
        *,
        checks: dict[str, Any] | None = None,
        actor: Actor = CITY_REVIEWER,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        return self.app.pre_review(
            nomination_id,
            "admit",
            [],
            actor,
            checks=FIVE_PROTECTIONS_OK if checks is None else checks,
            at=at or campaign.when.pre_review,
        )

    def inspect(
        self,
        campaign: CampaignRef,
        nomination_id: str,
        score: float,
        *,
        category: str = "five_good_site",
        verdict: str | None = None,
        actor: Actor = CITY_INSPECTOR,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        cat = campaign.category(category)
        return self.app.inspect(
            nomination_id,
            ["document_review", "site_visit", "live_operation", "questionnaire"],
            uniform_scores(cat, score),
            verdict or ("pass" if score >= cat.pass_mark else "fail"),
            actor,
            at=at or campaign.when.inspection,
        )

    def inspected(
        self,
        campaign: CampaignRef,
        unit: str,
        score: float,
        *,
        category: str = "five_good_site",
        reviewer: Actor = CITY_REVIEWER,
        inspector: Actor = CITY_INSPECTOR,
        **declare_kwargs: Any,
    ) -> str:
        """Declared, admitted and inspected once with ``score`` on every criterion."""
        nomination_id = self.declare(campaign, unit, category=category, **declare_kwargs)
        self.admit(campaign, nomination_id, actor=reviewer)
        self.inspect(campaign, nomination_id, score, category=category, actor=inspector)
        return nomination_id

    def state(self, nomination_id: str) -> str:
        return self.app.get_nomination(nomination_id).state
