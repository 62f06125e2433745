"""Tokens and who reads what: lifetimes, revocation with a reason, the directory that lists
them by id, and auditors bound to a subtree like every other role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.access import AccessToken, secret_hash, token_uuid
from domain.actors import Actor
from domain.commands import IssueToken, RevokeToken
from domain.errors import (
    OutsideJurisdictionError,
    RoleNotAllowedError,
    RuleViolationError,
    TokenNotFoundError,
)
from domain.rules.jurisdiction import can_read_campaign, can_read_unit, require_whole_log_reader
from tests.builders.actors import ADMIN, AUDITOR, CITY_AUDITOR, COUNTY_ADMIN, COUNTY_AUDITOR
from tests.builders.tree import CITY, COUNTY, OTHER_COUNTY, TOWNSHIP
from tests.builders.world import World


def issued(
    world: World,
    role: str = "declarer",
    unit: str | None = TOWNSHIP,
    actor: Actor = ADMIN,
    **kwargs: Any,
) -> dict:
    command = IssueToken(role=role, unit_id=unit, label=f"{role} of {unit}", **kwargs)
    return world.app.execute(command, actor)


def test_a_token_lives_the_default_lifetime_unless_told_otherwise(world: World) -> None:
    token = issued(world)
    assert token["expires_at"] == (world.now + world.app.access.policy.default).isoformat()
    later = issued(world, expires_at=world.now + timedelta(days=7))
    assert later["expires_at"] == (world.now + timedelta(days=7)).isoformat()


@pytest.mark.parametrize(
    ("offset", "rule"),
    [
        (timedelta(days=-1), "token_expiry_future"),
        (timedelta(0), "token_expiry_future"),
        (timedelta(days=367), "token_lifetime_max"),
    ],
)
def test_a_token_expiry_must_lie_ahead_within_the_maximum(
    world: World, offset: timedelta, rule: str
) -> None:
    with pytest.raises(RuleViolationError) as refused:
        issued(world, expires_at=world.now + offset)
    assert [(f.rule, f.field) for f in refused.value.failures] == [(rule, "expires_at")]


def test_an_expired_token_no_longer_authenticates(world: World) -> None:
    token = issued(world, expires_at=world.now + timedelta(hours=1))
    assert world.app.access.authenticate(token["token"]).token_id == token["id"]
    world.now += timedelta(hours=1)
    assert world.app.access.authenticate(token["token"]) is None


def test_a_revoked_token_no_longer_authenticates_and_the_revocation_records_actor_and_reason(
    world: World,
) -> None:
    token = issued(world)
    revoked = world.app.execute(
        RevokeToken(token_id=token["id"], reason="持有人调离 / holder moved"), ADMIN
    )
    assert (revoked["revoked"], revoked["revoked_by"], revoked["revocation_reason"]) == (
        True,
        ADMIN.token_id,
        "持有人调离 / holder moved",
    )
    assert world.app.access.authenticate(token["token"]) is None
    events = list(world.app.events.get(token_uuid(secret_hash(token["token"]))))
    assert isinstance(events[-1], AccessToken.Revoked) and events[-1].actor == ADMIN


def test_revoking_twice_appends_nothing_more(world: World) -> None:
    token = issued(world)
    world.app.execute(RevokeToken(token_id=token["id"], reason="leaked"), ADMIN)
    before = world.events_recorded()
    again = world.app.execute(RevokeToken(token_id=token["id"], reason="leaked"), ADMIN)
    assert again["revoked"] and world.events_recorded() == before


def test_an_unknown_token_id_is_not_found(world: World) -> None:
    with pytest.raises(TokenNotFoundError):
        world.app.execute(RevokeToken(token_id="tok_0000000000000000", reason="no such token"), ADMIN)


def test_an_admin_revokes_and_lists_only_its_subtrees_tokens(world: World) -> None:
    mine = issued(world, unit=TOWNSHIP)
    theirs = issued(world, unit=OTHER_COUNTY)
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(RevokeToken(token_id=theirs["id"], reason="not mine"), COUNTY_ADMIN)
    assert [t["id"] for t in world.app.access.list_tokens(COUNTY_ADMIN)] == [mine["id"]]
    assert {t["id"] for t in world.app.access.list_tokens(ADMIN)} == {mine["id"], theirs["id"]}
    world.app.execute(RevokeToken(token_id=mine["id"], reason="moved on"), COUNTY_ADMIN)


def test_a_token_may_revoke_itself(world: World) -> None:
    token = issued(world)
    me = world.app.access.authenticate(token["token"]).as_actor()
    assert world.app.execute(RevokeToken(token_id=token["id"], reason="I leaked it"), me)["revoked"]


def test_a_declarer_may_not_list_tokens(world: World) -> None:
    token = issued(world)
    with pytest.raises(RoleNotAllowedError):
        world.app.access.list_tokens(world.app.access.authenticate(token["token"]).as_actor())


def test_tokens_issued_before_the_directory_existed_are_listed(world: World) -> None:
    old = AccessToken.issue("lrl_an_old_secret", "reviewer", CITY, "old", ADMIN, world.now, None)
    world.app.save(old)  # as the first release stored it: no directory entry
    token = issued(world)
    listed = {t["id"]: t for t in world.app.access.list_tokens(ADMIN)}
    assert set(listed) == {old.token_id, token["id"]} and listed[old.token_id]["expires_at"] is None


def test_a_scoped_admin_cannot_issue_a_token_above_its_scope(world: World) -> None:
    with pytest.raises(OutsideJurisdictionError):
        issued(world, role="auditor", unit=None, actor=COUNTY_ADMIN)
    with pytest.raises(OutsideJurisdictionError):
        issued(world, role="auditor", unit=CITY, actor=COUNTY_ADMIN)


def test_an_auditor_of_a_city_reads_only_that_citys_campaigns_and_units(world: World) -> None:
    city, county, other = (world.app.get_unit(c) for c in (CITY, COUNTY, OTHER_COUNTY))
    assert can_read_campaign(CITY_AUDITOR, county, city)
    assert can_read_campaign(COUNTY_AUDITOR, county, county) and not can_read_campaign(
        COUNTY_AUDITOR, other, county
    )
    assert can_read_unit(COUNTY_AUDITOR, city, county)  # a superior is readable
    assert not can_read_unit(COUNTY_AUDITOR, other, county)  # a sibling is not


def test_only_root_readers_read_the_whole_log(world: World) -> None:
    require_whole_log_reader(AUDITOR, "the log")
    require_whole_log_reader(ADMIN, "the log")
    for scoped in (CITY_AUDITOR, COUNTY_ADMIN):
        with pytest.raises(RoleNotAllowedError):
            require_whole_log_reader(scoped, "the log")
