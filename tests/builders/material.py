"""The typical material (典型材料) of the tests: a township's narrative written like seed 002,
and materials of an exact length cut from it."""

from __future__ import annotations

import unicodedata

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


def material_of(chars: int = 900, *, line_width: int | None = 38) -> str:
    """A material of exactly ``chars`` non-whitespace characters, cut from the typical
    material, laid out like a document: paragraphs indented with full-width spaces and
    lines broken every ``line_width`` characters (layout that must not count); one line
    when ``line_width`` is None (a CSV cell written by hand)."""
    glyphs = (_GLYPHS * (chars // len(_GLYPHS) + 1))[:chars]
    if line_width is None:
        return glyphs
    lines = [glyphs[i : i + line_width] for i in range(0, len(glyphs), line_width)]
    return "\n".join(("　　" + line) if i % 5 == 0 else line for i, line in enumerate(lines))
