"""The organisational tree of the tests, as data: 示范市 (a city) with its counties, townships,
villages and an agency, each under a code a test can name. ``UNIT_TREE`` is the whole named
tree, ``NEIGHBOUR_TREE`` a second city beside it; ``city`` is a city of any size for tests that
need many villages (the named ones first, then villages with generated names)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from domain.vocabulary import Level

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
NEIGHBOUR_CITY = "linyuan-shi"  # 临沅市, a city of its own: outside 示范市's jurisdiction
NEIGHBOUR_COUNTY = "taoyuan-xian"  # 桃源县
NEIGHBOUR_TOWNSHIP = "zhangjia-zhen"  # 张家镇
NEIGHBOUR_VILLAGE = "lijia-cun"  # 李家村


class UnitRow(NamedTuple):
    code: str
    name: str
    name_zh: str
    level: Level
    parent_id: str | None


def _village(code: str, name_zh: str, township: str) -> UnitRow:
    return UnitRow(
        code, code.removesuffix("-cun").title() + " Village", name_zh, Level.VILLAGE, township
    )


UNIT_TREE: tuple[UnitRow, ...] = (
    UnitRow(CITY, "Shifan City", "示范市", Level.CITY, None),
    UnitRow(COUNTY, "Yijun County", "宜君县", Level.COUNTY, CITY),
    UnitRow(TOWNSHIP, "Peng Town", "彭镇", Level.TOWNSHIP, COUNTY),
    *(_village(code, zh, TOWNSHIP) for code, zh in PENG_ZHEN_VILLAGES.items()),
    UnitRow(OTHER_TOWNSHIP, "Qipan Town", "棋盘镇", Level.TOWNSHIP, COUNTY),
    _village(OTHER_TOWNSHIP_VILLAGE, "马庄村", OTHER_TOWNSHIP),
    UnitRow(AGENCY, "Yijun County Agriculture Bureau", "宜君县农业局", Level.AGENCY, COUNTY),
    UnitRow(OTHER_COUNTY, "Liyang County", "黎阳县", Level.COUNTY, CITY),
    UnitRow(OTHER_COUNTY_TOWNSHIP, "Baishi Town", "白石镇", Level.TOWNSHIP, OTHER_COUNTY),
    _village(OTHER_COUNTY_VILLAGE, "山下村", OTHER_COUNTY_TOWNSHIP),
)
NEIGHBOUR_TREE: tuple[UnitRow, ...] = (
    UnitRow(NEIGHBOUR_CITY, "Linyuan City", "临沅市", Level.CITY, None),
    UnitRow(NEIGHBOUR_COUNTY, "Taoyuan County", "桃源县", Level.COUNTY, NEIGHBOUR_CITY),
    UnitRow(NEIGHBOUR_TOWNSHIP, "Zhangjia Town", "张家镇", Level.TOWNSHIP, NEIGHBOUR_COUNTY),
    _village(NEIGHBOUR_VILLAGE, "李家村", NEIGHBOUR_TOWNSHIP),
)
"""Another city's line of units, for what lies outside 示范市's jurisdiction."""
UNIT_NAMES_ZH = {row.code: row.name_zh for row in (*UNIT_TREE, *NEIGHBOUR_TREE)}

# --- a city of any size -----------------------------------------------------------------------

# The townships of 宜君县 in the order a city takes them, each with its named villages.
TOWNSHIPS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (TOWNSHIP, "Peng Town", "彭镇", PENG_ZHEN_VILLAGES),
    (OTHER_TOWNSHIP, "Qipan Town", "棋盘镇", {OTHER_TOWNSHIP_VILLAGE: "马庄村"}),
    ("taian-zhen", "Tai'an Town", "太安镇", {}),
    ("wuli-zhen", "Wuli Town", "五里镇", {}),
    ("yuntai-zhen", "Yuntai Town", "云台镇", {}),
)
# Stems of the villages a township has beyond its named ones (东河村, then 东河二村 …).
VILLAGE_STEMS = (
    ("donghe", "东河"),
    ("xiping", "西坪"),
    ("nangou", "南沟"),
    ("beiyuan", "北塬"),
    ("shangzhuang", "上庄"),
    ("xiawan", "下湾"),
    ("daliu", "大柳"),
    ("xiaozhai", "小寨"),
    ("hongxing", "红星"),
    ("xinmin", "新民"),
    ("hongqi", "红旗"),
    ("xiangyang", "向阳"),
    ("taoyuan", "桃园"),
    ("lijia", "李家"),
    ("wangzhuang", "王庄"),
    ("zhangwan", "张湾"),
    ("baiyang", "白杨"),
    ("qingshan", "青山"),
    ("qingquan", "清泉"),
    ("changling", "长岭"),
)
ROUNDS_ZH = "一二三四五六七八九"


@dataclass(frozen=True)
class City:
    """示范市 > 宜君县 > townships > villages: the rows to register, and the codes by level."""

    rows: list[UnitRow] = field(default_factory=list)
    townships: list[str] = field(default_factory=list)
    villages: dict[str, list[str]] = field(default_factory=dict)


def generated_village(township: str, n: int) -> UnitRow:
    """The ``n``-th (from 0) village of ``township`` beyond its named ones."""
    stem, stem_zh = VILLAGE_STEMS[n % len(VILLAGE_STEMS)]
    round_ = n // len(VILLAGE_STEMS)
    code = f"{township}-{stem}{round_ + 1 if round_ else ''}-cun"
    name_zh = f"{stem_zh}{ROUNDS_ZH[round_] if round_ else ''}村"
    name = f"{stem.title()}{f' No. {round_ + 1}' if round_ else ''} Village"
    return UnitRow(code, name, name_zh, Level.VILLAGE, township)


def city(townships: int = 2, villages: int = 6) -> City:
    """The city, 宜君县 and its first ``townships`` townships with ``villages`` villages each."""
    if not 1 <= townships <= len(TOWNSHIPS):
        raise ValueError(f"a city of 1 to {len(TOWNSHIPS)} townships, not {townships}")
    built = City(rows=list(UNIT_TREE[:2]))
    for code, name, name_zh, named in TOWNSHIPS[:townships]:
        built.rows.append(UnitRow(code, name, name_zh, Level.TOWNSHIP, COUNTY))
        rows = [_village(v, zh, code) for v, zh in named.items()][:villages]
        rows += [generated_village(code, n) for n in range(villages - len(rows))]
        built.rows.extend(rows)
        built.townships.append(code)
        built.villages[code] = [row.code for row in rows]
    return built
