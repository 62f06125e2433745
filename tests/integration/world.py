"""A small world for integration tests: a city with counties, townships and villages, the
actors of a campaign, and a seed-000 campaign for 2022 with its phase instants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.actors import Actor
from domain.application import Laurel
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings

ADMIN = Actor("tok-admin", "admin", None)
CITY_REVIEWER = Actor("tok-reviewer", "reviewer", "city-1")
CITY_INSPECTOR = Actor("tok-inspector", "inspector", "city-1")

# Seed 000, year 2022 (Asia/Shanghai): declarations by 20 Oct, inspection 26 Oct - 10 Nov.
DECLARING = datetime(2022, 10, 17, 2, tzinfo=UTC)
PRE_REVIEWING = datetime(2022, 10, 22, 2, tzinfo=UTC)
INSPECTING = datetime(2022, 10, 28, 2, tzinfo=UTC)
COMMENDING = datetime(2022, 11, 15, 2, tzinfo=UTC)

PARAGRAPH = (
    "前双村党支部把远程教育站点建在党员活动室，管理员持证上岗，每月十日固定为集中学习日，"
    "组织党员群众收看种植养殖技术课件，三簿一册记录真实规范，设备五防措施落实到位。"
    "站点累计培训党员干部群众一千二百余人次，带动发展核桃、中药材等致富项目十余个。"
)


def material(chars: int = 900) -> str:
    text = PARAGRAPH * (chars // len(PARAGRAPH) + 1)
    return text[:chars]


def declarer(township: str) -> Actor:
    return Actor(f"tok-declarer-{township}", "declarer", township)


@dataclass
class World:
    app: Laurel
    townships: list[str] = field(default_factory=list)
    villages: dict[str, list[str]] = field(default_factory=dict)


@contextmanager
def running_services(
    database_url: str, clock: Callable[[], datetime] | None = None
) -> Iterator[Services]:
    kwargs = {"clock": clock} if clock else {}
    services = bootstrap(Settings(database_url=database_url), configure_logs=False, **kwargs)
    try:
        yield services
    finally:
        services.close()


def build_city(app: Laurel, townships: int = 2, villages: int = 45) -> World:
    world = World(app)
    app.register_unit("city-1", "Sample City", "示范市", "city", None, ADMIN)
    app.register_unit("county-1", "Yijun County", "宜君县", "county", "city-1", ADMIN)
    for t in range(1, townships + 1):
        town = f"town-{t}"
        app.register_unit(town, f"Township {t}", f"彭镇{t}", "township", "county-1", ADMIN)
        world.townships.append(town)
        world.villages[town] = []
        for v in range(1, villages + 1):
            village = f"vil-{t}-{v:02d}"
            app.register_unit(village, f"Village {t}-{v}", f"前双村{t}-{v}", "village", town, ADMIN)
            world.villages[town].append(village)
    return world


def five_good_campaign(app: Laurel, **kwargs) -> str:
    return app.create_campaign(
        "five-good-sites", "city-1", ADMIN, year=2022, at=DECLARING - timedelta(days=2), **kwargs
    )["id"]


def scores_for(total: float) -> dict[str, float]:
    codes = ["party_attention", "site_management", "programmes_watched", "equipment_running", "effect"]
    return dict.fromkeys(codes, total)


SITE_CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}


def declare_site(
    app: Laurel,
    campaign_id: str,
    town: str,
    village: str,
    *,
    name: str | None = None,
    at: datetime = DECLARING,
    **kwargs,
) -> str:
    """A five-good-site declaration by the township's declarer; returns the nomination id."""
    nominee = {"kind": "site", "unit_id": village, "name": name or f"{village} 站点"}
    return app.declare(
        campaign_id, "five_good_site", town, nominee, {}, material(), declarer(town), at=at, **kwargs
    )["id"]
