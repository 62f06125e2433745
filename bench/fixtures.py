"""What the benchmarks build on, without importing the tests: a free loopback port, a fresh
PostgreSQL schema, the actors of a campaign, and a city built through Laurel's commands
(city-1 > county-1 > town-N > vil-N-MM) with a seed-000 campaign for 2022."""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.actors import SYSTEM, Actor
from domain.application import Laurel
from domain.commands import CreateCampaign, RegisterUnit
from domain.vocabulary import Level, Role

__all__ = [
    "ADMIN",
    "CITY_INSPECTOR",
    "CITY_REVIEWER",
    "SITE_CHECKLIST",
    "SYSTEM",
    "build_city",
    "declarer",
    "five_good_campaign",
    "free_port",
    "material",
    "postgres_schema",
    "site_scores",
]

ADMIN = Actor("bench-admin", Role.ADMIN)
CITY_REVIEWER = Actor("bench-reviewer", Role.REVIEWER, "city-1")
CITY_INSPECTOR = Actor("bench-inspector", Role.INSPECTOR, "city-1")

# Seed 000, year 2022 (Asia/Shanghai): declarations by 20 Oct, inspection 26 Oct - 10 Nov.
DECLARING = datetime(2022, 10, 17, 2, tzinfo=UTC)
PRE_REVIEWING = datetime(2022, 10, 22, 2, tzinfo=UTC)
INSPECTING = datetime(2022, 10, 28, 2, tzinfo=UTC)

SITE_CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
SITE_CRITERIA = (
    "party_attention",
    "site_management",
    "programmes_watched",
    "equipment_running",
    "effect",
)
SITE_CHECKLIST = {  # a sound five-good site's checklists at inspection: every item met
    "certified_administrator": dict.fromkeys(("certificate_held", "operates_equipment"), True),
    "three_registers_one_book": dict.fromkeys(
        ("three_registers_kept", "one_book_kept", "truthful", "to_standard"), True
    ),
    "five_protections": dict.fromkeys(("fire", "theft", "damp", "lightning", "dust"), True),
}
PARAGRAPH = (
    "前双村党支部把远程教育站点建在党员活动室，管理员持证上岗，每月十日固定为集中学习日，"
    "组织党员群众收看种植养殖技术课件，三簿一册记录真实规范，设备五防措施落实到位。"
    "站点累计培训党员干部群众一千二百余人次，带动发展核桃、中药材等致富项目十余个。"
)


def declarer(township: str) -> Actor:
    return Actor(f"bench-declarer-{township}", Role.DECLARER, township)


def material(chars: int = 900) -> str:
    """A typical material of ``chars`` characters (a declaration needs at least 800)."""
    return (PARAGRAPH * (chars // len(PARAGRAPH) + 1))[:chars]


def site_scores(total: float) -> dict[str, float]:
    """``total`` on every criterion of a five-good site."""
    return dict.fromkeys(SITE_CRITERIA, total)


@dataclass
class City:
    townships: list[str] = field(default_factory=list)
    villages: dict[str, list[str]] = field(default_factory=dict)


def build_city(app: Laurel, townships: int = 2, villages: int = 45) -> City:
    """city-1 > county-1 > town-1..N, each with ``villages`` villages, registered by the admin."""

    def register(code: str, name: str, name_zh: str, level: Level, parent: str | None) -> None:
        command = RegisterUnit(code=code, name=name, name_zh=name_zh, level=level, parent_id=parent)
        app.execute(command, ADMIN)

    city = City()
    register("city-1", "Sample City", "示范市", Level.CITY, None)
    register("county-1", "Yijun County", "宜君县", Level.COUNTY, "city-1")
    for t in range(1, townships + 1):
        town = f"town-{t}"
        register(town, f"Township {t}", f"彭镇{t}", Level.TOWNSHIP, "county-1")
        city.townships.append(town)
        city.villages[town] = []
        for v in range(1, villages + 1):
            village = f"vil-{t}-{v:02d}"
            register(village, f"Village {t}-{v}", f"前双村{t}-{v}", Level.VILLAGE, town)
            city.villages[town].append(village)
    return city


def five_good_campaign(app: Laurel, **fields: Any) -> str:
    """A seed-000 campaign for 2022 organised by city-1; its id."""
    command = CreateCampaign(template="five-good-sites", organiser_unit_id="city-1", year=2022, **fields)
    return str(app.execute(command, ADMIN, at=DECLARING - timedelta(days=2))["id"])


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range (a restarted server could find a
    port from that range taken by an outgoing connection)."""
    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ranges.read_text().split()[0]) if ranges.exists() else 0
    for _ in range(200 if low > 11_000 else 0):
        port = random.randint(10_000, low - 1_001)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def postgres_schema(base_url: str, prefix: str) -> Iterator[str]:
    """``base_url?schema=<prefix>_<random>``: a fresh schema, dropped with everything in it after."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base_url}?schema={schema}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
