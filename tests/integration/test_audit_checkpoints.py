"""Signed checkpoints anchor the audit chain's head: a log altered, or given a forged row,
after a checkpoint was signed no longer reproduces it — a rebuild of the audit log is refused,
``verify`` names the checkpoint, and an export checked offline against kept checkpoints fails."""

from __future__ import annotations

import base64
import json
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from domain.actors import SYSTEM
from domain.audit_checkpoints import AUDIT_ID, record_checkpoint
from domain.commands import IssueToken, RegisterUnit
from domain.webhooks import matches
from infra.bootstrap import bootstrap
from infra.settings import Settings
from infra.webhooks.messages import cloud_event
from projections.audit import LOG, AuditLog
from projections.checkpoints import (
    CHECKPOINT_TYPE,
    Checkpoint,
    CheckpointContradictedError,
    key_id,
    signed_bytes,
)
from projections.runner import Runner
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.http import ADMIN_TOKEN, serve_in_process
from tests.builders.tree import CITY, TOWNSHIP
from tests.builders.world import World

pytestmark = BACKENDS
EVERY = 10


def services_for(database_url: str, home: Path) -> Any:
    return bootstrap(
        Settings(
            database_url=database_url,
            admin_token=ADMIN_TOKEN,
            home_dir=home,
            audit_checkpoint_every=EVERY,
        ),
        configure_logs=False,
    )


def units(app: Any, town: str, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        app.execute(
            RegisterUnit(
                code=f"{town}-x{i}",
                name=f"Village x{i}",
                name_zh=f"新村{i}",
                level="village",
                parent_id=town,
            ),
            ADMIN,
        )


def stored_row(views: Any, notification_id: int) -> dict[str, Any]:
    store = views.store
    return store.rows(
        f"SELECT originator_id, originator_version, topic, state FROM {store.events_table} "
        f"WHERE {store.notification_column} = ?",
        (notification_id,),
    )[0]


def open_gap(views: Any, size: int) -> None:
    """Leaves ``size`` notification ids unused before the next event, as PostgreSQL's sequence
    does after rolled-back inserts (on SQLite: a row that holds the place, then goes)."""
    store = views.store
    with store.transaction() as sql:
        if store.postgres:
            sql.scalar(
                f"SELECT setval(pg_get_serial_sequence('{store.events_table}', 'notification_id'), "
                f"(SELECT MAX(notification_id) FROM {store.events_table}) + ?)",
                (size,),
            )
        else:
            sql.execute(
                f"INSERT INTO {store.events_table} "
                "(rowid, originator_id, originator_version, topic, state) "
                f"VALUES ((SELECT MAX(rowid) FROM {store.events_table}) + ?, "
                "'placeholder', 1, 'x', x'00')",
                (size,),
            )


def close_placeholder(views: Any) -> None:
    if not views.store.postgres:
        with views.store.transaction() as sql:
            sql.execute(f"DELETE FROM {views.store.events_table} WHERE originator_id = 'placeholder'")


def forge_row(views: Any, notification_id: int, like: int) -> None:
    """A row written straight into the events table at ``notification_id``: a copy of the
    event at ``like`` under another aggregate id."""
    store, row = views.store, stored_row(views, like)
    originator: Any = uuid.uuid4() if store.postgres else uuid.uuid4().hex
    with store.transaction() as sql:
        sql.execute(
            f"INSERT INTO {store.events_table} ({store.notification_column}, "
            "originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?, ?)",
            (notification_id, originator, 1, row["topic"], bytes(row["state"])),
        )


def tamper(views: Any, notification_id: int) -> None:
    store = views.store
    with store.transaction() as sql:
        sql.execute(
            f"UPDATE {store.events_table} SET state = ? WHERE {store.notification_column} = ?",
            (bytes(stored_row(views, notification_id)["state"]) + b" ", notification_id),
        )  # one byte more, the JSON alike


def audit_rows(views: Any) -> list[dict[str, Any]]:
    return views.store.rows(f"SELECT * FROM {views.store.table(LOG)} ORDER BY position")


def test_checkpoints_are_signed_as_the_chain_advances_and_published_everywhere(
    database_url: str, tmp_path: Path
) -> None:
    services = services_for(database_url, tmp_path)
    try:
        app, views = services.app, services.views
        World(app).city(townships=1, villages=2)
        for step, count in enumerate(
            (2, 7, 1, 4)
        ):  # a unit is two events (its registration, its parent's new child)
            units(app, TOWNSHIP, count, start=10 * step)
            views.catch_up()
            head = views.audit.last_position()  # the checkpoint's own event is not logged yet
            assert views.anchor.book.checkpoints()[-1].position == head // EVERY * EVERY, step
        stored = views.checkpoints()
        assert len(stored) == 4 and all(c["position"] % EVERY == 0 for c in stored)
        key_file = tmp_path / "audit-signing-key"
        assert (
            stat.S_IMODE(key_file.stat().st_mode) == 0o600
            and stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
        )
        raw = load_pem_public_key(views.public_key()["public_key"].encode()).public_bytes_raw()  # type: ignore[union-attr]
        for c in stored:
            assert c["key_id"] == key_id(raw) and c["logged_position"] > c["position"]
            assert views.audit.hash_at(c["position"]) == c["hash"]
            Ed25519PublicKey.from_public_bytes(raw).verify(
                base64.b64decode(c["signature"]),
                signed_bytes(c["position"], c["hash"], c["signed_at"], c["key_id"]),
            )
        verified = views.verify()
        assert verified.ok and verified.checkpoints == len(stored), verified

        # As events: in the log, the export, and a webhook's CloudEvent (its data carry the checkpoint).
        entries = [e for e in views.audit_entries(limit=1000) if e.type == CHECKPOINT_TYPE]
        assert [e.data["position"] for e in entries] == [c["position"] for c in stored]
        assert (
            matches(["audit.*"], CHECKPOINT_TYPE)
            and matches(["*"], CHECKPOINT_TYPE)
            and not matches(["*"], "audit.opened")
        )
        delivered = cloud_event(entries[0], "urn:laurel")["data"]["checkpoint"]
        assert Checkpoint.of(delivered).signature_problem({base64.b64encode(raw).decode()}) is None
        exported = [r for r in views.export() if r["type"] == CHECKPOINT_TYPE]
        assert [Checkpoint.of(r["data"]).public() for r in exported] == [
            {k: c[k] for k in Checkpoint.__dataclass_fields__} for c in stored
        ]
    finally:
        services.close()


@pytest.mark.slow  # laurel processes
def test_rebuilding_the_audit_log_over_an_altered_event_is_refused_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    services = services_for(database_url, tmp_path)
    try:
        World(services.app).city(townships=1, villages=12)
        views = services.views
        views.catch_up()
        signed = views.checkpoints()[0]
        victim = views.audit_entries(after=signed["position"] - 4, limit=1)[0]
        before = audit_rows(views)
        tamper(views, victim.notification_id)

        with pytest.raises(
            CheckpointContradictedError, match=f"position {signed['position']}"
        ) as refused:
            views.rebuild(["audit"])
        assert refused.value.checkpoint.position == signed["position"] and refused.value.agreed == 0
        assert audit_rows(views) == before  # the live audit log is as it was
        broken = views.verify()
        assert not broken.ok and broken.first_bad_position == victim.position
    finally:
        services.close()
    command = laurel(database_url, tmp_path, "projections", "rebuild", "audit")
    assert (
        command.returncode == 1
        and "rebuild refused" in command.stderr
        and f"position {signed['position']}" in command.stderr
    ), command.stderr


@pytest.mark.slow  # laurel processes
def test_a_forged_row_in_the_log_contradicts_the_checkpoint_signed_before_it(
    database_url: str, tmp_path: Path
) -> None:
    services = services_for(database_url, tmp_path)
    try:
        app, views = services.app, services.views
        World(app).city(townships=1, villages=2)
        gap = views.store.max_notification_id() + 1  # an id no event will have
        open_gap(views, 3)
        units(app, TOWNSHIP, 8)
        close_placeholder(views)
        views.catch_up()
        (signed,) = views.checkpoints()
        kept = tmp_path / "kept.json"
        kept.write_text(json.dumps({"items": views.checkpoints()}))
        assert views.verify().ok

        forge_row(views, gap, like=gap - 1)
        before = views.verify()
        assert not before.ok and "no position" in before.problem  # the log passed over it
        with pytest.raises(CheckpointContradictedError, match=f"position {signed['position']}"):
            views.rebuild(["audit"])

        # Someone re-chains the audit log around the forged row (what a rebuild used to do):
        # every hash again agrees with the stored events, not with the signature.
        launder = Runner(views.store, views.mapper, [AuditLog()])
        launder.reset()
        launder.catch_up()
        views.runner.resume()
        result = views.verify()
        assert (
            not result.ok
            and result.contradicted["position"] == signed["position"]
            and result.contradicted["agreed_until"] == 0
        ), result
        assert f"position {signed['position']}" in result.problem
    finally:
        services.close()
    command = laurel(database_url, tmp_path, "audit", "verify", "--checkpoints", str(kept))
    assert command.returncode == 1 and f"position {signed['position']}" in command.stderr, command.stderr


def test_a_checkpoint_whose_signature_fails_is_reported(database_url: str, tmp_path: Path) -> None:
    services = services_for(database_url, tmp_path)
    try:
        World(services.app).city(townships=1, villages=3)
        views = services.views
        real = Checkpoint.of(views.checkpoint(SYSTEM.as_dict())[0].public())
        forged = dict(
            real.public(), position=real.position + 100, hash="f" * 64
        )  # written straight into the store: the signature does not cover it
        record_checkpoint(services.app, forged, SYSTEM, services.app.clock())
        stranger = Ed25519PrivateKey.generate()
        raw = stranger.public_key().public_bytes_raw()
        other = Checkpoint(
            real.position, real.hash, real.signed_at, key_id(raw), base64.b64encode(raw).decode(), ""
        )
        other = Checkpoint(
            **dict(
                other.public(),
                signature=base64.b64encode(
                    stranger.sign(signed_bytes(real.position, real.hash, real.signed_at, other.key_id))
                ).decode(),
            )
        )

        result = views.verify([other])
        assert not result.ok and result.contradicted is None
        problems = {(p["key_id"], p["problem"].split(" / ")[0]) for p in result.invalid_checkpoints}
        assert problems == {
            (real.key_id, "invalid signature"),
            (other.key_id, f"signed by a key that is not trusted ({other.key_id})"),
        }
        assert "invalid signature" in result.problem
        trusting = views.verify([other], [other.public_key])  # the auditor trusts that key too
        assert {p["key_id"] for p in trusting.invalid_checkpoints} == {real.key_id}
    finally:
        services.close()


@pytest.mark.slow  # laurel processes
def test_an_export_verifies_offline_against_kept_checkpoints_and_a_rewritten_one_does_not(
    database_url: str, tmp_path: Path
) -> None:
    services = services_for(database_url, tmp_path)
    try:
        World(services.app).city(townships=1, villages=12)
        services.views.catch_up()
    finally:
        services.close()
    log, kept, key = tmp_path / "log.jsonl", tmp_path / "kept.jsonl", tmp_path / "key.pem"
    assert laurel(database_url, tmp_path, "audit", "export", "-o", str(log)).returncode == 0
    assert laurel(database_url, tmp_path, "audit", "checkpoints", "-o", str(kept)).returncode == 0
    printed = laurel(database_url, tmp_path, "audit", "public-key")
    assert printed.returncode == 0 and printed.stdout.startswith("-----BEGIN PUBLIC KEY-----"), (
        printed.stderr
    )
    key.write_text(printed.stdout)
    offline = dict(
        os.environ,
        LAUREL_DATABASE_URL="postgresql://nobody@127.0.0.1:9/none",
        LAUREL_HOME_DIR=str(tmp_path / "elsewhere"),
    )  # no database to reach

    def verify_export(path: Path) -> Any:
        import subprocess
        import sys

        return subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "audit",
                "verify-export",
                str(path),
                "--checkpoints",
                str(kept),
                "--public-key",
                str(key),
            ],
            env=offline,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    intact = verify_export(log)
    assert not (tmp_path / "elsewhere").exists()  # nothing opened, nothing made
    assert (
        intact.returncode == 0
        and "intact" in intact.stderr
        and "signed checkpoint(s) agree" in intact.stderr
    ), intact.stderr

    records = [json.loads(line) for line in log.read_text().splitlines()]
    first_checkpoint = json.loads(kept.read_text().splitlines()[0])["position"]
    victim = records[first_checkpoint - 3]
    victim["state"] += " "
    naive = tmp_path / "naive.jsonl"
    naive.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert (
        verify_export(naive).returncode == 1
        and f"position {victim['position']}" in verify_export(naive).stderr
    )

    import hashlib

    from projections.audit_reader import record_canonical

    previous = "0" * 64
    for r in records:  # rewritten so that every hash follows from the altered line
        r["prev_hash"], r["hash"] = (
            previous,
            hashlib.sha256((previous + record_canonical(r)).encode()).hexdigest(),
        )
        previous = r["hash"]
    rewritten = tmp_path / "rewritten.jsonl"
    rewritten.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    caught = verify_export(rewritten)
    assert caught.returncode == 1 and f"checkpoint at position {first_checkpoint}" in caught.stderr, (
        caught.stderr
    )


def test_a_root_auditor_signs_a_checkpoint_on_demand_and_a_scoped_one_may_not(
    database_url: str, tmp_path: Path
) -> None:
    with serve_in_process(database_url, home_dir=tmp_path) as server:
        app = server.services.app
        World(app).city(townships=1, villages=2)
        root = server.client(
            app.execute(IssueToken(role="auditor", unit_id=None, label="root auditor"), ADMIN)["token"]
        )
        scoped = server.client(
            app.execute(IssueToken(role="auditor", unit_id=CITY, label="city auditor"), ADMIN)["token"]
        )

        refused = scoped.post("/v1/audit/checkpoints")
        assert refused.status_code == 403 and refused.headers["content-type"].startswith(
            "application/problem+json"
        )
        head = root.get("/v1/audit/events", params={"limit": 1000}).json()["next_after"]
        made = root.post("/v1/audit/checkpoints")
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["position"] == head and Checkpoint.of(body).signature_problem(None) is None
        listed = root.get("/v1/audit/checkpoints").json()
        assert [c["position"] for c in listed["items"]] == [head] and listed["signing_key"][
            "key_id"
        ] == body["key_id"]
        moved = root.get("/v1/audit/events", params={"after": head, "limit": 1000}).json()["items"]
        assert [e["type"] for e in moved] == [
            "audit.opened",
            CHECKPOINT_TYPE,
        ]  # the checkpoint stream's first events
        again = server.client(ADMIN_TOKEN).post(
            "/v1/audit/checkpoints"
        )  # an unscoped admin, over the head those events made
        assert again.status_code == 201 and again.json()["position"] == moved[-1]["position"]
        assert root.get("/v1/audit/verify").json()["checkpoints"] == 2
        assert server.services.views.audit.of_subject(
            str(AUDIT_ID)
        )  # the checkpoints are events of the log


def test_an_audit_log_rechained_over_an_altered_event_stops_before_the_checkpoint_and_nothing_else_does(
    database_url: str, tmp_path: Path
) -> None:
    """Emptied by hand (no rebuild's preflight), the audit projection meets the checkpoint its
    new chain contradicts: it stays before it, recorded; the other views and the reads go on."""
    services = services_for(database_url, tmp_path)
    try:
        app, views = services.app, services.views
        World(app).city(townships=1, villages=12)
        views.catch_up()
        signed = views.checkpoints()[0]
        tamper(views, views.audit_entries(after=2, limit=1)[0].notification_id)
        audit = next(p for p in views.runner.projections if p.name == "audit")
        Runner(views.store, views.mapper, [audit]).reset()
        views.runner.resume()
        units(app, TOWNSHIP, 2)

        views.catch_up()
        assert views.audit.last_position() == signed["position"] - 1 and "audit" in views.halted()
        assert views.lag()["campaigns"] == 0 and views.lag()["audit"] > 0
        assert (
            views.rollup(TOWNSHIP) is not None and views.dashboard(str(uuid.uuid4())) is None
        )  # reads answer
        (stopped,) = views.failures()
        assert (
            stopped["projection"] == "audit"
            and stopped["error"] == "CheckpointContradictedError"
            and f"position {signed['position']}" in stopped["message"]
        )
        result = views.verify()
        assert not result.ok and result.contradicted["position"] == signed["position"], result
    finally:
        services.close()
