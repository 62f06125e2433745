"""The API's foundation over real HTTP semantics (the ASGI app through Starlette's httpx-based TestClient): health,
readiness, templates, and problem+json for unknown paths, methods and templates."""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from infra.bootstrap import bootstrap
from infra.settings import Settings


@pytest.fixture
def client(tmp_path):
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}", admin_token="adm"), configure_logs=False)
    with TestClient(create_app(services), raise_server_exceptions=False, headers={"Authorization": "Bearer adm"}) as http:
        yield http
    services.close()


def test_health_and_readiness_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_templates_list_the_three_seed_campaigns(client):
    codes = [t["code"] for t in client.get("/v1/templates").json()]
    assert codes == ["double-strengthen", "five-good-sites", "four-creations-three-selections"]
    five_good = client.get("/v1/templates/five-good-sites").json()
    assert {c["code"]: c["quota"] for c in five_good["categories"]} == {"five_good_site": 50, "outstanding_administrator": 30, "advanced_worker": 20}


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
    assert not_allowed.status_code == 405 and not_allowed.json()["type"] == "urn:laurel:problem:method-not-allowed"


def test_an_idempotency_key_over_200_characters_is_a_422_naming_the_header_and_appends_nothing(client):
    unit = {"id": "city-9", "name": "City 9", "name_zh": "九市", "level": "city"}
    refused = client.post("/v1/units", json=unit, headers={"Idempotency-Key": "k" * 201})
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert [(f["rule"], f["field"]) for f in refused.json()["failures"]] == [("request_string_too_long", "Idempotency-Key")]
    assert client.get("/v1/units/city-9").status_code == 404
    assert client.post("/v1/units", json=unit, headers={"Idempotency-Key": "k" * 200}).status_code == 201


def test_the_openapi_document_names_the_headers_the_dependencies_read(client, tmp_path):
    """api/deps.py reads Authorization, Idempotency-Key and If-Match from the request; the
    document still lists them on every operation that reads them, once each however many
    apps were built around the module-level routers."""
    services = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'again.sqlite3'}"), configure_logs=False)
    create_app(services)  # a second app: the routers are documented again
    services.close()
    paths = client.get("/openapi.json").json()["paths"]

    def headers(method: str, path: str) -> list[str]:
        return [p["name"] for p in paths[path][method].get("parameters", []) if p["in"] == "header"]

    assert headers("get", "/v1/templates") == ["authorization"]
    assert headers("post", "/v1/campaigns/{campaign_id}/nominations") == ["authorization", "Idempotency-Key"]
    assert headers("post", "/v1/nominations/{nomination_id}/pre-review") == ["authorization", "Idempotency-Key", "If-Match"]
    assert headers("post", "/v1/campaigns/{campaign_id}/commendations") == ["authorization", "Idempotency-Key"]
    assert headers("get", "/healthz") == []
    key = next(p for p in paths["/v1/units"]["post"]["parameters"] if p["name"] == "Idempotency-Key")
    assert key["schema"]["anyOf"][0] == {"type": "string", "maxLength": 200}


def test_the_server_thread_pool_has_as_many_places_as_laurel_api_threads(tmp_path, monkeypatch):
    monkeypatch.setenv("LAUREL_API_THREADS", "3")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'threads.sqlite3'}", admin_token="adm")
    services = bootstrap(settings, configure_logs=False)
    try:
        with TestClient(create_app(services), headers={"Authorization": "Bearer adm"}) as http:
            assert http.portal is not None
            assert http.portal.call(lambda: anyio.to_thread.current_default_thread_limiter().total_tokens) == 3
            assert http.post("/v1/units", json={"id": "city-3", "name": "City 3", "name_zh": "三市", "level": "city"}).status_code == 201
    finally:
        services.close()
    assert Settings().api_threads == 3
    monkeypatch.setenv("LAUREL_API_THREADS", "0")
    with pytest.raises(ValueError, match="api_threads"):
        Settings()
