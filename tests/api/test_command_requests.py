"""A command request's work on the event loop, held in shape (not timed: bench.rush measures
it). A command route solves one dependency for its token and headers, its answer is encoded
once into the compact UTF-8 JSON it always was, and the request metrics keep adding to one
series per method, route and status."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.routing import APIRoute

from api.app import AUTHENTICATED_ROUTERS
from api.auth import bearer
from api.deps import command_context, versioned_command_context
from tests.builders.backends import BACKENDS
from tests.builders.http import ADMIN_TOKEN, Server, problem
from tests.builders.http_world import campaign_body, declaration, inspection, issue_token, register_units
from tests.builders.tree import TOWNSHIP, UNIT_TREE

DAY = 86400


def test_a_command_route_reads_its_token_and_headers_in_one_dependency() -> None:
    """FastAPI solves every sub-dependency again on each request: the command contexts take the
    bearer scheme and their headers as parameters of their own, so the document still states
    them (tests/integration/test_api_foundation.py) and nothing else is solved."""
    headers = {
        command_context: ["Idempotency-Key"],
        versioned_command_context: ["Idempotency-Key", "If-Match"],
    }
    seen = set()
    for module in AUTHENTICATED_ROUTERS:
        for route in module.router.routes:
            if not isinstance(route, APIRoute):
                continue
            for dependency in route.dependant.dependencies:
                if dependency.call in headers:
                    seen.add(dependency.call)
                    assert [d.call for d in dependency.dependencies] == [bearer], route.path
                    assert [p.alias for p in dependency.header_params] == headers[dependency.call]
    assert seen == set(headers)


@BACKENDS
def test_a_declaration_answers_compact_utf8_json_with_its_version_as_etag(server: Server) -> None:
    admin = server.client(ADMIN_TOKEN)
    register_units(admin, UNIT_TREE[:4])
    declarer = server.client(issue_token(admin, "declarer", TOWNSHIP))
    opened = datetime.now(UTC) - timedelta(minutes=10)
    durations = dict.fromkeys(("declaration", "pre_review", "inspection", "commendation"), DAY)
    created = admin.post("/v1/campaigns", json=campaign_body(opened, durations, quotas={}))
    assert created.status_code == 201, created.text

    answer = declarer.post(
        f"/v1/campaigns/{created.json()['id']}/nominations", json=declaration(name="前双村远教站点")
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert answer.headers["content-type"] == "application/json"
    # byte for byte what JSONResponse made of the same body; absent fields left out, not null
    assert answer.content == json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert (body["state"], body["version"], body["replayed"]) == ("declared", 1, False)
    assert "forwarded_to" not in body
    assert answer.headers["etag"] == '"1"'


def test_an_overlong_key_with_a_malformed_if_match_is_a_422_naming_the_key(server: Server) -> None:
    """Both headers are the command context's own parameters: the key's length is checked
    first, with the document's limit, and the command context is not called."""
    answer = server.client(ADMIN_TOKEN).post(
        f"/v1/nominations/{uuid.uuid4()}/inspections",
        json=inspection(),
        headers={"Idempotency-Key": "k" * 201, "If-Match": "three"},
    )
    refusal = problem(answer, 422, "request-invalid")
    assert [(f["rule"], f["field"]) for f in refusal["failures"]] == [
        ("request_string_too_long", "Idempotency-Key")
    ]


def _requests(metrics: str, method: str, route: str, status: int) -> float:
    found = re.search(
        rf'^laurel_http_requests_total{{method="{method}",route="{re.escape(route)}",'
        rf'status="{status}"}} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_the_request_metrics_add_to_one_series_per_method_route_and_status(server: Server) -> None:
    admin = server.client(ADMIN_TOKEN)
    before = admin.get("/metrics").text
    for _ in range(3):
        assert admin.get("/healthz").status_code == 200
    for _ in range(2):
        assert admin.get("/v1/units/nowhere").status_code == 404
    after = admin.get("/metrics").text

    def added(method: str, route: str, status: int) -> float:
        return _requests(after, method, route, status) - _requests(before, method, route, status)

    assert added("GET", "/healthz", 200) == 3
    assert added("GET", "/v1/units/{unit_id}", 404) == 2
    assert added("GET", "/v1/units/{unit_id}", 200) == 0
    count = re.search(
        r'^laurel_http_request_duration_seconds_count{method="GET",route="/healthz"} (\S+)$',
        after,
        re.MULTILINE,
    )
    assert count is not None and float(count.group(1)) >= 3
