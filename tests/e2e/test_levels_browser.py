"""Select and forward (择优上报) in a real browser (Chromium through Playwright) against a real
server, in Chinese, at 1280 and at 390 px.

宜君县's reviewer forwards its best model village to 示范市 by ticking it at a desk, then the
best within what is left of the city's quota (2) on a phone; the city's reviewer reads its
forwarding quotas and what the county sent; 彭镇's declarer reads the title register. Every
page keeps the Content-Security-Policy and, at phone width, fits without sideways scrolling.
Screenshots: test-artifacts/screenshots/levels-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.application import Laurel
from domain.commands import Commend, CreateCampaign, IssueToken, SetForwardingQuotas
from tests.builders.actors import ADMIN, CITY_REVIEWER, COUNTY_INSPECTOR, COUNTY_REVIEWER
from tests.builders.clock import FOUR_CREATIONS_2017, Clock, utc
from tests.builders.forms import MODEL_VILLAGE_FORM
from tests.builders.http import Server, serve_on_port
from tests.builders.tree import CITY, COUNTY, PENG_ZHEN_VILLAGES, TOWNSHIP, UNIT_TREE
from tests.builders.world import CampaignRef, World
from tests.e2e.test_organiser_browser import Session, flash

pytestmark = pytest.mark.timeout(240)
VILLAGES = sorted(PENG_ZHEN_VILLAGES)[:3]
FORWARDED_AT = FOUR_CREATIONS_2017.inspection + timedelta(hours=2)
MODEL_VILLAGE = "model_village"


@dataclass
class Script:
    county_id: str
    city_id: str
    ids: list[str]  # scored 70, 71, 72
    county_reviewer: str
    city_reviewer: str
    declarer: str


def scripted_levels(app: Laurel, clock: Clock) -> Script:
    world = World(app)
    world.register(UNIT_TREE)
    created = app.execute(
        CreateCampaign(
            template="four-creations-three-selections",
            organiser_unit_id=COUNTY,
            year=2017,
            create_parent=True,
        ),
        ADMIN,
        at=utc(2017, 1, 1),
    )
    county = CampaignRef(str(created["id"]), "four-creations-three-selections", FOUR_CREATIONS_2017)
    city_id = str(created["parent_campaign"]["id"])
    ids = [
        world.inspected(
            county,
            village,
            70 + i,
            category=MODEL_VILLAGE,
            form=MODEL_VILLAGE_FORM,
            name=f"{world.name_zh(village)}示范村",
            reviewer=COUNTY_REVIEWER,
            inspector=COUNTY_INSPECTOR,
        )
        for i, village in enumerate(VILLAGES)
    ]
    app.execute(
        SetForwardingQuotas(campaign_id=city_id, quotas={COUNTY: {MODEL_VILLAGE: 2}}, reason="每县2个"),
        CITY_REVIEWER,
        at=FORWARDED_AT - timedelta(days=3),
    )
    clock.now = FORWARDED_AT
    tokens = [
        app.execute(IssueToken(role=role, unit_id=unit, label=label), ADMIN)["token"]
        for role, unit, label in [
            ("reviewer", COUNTY, "宜君县委组织部"),
            ("reviewer", CITY, "示范市远程教育中心"),
            ("declarer", TOWNSHIP, "彭镇"),
        ]
    ]
    return Script(str(county.id), city_id, ids, *tokens)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Script]]:
    clock = Clock(utc(2017, 1, 1))
    with serve_on_port(f"sqlite:///{tmp_path / 'levels.sqlite3'}", clock) as server:
        yield server, scripted_levels(server.services.app, clock)


def forward_url(script: Script) -> str:
    return f"/ui/organise/campaigns/{script.county_id}/forward"


def test_the_county_forwards_within_the_citys_quota_at_a_desk_and_on_a_phone(
    served: tuple[Server, Script], browser: Any
) -> None:
    server, script = served
    app = server.services.app

    # At a desk: from the organiser's home to the forwarding page, the best one ticked.
    desk = Session(browser, server.base_url, script.county_reviewer, 1280)
    page = desk.page
    page.click('nav a[href="/ui/organise"]')
    page.wait_for_url("**/ui/organise")
    page.click(f'[data-campaign-id="{script.county_id}"] [data-testid="forward-link"]')
    page.wait_for_url(f"**{forward_url(script)}")
    if page.locator("#f-category").count():
        page.select_option("#f-category", MODEL_VILLAGE)
        page.click('[data-testid="category-picker"] button[type=submit]')
        page.wait_for_url(f"**{forward_url(script)}?category={MODEL_VILLAGE}")
    rows = page.locator('[data-testid="forward-table"] tbody tr')
    assert rows.evaluate_all("rs => rs.map(r => r.dataset.nominationId)") == script.ids[::-1]
    assert page.locator('[data-field="left"]').text_content() == "2"
    desk.check("levels-forward")
    page.check(f"#pick-{script.ids[2]}")
    page.click('[data-testid="forward-chosen"]')
    page.wait_for_load_state()
    assert flash(page).startswith("已上报 1 个：")
    assert page.locator('[data-field="left"]').text_content() == "1"
    desk.check("levels-forwarded")
    desk.close()

    # On a phone: the best within what is left of the quota.
    phone = Session(browser, server.base_url, script.county_reviewer, 390)
    phone.goto(f"{forward_url(script)}?category={MODEL_VILLAGE}")
    phone.check("levels-forward")
    phone.page.click('[data-testid="forward-best"]')
    phone.page.wait_for_load_state()
    assert flash(phone.page).startswith("已上报 1 个：")
    assert phone.page.locator('[data-field="left"]').text_content() == "0"
    phone.check("levels-forwarded")
    phone.close()

    assert [str(app.get_nomination(i).state) for i in script.ids] == [
        "inspected",
        "forwarded",
        "forwarded",
    ]
    assert app.get_campaign(script.city_id).forwarded == {f"{COUNTY}|{MODEL_VILLAGE}": 2}

    # The one left the county commends itself: 彭镇's title register shows it at county level.
    app.execute(
        Commend(campaign_id=script.county_id, category=MODEL_VILLAGE),
        COUNTY_REVIEWER,
        at=FOUR_CREATIONS_2017.commendation,
    )
    # The city's quotas and what the county sent; the township's title register.
    for width in (1280, 390):
        city = Session(browser, server.base_url, script.city_reviewer, width)
        response = city.goto(f"/ui/organise/campaigns/{script.city_id}/quotas")
        assert response is not None and response.status == 200
        received = city.page.locator(
            f'[data-testid="received"] tr[data-unit="{COUNTY}"] [data-field="count"]'
        )
        assert received.text_content() == "2"
        city.check("levels-quotas")
        city.close()
        declarer = Session(browser, server.base_url, script.declarer, width)
        response = declarer.goto(f"/ui/units/{TOWNSHIP}/titles?revoked=1")
        assert response is not None and response.status == 200
        held = declarer.page.locator('[data-testid="register"] tbody tr')
        assert held.evaluate_all("rs => rs.map(r => r.dataset.level)") == ["county"]
        declarer.check("levels-register")
        declarer.close()
