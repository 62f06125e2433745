"""Property-based fuzzing of HTTP API v1 with schemathesis (stateless), against the app in the
test process (ASGI) and the OpenAPI document it serves at /openapi.json.

Every operation of the document gets its own test (a failure names the operation, and a
known bug can be marked on one operation without hiding the rest), and each test starts a
fresh store, seeds a little data over HTTP (示范市 and a small tree under it, a campaign whose
declaration phase is open now, one nomination in it) and then runs schemathesis-generated
cases in both generation modes — positive (valid per the schema) and negative (invalid).
A share of the cases get the path parameters of the seeded objects, and a share get the
references in their JSON body (unit, template, category, campaign ids) pointed at them, so
that requests reach real aggregates and the rules behind them, not only 404s. Every request
carries the bootstrap admin token. The properties asserted are the API's error contract:

* no response is a 5xx;
* every 4xx/5xx response is ``application/problem+json``;
* every response conforms to the document: its status is documented for the operation
  (``status_code_conformance``), its content type too (``content_type_conformance``), and its
  body validates against the documented schema (``response_schema_conformance``).

Reproducible: Hypothesis runs derandomized (same cases every run) without an example
database. At most MAX_EXAMPLES cases per operation and mode keep the whole module well
under a minute and a half, while the total (checked by the last test) stays above 500; the
fuzzing is marked slow (``-m "not slow"`` leaves it out).

SQLite only: the fuzzing exercises the HTTP layer (routing, request validation, the domain
error → problem mapping), which does not depend on the event store's backend; the behaviour
that does (concurrency, idempotency, versions) is covered on both backends by
test_idempotency_and_versions.py, and a PostgreSQL schema per operation would double the
run time for no extra coverage.

The module ends with deterministic regression cases for the 5xx the fuzzing (and probing
around what it found) turned up.
"""

from __future__ import annotations

import collections
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
import structlog
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from infra.settings import Settings
from tests.builders.http import ADMIN_TOKEN, Server
from tests.builders.http_world import register_units
from tests.builders.material import material_of
from tests.builders.tree import UNIT_TREE

PROBLEM = "application/problem+json"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
MAX_EXAMPLES = 12
MIN_TOTAL_CASES = 500
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(autouse=True)
def plain_exception_logs() -> Iterator[None]:
    """Unconfigured structlog renders an exception with rich, every frame's locals included,
    which takes seconds per 500; plain text keeps a failing case (and its shrinking) fast and
    its captured log readable. The previous configuration is restored afterwards."""
    saved = structlog.get_config()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(sort_keys=True),
        ]
    )
    try:
        yield
    finally:
        structlog.configure(**saved)


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in the app's OpenAPI document, read at collection
    time from an app without services (building the document touches none), so operations
    added later are fuzzed without editing this file."""
    document = create_app(SimpleNamespace(settings=Settings(token_cache_seconds=0))).openapi()  # type: ignore[arg-type]
    verbs = ("get", "put", "post", "patch", "delete")
    return [
        (verb.upper(), path)
        for path, item in document["paths"].items()
        for verb in verbs
        if verb in item
    ]


OPERATIONS = _operations()
# Known bugs outside the files this suite may fix: {(METHOD, path): reason}. The fuzzing of
# these operations is expected to fail (strict: an unexpected pass is reported too).
KNOWN_BUGS: dict[
    tuple[str, str], str
] = {}  # (method, path) -> "BUG: …" marks a fuzz target xfail(strict)
CASES: collections.Counter[tuple[str, str]] = collections.Counter()  # cases sent per operation


def _param(method: str, path: str) -> Any:
    marks = (
        [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(method, path)])]
        if (method, path) in KNOWN_BUGS
        else []
    )
    return pytest.param(method, path, id=f"{method} {path}", marks=marks)


# --- seed ----------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(server: Server) -> dict[str, str]:
    """A small world over HTTP; returns real values for the document's path parameters."""
    with server.client(ADMIN_TOKEN) as admin:
        register_units(admin, UNIT_TREE[:4])  # 示范市 > 宜君县 > 彭镇 > 前双村
        body = {
            "template": "five-good-sites",
            "organiser_unit_id": "shifan-shi",
            "starts_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
            "durations": {"declaration": 86400},
        }
        campaign = admin.post("/v1/campaigns", json=body)
        assert campaign.status_code == 201 and campaign.json()["current_phase"] == "declaration", (
            campaign.text
        )
        declarer = admin.post(
            "/v1/tokens", json={"role": "declarer", "unit_id": "peng-zhen", "label": "seed"}
        ).json()["token"]
    with server.client(declarer) as client:
        nominee = {"kind": "site", "unit_id": "qianshuang-cun", "name": "Qianshuang site / 前双村站点"}
        nomination = client.post(
            f"/v1/campaigns/{campaign.json()['id']}/nominations",
            json={
                "category": "five_good_site",
                "declaring_unit_id": "peng-zhen",
                "nominee": nominee,
                "material": material_of(900),
            },
        )
        assert nomination.status_code == 201, nomination.text
    return {
        "campaign_id": campaign.json()["id"],
        "nomination_id": nomination.json()["id"],
        "unit_id": "shifan-shi",
        "code": "five-good-sites",
        "phase": "declaration",
    }


# --- the fuzzing ---------------------------------------------------------------------------


def check(response: schemathesis.Response, label: str, case: schemathesis.Case) -> None:
    content_type = (response.headers.get("content-type") or [""])[0]
    reproduce = case.as_curl_command()
    assert response.status_code < 500, (
        f"{label}: {response.status_code} {response.content[:500]!r}\n{reproduce}"
    )
    if response.status_code >= 400:
        assert content_type.split(";")[0].strip() == PROBLEM, (
            f"{label}: {response.status_code} with content-type {content_type!r}\n{reproduce}"
        )
    case.validate_response(response, checks=CONFORMANCE)


def anchor(case: schemathesis.Case, real: dict[str, str]) -> None:
    """Point the references of a generated JSON body at seeded objects (the rest stays as
    generated), so that cases get past "unknown unit/template/category" to the rules and
    the phase arithmetic behind them."""
    if not isinstance(case.body, dict):
        return
    references = {
        "template": "five-good-sites",
        "organiser_unit_id": "shifan-shi",
        "category": "five_good_site",
        "declaring_unit_id": "peng-zhen",
        "parent_id": "peng-zhen",
        "unit_id": "peng-zhen",
        "parent_campaign_id": real["campaign_id"],
        "nomination_ids": [real["nomination_id"]],
    }
    body = dict(case.body)
    for key, value in references.items():
        if key in body:
            body[key] = value
    if isinstance(body.get("nominee"), dict):
        body["nominee"] = dict(body["nominee"], unit_id="qianshuang-cun")
    case.body = body


@pytest.fixture
def fuzz_schema(server: Server) -> tuple[Any, dict[str, str]]:
    real = seed(server)
    return schemathesis.openapi.from_asgi("/openapi.json", server.asgi), real


@pytest.mark.slow  # about a minute for every operation together
@SQLITE_ONLY
@pytest.mark.parametrize(("method", "path"), [_param(m, p) for m, p in OPERATIONS])
def test_operation_never_5xx_and_errors_are_problem_json(
    server: Server, fuzz_schema: tuple[Any, dict[str, str]], method: str, path: str
) -> None:
    schema, real = fuzz_schema
    operation = schema[path][method.lower()]
    fixed = {name: value for name, value in real.items() if "{" + name + "}" in path}
    label = f"{method} {path}"
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        fuzz_mode(operation, mode, fixed, real, (method, path))
    assert CASES[(method, path)] >= 1, f"{label}: no case was generated"


def fuzz_mode(
    operation: Any,
    mode: GenerationMode,
    fixed: dict[str, str],
    real: dict[str, str],
    key: tuple[str, str],
) -> None:
    """Up to MAX_EXAMPLES cases of one generation mode; half with the seeded path parameters."""
    label = f"{' '.join(key)} [{mode.value}]"
    strategies = [operation.as_strategy(mode, headers=AUTH, path_parameters=fixed)] if fixed else []
    strategies.append(operation.as_strategy(mode, headers=AUTH))

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        # generated requests are slow next to plain data, and schemathesis filters much of
        # what it draws (e.g. a negative string path parameter does not exist)
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=st.one_of(strategies), anchored=st.booleans())
    def fuzz(case: schemathesis.Case, anchored: bool) -> None:
        if anchored:
            anchor(case, real)
        CASES[key] += 1
        check(case.call(), label, case)

    try:
        fuzz()
    except Unsatisfiable:
        # nothing of this mode can be generated (a negative case for an operation without
        # parameters or body): no case to send
        assert mode is GenerationMode.NEGATIVE, f"{label}: no case could be generated"


@pytest.mark.slow  # counts what the fuzzing above sent
def test_enough_cases_were_generated_in_total() -> None:
    """Runs after the per-operation tests (pytest keeps the file order)."""
    if set(CASES) != set(OPERATIONS):
        pytest.skip("only meaningful after every operation was fuzzed in this run")
    total = sum(CASES.values())
    print(f"schemathesis sent {total} cases over {len(CASES)} operations")
    assert total >= MIN_TOTAL_CASES, dict(CASES)


# --- regressions found by fuzzing and probing ------------------------------------------------


@pytest.fixture
def world(server: Server) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    real = seed(server)
    with server.client(ADMIN_TOKEN) as admin:
        yield admin, real


OUT_OF_RANGE_CAMPAIGNS = {
    "starts-9999": {"starts_at": "9999-12-31T00:00:00Z"},  # start + durations overflows
    "starts-0001-plus-14h": {"starts_at": "0001-01-01T00:00:00+14:00"},  # UTC conversion overflows
    "duration-1e308": {"starts_at": "2026-01-05T00:00:00Z", "durations": {"declaration": 1e308}},
    "duration-P999999999D": {
        "starts_at": "2026-01-05T00:00:00Z",
        "durations": {"declaration": "P999999999D"},
    },
    "deadline-9999": {"year": 2022, "deadlines": {"commendation": "9999-12-31T23:59:59Z"}},
}


@SQLITE_ONLY
@pytest.mark.parametrize(
    "extra", list(OUT_OF_RANGE_CAMPAIGNS.values()), ids=list(OUT_OF_RANGE_CAMPAIGNS)
)
def test_campaign_instants_out_of_range_are_422_not_500(
    world: tuple[httpx.Client, dict[str, str]], extra: dict[str, Any]
) -> None:
    admin, _ = world
    response = admin.post(
        "/v1/campaigns", json={"template": "five-good-sites", "organiser_unit_id": "shifan-shi", **extra}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


NON_JSON_NUMBERS = {
    "duration-NaN": (
        "/v1/campaigns",
        '{"template": "five-good-sites", "organiser_unit_id": "shifan-shi", '
        '"starts_at": "2026-01-05T00:00:00Z", "durations": {"declaration": NaN}}',
    ),
    "duration-Infinity": (
        "/v1/campaigns",
        '{"template": "five-good-sites", "organiser_unit_id": "shifan-shi", '
        '"starts_at": "2026-01-05T00:00:00Z", "durations": {"declaration": Infinity}}',
    ),
    "quota-1e999": (
        "/v1/campaigns",
        '{"template": "five-good-sites", "organiser_unit_id": "shifan-shi", "year": 2022, '
        '"quotas": {"five_good_site": 1e999}}',
    ),
}


@SQLITE_ONLY
@pytest.mark.parametrize(("path", "raw"), list(NON_JSON_NUMBERS.values()), ids=list(NON_JSON_NUMBERS))
def test_nan_and_infinity_are_refused_as_invalid_requests(
    world: tuple[httpx.Client, dict[str, str]], path: str, raw: str
) -> None:
    """Python's JSON parser accepts NaN and Infinity; they are not JSON, and a NaN echoed in
    a rule failure used to make the problem body itself unserialisable (500)."""
    admin, _ = world
    response = admin.post(path, content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "urn:laurel:problem:request-invalid"


@SQLITE_ONLY
def test_nan_in_a_declaration_form_never_reaches_the_event_store(
    server: Server, world: tuple[httpx.Client, dict[str, str]]
) -> None:
    admin, real = world
    declarer = admin.post("/v1/tokens", json={"role": "declarer", "unit_id": "peng-zhen"}).json()[
        "token"
    ]
    position = server.services.app.recorder.max_notification_id()
    body = {
        "category": "five_good_site",
        "declaring_unit_id": "peng-zhen",
        "nominee": {"kind": "site", "unit_id": "peng-zhen", "name": "Town site"},
        "form": {"rate": "NAN"},
        "material": material_of(900),
    }
    raw = json.dumps(body).replace('"NAN"', "NaN")
    with server.client(declarer) as client:
        response = client.post(
            f"/v1/campaigns/{real['campaign_id']}/nominations",
            content=raw,
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "urn:laurel:problem:request-invalid"
    assert server.services.app.recorder.max_notification_id() == position


@SQLITE_ONLY
def test_an_unexpected_error_leaves_the_connection_usable(
    real_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 500 is a problem+json response and the keep-alive connection survives it (before,
    the exception was re-raised past the response, uvicorn closed the connection, and the
    client's next request on it was reset)."""
    seed(real_server)
    admin = real_server.client(ADMIN_TOKEN)

    def boom(*_: Any, **__: Any) -> Any:
        raise RuntimeError("injected failure")

    def local_port(response: httpx.Response) -> int:
        return response.extensions["network_stream"].get_extra_info("client_addr")[1]

    port = local_port(admin.get("/healthz"))
    monkeypatch.setattr(real_server.services.app, "list_campaigns", boom)
    for _ in range(3):
        response = admin.get("/v1/campaigns")
        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:laurel:problem:internal-error"
        assert response.json()["request_id"] == response.headers["x-request-id"]
        assert local_port(response) == port, "the server closed the connection after a 500"
    monkeypatch.undo()
    after = admin.get("/v1/campaigns")
    assert after.status_code == 200 and local_port(after) == port


@SQLITE_ONLY
@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_as_of_at_the_ends_of_time_is_a_client_error(
    world: tuple[httpx.Client, dict[str, str]], as_of: str
) -> None:
    admin, real = world
    response = admin.get(f"/v1/nominations/{real['nomination_id']}", params={"as_of": as_of})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] in (PROBLEM, "application/json")


@SQLITE_ONLY
def test_a_negative_cursor_is_refused(world: tuple[httpx.Client, dict[str, str]]) -> None:
    admin, real = world
    response = admin.get(f"/v1/campaigns/{real['campaign_id']}/nominations", params={"cursor": "LTE="})
    assert response.status_code == 422, response.text
    assert [f["rule"] for f in response.json()["failures"]] == ["cursor_valid"]


@SQLITE_ONLY
@pytest.mark.parametrize("target", ["units", "nominations"])
def test_a_csv_with_a_bare_carriage_return_is_not_a_500(
    world: tuple[httpx.Client, dict[str, str]], target: str
) -> None:
    admin, real = world
    path = (
        "/v1/units:import"
        if target == "units"
        else f"/v1/campaigns/{real['campaign_id']}/nominations:import"
    )
    response = admin.post(path, content=b"\r0", headers={"content-type": "text/csv"})
    # a table refused as a whole (422 import-invalid), read with a per-row report (200), or the
    # admin refused before reading it (403: admins do not declare)
    assert response.status_code in (200, 403, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["type"] == "urn:laurel:problem:import-invalid"
