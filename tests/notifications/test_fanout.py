"""The fan-out on both stores, from notices in the outbox to inbox rows, e-mails and unit
feeds: the unit's contacts with the roles (inbox + e-mail), its tokens with the roles that
carry no contact (inbox only); preferences (muted: nothing unless mandatory; digest: the
e-mail waits); doing it again inserts nothing; the unit's name completes the texts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from domain.commands import AddContact, ChangeContact, IssueToken, RemoveContact
from domain.notifications.kinds import NoticeKind
from domain.notifications.notices import contact_recipient, token_recipient
from domain.vocabulary import Role
from infra.bootstrap import Services
from infra.notifications.sender import build_notifier
from infra.notifications.store import FANOUT_FAILED
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.smtp import SmtpServer
from tests.builders.tree import COUNTY
from tests.builders.world import World
from tests.notifications.harness import environment, notice, services_for, write_outbox

FACTS = {"nominee_name": "前双村文化站", "declaring_unit_id": COUNTY, "category": "five_good_site"}


def people(services: Services) -> dict[str, str]:
    app = services.app
    World(app).city()

    def contact(name: str, role: str, email: str) -> str:
        command = AddContact(unit_id=COUNTY, name=name, role=role, email=email)
        return str(app.execute(command, ADMIN)["contact_id"])

    def token(role: str, contact_id: str | None = None) -> str:
        command = IssueToken(role=role, unit_id=COUNTY, label=role, contact_id=contact_id)
        return str(app.execute(command, ADMIN)["id"])

    zhang = contact("张三", "reviewer", "zhang.san@example.cn")
    return {
        "zhang": zhang,
        "li": contact("李四", "admin", "li.si@example.cn"),
        "reviewer": token("reviewer"),
        "zhang_token": token("reviewer", zhang),  # carries 张三: reads as 张三
        "declarer": token("declarer"),
    }


def assert_no_clear_address(services: Services, address: str) -> None:
    """Nothing in the deliveries or their log holds ``address`` in clear."""
    store = services.notifications
    with store.db.transaction(write=False) as sql:
        kept = sql.rows(f"SELECT * FROM {store.t['deliveries']}")
        kept += sql.rows(f"SELECT * FROM {store.t['attempts']}")
    assert address not in repr(kept)


def rows(services: Services, channel: str) -> list[dict[str, Any]]:
    found = services.notifications.deliveries(channel=channel, limit=200)
    return sorted(found, key=lambda r: (r["notice_key"], r["recipient"]))


@BACKENDS
def test_notices_reach_contacts_and_tokens_once(database_url: str, smtp: SmtpServer) -> None:
    with services_for(database_url, **smtp.settings) as services:
        who = people(services)
        write_outbox(services, [notice(1, COUNTY, (Role.REVIEWER,), NoticeKind.ADMITTED, FACTS)])
        notifier = build_notifier(services)
        notifier.fanout.run_once()
        inbox = rows(services, "inbox")
        assert {r["recipient"] for r in inbox} == {
            contact_recipient(who["zhang"]),
            token_recipient(who["reviewer"]),
        }
        [mail] = rows(services, "email")
        assert mail["recipient"] == contact_recipient(who["zhang"]) and mail["status"] == "pending"
        assert mail["address"] is None  # looked up when it is sent
        [entry] = services.notifications.feed(COUNTY)
        assert entry["notice_key"] == "subject-1:1:admitted"
        assert "宜君县" in entry["body"]  # the unit's name, completed by the sender
        assert "前双村文化站" in entry["subject"]
        # the position set back: the same notices again insert nothing
        with services.notifications.db.transaction() as sql:
            sql.execute(f"UPDATE {services.notifications.t['state']} SET position = 0")
        notifier.fanout.run_once()
        assert len(rows(services, "inbox")) == 2 and len(rows(services, "email")) == 1
        assert len(services.notifications.feed(COUNTY)) == 1
        notifier.send_due()
        [received] = smtp.parsed()
        assert received["To"] == "zhang.san@example.cn"
        assert str(received["Subject"]).startswith("【初审通过】前双村文化站 / [Passed pre-review]")
        [sent] = rows(services, "email")
        assert sent["status"] == "delivered" and sent["address"] == "z***@example.cn"
        assert_no_clear_address(services, "zhang.san@example.cn")


@BACKENDS
def test_preferences_mute_and_digest_but_never_a_mandatory_kind(
    database_url: str, smtp: SmtpServer
) -> None:
    with services_for(database_url, **smtp.settings) as services:
        who = people(services)
        store = services.notifications
        zhang, reviewer = contact_recipient(who["zhang"]), token_recipient(who["reviewer"])
        store.set_preference(zhang, "admitted", "digest")
        store.set_preference(reviewer, "admitted", "muted")
        store.set_preference(reviewer, "rejected", "digest")
        rejected = {**FACTS, "reasons": ["材料不足"]}
        write_outbox(
            services,
            [
                notice(1, COUNTY, (Role.REVIEWER,), NoticeKind.ADMITTED, FACTS),
                notice(2, COUNTY, (Role.REVIEWER,), NoticeKind.REJECTED, rejected),
            ],
        )
        build_notifier(services).fanout.run_once()
        inbox = {(r["recipient"], r["kind"]) for r in rows(services, "inbox")}
        assert inbox == {
            (zhang, "admitted"),
            (zhang, "rejected"),
            (reviewer, "rejected"),  # muted the admissions only; a rejection always arrives
        }
        mails = {(r["recipient"], r["kind"]): r["status"] for r in rows(services, "email")}
        assert mails == {(zhang, "admitted"): "digest", (zhang, "rejected"): "pending"}
        assert store.unread_count([zhang]) == 2 and store.unread_count([reviewer]) == 1


@BACKENDS
def test_without_smtp_the_inbox_only(database_url: str) -> None:
    with services_for(database_url) as services:
        people(services)
        write_outbox(services, [notice(1, COUNTY, (Role.ADMIN,), NoticeKind.ADMITTED, FACTS)])
        notifier = build_notifier(services)
        assert notifier.mailer is None
        notifier.run_once()
        assert len(rows(services, "inbox")) == 1 and rows(services, "email") == []


def operator(services: Services, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``laurel notify <args>`` with the sender's settings (its SMTP server)."""
    env = environment(
        services.settings, home, smtp_host="127.0.0.1", smtp_port=services.settings.smtp_port
    )
    return subprocess.run(
        [sys.executable, "-m", "cli", "notify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def outbox_position(services: Services) -> int:
    return services.notifications.fanout_position()


@BACKENDS
def test_a_notice_whose_template_fails_is_set_aside_visibly_and_redone(
    database_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    with services_for(database_url, **smtp.settings) as services:
        who = people(services)
        # a rejection (mandatory) lacking the ``reasons`` its template names, then a good notice
        broken = notice(1, COUNTY, (Role.REVIEWER,), NoticeKind.REJECTED, FACTS)
        write_outbox(services, [broken, notice(2, COUNTY, (Role.REVIEWER,), NoticeKind.ADMITTED, FACTS)])
        notifier = build_notifier(services)
        notifier.fanout.run_once()
        assert outbox_position(services) == 2  # the later notice is not held up
        assert {r["kind"] for r in rows(services, "inbox")} == {"admitted", "rejected"}
        [failed] = services.notifications.deliveries(status="failed", channel=None)
        assert failed["kind"] == "rejected" and failed["recipient"] == FANOUT_FAILED
        assert failed["channel"] == "inbox"
        assert all(
            r["kind"] == "admitted" for r in rows(services, "inbox") if r["recipient"] != FANOUT_FAILED
        )
        # still broken: retry says so and keeps the record
        shown = operator(services, tmp_path, "log", "--status", "failed", "--json")
        assert shown.returncode == 0, shown.stderr
        [listed] = json.loads(shown.stdout)
        assert listed["id"] == failed["id"] and listed["recipient"] == FANOUT_FAILED
        again = operator(services, tmp_path, "retry", str(failed["id"]))
        assert again.returncode == 1 and "still fails" in again.stdout
        # what failed is fixed (here the notice's facts, as a fixed template would need)
        with services.notifications.db.transaction() as sql:
            sql.execute(
                f"UPDATE {services.notifications.db.ns}notification_outbox SET body = ? "
                "WHERE notice_key = ?",
                (
                    notice(
                        1,
                        COUNTY,
                        (Role.REVIEWER,),
                        NoticeKind.REJECTED,
                        {**FACTS, "reasons": ["材料不足"]},
                    ).body(),
                    broken.key,
                ),
            )
        again = operator(services, tmp_path, "retry", str(failed["id"]))
        assert again.returncode == 0, again.stdout + again.stderr
        assert services.notifications.deliveries(status="failed", channel=None) == []
        rejected = {r["recipient"] for r in rows(services, "inbox") if r["kind"] == "rejected"}
        assert rejected == {contact_recipient(who["zhang"]), token_recipient(who["reviewer"])}
        assert [r["kind"] for r in rows(services, "email")].count("rejected") == 1


@BACKENDS
def test_a_transient_failure_fails_the_round_and_the_batch_is_done_again(
    database_url: str, smtp: SmtpServer
) -> None:
    with services_for(database_url, **smtp.settings) as services:
        people(services)
        write_outbox(
            services,
            [notice(1, COUNTY, (Role.REVIEWER,), NoticeKind.REJECTED, {**FACTS, "reasons": ["r"]})],
        )
        store = services.notifications
        vault = store.t["contacts"]
        with store.db.transaction() as sql:  # the vault unreadable for a while (a DB failure)
            sql.execute(f"ALTER TABLE {vault} RENAME TO notification_contacts_away")
        notifier = build_notifier(services)
        assert notifier.run_once() == 0  # logged; the other parts ran
        assert outbox_position(services) == 0 and rows(services, "inbox") == []
        with store.db.transaction() as sql:
            sql.execute(
                f"ALTER TABLE {store.db.ns}notification_contacts_away RENAME TO notification_contacts"
            )
        notifier.run_once()
        assert outbox_position(services) == 1
        assert len(rows(services, "inbox")) == 2 and len(rows(services, "email")) == 1


@BACKENDS
def test_email_goes_to_the_contact_as_it_is_when_sent(database_url: str, smtp: SmtpServer) -> None:
    with services_for(database_url, **smtp.settings) as services:
        app, store = services.app, services.notifications
        world = World(app)
        world.city()
        ids = [
            str(
                app.execute(AddContact(unit_id=COUNTY, name=n, role="reviewer", email=e), ADMIN)[
                    "contact_id"
                ]
            )
            for n, e in (("张三", "zhang.san@example.cn"), ("王五", "wang.wu@example.cn"))
        ]
        write_outbox(services, [notice(1, COUNTY, (Role.REVIEWER,), NoticeKind.ADMITTED, FACTS)])
        notifier = build_notifier(services)
        notifier.fanout.run_once()
        assert len(rows(services, "email")) == 2
        app.execute(
            ChangeContact(
                unit_id=COUNTY, contact_id=ids[0], name="张三", role="reviewer", email="zs@example.org"
            ),
            ADMIN,
        )
        app.execute(RemoveContact(unit_id=COUNTY, contact_id=ids[1]), ADMIN)
        notifier.send_due()
        assert [m["To"] for m in smtp.parsed()] == ["zs@example.org"]
        sent = {r["recipient"]: r for r in store.deliveries(with_attempts=True)}
        changed, removed = sent[contact_recipient(ids[0])], sent[contact_recipient(ids[1])]
        assert changed["status"] == "delivered" and changed["address"] == "z***@example.org"
        assert removed["status"] == "cancelled" and removed["log"][0]["error"] == "contact removed"
        assert_no_clear_address(services, "zs@example.org")
        assert_no_clear_address(services, "wang.wu@example.cn")
