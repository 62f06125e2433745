"""Events and snapshots stored by an earlier release still load: ``tests/data/stored_events_v1.json``
was written by commit e90b2f3 (every event's actor a plain dict; see
``tests/data/capture_stored_events_v1.py``). Loaded into a fresh SQLite store, every aggregate
comes back in the state the scenario left it, its actors as ``Actor`` values and its codes as
vocabulary terms, from its events and from its snapshot alike."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from domain.access import AccessToken
from domain.activity import ActivityRegister, MemberRoll
from domain.actors import Actor
from domain.application import Laurel
from domain.audit_checkpoints import AUDIT_ID, Audit
from domain.campaigns import Campaign
from domain.escalation import DEFAULT_LADDER
from domain.ids import unit_uuid
from domain.nominations import Nomination
from domain.transcodings import all_transcodings
from domain.units import Unit
from domain.values import Title
from domain.vocabulary import (
    InspectionMethod,
    InspectionVerdict,
    Level,
    NominationState,
    PhaseStatus,
    PreReviewDecision,
    RevocationCause,
    Role,
    TitleStatus,
)
from domain.webhooks import WebhookSubscription
from infra.settings import Settings, eventsourcing_env
from projections.audit import LOG, AuditLog
from projections.rows import MemoryRows
from tests.builders.backends import BACKENDS

SAMPLE = json.loads((Path(__file__).parents[1] / "data" / "stored_events_v1.json").read_text())


class Store(Application[UUID]):
    """The event store as Laurel configures its transcoder, nothing else (on PostgreSQL, in
    Laurel's tables)."""

    name = "Laurel"
    is_snapshotting_enabled = True

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)


def stored(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        UUID(row["originator_id"]), row["originator_version"], row["topic"], row["state"].encode()
    )


def open_store(tmp_path: Path, *, snapshots: bool, database_url: str | None = None) -> Store:
    """The sample in a new store (a SQLite file, or ``database_url``)."""
    url = database_url or f"sqlite:///{tmp_path / 'v1.db'}"
    store = Store(env=eventsourcing_env(Settings(database_url=url, home_dir=tmp_path)))
    store.recorder.insert_events([stored(r) for r in SAMPLE["events"]])
    if snapshots:
        assert store.snapshots is not None
        store.snapshots.recorder.insert_events([stored(r) for r in SAMPLE["snapshots"]])
    return store


@pytest.fixture(params=["events", "snapshots"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    """The sample replayed from its events, and with its snapshots (campaign, unit, activity
    register, member roll, campaign directory) read first."""
    return open_store(tmp_path, snapshots=request.param == "snapshots")


def aggregates(store: Store, cls: type) -> Iterator[Any]:
    for originator in dict.fromkeys(r["originator_id"] for r in SAMPLE["events"]):
        aggregate = store.repository.get(UUID(originator))
        if isinstance(aggregate, cls):
            yield aggregate


def nominations(store: Store) -> dict[str, Nomination]:
    """The county campaign's nominations by nominee (not the one forwarded to the city's)."""
    return {n.nominee.name: n for n in aggregates(store, Nomination) if n.forwarded_from is None}


# Nomination events introduced after the release the sample was captured from.
NEWER_THAN_THE_SAMPLE = {
    "LowerInspectionAccepted",
    "EvidenceAttached",
    # inspection teams (issue 22, items 1-2)
    "AssignedToTeam",
    "ConflictDeclared",
    "InspectionAttributed",
    # 公示 (issue 23, items 1-2)
    "Proposed",
    "WithdrawnFromList",
    # corrections and appeals (issue 23, items 3-4)
    "InspectionVoided",
    "ReturnedForAmendment",
    "Amended",
    "ClosedByCancellation",
    "AppealLodged",
    "AppealDecided",
    "NomineeNameCorrected",
}


def test_the_sample_holds_every_event_type_of_the_release() -> None:
    topics = {r["topic"].rpartition(".")[2] for r in SAMPLE["events"]}
    assert {e.__name__ for e in Nomination.events()} - NEWER_THAN_THE_SAMPLE <= topics
    assert len(SAMPLE["events"]) == 101 and len(SAMPLE["snapshots"]) == 5


def test_every_stored_event_decodes_with_its_actor_as_an_actor_value(tmp_path: Path) -> None:
    store = open_store(tmp_path, snapshots=False)
    with_actor = 0
    for row in SAMPLE["events"]:
        assert '"actor":{"token_id"' in row["state"] or '"actor"' not in row["state"]
        event = store.mapper.to_domain_event(stored(row))
        if "actor" in row["state"]:
            inspection = getattr(event, "inspection", None)
            actor = getattr(event, "actor", None) or inspection.inspector
            assert isinstance(actor, Actor) and isinstance(actor.role, Role)
            with_actor += 1
    assert with_actor == 79


def test_an_upcast_event_is_stored_again_with_its_actor_transcoded(tmp_path: Path) -> None:
    store = open_store(tmp_path, snapshots=False)
    row = next(r for r in SAMPLE["events"] if r["topic"].endswith("Nomination.PreReviewed"))
    event = store.mapper.to_domain_event(stored(row))
    again = store.mapper.to_stored_event(event)
    text = again.state.decode()
    assert '"class_version":2' in text
    assert (
        '"actor":{"_type_":"Actor","_data_":{"token_id":"tok-yijun-reviewer","role":"reviewer"' in text
    )
    assert '"decision":"admit"' in text  # a term is stored as its code
    assert vars(store.mapper.to_domain_event(again)) == vars(event)


def test_nominations_load_in_the_states_the_scenario_left_them(store: Store) -> None:
    found = nominations(store)
    assert {name: n.state for name, n in found.items()} == {
        "前双村远教站点": NominationState.COMMENDED,
        "后双村远教站点": NominationState.REVOKED,
        "杨柳村远教站点": NominationState.REVOKED,
        "石桥村远教站点": NominationState.FORWARDED,
        "柳湾社区远教站点": NominationState.REJECTED,
        "马庄村远教站点": NominationState.WITHDRAWN,
        "彭镇远教站点": NominationState.LAPSED,
    }
    assert all(type(n.state) is NominationState for n in found.values())
    (upstream,) = (n for n in aggregates(store, Nomination) if n.forwarded_from is not None)
    assert upstream.state is NominationState.DECLARED and upstream.nominee.name == "石桥村远教站点"
    assert found["石桥村远教站点"].forwarded_to == {
        "campaign_id": upstream.campaign_id,
        "nomination_id": upstream.id,
    }


def test_nominations_hold_actors_and_terms(store: Store) -> None:
    kept = nominations(store)["前双村远教站点"]
    assert kept.declared_by == Actor("tok-pengzhen-declarer", Role.DECLARER, "peng-zhen")
    assert kept.pre_review_result is not None
    assert type(kept.pre_review_result["decision"]) is PreReviewDecision
    first, again = kept.inspections[0], kept.reinspections[0]
    assert first.inspector == Actor("tok-yijun-inspector", Role.INSPECTOR, "yijun-xian")
    assert type(first.verdict) is InspectionVerdict and first.verdict is InspectionVerdict.PASS
    assert first.methods == (InspectionMethod.DOCUMENT_REVIEW, InspectionMethod.SITE_VISIT)
    assert all(type(m) is InspectionMethod for m in first.methods)
    assert isinstance(again.inspector, Actor) and again.kind == "re-inspection"


def test_titles_load_as_title_values(store: Store) -> None:
    found = nominations(store)
    kept, failed, revoked = (found[n] for n in ("前双村远教站点", "后双村远教站点", "杨柳村远教站点"))
    assert isinstance(kept.title, Title) and kept.title.status is TitleStatus.ACTIVE
    assert kept.title.holder_name == "前双村远教站点" and kept.title.rank >= 1
    assert kept.title.anniversary.year == 2024 and kept.title.last_reinspection_passed is True
    assert kept.title.reinspection_due_by is None and kept.title_active
    assert failed.title is not None and failed.title.status is TitleStatus.REVOKED
    assert failed.title.revocation_cause is RevocationCause.REINSPECTION_FAILED
    assert revoked.title is not None and revoked.title.revocation_cause is RevocationCause.DECISION
    assert revoked.title.revocation_reason == "弄虚作假 / falsified records"


def test_campaigns_load_with_phase_statuses_and_their_creator(store: Store) -> None:
    county = next(c for c in aggregates(store, Campaign) if c.organiser_unit_id == "yijun-xian")
    assert county.created_by == Actor("tok-yijun-admin", Role.ADMIN, "yijun-xian")
    assert [p.status for p in county.phases] == [
        PhaseStatus.CLOSED,
        PhaseStatus.CLOSED,
        PhaseStatus.SCHEDULED,
        PhaseStatus.SCHEDULED,
    ]
    assert all(type(p.status) is PhaseStatus for p in county.phases)
    assert county.phases[0].closes_at.isoformat() == "2022-10-21T04:00:00+00:00"  # extended
    assert county.silent_units == ["qipan-zhen"]
    # created before the escalation ladder (issue 24): the default, no step taken
    assert county.ladder == DEFAULT_LADDER and list(county.escalations) == []
    assert not hasattr(county, "roster")  # a version-2 snapshot's list of nominations is dropped
    assert all(type(level) is Level for c in county.categories for level in c.nominee_levels)


@BACKENDS
def test_laurel_on_a_store_from_before_the_roster_fills_it_in_declaration_order(
    tmp_path: Path, database_url: str
) -> None:
    store = open_store(tmp_path, snapshots=True, database_url=database_url)
    app = Laurel(env=dict(store.env))
    assert app.roster.complete()
    county = next(c for c in aggregates(store, Campaign) if c.organiser_unit_id == "yijun-xian")
    entries = app.roster.entries(str(county.id)).entries
    declared = [n for n in aggregates(store, Nomination) if str(n.campaign_id) == str(county.id)]
    assert [e.nomination_id for e in entries] == [
        str(n.id) for n in sorted(declared, key=lambda n: n.declared_at)
    ]
    assert {e.nominee_name: (e.state, e.claims_nominee) for e in entries} == {
        "前双村远教站点": (NominationState.COMMENDED, True),
        "后双村远教站点": (NominationState.REVOKED, True),
        "杨柳村远教站点": (NominationState.REVOKED, True),
        "石桥村远教站点": (NominationState.FORWARDED, True),
        "柳湾社区远教站点": (NominationState.REJECTED, False),
        "马庄村远教站点": (NominationState.WITHDRAWN, False),
        "彭镇远教站点": (NominationState.LAPSED, False),
    }
    commended = next(e for e in entries if e.state == NominationState.COMMENDED)
    assert app.roster.claimant(str(county.id), commended.nominee_key) == commended.nomination_id
    assert sum(app.roster.counts(str(county.id)).values()) == 7
    assert Laurel(env=dict(store.env)).roster.entries(str(county.id)).entries == entries  # once


def test_units_load_with_their_level_as_a_term(store: Store) -> None:
    peng = store.repository.get(unit_uuid("peng-zhen"))
    assert isinstance(peng, Unit)
    assert type(peng.level) is Level and peng.level is Level.TOWNSHIP
    assert peng.registered_by == Actor("tok-root-admin", Role.ADMIN, None)
    assert "mazhuang-cun" in peng.children
    moved = store.repository.get(unit_uuid("mazhuang-cun"))
    assert moved.path == ["shifan-shi", "yijun-xian", "peng-zhen"]
    renamed = store.repository.get(unit_uuid("liuwan-cun"))
    assert renamed.name_zh == "柳湾社区"
    assert peng.contacts == {} and renamed.contacts == {}  # units from before contacts (issue 24)


def test_tokens_webhooks_activity_and_checkpoints_load(store: Store) -> None:
    tokens = {t.label: t for t in aggregates(store, AccessToken)}
    declarer = tokens["彭镇申报员"]
    assert declarer.role is Role.DECLARER and not declarer.active
    assert declarer.revocation is not None and declarer.revocation["by"] == Actor(
        "tok-root-admin", Role.ADMIN
    )
    assert declarer.public()["revoked_by"] == "tok-root-admin"
    # tokens from before contacts (Issued version 3, issue 24) carry no person
    assert all(t.contact_id is None and t.public()["contact_id"] is None for t in tokens.values())
    assert tokens["审计"].expires_at is not None
    (hook,) = aggregates(store, WebhookSubscription)
    assert hook.status == "deleted" and isinstance(hook.created_by, Actor)
    (roll,) = aggregates(store, MemberRoll)
    assert set(roll.members) == {"m1", "m2"}
    (register,) = aggregates(store, ActivityRegister)
    assert register.sessions["2022-03"].attendees == ("m1", "m2")
    audit = store.repository.get(AUDIT_ID)
    assert isinstance(audit, Audit) and audit.signed == {("ed25519:0123456789abcdef", 100): "ab" * 32}


def test_the_audit_log_reads_the_same_from_stored_json_as_from_decoded_events(tmp_path: Path) -> None:
    """The log reads a few fields straight from the stored JSON (not decoding is most of its
    speed): an upcast must never have moved one of them."""
    store = open_store(tmp_path, snapshots=False)

    def logged(decode: bool) -> list[dict[str, Any]]:
        log, rows = AuditLog(), MemoryRows()
        notifications = store.recorder.select_notifications(1, len(SAMPLE["events"]))
        for notification in notifications:
            wanted = decode or log.decodes(notification)
            event = store.mapper.to_domain_event(notification) if wanted else None
            log.apply(rows, event, notification)
        return sorted(rows.all(LOG), key=lambda r: r["position"])

    raw, decoded = logged(False), logged(True)
    assert raw == decoded
    states = [r["state"] for r in raw if r["aggregate"] == "nomination"]
    assert states.count("revoked") == 2 and states.count("lapsed") == 1
