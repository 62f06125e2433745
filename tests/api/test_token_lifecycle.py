"""Tokens over real HTTP on both stores: listed (never a secret), revoked with a reason and
refused at once by the revoking process and within the token cache's lifetime by any other,
expired at their instant, and failed authentications limited per client address."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.builders.backends import BACKENDS
from tests.builders.http import Server, serve_in_process
from tests.builders.http_world import register_units
from tests.builders.tree import NEIGHBOUR_TREE, UNIT_TREE

pytestmark = BACKENDS
PROBLEM = "application/problem+json"


def build_tree(admin: httpx.Client) -> None:
    register_units(admin, [*UNIT_TREE[:3], NEIGHBOUR_TREE[0]])  # 示范市 > 宜君县 > 彭镇; 临沅市


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    with serve_in_process(database_url) as running, running.client() as admin:
        build_tree(admin)
        yield running


def issue(
    server: Server, role: str = "declarer", unit: str | None = "peng-zhen", **extra: object
) -> dict:
    with server.client() as admin:
        response = admin.post(
            "/v1/tokens", json={"role": role, "unit_id": unit, "label": f"{role} {unit}", **extra}
        )
    assert response.status_code == 201, response.text
    return response.json()


def test_the_token_list_shows_each_tokens_facts_and_never_a_secret(server: Server) -> None:
    token = issue(server)
    with server.client(token["token"]) as declarer:
        assert declarer.get("/v1/templates").status_code == 200  # a use to record
    with server.client() as admin:
        listed = {t["id"]: t for t in admin.get("/v1/tokens").json()}
    entry = listed[token["id"]]
    assert {
        "id",
        "role",
        "unit_id",
        "label",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked",
    } <= set(entry)
    assert (entry["role"], entry["unit_id"], entry["label"], entry["revoked"]) == (
        "declarer",
        "peng-zhen",
        "declarer peng-zhen",
        False,
    )
    assert entry["last_used_at"] is not None and entry["expires_at"] is not None
    assert "token" not in entry and "secret_sha256" not in entry and token["token"] not in str(listed)


def test_a_scoped_admin_lists_only_its_subtrees_tokens(server: Server) -> None:
    town = issue(server)
    elsewhere = issue(server, "reviewer", "linyuan-shi")
    city_admin = issue(server, "admin", "shifan-shi")
    with server.client(city_admin["token"]) as admin:
        ids = {t["id"] for t in admin.get("/v1/tokens").json()}
        assert town["id"] in ids and elsewhere["id"] not in ids
        assert (
            admin.delete(f"/v1/tokens/{elsewhere['id']}", params={"reason": "not mine"}).status_code
            == 403
        )


def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_an_event_with_actor_and_reason(
    server: Server,
) -> None:
    token = issue(server)
    with server.client(token["token"]) as declarer, server.client() as admin:
        assert declarer.get("/v1/templates").status_code == 200  # now cached by this process
        revoked = admin.delete(
            f"/v1/tokens/{token['id']}", params={"reason": "持有人调离 / holder moved"}
        )
        assert revoked.status_code == 200, revoked.text
        assert (
            revoked.json()["revoked"],
            revoked.json()["revocation_reason"],
            revoked.json()["revoked_by"],
        ) == (True, "持有人调离 / holder moved", "bootstrap-admin")
        refused = declarer.get("/v1/templates")
        assert refused.status_code == 401 and refused.headers["content-type"] == PROBLEM
        events = admin.get("/v1/audit/events?limit=1000").json()["items"]
        (revocation,) = [e for e in events if e["type"] == "token.revoked"]
        assert (
            revocation["actor"]["token_id"] == "bootstrap-admin"
            and revocation["data"]["reason"] == "持有人调离 / holder moved"
        )


def test_another_api_process_refuses_a_revoked_token_within_its_cache_lifetime(
    database_url: str, server: Server
) -> None:
    token = issue(server)
    with (
        serve_in_process(database_url, token_cache_seconds=1.0) as other,
        other.client(token["token"]) as declarer,
        server.client() as admin,
    ):
        assert declarer.get("/v1/templates").status_code == 200  # cached by the other process
        assert admin.delete(f"/v1/tokens/{token['id']}", params={"reason": "leaked"}).status_code == 200
        revoked_at = time.monotonic()
        while declarer.get("/v1/templates").status_code == 200:
            assert time.monotonic() - revoked_at < 3, "still accepted after the cache lifetime"
            time.sleep(0.1)


@pytest.mark.slow  # waits for a real expiry to pass
def test_an_expired_token_is_refused_from_its_expiry(server: Server) -> None:
    token = issue(server, expires_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat())
    with server.client(token["token"]) as declarer:
        assert declarer.get("/v1/templates").status_code == 200
        time.sleep(2.1)
        assert declarer.get("/v1/templates").status_code == 401


def test_an_expiry_beyond_the_maximum_or_in_the_past_is_refused(server: Server) -> None:
    with server.client() as admin:
        for when, rule in (
            (datetime.now(UTC) + timedelta(days=400), "token_lifetime_max"),
            (datetime.now(UTC) - timedelta(days=1), "token_expiry_future"),
        ):
            response = admin.post(
                "/v1/tokens",
                json={"role": "declarer", "unit_id": "peng-zhen", "expires_at": when.isoformat()},
            )
            assert response.status_code == 422 and [f["rule"] for f in response.json()["failures"]] == [
                rule
            ]


def test_a_revoked_token_cannot_be_revoked_into_a_second_event(server: Server) -> None:
    token = issue(server)
    with server.client() as admin:
        assert admin.delete(f"/v1/tokens/{token['id']}", params={"reason": "once"}).status_code == 200
        head = server.services.app.recorder.max_notification_id()
        assert admin.delete(f"/v1/tokens/{token['id']}", params={"reason": "once"}).status_code == 200
        assert server.services.app.recorder.max_notification_id() == head
        assert (
            admin.delete("/v1/tokens/tok_0000000000000000", params={"reason": "no such"}).status_code
            == 404
        )


def test_failed_authentications_are_limited_per_address_with_retry_after(database_url: str) -> None:
    with (
        serve_in_process(database_url, auth_failure_limit="3/minute") as server,
        server.client() as admin,
    ):
        with server.client("lrl_guess_0") as guesser:
            assert [guesser.get("/v1/templates").status_code for _ in range(3)] == [401, 401, 401]
            throttled = guesser.get("/v1/templates")
        assert throttled.status_code == 429 and throttled.headers["content-type"] == PROBLEM
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert (
            admin.get("/v1/templates").status_code == 429
        )  # the address is throttled, whatever it presents
        metrics = server.client(None).get("/metrics").text
        assert (
            'laurel_auth_failures_total{credential="bearer"} 3.0' in metrics
            and "laurel_auth_throttled_total 2.0" in metrics
        )


@pytest.mark.slow  # laurel processes
def test_the_cli_lists_and_revokes_tokens(database_url: str, server: Server, tmp_path: Path) -> None:
    token = issue(server)
    env = {
        "LAUREL_DATABASE_URL": database_url,
        "PATH": "/usr/bin:/bin",
        "LAUREL_HOME_DIR": str(tmp_path),
        "COLUMNS": "200",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "cli", "token", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0 and token["id"] in listed.stdout, listed.stderr
    revoked = subprocess.run(
        [sys.executable, "-m", "cli", "token", "revoke", token["id"], "--reason", "离职 / left"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    with server.client(token["token"]) as declarer:
        deadline = time.monotonic() + 10  # the server's token cache lasts 5 s
        while declarer.get("/v1/templates").status_code != 401:
            assert time.monotonic() < deadline
            time.sleep(0.2)
