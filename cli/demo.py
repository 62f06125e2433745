"""``laurel demo``: the seed-000 campaign end to end against a running stack, over HTTP only.

A city with 8 townships × 30 villages; the five-good-sites campaign with its phases compressed
to minutes; ~150 declarations across the three categories (materials written like seed 002, a
few deliberately bad); pre-review, inspection, the deadlines firing on their own (the campaign
workflow closes each phase and lapses what still waits), commendation within quota; then the
dashboard as a table and the page's URL."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

SEED_002 = (
    "{village}党支部把远程教育站点建在党员活动室，管理员持证上岗，每月十日固定为集中学习日，"
    "组织党员群众收看种植养殖、乡村旅游和政策法规课件，三簿一册记录真实规范，设备五防措施落实到位。"
    "站点累计培训党员干部群众{trained}余人次，带动发展核桃、中药材等致富项目{projects}个，"
    "“远教+产业”模式让群众在家门口学到了技术、找到了门路。"
)
CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
# The checklists an inspection records item by item (seed 000's 持证上岗, 三簿一册, 五防).
CHECKLISTS = {
    "five_good_site": {
        "certified_administrator": ["certificate_held", "operates_equipment"],
        "three_registers_one_book": ["three_registers_kept", "one_book_kept", "truthful", "to_standard"],
        "five_protections": ["fire", "theft", "damp", "lightning", "dust"],
    }
}
CRITERIA = {
    "five_good_site": [
        "party_attention",
        "site_management",
        "programmes_watched",
        "equipment_running",
        "effect",
    ],
    "outstanding_administrator": [
        "political_stance",
        "dedication",
        "equipment_skill",
        "organising_ability",
        "teaching_results",
    ],
    "advanced_worker": ["political_quality", "leadership_coordination", "site_guidance"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "秀英", "志强", "海燕", "文华", "春梅", "国庆", "丽娟", "明亮", "小红"]
PHASE_SECONDS = {"declaration": 75, "pre_review": 50, "inspection": 60, "commendation": 45}


@dataclass
class Outcome:
    declared: list[tuple[str, str]] = field(default_factory=list)  # (id, category)
    refused: list[str] = field(default_factory=list)
    admitted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    inspected: list[str] = field(default_factory=list)


def material(village: str, rng: random.Random) -> str:
    text = ""
    while len(text) < 900:
        text += SEED_002.format(
            village=village, trained=rng.randint(300, 2000), projects=rng.randint(3, 15)
        )
    return text


class Demo:
    def __init__(self, url: str, token: str, console: Console, *, seed: int = 2022) -> None:
        self.http = httpx.Client(
            base_url=url.rstrip("/"), headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        self.url, self.console, self.rng = url.rstrip("/"), console, random.Random(seed)
        self.suffix = datetime.now(UTC).strftime("%m%d%H%M%S")  # each run its own city

    def call(
        self,
        method: str,
        path: str,
        ok: tuple[int, ...] = (200, 201),
        client: httpx.Client | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = (client or self.http).request(method, path, **kwargs)
        if response.status_code not in ok:
            raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:400]}")
        return response

    def token(self, role: str, unit: str) -> httpx.Client:
        secret = self.call(
            "POST", "/v1/tokens", json={"role": role, "unit_id": unit, "label": f"demo {role}"}
        ).json()["token"]
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {secret}"}, timeout=60)

    # --- the world ----------------------------------------------------------------------------

    def build_city(self) -> tuple[str, dict[str, list[str]]]:
        s = self.suffix
        city = f"demo-city-{s}"
        rows = [f"{city},Demo City {s},示范市{s},city,"]
        townships: dict[str, list[str]] = {}
        for c in (1, 2):
            county = f"demo-county-{s}-{c}"
            rows.append(f"{county},Demo County {c},示范县{c},county,{city}")
            for t in range(4 * (c - 1) + 1, 4 * c + 1):
                town = f"demo-town-{s}-{t}"
                rows.append(f"{town},Township {t},彭镇{t},township,{county}")
                townships[town] = []
                for v in range(1, 31):
                    village = f"demo-vil-{s}-{t}-{v:02d}"
                    rows.append(f"{village},Village {t}-{v},前双村{t}-{v},village,{town}")
                    townships[town].append(village)
        body = "id,name,name_zh,level,parent_id\n" + "\n".join(rows) + "\n"
        report = self.call(
            "POST", "/v1/units:import", content=body.encode(), headers={"Content-Type": "text/csv"}
        ).json()
        self.console.print(
            f"units: {sum(1 for r in report['rows'] if r['status'] != 'error')} imported (1 city, 2 "
            "counties, 8 townships, 240 villages) / 单位已导入"
        )
        return city, townships

    def create_campaign(self, city: str) -> dict[str, Any]:
        starts = datetime.now(UTC) + timedelta(seconds=5)
        body = {
            "template": "five-good-sites",
            "organiser_unit_id": city,
            "starts_at": starts.isoformat(),
            "durations": PHASE_SECONDS,
        }
        campaign: dict[str, Any] = self.call("POST", "/v1/campaigns", json=body).json()
        self.console.print(
            f"campaign {campaign['id']} — phases: "
            + ", ".join(f"{p['code']} → {p['closes_at'][11:19]}" for p in campaign["phases"])
        )
        return campaign

    # --- the pipeline ---------------------------------------------------------------------------

    def wait_for_phase(self, campaign_id: str, code: str) -> None:
        """Until the phase is open (the campaign workflow closes the one before at its deadline)."""
        told = False
        while True:
            board = self.call("GET", f"/v1/campaigns/{campaign_id}/dashboard").json()
            current = board["current_phase"]
            if current and current["code"] == code:
                return
            phase = next(p for p in board["phases"] if p["code"] == code)
            wait = (datetime.fromisoformat(phase["opens_at"]) - datetime.now(UTC)).total_seconds()
            if not told:
                self.console.print(
                    f"[dim]waiting {max(wait, 1):.0f} s for {code} to open (the deadline before it "
                    f"fires on its own) / 等待「{code}」阶段开始[/dim]"
                )
                told = True
            time.sleep(min(max(wait, 0.5), 5))

    def declare(self, campaign_id: str, townships: dict[str, list[str]]) -> Outcome:
        outcome = Outcome()
        towns = list(townships)
        plan = [("five_good_site", 96), ("outstanding_administrator", 36), ("advanced_worker", 18)]
        for category, count in plan:
            for i in range(count):
                town = towns[i % len(towns)]
                client = self.declarers[town]
                offset = (
                    0 if category == "five_good_site" else 15
                )  # persons from other villages than the sites
                village = townships[town][(i // len(towns) + offset) % 30]
                name = (
                    f"{village} 站点"
                    if category == "five_good_site"
                    else self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
                )
                nominee: dict[str, Any] = {
                    "kind": "site" if category == "five_good_site" else "person",
                    "unit_id": village,
                    "name": name,
                }
                if nominee["kind"] == "person":
                    nominee["person_id"] = f"p-{village}-{category[:3]}"
                text = material(village[-5:], self.rng)
                if i % 40 == 7:
                    text = text[:300]  # deliberately bad: material under 800 characters
                response = client.post(
                    f"/v1/campaigns/{campaign_id}/nominations",
                    json={
                        "category": category,
                        "declaring_unit_id": town,
                        "nominee": nominee,
                        "form": {},
                        "material": text,
                    },
                )
                if response.status_code == 201:
                    outcome.declared.append((response.json()["id"], category))
                else:
                    outcome.refused.append(
                        f"{category} {village}: {response.status_code} "
                        f"{response.json().get('title', '')}"
                    )
        self.console.print(
            f"declared {len(outcome.declared)}, refused {len(outcome.refused)} (the deliberately "
            f"bad ones) / 申报 {len(outcome.declared)} 个，退回 {len(outcome.refused)} 个"
        )
        return outcome

    def pre_review(self, outcome: Outcome) -> None:
        for n, (nid, category) in enumerate(outcome.declared):
            if n % 9 == 4:
                self.call(
                    "POST",
                    f"/v1/nominations/{nid}/pre-review",
                    client=self.reviewer,
                    json={
                        "decision": "reject",
                        "reasons": ["材料与实际不符 / material does not match the site"],
                    },
                )
                outcome.rejected.append(nid)
            elif n % 13 == 6:
                continue  # left waiting: the pre-review deadline lapses it
            else:
                checks = CHECKS if category == "five_good_site" else {}
                self.call(
                    "POST",
                    f"/v1/nominations/{nid}/pre-review",
                    client=self.reviewer,
                    json={"decision": "admit", "reasons": [], "checks": checks},
                )
                outcome.admitted.append(nid)
        self.console.print(
            f"pre-review: {len(outcome.admitted)} admitted, {len(outcome.rejected)} rejected, the "
            "rest left to lapse / 初审完成"
        )

    def inspect(self, outcome: Outcome) -> None:
        categories = dict(outcome.declared)
        for n, nid in enumerate(outcome.admitted):
            if n % 11 == 3:
                continue  # not inspected in time: lapses when inspection closes
            score = self.rng.randint(55, 99)
            body = {
                "methods": ["document_review", "site_visit"],
                "scores": dict.fromkeys(CRITERIA[categories[nid]], score),
                "verdict": "pass" if score >= 60 else "fail",
                "notes": "实地查看设备运行和学用记录",
                "checklist": checklist(categories[nid], passed=score >= 60),
            }
            self.call("POST", f"/v1/nominations/{nid}/inspections", client=self.inspector, json=body)
            outcome.inspected.append(nid)
        self.console.print(f"inspected {len(outcome.inspected)} / 考核 {len(outcome.inspected)} 个")

    def commend(self, campaign_id: str) -> None:
        for category in CRITERIA:
            result = self.call(
                "POST",
                f"/v1/campaigns/{campaign_id}/commendations",
                client=self.reviewer,
                json={"category": category},
            ).json()
            self.console.print(f"commended {len(result.get('commended', []))} in {category} / 表彰")

    def run(self, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
        city, townships = self.build_city()
        self.declarers = {town: self.token("declarer", town) for town in townships}
        self.reviewer, self.inspector = self.token("reviewer", city), self.token("inspector", city)
        campaign = self.create_campaign(city)
        cid = campaign["id"]
        self.wait_for_phase(cid, "declaration")
        outcome = self.declare(cid, townships)
        self.wait_for_phase(cid, "pre_review")
        self.pre_review(outcome)
        self.wait_for_phase(cid, "inspection")
        self.inspect(outcome)
        self.wait_for_phase(cid, "commendation")
        self.commend(cid)
        board: dict[str, Any] = self.call("GET", f"/v1/campaigns/{cid}/dashboard").json()
        self.print_board(board)
        return board

    def print_board(self, board: dict[str, Any]) -> None:
        table = Table(title=f"{board['name_zh']}\n{board['name_en']}")
        states = ["declared", "admitted", "rejected", "inspected", "lapsed", "commended"]
        headers = [
            "类别 category",
            "申报\ndecl",
            "初审\nadmit",
            "不通过\nrej",
            "考核\ninsp",
            "逾期\nlapsed",
            "表彰\ncomm",
            "名额\nquota",
            "剩余\nleft",
        ]
        for i, column in enumerate(headers):
            table.add_column(column, justify="left" if i == 0 else "right")
        for c in board["categories"]:
            table.add_row(
                c["code"], *(str(c["states"][s]) for s in states), str(c["quota"]), str(c["remaining"])
            )
        self.console.print(table)
        for c in board["categories"]:
            if c["quota"] is not None and c["commended"] > c["quota"]:
                raise RuntimeError(f"quota exceeded in {c['code']}")
        self.console.print(f"dashboard / 看板: {self.url}/ui/campaigns/{board['campaign_id']}")


def checklist(category: str, *, passed: bool) -> dict[str, dict[str, Any]]:
    """Every checklist item met; a site that fails lacks its lightning protection (防雷)."""
    marks: dict[str, dict[str, Any]] = {
        code: dict.fromkeys(items, True) for code, items in CHECKLISTS.get(category, {}).items()
    }
    if not passed and "five_protections" in marks:
        marks["five_protections"]["lightning"] = {"met": False, "note": "未安装避雷设施"}
    return marks
