"""The safe form (api/pages/forms.py) as a browser meets it, on a small area written the way
every area of the work UI writes its forms: a declaration and a withdrawal. A double submit
appends once; a form whose record changed since it was opened is refused kindly with the
record as it is now; a post from another origin or without the session's token is refused;
each failed rule is shown in Chinese next to its field, the typed values kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, DictLoader

from api.deps import App
from api.pages.forms import ActionForm, submit
from api.pages.rendering import PageActor, PageRoute, render, templates
from domain.commands import Declare, IssueToken, PreReview, Withdraw
from domain.vocabulary import NominationState
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.http import Server, serve_in_process
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World

FORM_PAGE = """{% extends "base.html" %}{% import "_forms.html" as forms with context %}
{% block content %}<h1>申报</h1>
<form method="post" action="/ui/form-test/declare" id="declare">{{ form_fields() }}{{ forms.summary() }}
{{ forms.text("nominee.name", "申报对象名称", value=village_name, required=true) }}
{{ forms.textarea("material", "典型材料", hint="不少于 800 字") }}
<button type="submit">提交</button></form>
{% if nomination %}<p data-testid="state">{{ t.state(nomination.state) }}</p>
<form method="post" action="/ui/form-test/withdraw/{{ nomination.id }}" id="withdraw">
{{ form_fields(version=nomination.version) }}{{ forms.summary() }}
{{ forms.text("reason", "撤回理由") }}<button type="submit">撤回</button></form>{% endif %}
{% endblock %}"""


def form_test_area(campaign: CampaignRef) -> APIRouter:
    """A declaration and a withdrawal, written as an area of the work UI writes its forms."""
    router = APIRouter(prefix="/ui/form-test", route_class=PageRoute)

    def context(app: Any, nomination_id: str | None = None) -> tuple[str, dict[str, Any]]:
        nomination = app.get_nomination(nomination_id) if nomination_id else None
        return "form-test.html", {"village_name": "前双村远教站点", "nomination": nomination}

    @router.get("/{nomination_id}", response_class=HTMLResponse)
    def page(request: Request, app: App, actor: PageActor, nomination_id: str) -> Response:
        template, shown = context(app, None if nomination_id == "new" else nomination_id)
        return render(request, template, shown)

    @router.post("/declare")
    async def declare(
        request: Request,
        app: App,
        form: ActionForm,
        name: Annotated[str, Form(alias="nominee.name")],
        material: Annotated[str, Form()] = "",
    ) -> Response:
        command = Declare(
            campaign_id=campaign.id,
            category="five_good_site",
            declaring_unit_id=TOWNSHIP,
            nominee={"kind": "site", "unit_id": VILLAGE, "name": name},
            material=material,
        )
        return await submit(
            request,
            form,
            command,
            done=lambda result: f"/ui/form-test/{result['id']}",
            again=lambda: context(app),
            flash="已提交申报",
        )

    @router.post("/withdraw/{nomination_id}")
    async def withdraw(
        request: Request, app: App, form: ActionForm, nomination_id: str, reason: Annotated[str, Form()]
    ) -> Response:
        return await submit(
            request,
            form,
            Withdraw(nomination_id=nomination_id, reason=reason),
            done=f"/ui/form-test/{nomination_id}",
            again=lambda: context(app, nomination_id),
        )

    return router


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Server, World, CampaignRef, str]]:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.city(townships=2, villages=2)
        campaign = world.campaign()
        token = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="前双镇"), ADMIN)[
            "token"
        ]
        assert server.asgi is not None
        server.asgi.include_router(form_test_area(campaign))
        loader = templates().env.loader
        assert loader is not None
        templates().env.loader = ChoiceLoader([DictLoader({"form-test.html": FORM_PAGE}), loader])
        try:
            yield server, world, campaign, token
        finally:
            templates().env.loader = loader


@contextmanager
def signed_in(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def hidden_inputs(html: str, form_id: str) -> dict[str, str]:
    """The hidden inputs (CSRF token, idempotency key, version) of the page's form ``form_id``."""
    form = re.search(rf'<form [^>]*id="{form_id}">(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {form_id}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def post(client: httpx.Client, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client), **headers})


def nominations_of(server: Server, campaign: CampaignRef) -> list[Any]:
    items, _ = server.services.app.queries.nomination_page(campaign.id, limit=100)
    return list(items)


def test_a_double_submitted_form_appends_once(site) -> None:
    server, _, campaign, token = site
    with signed_in(server, token) as browser:
        fields = hidden_inputs(browser.get("/ui/form-test/new").text, "declare")
        data = {**fields, "nominee.name": "前双村远教站点", "material": TYPICAL_MATERIAL}
        first = post(browser, "/ui/form-test/declare", data)
        again = post(browser, "/ui/form-test/declare", data)  # a double click, or a reload
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        assert len(nominations_of(server, campaign)) == 1
        landed = browser.get(first.headers["location"])
        assert "已提交申报" in landed.text  # the flash message, once
        assert "已提交申报" not in browser.get(first.headers["location"]).text


def test_every_rendering_of_a_form_carries_a_fresh_idempotency_key(site) -> None:
    server, _, _, token = site
    with signed_in(server, token) as browser:
        keys = {
            hidden_inputs(browser.get("/ui/form-test/new").text, "declare")["idempotency_key"]
            for _ in range(3)
        }
        assert len(keys) == 3


def test_failures_are_shown_in_chinese_next_to_their_field_with_the_values_kept(site) -> None:
    server, _, campaign, token = site
    with signed_in(server, token) as browser:
        fields = hidden_inputs(browser.get("/ui/form-test/new").text, "declare")
        short = "我村远教站点坚持每月开展活动。"
        response = post(
            browser, "/ui/form-test/declare", {**fields, "nominee.name": "前双村", "material": short}
        )
        assert response.status_code == 422
        page = response.text
        error = re.search(
            r'<p class="field-error" id="f-material-error" data-field="material">(.*?)</p>', page
        )
        assert error and "典型材料仅" in error.group(1) and "须不少于" in error.group(1)
        assert re.search(
            r'<textarea id="f-material"[^>]*aria-describedby="f-material-hint f-material-error"'
            r'[^>]*aria-invalid="true"',
            page,
        )
        assert f">{short}</textarea>" in page and 'value="前双村"' in page  # kept
        assert 'role="alert"' in page and "有 1 处需要修改" in page  # announced
        assert nominations_of(server, campaign) == []


def test_a_stale_form_is_refused_kindly_with_the_current_state(site) -> None:
    server, world, campaign, token = site
    app = server.services.app
    nomination_id = world.declare(campaign)
    with signed_in(server, token) as browser:
        opened = hidden_inputs(browser.get(f"/ui/form-test/{nomination_id}").text, "withdraw")
        app.execute(  # meanwhile, the reviewer admits it
            PreReview(nomination_id=nomination_id, decision="admit", checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
        response = post(
            browser, f"/ui/form-test/withdraw/{nomination_id}", {**opened, "reason": "重复申报"}
        )
        assert response.status_code == 409
        assert "这条记录已被他人修改" in response.text
        assert NominationState.ADMITTED.zh in response.text  # the record as it is now
        assert 'value="重复申报"' in response.text  # what was typed is kept
        now = hidden_inputs(response.text, "withdraw")
        assert int(now["version"]) == app.get_nomination(nomination_id).version != int(opened["version"])
        assert app.get_nomination(nomination_id).state == NominationState.ADMITTED


@pytest.mark.parametrize(
    "forgery",
    ["another origin", "no origin", "no token", "another session's token", "no idempotency key"],
)
def test_a_forged_form_is_refused_and_appends_nothing(site, forgery: str) -> None:
    server, _, campaign, token = site
    with signed_in(server, token) as browser, signed_in(server, token) as other:
        fields = hidden_inputs(browser.get("/ui/form-test/new").text, "declare")
        data = {**fields, "nominee.name": "前双村远教站点", "material": TYPICAL_MATERIAL}
        headers = {"Origin": own_origin(browser)}
        if forgery == "another origin":
            headers["Origin"] = "https://evil.example"
        elif forgery == "no origin":
            del headers["Origin"]
        elif forgery == "no token":
            del data["csrf_token"]
        elif forgery == "another session's token":
            data["csrf_token"] = hidden_inputs(other.get("/ui/form-test/new").text, "declare")[
                "csrf_token"
            ]
        else:
            del data["idempotency_key"]
        response = browser.post("/ui/form-test/declare", data=data, headers=headers)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert "请刷新页面后重试" in response.text or "不是从本站提交的" in response.text
        assert nominations_of(server, campaign) == []


def test_a_form_posted_after_the_session_ended_leads_back_to_its_page_after_login(site) -> None:
    server, _, campaign, token = site
    with signed_in(server, token) as browser:
        fields = hidden_inputs(browser.get("/ui/form-test/new").text, "declare")
        browser.cookies.delete("laurel_session")
        response = post(
            browser,
            "/ui/form-test/declare",
            {**fields, "nominee.name": "前双村", "material": TYPICAL_MATERIAL},
            Referer=f"{own_origin(browser)}/ui/form-test/new?lang=zh",
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/login?next=/ui/form-test/new%3Flang%3Dzh"
        assert nominations_of(server, campaign) == []
