"""What a hostile or careless client sends, over real HTTP on both stores: control characters
in any text, bodies too large, too deep or of the wrong type, numbers out of range, unknown
form fields — each a 4xx problem naming the field or rule, with nothing appended, and the read
models still answering afterwards."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.builders.backends import BACKENDS, backend_url
from tests.builders.http import Server, serve_in_process
from tests.builders.http_world import declaration, register_units
from tests.builders.material import material_of
from tests.builders.tree import UNIT_TREE

pytestmark = BACKENDS
PROBLEM = "application/problem+json"


@dataclass
class World:
    server: Server
    admin: httpx.Client
    declarer: httpx.Client
    campaign: str

    def events(self) -> int:
        return int(self.server.services.app.recorder.max_notification_id() or 0)

    def declaration(self, **changes: Any) -> dict[str, Any]:
        return {**declaration(), **changes}


@pytest.fixture(scope="module")
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """tests.conftest's ``database_url`` at module scope: one world per backend for the module
    (every case here is refused before it changes anything, or counts what it appends)."""
    with backend_url(
        request, getattr(request, "param", "sqlite"), tmp_path_factory.mktemp("hardening")
    ) as url:
        yield url


@pytest.fixture(scope="module")
def world(database_url: str) -> Iterator[World]:
    with serve_in_process(database_url) as server, server.client() as admin:
        register_units(admin, UNIT_TREE[:4])  # 示范市 > 宜君县 > 彭镇 > 前双村
        token = admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "peng-zhen"}).json()[
            "token"
        ]
        starts = datetime.now(UTC) - timedelta(minutes=5)
        campaign = admin.post(
            "/v1/campaigns",
            json={
                "template": "five-good-sites",
                "organiser_unit_id": "shifan-shi",
                "starts_at": starts.isoformat(),
                "durations": {"declaration": 86400},
            },
        )
        assert campaign.status_code == 201, campaign.text
        with server.client(token) as declarer:
            yield World(server, admin, declarer, campaign.json()["id"])


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    return response.json()


def fields(problem: dict[str, Any]) -> list[str]:
    return [f.get("field") for f in problem.get("failures", [])]


# --- 1. control characters -------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\ud800"])
def test_a_nominee_name_with_a_control_character_is_a_422_naming_it_and_appends_nothing(
    world: World, char: str
) -> None:
    before = world.events()
    body = world.declaration(
        nominee={"kind": "site", "unit_id": "qianshuang-cun", "name": f"前双村{char}站点"}
    )
    content = (
        httpx.Request("POST", "/", json=body).content
        if char != "\ud800"
        else _json_with_lone_surrogate(body)
    )
    response = world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert fields(assert_problem(response, 422)) == ["nominee.name"]
    assert world.events() == before


def _json_with_lone_surrogate(body: dict[str, Any]) -> bytes:
    import json

    return json.dumps(body).encode()  # ensure_ascii writes the lone surrogate as \\ud800


def test_a_unit_name_with_a_nul_is_refused(world: World) -> None:
    response = world.admin.post(
        "/v1/units",
        json={
            "id": "vil-2",
            "name": "Bad\x00",
            "name_zh": "坏村",
            "level": "village",
            "parent_id": "peng-zhen",
        },
    )
    assert fields(assert_problem(response, 422)) == ["name"]


def test_a_form_text_and_a_reason_with_control_characters_are_refused(world: World) -> None:
    response = world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations",
        json=world.declaration(material=material_of(900) + "\x00"),
    )
    assert fields(assert_problem(response, 422)) == ["material"]


@pytest.mark.parametrize(
    "query", ["category=five%00good", "state=%00", "unit=%1b", "limit=5&cursor=%07"]
)
def test_a_query_parameter_with_a_control_character_is_a_422_not_a_500(world: World, query: str) -> None:
    response = world.admin.get(f"/v1/campaigns/{world.campaign}/nominations?{query}")
    problem = assert_problem(response, 422)
    assert fields(problem)[0].startswith("query.")


def test_a_nul_in_the_titles_filter_on_postgres_is_a_422(world: World) -> None:
    assert_problem(world.admin.get("/v1/titles", params={"category": "a\x00b"}), 422)


def test_read_models_keep_answering_after_a_refused_nul(world: World) -> None:
    world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations",
        json=world.declaration(nominee={"kind": "site", "unit_id": "qianshuang-cun", "name": "坏\x00"}),
    )
    assert (
        world.declarer.post(
            f"/v1/campaigns/{world.campaign}/nominations", json=world.declaration()
        ).status_code
        == 201
    )
    for path in (
        f"/v1/campaigns/{world.campaign}/dashboard",
        f"/v1/campaigns/{world.campaign}/ranking?category=five_good_site",
        "/v1/units/shifan-shi/rollup",
        "/v1/audit/events",
        "/v1/audit/verify",
        "/v1/titles",
    ):
        assert world.admin.get(path).status_code == 200, path


# --- 6. request limits -------------------------------------------------------------------------


def test_an_unauthenticated_large_post_is_refused_before_its_body_is_read(real_server: Server) -> None:
    """401 arrives while the client is still sending: the server never reads the 100 MB."""
    host, port = real_server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /v1/units HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 << 20}\r\n\r\n".encode()
        )
        sock.sendall(b"{" + b" " * 65536)
        started = time.monotonic()
        answer = sock.recv(4096).decode("latin-1")
        assert time.monotonic() - started < 5
    assert answer.startswith("HTTP/1.1 401"), answer[:200]


def test_a_json_body_over_the_limit_is_a_413_problem(world: World) -> None:
    limit = world.server.services.settings.max_body_bytes
    before = world.events()
    body = world.declaration(material="前" * (limit // 3 + 10))
    response = world.declarer.post(f"/v1/campaigns/{world.campaign}/nominations", json=body)
    problem = assert_problem(response, 413)
    assert problem["failures"][0]["expected"] == limit
    assert world.events() == before


def test_a_body_larger_than_its_content_length_claims_is_still_capped(world: World) -> None:
    limit = world.server.services.settings.max_body_bytes

    def chunks() -> Iterator[bytes]:
        yield b'{"id": "x", "name": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    response = world.admin.post(
        "/v1/units", content=chunks(), headers={"Content-Type": "application/json"}
    )  # chunked: no Content-Length
    assert_problem(response, 413)


def test_json_nested_far_too_deep_is_a_4xx_not_a_500(world: World) -> None:
    deep: Any = 1
    for _ in range(900):
        deep = {"x": deep}
    response = world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations", json=world.declaration(form={"rate": deep})
    )
    assert fields(assert_problem(response, 422)) == ["form.rate"]
    raw = b'{"form": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations",
        content=raw,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422) and response.headers["content-type"] == PROBLEM


def test_an_unknown_form_field_is_a_422_naming_it(world: World) -> None:
    response = world.declarer.post(
        f"/v1/campaigns/{world.campaign}/nominations", json=world.declaration(form={"no_such_field": 1})
    )
    problem = assert_problem(response, 422)
    assert [(f["rule"], f["field"]) for f in problem["failures"]] == [
        ("form_field_known", "form.no_such_field")
    ]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/units",
            {"id": "vil-9", "name": "N" * 201, "level": "village", "parent_id": "peng-zhen"},
            "name",
        ),
        ("/v1/tokens", {"role": "declarer", "unit_id": "peng-zhen", "label": "L" * 201}, "label"),
    ],
)
def test_free_text_beyond_its_documented_length_is_refused(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    assert fields(assert_problem(world.admin.post(path, json=body), 422)) == [field]


def test_every_free_text_field_documents_its_length_limit(world: World) -> None:
    schemas = world.admin.get("/openapi.json").json()["components"]["schemas"]
    limited = {
        ("ReasonCreate", "reason"),
        ("InspectionCreate", "notes"),
        ("TokenCreate", "label"),
        ("UnitCreate", "name"),
        ("UnitCreate", "name_zh"),
        ("NomineeIn", "name"),
        ("NominationCreate", "material"),
        ("DeadlineExtension", "reason"),
    }
    for model, name in limited:
        prop = schemas[model]["properties"][name]
        assert "maxLength" in prop or any("maxLength" in a for a in prop.get("anyOf", [])), (model, name)
    reasons = schemas["PreReviewCreate"]["properties"]["reasons"]
    assert reasons["items"]["maxLength"] == 1000 and reasons["maxItems"] == 20
    assert schemas["PreReviewCreate"]["properties"]["checks"]["maxProperties"] == 50


@pytest.mark.parametrize("quota", [10**30, -1, 100_001])
def test_a_quota_out_of_range_is_refused(world: World, quota: int) -> None:
    body = {
        "template": "five-good-sites",
        "organiser_unit_id": "shifan-shi",
        "year": 2022,
        "quotas": {"five_good_site": quota},
    }
    assert fields(assert_problem(world.admin.post("/v1/campaigns", json=body), 422)) == [
        "quotas.five_good_site"
    ]


@pytest.mark.parametrize("score", ["NaN", "Infinity", "-Infinity", "101", "-1"])
def test_a_score_outside_its_range_or_not_finite_is_refused(world: World, score: str) -> None:
    scores = f'{{"party_attention": {score}}}'
    content = f'{{"methods": ["site_visit"], "scores": {scores}, "verdict": "fail"}}'.encode()
    response = world.admin.post(
        "/v1/nominations/00000000-0000-0000-0000-000000000000/inspections",
        content=content,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (404, 422)  # an unknown nomination may be found missing first…
    if score in ("NaN", "Infinity", "-Infinity"):
        assert fields(assert_problem(response, 422)) == [
            "scores.party_attention"
        ]  # …but a non-number never gets that far


# --- 15. no silent coercion ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/v1/campaigns",
            {
                "template": "five-good-sites",
                "organiser_unit_id": "shifan-shi",
                "year": 2022,
                "quotas": {"five_good_site": True},
            },
            "quotas.five_good_site",
        ),
        (
            "/v1/campaigns",
            {"template": "five-good-sites", "organiser_unit_id": "shifan-shi", "year": "2022"},
            "year",
        ),
        (
            "/v1/campaigns",
            {"template": "five-good-sites", "organiser_unit_id": "shifan-shi", "starts_at": 1700000000},
            "starts_at",
        ),
        ("/v1/units/peng-zhen/members", {"id": "m-1", "name": "王建国", "leader": "yes"}, "leader"),
        ("/v1/units", {"id": 5, "name": "Five", "level": "city"}, "id"),
        ("/v1/tokens", {"role": "declarer", "unit_id": "peng-zhen", "label": 7}, "label"),
    ],
)
def test_a_json_value_of_the_wrong_type_is_a_422_naming_the_field(
    world: World, path: str, body: dict[str, Any], field: str
) -> None:
    before = world.events()
    assert fields(assert_problem(world.admin.post(path, json=body), 422)) == [field]
    assert world.events() == before


RECEIVER = "https://93.184.216.34/laurel"  # a global address literal: registration resolves no name


def test_a_replay_position_of_the_wrong_type_is_refused(world: World) -> None:
    created = world.admin.post("/v1/webhooks", json={"url": RECEIVER})
    assert created.status_code == 201, created.text
    response = world.admin.post(
        f"/v1/webhooks/{created.json()['id']}/replay", json={"after_position": True}
    )
    assert fields(assert_problem(response, 422)) == ["after_position"]


def test_a_webhook_replay_honours_its_idempotency_key(world: World) -> None:
    created = world.admin.post("/v1/webhooks", json={"url": RECEIVER})
    assert created.status_code == 201, created.text
    hook = created.json()["id"]
    first = world.admin.post(
        f"/v1/webhooks/{hook}/replay",
        json={"after_position": 0},
        headers={"Idempotency-Key": "replay-1"},
    )
    again = world.admin.post(
        f"/v1/webhooks/{hook}/replay",
        json={"after_position": 0},
        headers={"Idempotency-Key": "replay-1"},
    )
    assert (first.status_code, again.status_code) == (202, 200) and first.json()["id"] == again.json()[
        "id"
    ]
    other = world.admin.post(
        f"/v1/webhooks/{hook}/replay",
        json={"after_position": 1},
        headers={"Idempotency-Key": "replay-1"},
    )
    assert [f["rule"] for f in assert_problem(other, 422)["failures"]] == ["idempotency_key_reused"]


# --- 14. small points of the contract ----------------------------------------------------------------


def test_an_empty_if_match_is_a_422_naming_the_header(world: World) -> None:
    response = world.declarer.post(
        "/v1/nominations/00000000-0000-0000-0000-000000000000/withdrawal",
        json={"reason": "r"},
        headers={"If-Match": ""},
    )
    assert fields(assert_problem(response, 422)) == ["If-Match"]


def test_a_405_lists_every_method_the_path_allows(world: World) -> None:
    response = world.admin.put("/v1/tokens")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
