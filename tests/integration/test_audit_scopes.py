"""Scoped audit reads over HTTP: an auditor (or admin) of a unit reads the audit entries of the
aggregates within its subtree — its units, the campaigns it organises and their nominations,
its units' member rolls and activity registers — at their global positions; the whole log,
its verification, export and checkpoints are for auditors and admins without a unit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from domain.activity import roll_uuid
from domain.commands import CreateCampaign, Declare, IssueToken, OpenPhase, RegisterMember, RegisterUnit
from domain.ids import unit_uuid
from tests.builders.actors import ADMIN, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.http import serve_in_process
from tests.builders.material import material_of

pytestmark = BACKENDS


def city(app: Any, code: str) -> list[str]:
    """A city with a county, a township and two villages; returns the unit codes."""
    units = [
        (code, "city", None),
        (f"{code}-county", "county", code),
        (f"{code}-town", "township", f"{code}-county"),
    ]
    units += [(f"{code}-vil-{v}", "village", f"{code}-town") for v in (1, 2)]
    for unit, level, parent in units:
        app.execute(
            RegisterUnit(
                code=unit,
                name=f"{unit} ({level})",
                name_zh=f"{unit} 单位",
                level=level,
                parent_id=parent,
            ),
            ADMIN,
        )
    return [u for u, _, _ in units]


def campaign_of(app: Any, organiser: str) -> dict[str, Any]:
    campaign_id = app.execute(
        CreateCampaign(template="five-good-sites", organiser_unit_id=organiser, year=2022),
        ADMIN,
        at=FIVE_GOOD_2022.declaration - timedelta(days=2),
    )["id"]
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="declaration"), ADMIN, at=FIVE_GOOD_2022.declaration
    )
    town = f"{organiser}-town"
    nominations = [
        app.execute(
            Declare(
                campaign_id=campaign_id,
                category="five_good_site",
                declaring_unit_id=town,
                nominee={
                    "kind": "site",
                    "unit_id": f"{organiser}-vil-{v}",
                    "name": f"{organiser} 站点 {v}",
                },
                form={},
                material=material_of(),
            ),
            declarer_of(town),
            at=FIVE_GOOD_2022.declaration,
        )["id"]
        for v in (1, 2)
    ]
    return {"id": str(campaign_id), "nominations": [str(n) for n in nominations]}


def token(app: Any, role: str, unit: str | None) -> str:
    return app.execute(
        IssueToken(role=role, unit_id=unit, label=f"{role} {unit or 'root'}"),
        ADMIN,
    )["token"]


def every_entry(client: Any, page: int = 1000) -> list[dict[str, Any]]:
    """All the entries a token reads, page after page."""
    found, after = [], 0
    while True:
        answer = client.get("/v1/audit/events", params={"after": after, "limit": page})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if not body["items"]:
            return found
        found += body["items"]
        after = body["next_after"]


def test_a_city_auditor_reads_its_subtrees_entries_and_only_a_root_auditor_reads_the_whole_log(
    database_url: str, tmp_path: Path
) -> None:
    with serve_in_process(database_url, home_dir=tmp_path) as server:
        app = server.services.app
        units_a, units_b = city(app, "city-a"), city(app, "city-b")
        campaign_a, campaign_b = campaign_of(app, "city-a"), campaign_of(app, "city-b")
        app.execute(
            RegisterMember(
                unit_id="city-a-vil-1", member_id="m-1", name="张三", status="member", leader=True
            ),
            declarer_of("city-a-town"),
        )
        app.execute(
            RegisterMember(
                unit_id="city-b-vil-1", member_id="m-1", name="李四", status="member", leader=True
            ),
            declarer_of("city-b-town"),
        )
        clients = {
            name: server.client(token(app, role, unit))
            for name, role, unit in [
                ("auditor-a", "auditor", "city-a"),
                ("admin-a", "admin", "city-a"),
                ("auditor-root", "auditor", None),
                ("declarer-a", "declarer", "city-a-town"),
            ]
        }

        everything = every_entry(clients["auditor-root"])
        assert [e["position"] for e in everything] == list(
            range(1, server.services.views.store.max_notification_id() + 1)
        )
        within_a = {str(unit_uuid(u)) for u in units_a} | {
            campaign_a["id"],
            *campaign_a["nominations"],
            str(roll_uuid("city-a-vil-1")),
        }
        of_b = {str(unit_uuid(u)) for u in units_b} | {
            campaign_b["id"],
            *campaign_b["nominations"],
            str(roll_uuid("city-b-vil-1")),
        }
        expected = [e for e in everything if e["subject"] in within_a]
        assert {e["aggregate"] for e in expected} == {"unit", "campaign", "nomination", "members"}

        for reader in ("auditor-a", "admin-a"):
            seen = every_entry(clients[reader], page=3)  # paged by the global positions
            assert seen == expected, reader
            assert not {e["subject"] for e in seen} & of_b
        assert {e["aggregate"] for e in everything} - {e["aggregate"] for e in expected} >= {
            "token",
            "directory",
        }  # the root's alone

        for path in ("/v1/audit/verify", "/v1/audit/export", "/v1/audit/checkpoints"):
            refused = clients["auditor-a"].get(path)
            assert refused.status_code == 403 and refused.headers["content-type"].startswith(
                "application/problem+json"
            ), (path, refused.text)
            assert clients["auditor-root"].get(path).status_code == 200, path
        assert clients["auditor-a"].post("/v1/audit/checkpoints").status_code == 403
        assert clients["admin-a"].get("/v1/audit/verify").status_code == 403
        assert clients["declarer-a"].get("/v1/audit/events").status_code == 403
        assert clients["auditor-root"].get("/v1/audit/verify").json()["ok"] is True
