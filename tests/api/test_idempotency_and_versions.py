"""Idempotency-Key and If-Match/ETag over real HTTP, on SQLite and PostgreSQL.

The API contract: every POST accepts ``Idempotency-Key`` (a repeat returns the first
response and appends nothing; the same key with another body is 422; keys are scoped per
token); nomination reads return ``ETag: "<version>"`` and writes accept ``If-Match`` — a
stale version is 412, a write that lost a race is 409, and no event is ever lost.

"Nothing appended" is checked twice: on the nomination's own history and on the store's
global position (``recorder.max_notification_id()``), which also covers the campaign,
unit, token and receipt aggregates a command may touch.

Phase gating uses the wall clock: campaigns are created over HTTP with ``starts_at`` and
``durations`` such that the phase a test needs is open now, and the states a step needs are
prepared through the application with ``at=`` instants inside the (past) earlier phases.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from domain.commands import Declare, PreReview
from tests.builders.actors import CITY_REVIEWER, TOWNSHIP_DECLARER
from tests.builders.backends import BACKENDS
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.http import ADMIN_TOKEN, Server, problem
from tests.builders.http_world import declaration, inspection, register_units
from tests.builders.tree import UNIT_TREE, VILLAGE

pytestmark = BACKENDS

PROBLEM = "application/problem+json"
PHASES = ("declaration", "pre_review", "inspection", "commendation")
CATEGORY = "five_good_site"
METHODS = ["document_review", "site_visit"]
HOUR = timedelta(hours=1)
DAY = 86400

UNITS = UNIT_TREE[:5]  # 示范市 > 宜君县 > 彭镇 > 前双村, 后双村


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Campaign:
    id: str
    opens: list[datetime]  # the opening instant of each phase up to the current one


@dataclass
class World:
    """shifan-shi > yijun-xian > peng-zhen > vil-1-0x, tokens for each role, and helpers."""

    server: Server
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def app(self) -> Any:
        return self.server.services.app

    @property
    def admin(self) -> httpx.Client:
        return self.clients["admin"]

    def position(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def unique(self) -> int:
        return next(self.counter)

    def token(self, role: str, unit_id: str | None) -> str:
        response = self.admin.post(
            "/v1/tokens", json={"role": role, "unit_id": unit_id, "label": f"{role} test"}
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def campaign(self, current: str) -> Campaign:
        """Over HTTP: ``current`` opened ten minutes ago and stays open a day; each earlier
        phase lasted an hour."""
        k = PHASES.index(current)
        starts_at = datetime.now(UTC) - k * HOUR - timedelta(minutes=10)
        durations = {code: 3600 if i < k else DAY for i, code in enumerate(PHASES)}
        body = {
            "template": "five-good-sites",
            "organiser_unit_id": "shifan-shi",
            "starts_at": iso(starts_at),
            "durations": durations,
            "quotas": {CATEGORY: None},
        }
        response = self.admin.post("/v1/campaigns", json=body)
        assert response.status_code == 201, response.text
        assert response.json()["current_phase"] == current
        return Campaign(response.json()["id"], [starts_at + i * HOUR for i in range(k + 1)])

    def declaration(self, name: str | None = None, village: str = VILLAGE) -> dict[str, Any]:
        return declaration(village, name=name or f"Site {self.unique()} / 站点")

    def admitted(self, campaign: Campaign) -> str:
        """A nomination at version 2 (declared, admitted), prepared in the past phases."""
        step = timedelta(minutes=5, milliseconds=self.unique())
        body = self.declaration()
        nid = str(
            self.app.execute(
                Declare(
                    campaign_id=campaign.id,
                    category=CATEGORY,
                    declaring_unit_id="peng-zhen",
                    nominee=body["nominee"],
                    form={},
                    material=body["material"],
                ),
                TOWNSHIP_DECLARER,
                at=campaign.opens[0] + step,
            )["id"]
        )
        self.app.execute(
            PreReview(
                nomination_id=nid,
                decision="admit",
                reasons=["材料翔实 / thorough"],
                checks=FIVE_PROTECTIONS_OK,
            ),
            CITY_REVIEWER,
            at=campaign.opens[1] + step,
        )
        return nid

    def history(self, nomination_id: str) -> list[dict[str, Any]]:
        response = self.admin.get(f"/v1/nominations/{nomination_id}/history")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def world(server: Server) -> Iterator[World]:
    w = World(server)
    w.clients["admin"] = server.client(ADMIN_TOKEN)
    try:
        register_units(w.admin, UNITS)
        for key, role, unit in (
            ("declarer", "declarer", "peng-zhen"),
            ("declarer-2", "declarer", "peng-zhen"),
            ("reviewer", "reviewer", "shifan-shi"),
            ("inspector", "inspector", "shifan-shi"),
            ("admin-2", "admin", None),
        ):
            w.clients[key] = server.client(w.token(role, unit))
        yield w
    finally:
        for client in w.clients.values():
            client.close()


# --- Idempotency-Key ----------------------------------------------------------------------


def test_repeated_declaration_with_the_same_key_replays_the_first_response(world: World) -> None:
    campaign = world.campaign("declaration")
    body = world.declaration()
    headers = {"Idempotency-Key": "declare-once-1"}
    first = world.clients["declarer"].post(
        f"/v1/campaigns/{campaign.id}/nominations", json=body, headers=headers
    )
    assert first.status_code == 201, first.text
    assert (first.json()["state"], first.json()["version"], first.json()["replayed"]) == (
        "declared",
        1,
        False,
    )
    assert first.headers["etag"] == '"1"'
    position = world.position()

    for _ in range(3):
        again = world.clients["declarer"].post(
            f"/v1/campaigns/{campaign.id}/nominations", json=body, headers=headers
        )
        assert again.status_code == 200, again.text
        assert again.json() == dict(first.json(), replayed=True)
        assert again.headers["etag"] == '"1"'

    assert world.position() == position
    assert [e["type"] for e in world.history(first.json()["id"])] == ["nomination.declared"]
    listed = world.admin.get(f"/v1/campaigns/{campaign.id}/nominations").json()["items"]
    assert [n["id"] for n in listed] == [first.json()["id"]]


@pytest.mark.parametrize("kind", ["unit", "token", "campaign", "inspection"])
def test_repeats_of_every_kind_of_post_append_nothing(world: World, kind: str) -> None:
    """Units, tokens, campaigns, a pipeline step: 201 (a step: 200) first, then 200 with the
    same id and nothing appended."""
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    client, path, body, created = {
        "unit": (
            world.admin,
            "/v1/units",
            {
                "id": "vil-1-09",
                "name": "Village 1-9",
                "name_zh": "前双村1-9",
                "level": "village",
                "parent_id": "peng-zhen",
            },
            201,
        ),
        "token": (
            world.admin,
            "/v1/tokens",
            {"role": "auditor", "unit_id": "shifan-shi", "label": "auditor"},
            201,
        ),
        "campaign": (
            world.admin,
            "/v1/campaigns",
            {
                "template": "five-good-sites",
                "organiser_unit_id": "shifan-shi",
                "starts_at": iso(datetime.now(UTC) - timedelta(minutes=5)),
            },
            201,
        ),
        "inspection": (
            world.clients["inspector"],
            f"/v1/nominations/{nid}/inspections",
            inspection(),
            200,
        ),
    }[kind]
    headers = {"Idempotency-Key": f"once-{kind}"}
    first = client.post(path, json=body, headers=headers)
    assert first.status_code == created, first.text
    position = world.position()

    again = client.post(path, json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert world.position() == position
    if kind == "token":  # the secret is shown once: the replay gives the id without it
        assert first.json()["token"] and again.json()["token"] is None
        assert again.json() == dict(first.json(), token=None, replayed=True)
    elif kind == "inspection":
        assert (
            again.json() == dict(first.json(), replayed=True)
            and again.headers["etag"] == first.headers["etag"] == '"3"'
        )
    elif kind == "unit":  # the unit as it is now (unchanged here), marked as the replay it is
        assert again.json() == dict(first.json(), replayed=True)
    else:  # a campaign answers with the resource as it is now (unchanged here)
        assert again.json() == first.json()
    if kind == "inspection":
        assert [e["type"] for e in world.history(nid)] == [
            "nomination.declared",
            "nomination.pre_reviewed",
            "nomination.inspected",
        ]


def test_the_same_key_with_another_body_is_422_and_appends_nothing(world: World) -> None:
    campaign = world.campaign("declaration")
    url = f"/v1/campaigns/{campaign.id}/nominations"
    headers = {"Idempotency-Key": "reused-key"}
    first = world.clients["declarer"].post(
        url, json=world.declaration("Site A / 站点甲"), headers=headers
    )
    assert first.status_code == 201, first.text
    position = world.position()

    other = world.clients["declarer"].post(
        url, json=world.declaration("Site B / 站点乙"), headers=headers
    )
    body = problem(other, 422, "idempotency-key-reused")
    assert [f["rule"] for f in body["failures"]] == ["idempotency_key_reused"]
    assert body["failures"][0]["field"] == "Idempotency-Key"
    # the same key on another endpoint (another command) is a reuse too
    withdrawal = world.clients["declarer"].post(
        f"/v1/nominations/{first.json()['id']}/withdrawal",
        json={"reason": "changed my mind"},
        headers=headers,
    )
    problem(withdrawal, 422, "idempotency-key-reused")

    assert world.position() == position
    assert [e["type"] for e in world.history(first.json()["id"])] == ["nomination.declared"]
    # and the first request still replays
    again = world.clients["declarer"].post(
        url, json=world.declaration("Site A / 站点甲"), headers=headers
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]


def test_an_overlong_key_on_a_command_is_a_422_naming_the_header_and_appends_nothing(
    world: World,
) -> None:
    """The command routes read their headers through one dependency (api/deps.py
    ``CommandContext``); its key check is the one every other POST makes."""
    declaring = world.campaign("declaration")
    nid = world.admitted(world.campaign("inspection"))
    position = world.position()
    attempts = [
        (world.clients["declarer"], f"/v1/campaigns/{declaring.id}/nominations", world.declaration()),
        (world.clients["inspector"], f"/v1/nominations/{nid}/inspections", inspection()),
    ]
    for client, path, body in attempts:
        refused = client.post(path, json=body, headers={"Idempotency-Key": "k" * 201, "If-Match": '"2"'})
        refusal = problem(refused, 422, "request-invalid")
        assert [(f["rule"], f["field"]) for f in refusal["failures"]] == [
            ("request_string_too_long", "Idempotency-Key")
        ]
    assert world.position() == position
    for client, path, body in attempts:
        accepted = client.post(
            path, json=body, headers={"Idempotency-Key": "k" * 200, "If-Match": '"2"'}
        )
        assert accepted.status_code in (200, 201), accepted.text
    assert [e["type"] for e in world.history(nid)][-1] == "nomination.inspected"


def test_keys_are_scoped_per_token(world: World) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    body = {"role": "auditor", "unit_id": "shifan-shi", "label": "same body, same key"}
    by_root = world.admin.post("/v1/tokens", json=body, headers=headers)
    by_other = world.clients["admin-2"].post("/v1/tokens", json=body, headers=headers)
    assert by_root.status_code == 201 and by_other.status_code == 201, (by_root.text, by_other.text)
    assert by_root.json()["id"] != by_other.json()["id"]
    assert by_root.json()["token"] != by_other.json()["token"]

    # two declarers, the same key, different nominees: two nominations (not a 422 reuse)
    campaign = world.campaign("declaration")
    url = f"/v1/campaigns/{campaign.id}/nominations"
    one = world.clients["declarer"].post(url, json=world.declaration("Site C / 站点丙"), headers=headers)
    two = world.clients["declarer-2"].post(
        url, json=world.declaration("Site D / 站点丁"), headers=headers
    )
    assert one.status_code == 201 and two.status_code == 201, (one.text, two.text)
    assert one.json()["id"] != two.json()["id"]
    listed = world.admin.get(f"/v1/campaigns/{campaign.id}/nominations").json()["items"]
    assert {n["id"] for n in listed} == {one.json()["id"], two.json()["id"]}
    # each token still replays its own
    assert (
        world.clients["declarer-2"]
        .post(url, json=world.declaration("Site D / 站点丁"), headers=headers)
        .json()["id"]
        == two.json()["id"]
    )


def test_racing_repeats_of_one_key_append_once(world: World) -> None:
    """Ten clients send the same request with the same key at once: one 201, nine 200
    replays of it, one nomination."""
    campaign = world.campaign("declaration")
    url = f"/v1/campaigns/{campaign.id}/nominations"
    # what one keyed declaration appends (the nomination and the receipt)
    position = world.position()
    single = world.clients["declarer"].post(
        url, json=world.declaration(), headers={"Idempotency-Key": "single-key"}
    )
    assert single.status_code == 201, single.text
    appended_by_one = world.position() - position

    body = world.declaration("Raced site / 并发站点")
    token = world.clients["declarer"].headers["authorization"].removeprefix("Bearer ")
    position = world.position()
    responses = race(
        world.server,
        token,
        10,
        lambda client, _: client.post(url, json=body, headers={"Idempotency-Key": "raced-key"}),
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 9 + [201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    nid = responses[0].json()["id"]
    assert [e["type"] for e in world.history(nid)] == ["nomination.declared"]
    assert world.position() == position + appended_by_one


# --- ETag and If-Match ----------------------------------------------------------------------


def test_a_nomination_read_returns_its_version_as_etag(world: World) -> None:
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    read = world.admin.get(f"/v1/nominations/{nid}")
    assert read.status_code == 200
    assert read.headers["etag"] == '"2"' and read.json()["version"] == 2
    declared_then = world.admin.get(
        f"/v1/nominations/{nid}", params={"as_of": iso(campaign.opens[0] + timedelta(minutes=30))}
    )
    assert declared_then.status_code == 200, declared_then.text
    assert declared_then.headers["etag"] == '"1"' and declared_then.json()["state"] == "declared"
    done = world.clients["inspector"].post(f"/v1/nominations/{nid}/inspections", json=inspection())
    assert done.status_code == 200 and done.headers["etag"] == '"3"'
    assert world.admin.get(f"/v1/nominations/{nid}").headers["etag"] == '"3"'


@pytest.mark.parametrize("stale", ['"1"', '"0"', '"3"', '"99"', 'W/"1"'])
@pytest.mark.parametrize("step", ["inspections", "withdrawal"])
def test_a_stale_if_match_is_412_and_appends_nothing(world: World, stale: str, step: str) -> None:
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    position = world.position()
    client, body = (
        (world.clients["inspector"], inspection())
        if step == "inspections"
        else (world.clients["declarer"], {"reason": "站点撤并 / site merged"})
    )
    response = client.post(f"/v1/nominations/{nid}/{step}", json=body, headers={"If-Match": stale})
    body = problem(response, 412, "stale-version")
    assert body["current"] == 2 and body["expected"] == int(stale.removeprefix("W/").strip('"'))
    assert world.position() == position
    assert len(world.history(nid)) == 2
    assert world.admin.get(f"/v1/nominations/{nid}").headers["etag"] == '"2"'


def test_the_current_if_match_succeeds_and_returns_the_new_etag(world: World) -> None:
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    etag = world.admin.get(f"/v1/nominations/{nid}").headers["etag"]
    assert etag == '"2"'
    first = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections", json=inspection(80), headers={"If-Match": etag}
    )
    assert first.status_code == 200, first.text
    assert (
        first.headers["etag"] == '"3"'
        and first.json()["version"] == 3
        and first.json()["state"] == "inspected"
    )
    # chain on the returned ETag; the old one is now stale
    second = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections",
        json=inspection(90),
        headers={"If-Match": first.headers["etag"]},
    )
    assert second.status_code == 200 and second.headers["etag"] == '"4"'
    problem(
        world.clients["inspector"].post(
            f"/v1/nominations/{nid}/inspections", json=inspection(), headers={"If-Match": etag}
        ),
        412,
        "stale-version",
    )
    # "*" means "any version"
    star = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections", json=inspection(70), headers={"If-Match": "*"}
    )
    assert star.status_code == 200 and star.headers["etag"] == '"5"'
    assert [e["version"] for e in world.history(nid)] == [1, 2, 3, 4, 5]


def test_a_conditional_write_repeated_with_its_key_replays_instead_of_412(world: World) -> None:
    """A client retrying a conditional write that did succeed (its response was lost) gets
    the first response back, not a 412 for the version its own write moved on."""
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    headers = {"If-Match": '"2"', "Idempotency-Key": "conditional-once"}
    first = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections", json=inspection(), headers=headers
    )
    assert first.status_code == 200 and first.headers["etag"] == '"3"'
    position = world.position()
    again = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections", json=inspection(), headers=headers
    )
    assert again.status_code == 200, again.text
    assert again.json() == dict(first.json(), replayed=True)
    assert world.position() == position and len(world.history(nid)) == 3


@pytest.mark.parametrize(
    "if_match",
    [
        pytest.param("abc", id="word"),
        pytest.param('"x1"', id="quoted-word"),
        pytest.param('"-1"', id="negative"),
        pytest.param('"1.0"', id="decimal"),
        pytest.param('"1", "2"', id="list"),
        pytest.param("", id="empty"),
        pytest.param(b'"\xb2"', id="latin1-superscript-two"),  # "²".isdigit() is True
        pytest.param('"' + "9" * 5000 + '"', id="5000-digits"),  # int() refuses > 4300 digits
    ],
)
def test_a_malformed_if_match_is_a_422_problem_naming_the_header(
    world: World, if_match: str | bytes
) -> None:
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    position = world.position()
    response = world.clients["inspector"].post(
        f"/v1/nominations/{nid}/inspections", json=inspection(), headers={"If-Match": if_match}
    )
    body = problem(response, 422)
    assert [f["field"] for f in body["failures"]] == ["If-Match"], body
    assert world.position() == position and len(world.history(nid)) == 2


def race(
    server: Server, token: str, n: int, request: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """``n`` threads, each with its own connection, released together."""
    clients = [server.client(token) for _ in range(n)]
    barrier = threading.Barrier(n)
    results: list[httpx.Response | BaseException | None] = [None] * n

    def worker(i: int) -> None:
        try:
            clients[i].get("/healthz")  # open the connection before the start line
            barrier.wait(timeout=30)
            results[i] = request(clients[i], i)
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for client in clients:
            client.close()
    errors = [r for r in results if not isinstance(r, httpx.Response)]
    assert not errors, errors
    return results  # type: ignore[return-value]


def test_concurrent_writes_with_the_same_if_match_one_wins_none_is_lost(world: World) -> None:
    campaign = world.campaign("inspection")
    # what one inspection appends, measured on another nomination
    other = world.admitted(campaign)
    position = world.position()
    assert (
        world.clients["inspector"]
        .post(f"/v1/nominations/{other}/inspections", json=inspection())
        .status_code
        == 200
    )
    appended_by_one = world.position() - position

    nid = world.admitted(campaign)
    token = world.clients["inspector"].headers["authorization"].removeprefix("Bearer ")
    position = world.position()
    url = f"/v1/nominations/{nid}/inspections"
    responses = race(
        world.server,
        token,
        10,
        lambda client, i: client.post(
            url, json=inspection(notes=f"inspector {i}"), headers={"If-Match": '"2"'}
        ),
    )

    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert len(winners) == 1, [(r.status_code, r.text) for r in responses]
    assert winners[0].headers["etag"] == '"3"'
    for loser in losers:
        body = problem(loser, loser.status_code)
        assert (loser.status_code, body["type"]) in {
            (412, "urn:laurel:problem:stale-version"),
            (409, "urn:laurel:problem:concurrency-conflict"),
        }, body
    history = world.history(nid)
    assert [e["version"] for e in history] == [1, 2, 3]
    assert world.position() == position + appended_by_one
    # the event that won is the winner's own request
    winner_index = responses.index(winners[0])
    assert history[-1]["data"]["inspection"]["notes"] == f"inspector {winner_index}"


def test_concurrent_unconditional_writes_all_land(world: World) -> None:
    """Without If-Match a conflict is retried on fresh state: all ten inspections are
    recorded, in ten consecutive versions."""
    campaign = world.campaign("inspection")
    nid = world.admitted(campaign)
    token = world.clients["inspector"].headers["authorization"].removeprefix("Bearer ")
    url = f"/v1/nominations/{nid}/inspections"
    responses = race(
        world.server,
        token,
        10,
        lambda client, i: client.post(url, json=inspection(notes=f"inspector {i}")),
    )

    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert sorted(r.json()["version"] for r in responses) == list(range(3, 13))
    history = world.history(nid)
    assert [e["version"] for e in history] == list(range(1, 13))
    assert sorted(e["data"]["inspection"]["notes"] for e in history[2:]) == sorted(
        f"inspector {i}" for i in range(10)
    )
