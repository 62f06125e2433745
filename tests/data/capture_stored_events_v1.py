"""How ``stored_events_v1.json`` was made: a scenario reaching every aggregate and event type,
run by the code of commit e90b2f3 (events carrying the actor as a dict) on SQLite, its stored
events and snapshots dumped as text. It ran from an export of that commit:

    git archive e90b2f3 | tar -x -C /tmp/laurel-old
    cd /tmp/laurel-old && PYTHONPATH=.:tests/unit python /path/to/capture_stored_events_v1.py out.json

(``PYTHONPATH``: the old code and its tests' builders before any installed copy.) It calls the
old application's methods, so it does not run against the current code."""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from builders import FIVE_PROTECTIONS_OK, material_of  # the old tests' builders

from domain.activity import register_uuid, roll_uuid
from domain.actors import SYSTEM, Actor
from domain.application import Laurel
from domain.audit_checkpoints import record_checkpoint
from domain.directory import DIRECTORY_ID
from domain.webhooks import MemoryVault


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


ADMIN = Actor("tok-root-admin", "admin", None)
COUNTY_ADMIN = Actor("tok-yijun-admin", "admin", "yijun-xian")
CITY_REVIEWER = Actor("tok-shifan-reviewer", "reviewer", "shifan-shi")
REVIEWER = Actor("tok-yijun-reviewer", "reviewer", "yijun-xian")
INSPECTOR = Actor("tok-yijun-inspector", "inspector", "yijun-xian")
DECLARER = Actor("tok-pengzhen-declarer", "declarer", "peng-zhen")
UNITS = (
    ("shifan-shi", "Shifan City", "示范市", "city", None),
    ("yijun-xian", "Yijun County", "宜君县", "county", "shifan-shi"),
    ("peng-zhen", "Peng Town", "彭镇", "township", "yijun-xian"),
    ("qipan-zhen", "Qipan Town", "棋盘镇", "township", "yijun-xian"),
    ("qianshuang-cun", "Qianshuang Village", "前双村", "village", "peng-zhen"),
    ("houshuang-cun", "Houshuang Village", "后双村", "village", "peng-zhen"),
    ("yangliu-cun", "Yangliu Village", "杨柳村", "village", "peng-zhen"),
    ("shiqiao-cun", "Shiqiao Village", "石桥村", "village", "peng-zhen"),
    ("liuwan-cun", "Liuwan Village", "柳湾村", "village", "peng-zhen"),
    ("mazhuang-cun", "Mazhuang Village", "马庄村", "village", "qipan-zhen"),
    ("yijun-nongyeju", "Yijun Agriculture Bureau", "宜君县农业局", "agency", "yijun-xian"),
)
MATERIAL = material_of(820)
SCORES = ("party_attention", "site_management", "programmes_watched", "equipment_running", "effect")
METHODS = ["document_review", "site_visit"]


def scores(score: float) -> dict[str, float]:
    return dict.fromkeys(SCORES, score)


def scenario(app: Laurel) -> None:
    at = utc(2010, 1, 1)
    for code, name, name_zh, level, parent in UNITS:
        app.register_unit(code, name, name_zh, level, parent, ADMIN, at=at)
    app.rename_unit(
        "liuwan-cun", "Liuwan Community", "柳湾社区", "撤村建居 / now a community", ADMIN, at=at
    )
    app.move_unit("mazhuang-cun", "peng-zhen", "区划调整 / boundaries redrawn", ADMIN, at=at)

    # The city's campaign receives what the county forwards; the county's runs the pipeline.
    city = app.create_campaign(
        "five-good-sites",
        "shifan-shi",
        ADMIN,
        starts_at=utc(2022, 11, 10),
        durations={
            "declaration": "P30D",
            "pre_review": "P5D",
            "inspection": "P5D",
            "commendation": "P5D",
        },
        at=at,
    )["id"]
    county = app.create_campaign(
        "five-good-sites",
        "yijun-xian",
        COUNTY_ADMIN,
        year=2022,
        parent_campaign_id=city,
        at=at,
        idempotency_key="county-campaign-2022",
    )["id"]
    app.open_phase(county, "declaration", SYSTEM, at=utc(2022, 10, 15, 16))
    app.remind_deadline(county, "declaration", 86400, SYSTEM, at=utc(2022, 10, 18))
    app.extend_deadline(
        county,
        "declaration",
        utc(2022, 10, 21, 4),
        "暴雨延误 / rainstorms",
        REVIEWER,
        at=utc(2022, 10, 18, 1),
    )

    def declare(unit: str, name: str, key: str | None = None) -> str:
        nominee = {"kind": "site", "unit_id": unit, "name": name, "person_id": None}
        return str(
            app.declare(
                county,
                "five_good_site",
                "peng-zhen",
                nominee,
                {},
                MATERIAL,
                DECLARER,
                at=utc(2022, 10, 17, 2),
                idempotency_key=key,
            )["id"]
        )

    kept = declare("qianshuang-cun", "前双村远教站点", key="declare-qianshuang")
    failed = declare("houshuang-cun", "后双村远教站点")
    revoked = declare("yangliu-cun", "杨柳村远教站点")
    forwarded = declare("shiqiao-cun", "石桥村远教站点")
    rejected = declare("liuwan-cun", "柳湾社区远教站点")
    withdrawn = declare("mazhuang-cun", "马庄村远教站点")
    lapsed = declare("peng-zhen", "彭镇远教站点")
    app.withdraw(withdrawn, "站点搬迁 / the site moves", DECLARER, at=utc(2022, 10, 18))
    app.close_phase(county, "declaration", SYSTEM, at=utc(2022, 10, 21, 4))
    app.record_silent_units(county, SYSTEM, at=utc(2022, 10, 21, 4))

    app.open_phase(county, "pre_review", SYSTEM, at=utc(2022, 10, 21, 4))
    review = utc(2022, 10, 22, 2)
    for nid in (kept, failed, revoked, forwarded):
        app.pre_review(nid, "admit", [], REVIEWER, checks=FIVE_PROTECTIONS_OK, at=review)
    app.pre_review(rejected, "reject", ["材料不实 / material untrue"], REVIEWER, at=review)
    app.close_phase(county, "pre_review", SYSTEM, at=utc(2022, 10, 25, 16))  # lapses `lapsed`

    inspection = utc(2022, 11, 1, 2)
    for nid, score in ((kept, 92), (failed, 81), (revoked, 85), (forwarded, 95)):
        app.inspect(
            nid,
            METHODS,
            scores(score),
            "pass",
            INSPECTOR,
            notes="三簿一册齐全 / registers kept",
            at=inspection,
        )
    app.commend(county, "five_good_site", REVIEWER, at=utc(2022, 11, 15, 2), idempotency_key="commend-1")
    app.forward(forwarded, REVIEWER, at=utc(2022, 11, 15, 3))
    app.revoke(revoked, "弄虚作假 / falsified records", REVIEWER, cause="decision", at=utc(2023, 3, 1))

    due = utc(2023, 11, 30, 16)
    for nid in (kept, failed):
        app.mark_reinspection_due(nid, due, SYSTEM, at=utc(2023, 10, 1))
    app.reinspect(kept, METHODS, scores(90), "pass", INSPECTOR, at=utc(2023, 10, 28, 2))
    app.reinspect(
        failed, METHODS, scores(40), "fail", INSPECTOR, notes="设备停用 / idle", at=utc(2023, 10, 28, 2)
    )

    # Access tokens, webhook subscriptions, the activity register, an audit checkpoint.
    issued = utc(2022, 1, 1)
    token = app.issue_token(
        "declarer", "peng-zhen", "彭镇申报员", ADMIN, at=issued, idempotency_key="tok-1"
    )
    app.issue_token("auditor", None, "审计", ADMIN, at=issued, expires_at=utc(2022, 6, 1))
    app.revoke_token(token["id"], "离职 / left", ADMIN, at=utc(2023, 1, 1))
    hook = app.create_webhook("https://hooks.example.org/laurel", ["nomination.*"], "OA", ADMIN, at=at)
    app.rotate_webhook_secret(hook["id"], ADMIN, at=utc(2022, 12, 1))
    app.disable_webhook(hook["id"], "410 Gone", ADMIN, at=utc(2022, 12, 2))
    app.delete_webhook(hook["id"], ADMIN, at=utc(2022, 12, 3))
    app.register_member("peng-zhen", "m1", "王建国", "member", True, DECLARER, at=at)
    app.register_member("peng-zhen", "m2", "李秀英", "probationary", False, DECLARER, at=at)
    session = {
        "session_id": "2022-03",
        "date": "2022-03-10",
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": ["m1", "m2"],
        "attendees": ["m1"],
        "five_haves": dict.fromkeys(
            ("notice", "sign_in", "playback_log", "discussion_record", "feedback"), True
        ),
    }
    app.record_activity("peng-zhen", session, DECLARER, at=utc(2022, 3, 10, 8))
    corrected = dict(session, attendees=["m1", "m2"])
    app.record_activity(
        "peng-zhen", corrected, DECLARER, reason="签到表漏录 / sign-in missed", at=utc(2022, 3, 11)
    )
    record_checkpoint(
        app,
        {
            "position": 100,
            "hash": "ab" * 32,
            "signed_at": "2023-11-01T00:00:00.000000Z",
            "key_id": "ed25519:0123456789abcdef",
            "public_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
            "signature": "c2lnbmF0dXJl",
        },
        SYSTEM.as_dict(),
        utc(2023, 11, 1),
    )
    for aggregate_id in (
        UUID(county),
        app.get_unit("peng-zhen").id,
        register_uuid("peng-zhen", 2022),
        roll_uuid("peng-zhen"),
        DIRECTORY_ID,
    ):
        app.take_snapshot(aggregate_id)
    assert app.get_nomination(lapsed).state == "lapsed"


def dump(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        events = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
        snapshots = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_snapshots "
            "ORDER BY originator_id, originator_version"
        ).fetchall()

    def rows(found: list[Any]) -> list[dict[str, Any]]:
        return [
            {"originator_id": o, "originator_version": v, "topic": t, "state": bytes(s).decode()}
            for o, v, t, s in found
        ]

    return {"made_by": "e90b2f3", "events": rows(events), "snapshots": rows(snapshots)}


def as_json(sample: dict[str, Any]) -> str:
    """One stored event a line, so that a diff of the sample reads event by event."""

    def lines(rows: list[dict[str, Any]]) -> str:
        return ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)

    return (
        f'{{"made_by": "{sample["made_by"]}",\n"events": [\n{lines(sample["events"])}\n],\n'
        f'"snapshots": [\n{lines(sample["snapshots"])}\n]}}\n'
    )


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "laurel.db"
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}
        app = Laurel(env=env)
        app.webhook_secret_vault = MemoryVault()
        scenario(app)
        Path(out).write_text(as_json(dump(db)))


if __name__ == "__main__":
    main(sys.argv[1])
