"""Checkpoints, scopes and failures without a database: what is signed and how a signature is
judged, how a checkpoint is read back from what an auditor kept, which unit's subtree reads
each audit entry, and what a quarantined event's record may hold."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.activity import MemberRoll
from domain.campaigns import Campaign
from domain.ids import unit_uuid
from domain.units import Unit
from projections.audit import LOG, AuditLog, kind_of
from projections.audit_reader import Walk
from projections.checkpoints import (
    Anchoring,
    Checkpoint,
    public_key_pem,
    read_checkpoints,
    read_public_key,
    signed_bytes,
)
from projections.failures import blameless, printable
from projections.rows import MemoryRows

AT = datetime(2022, 10, 17, 2, tzinfo=UTC)
ACTOR = {"token_id": "t", "role": "admin", "unit_id": None}


class KeySigner:
    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()

    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_the_signed_bytes_are_the_compact_sorted_json_of_the_checkpoint() -> None:
    assert signed_bytes(1000, "ab" * 32, "2022-11-20T02:00:00.000000Z", "ed25519:0123456789abcdef") == (
        b'{"hash":"'
        + b"ab" * 32
        + b'","key_id":"ed25519:0123456789abcdef","position":1000,'
        + b'"purpose":"laurel-audit-checkpoint/1","signed_at":"2022-11-20T02:00:00.000000Z"}'
    )


def test_a_checkpoint_is_relied_on_only_with_its_signature_intact_and_its_key_trusted() -> None:
    signer, stranger = KeySigner(), KeySigner()
    checkpoint = Checkpoint.signed(signer, 10, "a" * 64, "2022-11-20T02:00:00.000000Z")
    mine = {b64(signer.public_key())}
    assert checkpoint.signature_problem(mine) is None and checkpoint.signature_problem(None) is None
    assert "invalid signature" in Checkpoint(
        **dict(checkpoint.public(), hash="b" * 64)
    ).signature_problem(mine)  # type: ignore[operator]
    assert "invalid signature" in Checkpoint(**dict(checkpoint.public(), position=11)).signature_problem(
        mine
    )  # type: ignore[operator]
    foreign = Checkpoint.signed(stranger, 10, "a" * 64, "2022-11-20T02:00:00.000000Z")
    assert "not trusted" in foreign.signature_problem(mine)  # type: ignore[operator]
    assert "key id" in Checkpoint(
        **dict(checkpoint.public(), public_key=foreign.public_key)
    ).signature_problem(None)  # type: ignore[operator]
    assert "unreadable" in Checkpoint(
        **dict(checkpoint.public(), signature="not base64!")
    ).signature_problem(None)  # type: ignore[operator]


def test_kept_checkpoints_are_read_from_the_apis_answer_json_lines_and_cloudevents() -> None:
    signer = KeySigner()
    first, second = (
        Checkpoint.signed(signer, p, str(p) * 64, "2022-11-20T02:00:00.000000Z") for p in (1, 2)
    )
    api = json.dumps({"items": [dict(first.public(), logged_position=3), second.public()]})
    lines = "\n".join(
        [
            json.dumps(first.public()),
            json.dumps(
                {
                    "type": "audit.checkpoint_signed",
                    "data": {"checkpoint": second.public(), "position": 99},
                }
            ),
        ]
    )
    assert read_checkpoints(api) == read_checkpoints(lines) == [first, second]
    assert (
        read_public_key(public_key_pem(signer.public_key()))
        == read_public_key(b64(signer.public_key()))
        == b64(signer.public_key())
    )


def test_a_chain_is_held_to_its_checkpoints_and_a_bad_one_is_set_apart() -> None:
    signer = KeySigner()
    good = Checkpoint.signed(signer, 2, "h2", "2022-11-20T02:00:00.000000Z")
    forged = Checkpoint(
        **dict(Checkpoint.signed(signer, 3, "h3", "2022-11-20T02:00:00.000000Z").public(), hash="x3")
    )
    walk = Walk(Anchoring([good, forged], {b64(signer.public_key())}))
    assert (
        walk.extend(1, "h1") is None and walk.extend(2, "h2") is None and walk.extend(3, "h3") is None
    )  # the forged one holds nothing
    assert walk.anchors.agreed == 2 and [p["position"] for p in walk.anchors.invalid_public()] == [3]
    finished = walk.finish(3)
    assert not finished.ok and "invalid signature" in finished.problem  # type: ignore[operator]

    contradicted = Walk(Anchoring([good], None))
    failed = contradicted.extend(1, "h1") or contradicted.extend(2, "other")
    assert failed is not None and failed.contradicted["position"] == 2 and "position 2" in failed.problem  # type: ignore[index,operator]
    truncated = Walk(Anchoring([good], None))
    assert truncated.extend(1, "h1") is None and "removed" in truncated.finish(1).problem  # type: ignore[operator]


def test_lazy_anchoring_checks_a_signature_only_where_the_chain_disagrees() -> None:
    signer, asked = KeySigner(), []
    good = Checkpoint.signed(signer, 1, "h1", "2022-11-20T02:00:00.000000Z")

    def trusted() -> set[str]:
        asked.append(1)
        return {b64(signer.public_key())}

    lazy = Anchoring([good], trusted, eager=False)
    assert lazy.contradicted(1, "h1") is None and not asked  # agreement needs no key
    assert lazy.contradicted(1, "other") == good and asked == [1]


def stored(event: object, number: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=number,
        originator_id=event.originator_id,
        originator_version=event.originator_version,
        topic=f"{type(event).__module__}:{type(event).__qualname__}",
        state=b"{}",
    )  # type: ignore[attr-defined]


def test_each_audit_entry_carries_the_path_of_the_unit_whose_subtree_reads_it() -> None:
    city = Unit.register("city-a", "City A", "甲市", "city", None, ACTOR, AT)
    county = Unit.register("county-a", "County A", "甲县", "county", city, ACTOR, AT)
    campaign = Campaign._create(
        Campaign.Created,
        id=uuid4(),
        timestamp=AT,
        template_code="t",
        name_zh="评",
        name_en="c",
        organiser_unit_id="county-a",
        year=2022,
        timezone="Asia/Shanghai",
        parent_campaign_id=None,
        categories=[],
        phases=[],
        steps={},
        actor=ACTOR,
    )
    roll = MemberRoll.open("county-a", AT)
    events = [
        *city.collect_events(),
        *county.collect_events(),
        *campaign.collect_events(),
        *roll.collect_events(),
    ]
    rows, log = MemoryRows(), AuditLog()
    for number, event in enumerate(events, start=1):
        log.apply(rows, event, stored(event, number))
    scopes = {(r["type"], r["subject"]): r["scope"] for r in rows.all(LOG)}
    assert scopes == {
        ("unit.registered", str(unit_uuid("city-a"))): "/city-a/",
        ("unit.child_added", str(unit_uuid("city-a"))): "/city-a/",
        ("unit.registered", str(unit_uuid("county-a"))): "/city-a/county-a/",
        ("campaign.created", str(campaign.id)): "/city-a/county-a/",
        ("members.opened", str(roll.id)): "/city-a/county-a/",
    }


def test_an_event_no_class_answers_to_is_still_logged_by_its_topics_name() -> None:
    assert (
        kind_of("domain.gone:Vanished.Happened").name == "vanished.happened"
        and kind_of("domain.gone:Vanished.Happened").cls is None
    )
    rows, log = MemoryRows(), AuditLog()
    notification = SimpleNamespace(
        id=1,
        originator_id=uuid4(),
        originator_version=1,
        topic="domain.gone:Vanished.Happened",
        state=b"\x00 not json",
    )
    assert not log.decodes(notification)
    log.apply(rows, None, notification)
    (row,) = rows.all(LOG)
    assert (
        row["position"] == 1
        and row["type"] == "vanished.happened"
        and row["occurred_at"] is None
        and row["scope"] is None
    )


def test_a_failure_record_escapes_what_a_column_could_not_hold_and_a_database_error_is_not_the_events():
    assert printable("name\x00with\x1fcontrols\ud800") == "name\\u0000with\\u001fcontrols\\ud800"
    assert len(printable("x" * 5000)) == 2000
    assert blameless(sqlite3.OperationalError("database is locked")) and blameless(
        sqlite3.InterfaceError("closed")
    )
    assert (
        not blameless(sqlite3.DataError("bad"))
        and not blameless(AssertionError("no row"))
        and not blameless(ValueError("NUL"))
    )
