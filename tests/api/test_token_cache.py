"""The API remembers a resolved bearer token for a few seconds (no database read, no thread-pool
trip per request); an unknown token is looked up every time, so a new token is never refused."""

from __future__ import annotations

from api.token_cache import TokenCache
from tests.builders.actors import AUDITOR


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_resolved_token_is_remembered_until_its_time_is_up() -> None:
    clock = Clock()
    cache = TokenCache(5.0, clock=clock)
    assert cache.get("lrl_secret") is None
    cache.put("lrl_secret", AUDITOR)
    clock.now += 4.9
    assert cache.get("lrl_secret") == AUDITOR
    clock.now += 0.1
    assert cache.get("lrl_secret") is None  # looked up again: a revocation is seen within ttl


def test_the_cache_is_bounded_and_can_be_turned_off() -> None:
    cache = TokenCache(60.0, size=2)
    for i in range(3):
        cache.put(f"s{i}", AUDITOR)
    assert cache.get("s0") is None and cache.get("s1") == AUDITOR and cache.get("s2") == AUDITOR
    off = TokenCache(0)
    off.put("s", AUDITOR)
    assert off.get("s") is None


def test_the_api_remembers_a_token_after_its_first_request(server) -> None:  # type: ignore[no-untyped-def]
    with server.client() as admin:
        token = admin.post(
            "/v1/tokens", json={"role": "auditor", "unit_id": None, "label": "cache"}
        ).json()["token"]
    with server.client(token) as auditor:
        assert auditor.get("/v1/audit/verify").status_code == 200
        assert auditor.get("/v1/audit/verify").status_code == 200
    with server.client("lrl_not_a_token") as stranger:
        assert stranger.get("/v1/audit/verify").status_code == 401
        assert (
            stranger.get("/v1/audit/verify").status_code == 401
        )  # refusals are not remembered as anything
