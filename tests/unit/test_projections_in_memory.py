"""Projections without a database: the audit chain and the title register over in-memory rows."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from types import SimpleNamespace

from domain.units import Unit
from projections.audit import GENESIS, HEAD, LOG, AuditLog, chain, event_id
from projections.campaigns import UNIT, CampaignBoard
from projections.projection import from_instant, instant
from projections.rows import MemoryRows
from tests.builders.actors import ADMIN
from tests.builders.tree import CITY, COUNTY

AT = datetime(2022, 10, 17, 2, tzinfo=UTC)


def stored(position: int, event: object, state: bytes) -> SimpleNamespace:
    return SimpleNamespace(
        id=position * 10,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        topic="domain.units:Unit.Registered",
        state=state,
    )  # type: ignore[attr-defined]


def test_each_logged_event_is_chained_to_the_one_before() -> None:
    city = Unit.register(CITY, "Shifan City", "示范市", "city", None, ADMIN, AT)
    town = Unit.register(COUNTY, "Yijun County", "宜君县", "county", city, ADMIN, AT)
    events = [city.collect_events()[0], town.collect_events()[0]]
    first, second = stored(1, events[0], b'{"a":1}'), stored(2, events[1], b'{"b":2}')
    rows, log = MemoryRows(), AuditLog()
    log.apply(rows, events[0], first)
    log.apply(rows, events[1], second)
    logged = sorted(rows.all(LOG), key=lambda r: r["position"])
    assert [(r["position"], r["type"]) for r in logged] == [
        (1, "unit.registered"),
        (2, "unit.registered"),
    ]
    canonical = json.dumps(
        {
            "position": 1,
            "originator_id": str(first.originator_id),
            "originator_version": 1,
            "topic": first.topic,
            "state_sha256": hashlib.sha256(b'{"a":1}').hexdigest(),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    expected_first = hashlib.sha256((GENESIS + canonical).encode()).hexdigest()
    assert logged[0]["hash"] == expected_first == chain(GENESIS, 1, first)
    assert logged[1]["hash"] == chain(expected_first, 2, second)
    assert rows.get(HEAD, "main")["position"] == 2
    assert logged[0]["event_id"] == event_id(first.originator_id, 1) != logged[1]["event_id"]


def test_a_units_row_carries_its_path_so_a_subtree_is_a_prefix() -> None:
    city = Unit.register(CITY, "Shifan City", "示范市", "city", None, ADMIN, AT)
    town = Unit.register(COUNTY, "Yijun County", "宜君县", "county", city, ADMIN, AT)
    rows, board = MemoryRows(), CampaignBoard()
    for unit in (city, town):
        event = unit.collect_events()[0]
        board.apply(rows, event, None)
    assert rows.get(UNIT, COUNTY)["path"] == f"/{CITY}/{COUNTY}/"
    assert rows.get(UNIT, COUNTY)["path"].startswith(rows.get(UNIT, CITY)["path"])


def test_instants_are_fixed_width_utc_text_that_sorts_as_time_does() -> None:
    early, late = datetime(2022, 1, 1, tzinfo=UTC), datetime(2022, 1, 1, 0, 0, 0, 1, tzinfo=UTC)
    assert instant(early) < instant(late) and len(instant(early)) == len(instant(late))
    assert from_instant(instant(late)) == late


def test_the_audit_reads_an_events_instant_from_its_stored_json() -> None:
    from projections.audit import stored_instant

    prefix = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
    assert (
        stored_instant(prefix + b'2022-05-01T00:00:00+00:00"},"a":1}') == "2022-05-01T00:00:00.000000Z"
    )
    assert (
        stored_instant(prefix + b'2022-05-01T00:00:00.000120+00:00"}}') == "2022-05-01T00:00:00.000120Z"
    )
    assert stored_instant(prefix + b'2022-05-01T08:00:00+08:00"}}') == "2022-05-01T00:00:00.000000Z"
    assert (
        stored_instant(
            b'{"a":1,"timestamp":{"_type_":"datetime_iso","_data_":"2022-05-01T00:00:00+00:00"}}'
        )
        is None
    )  # not first: decode instead
    assert stored_instant(b"\x78\x9c compressed") is None


def test_the_event_id_is_the_uuid5_of_subject_and_version() -> None:
    import uuid

    from projections.audit import EVENT_ID_NAMESPACE

    for i in range(200):
        subject = uuid.uuid4()
        assert (
            event_id(subject, i)
            == event_id(str(subject), i)
            == str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{subject}/{i}"))
        )


def test_rebuild_groups_keep_the_audit_chain_apart() -> None:
    from projections.parallel import groups_of
    from projections.titles import TitleRegister
    from projections.views import PROJECTIONS

    assert [[p.name for p in g] for g in groups_of(list(PROJECTIONS))] == [
        ["audit"],
        ["campaigns", "titles"],
        ["duties"],  # on its own: it shares nothing with the others
    ]
    assert [[p.name for p in g] for g in groups_of([TitleRegister])] == [["titles"]]
