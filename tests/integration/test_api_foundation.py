"""The API's foundation over HTTP semantics (the ASGI app through Starlette's TestClient): health,
readiness, templates, and problem+json for unknown paths, methods and templates."""

from __future__ import annotations

import re

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from api.app import TAGS, create_app
from api.asgi import from_environment
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings


@pytest.fixture
def client(tmp_path):
    services = bootstrap(
        Settings(database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}", admin_token="adm"),
        configure_logs=False,
    )
    with TestClient(
        create_app(services), raise_server_exceptions=False, headers={"Authorization": "Bearer adm"}
    ) as http:
        yield http
    services.close()


def test_health_and_readiness_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_templates_list_the_seed_campaigns_and_their_upper_levels(client):
    codes = [t["code"] for t in client.get("/v1/templates").json()]
    assert codes == [
        "city-four-creations",
        "double-strengthen",
        "five-good-sites",
        "four-creations-three-selections",
        "prefecture-double-strengthen",
    ]
    five_good = client.get("/v1/templates/five-good-sites").json()
    assert {c["code"]: c["quota"] for c in five_good["categories"]} == {
        "five_good_site": 50,
        "outstanding_administrator": 30,
        "advanced_worker": 20,
    }


def test_unknown_template_path_and_method_are_problem_json(client):
    missing = client.get("/v1/templates/nope", headers={"X-Request-ID": "req-42"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["type"] == "urn:laurel:problem:template-not-found"
    assert missing.json()["request_id"] == "req-42" and missing.headers["x-request-id"] == "req-42"
    assert client.get("/v1/nowhere").headers["content-type"] == "application/problem+json"
    anonymous = client.get("/v1/templates", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["type"] == "urn:laurel:problem:unauthorized"
    not_allowed = client.delete("/v1/templates")
    assert (
        not_allowed.status_code == 405
        and not_allowed.json()["type"] == "urn:laurel:problem:method-not-allowed"
    )


def test_an_idempotency_key_over_200_characters_is_a_422_naming_the_header_and_appends_nothing(client):
    unit = {"id": "city-9", "name": "City 9", "name_zh": "九市", "level": "city"}
    refused = client.post("/v1/units", json=unit, headers={"Idempotency-Key": "k" * 201})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert [(f["rule"], f["field"]) for f in refused.json()["failures"]] == [
        ("request_string_too_long", "Idempotency-Key")
    ]
    assert client.get("/v1/units/city-9").status_code == 404
    assert client.post("/v1/units", json=unit, headers={"Idempotency-Key": "k" * 200}).status_code == 201


def test_the_openapi_document_states_the_bearer_scheme_and_the_headers_each_operation_reads(client):
    """Authorization is the document's HTTPBearer security scheme, used by every operation
    behind a token; Idempotency-Key and If-Match are the header parameters of the operations
    that read them, with their limits."""
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["HTTPBearer"]["description"],
    }

    def headers(method: str, path: str) -> list[str]:
        return [p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"]

    assert paths["/v1/templates"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in paths["/healthz"]["get"]
    assert headers("get", "/v1/templates") == []
    assert headers("post", "/v1/campaigns/{campaign_id}/nominations") == ["Idempotency-Key"]
    assert headers("post", "/v1/nominations/{nomination_id}/pre-review") == [
        "Idempotency-Key",
        "If-Match",
    ]
    assert headers("post", "/v1/campaigns/{campaign_id}/commendations") == ["Idempotency-Key"]
    assert headers("get", "/healthz") == []
    key = next(p for p in paths["/v1/units"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["anyOf"][0] == {"type": "string", "maxLength": 200}


def test_every_operation_documents_its_error_responses_as_problems(client):
    paths = client.get("/openapi.json").json()["paths"]
    declare = paths["/v1/campaigns/{campaign_id}/nominations"]["post"]["responses"]
    assert {"200", "201", "400", "401", "403", "404", "405", "409", "413", "422", "429"} <= set(declare)
    assert "412" in paths["/v1/nominations/{nomination_id}/pre-review"]["post"]["responses"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }


def test_the_server_thread_pool_has_as_many_places_as_laurel_api_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("LAUREL_API_THREADS", "3")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'threads.sqlite3'}", admin_token="adm")
    services = bootstrap(settings, configure_logs=False)
    try:
        with TestClient(create_app(services), headers={"Authorization": "Bearer adm"}) as http:
            assert http.portal is not None
            assert (
                http.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens)
                == 3
            )
            assert (
                http.post(
                    "/v1/units",
                    json={"id": "city-3", "name": "City 3", "name_zh": "三市", "level": "city"},
                ).status_code
                == 201
            )
    finally:
        services.close()
    assert Settings().api_threads == 3
    monkeypatch.setenv("LAUREL_API_THREADS", "0")
    with pytest.raises(ValueError, match="api_threads"):
        Settings()


def _sample_path(path: str) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: f"x-{m.group(1)}", path)


def test_every_operation_is_answered_by_its_own_route(tmp_path):
    """No route shadows another: a request to each documented path reaches that path's route
    (the router records the route it chose in the request's scope)."""
    services = bootstrap(
        Settings(database_url=f"sqlite:///{tmp_path / 'routes.sqlite3'}", admin_token="adm"),
        configure_logs=False,
    )
    chosen: list[str | None] = []
    app = create_app(services)

    async def recording(scope, receive, send):
        await app(scope, receive, send)
        if scope["type"] == "http":
            chosen.append(getattr(scope.get("route"), "path", None))

    try:
        paths = app.openapi()["paths"]
        with TestClient(recording, raise_server_exceptions=False) as http:
            http.headers["Authorization"] = "Bearer adm"
            checked = 0
            for path, operations in paths.items():
                for method in operations:
                    chosen.clear()
                    http.request(method.upper(), _sample_path(path), json={})
                    if chosen[-1] is not None:  # refused before routing (the request guard)
                        assert chosen[-1] == path, (method, path)
                        checked += 1
    finally:
        services.close()
    assert checked > 50


def test_the_document_keeps_its_tag_order(client):
    document = client.get("/openapi.json").json()
    assert [t["name"] for t in document["tags"]] == TAGS
    used = {
        tag
        for operations in document["paths"].values()
        for operation in operations.values()
        for tag in operation.get("tags", [])
    }
    assert used == set(TAGS)


def test_every_operation_behind_a_token_answers_401_without_one(client):
    """What the document says needs the bearer token, the server asks for."""
    paths = client.get("/openapi.json").json()["paths"]
    checked = 0
    for path, operations in paths.items():
        for method, operation in operations.items():
            if "security" not in operation:
                continue
            sample = re.sub(r"{(\w+)(:\w+)?}", lambda m: f"x-{m.group(1)}", path)
            answer = client.request(method.upper(), sample, headers={"Authorization": ""})
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked > 40


def test_an_app_built_from_the_environment_serves_its_store_and_closes_it_on_shutdown(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("LAUREL_DATABASE_URL", f"sqlite:///{tmp_path / 'workers.sqlite3'}")
    monkeypatch.setenv("LAUREL_ADMIN_TOKEN", "adm")
    closed: list[Services] = []
    close = Services.close
    monkeypatch.setattr(Services, "close", lambda services: (closed.append(services), close(services)))
    app = from_environment()
    with TestClient(app, headers={"Authorization": "Bearer adm"}) as http:
        assert http.get("/readyz").json()["status"] == "ready"
        assert http.get("/v1/templates").status_code == 200
        assert closed == []
    assert closed == [app.state.services]
