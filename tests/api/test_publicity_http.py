"""公示 and objections over HTTP (issue 23, items 1-2): the organiser configures and publishes;
the public page and API show the proposed list and nothing more; anyone objects through the
abuse guard (rate limit, honeypot, signed form token with a minimum fill time, duplicate
text); the objection is followed by its receipt, its contact read by the organiser only."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime

from api.publicity_guard import client_digest, form_secret, issue_form_token
from domain.commands import Commend
from infra.webhooks.messages import cloud_event
from tests.builders.actors import CITY_REVIEWER
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import problem, serve_in_process
from tests.builders.http_world import import_units, issue_token
from tests.builders.tree import CITY, PENG_ZHEN_VILLAGES, TOWNSHIP, UNIT_TREE
from tests.builders.world import World

CATEGORY = "five_good_site"
EVIDENCE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PERSONAL = ("score", "person_id", "contact", "token", "declaring_unit_id", "material", "form")


def walk_keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in walk_keys(v)}
    return set()


def proposed_campaign(server, admin) -> tuple[str, dict[int, str]]:
    import_units(admin, UNIT_TREE)
    world = World(server.services.app)
    campaign = world.campaign("five-good-sites", quotas={CATEGORY: 2})
    reviewer = server.client(issue_token(admin, "reviewer", CITY))
    configured = reviewer.put(
        f"/v1/campaigns/{campaign.id}/publicity", json={"working_days": 5, "reason": "公示五个工作日"}
    )
    assert configured.status_code == 200, configured.text
    ids = {
        score: world.inspected(campaign, unit, score)
        for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:3], [90, 80, 70], strict=True)
    }
    server.services.app.execute(
        Commend(campaign_id=campaign.id, category=CATEGORY),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    published = reviewer.post(f"/v1/campaigns/{campaign.id}/publicity/publications", json={})
    assert published.status_code == 201, published.text
    assert published.json()["closes_at"] == "2022-11-23T00:00:00+08:00"  # Tue 15 → Tue 22 inclusive
    return campaign.id, ids


def old_token(server, cid: str, address: str = "127.0.0.1") -> str:
    """A form token served 30 s ago to ``address`` (the tests' client is on the loopback)."""
    secret = form_secret(server.services)
    return issue_form_token(secret, cid, client_digest(secret, address), now=time.time() - 30)


@BACKENDS
def test_the_public_list_objections_and_their_handling(database_url):
    clock = Clock(FIVE_GOOD_2022.commendation)
    with (
        serve_in_process(database_url, clock, objection_limit="4/hour") as server,
        server.client() as admin,
    ):
        cid, ids = proposed_campaign(server, admin)
        anonymous = server.client(None)

        page = anonymous.get(f"/v1/public/campaigns/{cid}/publicity")
        assert page.status_code == 200, page.text
        [period] = page.json()["periods"]
        assert period["open"] and len(period["entries"]) == 2
        assert not walk_keys(page.json()) & set(PERSONAL)
        assert ids[70] not in page.text  # not proposed: not listed

        base = f"/v1/public/campaigns/{cid}/objections"
        body = {"nomination_id": ids[90], "text": "该站点台账造假", "contact": "王先生 138 0000 0000"}
        fresh = anonymous.get(f"/v1/public/campaigns/{cid}/objection-form").json()["form_token"]
        problem(anonymous.post(base, json={**body, "form_token": fresh}), 422, "publicity-invalid")
        too_fast = anonymous.post(base, json={**body, "form_token": fresh}).json()
        assert too_fast["failures"][0]["rule"] == "objection_too_fast"
        trap = anonymous.post(base, json={**body, "form_token": old_token(server, cid), "website": "x"})
        assert problem(trap, 422)["failures"][0]["rule"] == "objection_honeypot"
        forged = anonymous.post(base, json={**body, "form_token": "1700000000.forged"})
        assert problem(forged, 422)["failures"][0]["rule"] == "objection_form_token"
        # a token served to another address is refused from this one
        stolen = anonymous.post(base, json={**body, "form_token": old_token(server, cid, "10.9.9.9")})
        assert problem(stolen, 422)["failures"][0]["rule"] == "objection_form_token"
        # "²" is a digit to str.isdigit, not to int: refused as forged, never a 500
        odd = anonymous.post(base, json={**body, "form_token": "²." + fresh.partition(".")[2]})
        assert problem(odd, 422)["failures"][0]["rule"] == "objection_form_token"

        lodged = anonymous.post(base, json={**body, "form_token": old_token(server, cid)})
        assert lodged.status_code == 201, lodged.text
        receipt = lodged.json()["receipt"]
        assert set(lodged.json()) == {
            "receipt",
            "status",
            "status_zh",
            "status_en",
            "lodged_at",
            "decided_at",
        }
        # with an evidence file (base64 in the JSON); a file of an unknown type is refused
        pdf = base64.b64encode(EVIDENCE_PDF).decode()
        odd = {"name": "x.exe", "content_base64": base64.b64encode(b"MZ\x90\x00junk").decode()}
        refused = anonymous.post(
            base,
            json={**body, "text": "附证据", "evidence": odd, "form_token": old_token(server, cid)},
        )
        assert problem(refused, 422)["failures"][0]["field"] == "evidence"
        with_file = anonymous.post(
            base,
            json={
                **body,
                "nomination_id": ids[80],
                "text": "附证据",
                "evidence": {"name": "台账.pdf", "content_base64": pdf},
                "form_token": old_token(server, cid),
            },
        )
        assert with_file.status_code == 201, with_file.text
        filed = with_file.json()["receipt"]
        # the same objection again from this client (a double click, a retry): its receipt
        again = anonymous.post(base, json={**body, "form_token": old_token(server, cid)})
        assert again.status_code == 200 and again.json()["receipt"] == receipt, again.text

        followed = anonymous.get(f"/v1/public/objections/{receipt}")
        assert followed.json()["status"] == "open" and "王先生" not in followed.text
        problem(anonymous.get("/v1/public/objections/99-AAAA-AAAA"), 404, "objection-not-found")

        # the fifth from this address in the hour (the junk above was refused before counting):
        # 429
        limited = anonymous.post(
            base, json={**body, "text": "再次举报", "form_token": old_token(server, cid)}
        )
        assert problem(limited, 429)["type"] == "urn:laurel:problem:too-many-requests"
        assert int(limited.headers["Retry-After"]) >= 1

        # the objector's contact: the organiser's reviewers and auditors only
        reviewer = server.client(issue_token(admin, "reviewer", CITY))
        queue = reviewer.get(f"/v1/campaigns/{cid}/objections")
        assert queue.status_code == 200 and queue.json()[0]["contact"] == body["contact"]
        auditor = server.client(issue_token(admin, "auditor", CITY))
        assert auditor.get(f"/v1/objections/{receipt}").json()["contact"] == body["contact"]
        problem(admin.get(f"/v1/campaigns/{cid}/objections"), 403, "role-not-allowed")
        declarer = server.client(issue_token(admin, "declarer", TOWNSHIP))
        problem(declarer.get(f"/v1/objections/{receipt}"), 403, "role-not-allowed")

        # the audit log: an admin reads the objection without its contact, an auditor with it
        def lodged_entries(client) -> list:
            items = client.get("/v1/audit/events", params={"limit": 1000}).json()["items"]
            return [e for e in items if e["type"] == "objection.lodged"]

        assert lodged_entries(admin) and "王先生" not in str(lodged_entries(admin))
        auditor_root = server.client(issue_token(admin, "auditor"))
        assert "王先生" in str(lodged_entries(auditor_root))
        # a webhook's body is thin: neither the text nor the contact
        delivered = str(
            [
                cloud_event(e, "urn:laurel")
                for e in server.services.views.audit_entries(0, 1000, None)
                if e.type == "objection.lodged"
            ]
        )
        assert "王先生" not in delivered and "台账造假" not in delivered

        download = reviewer.get(f"/v1/objections/{filed}/evidence")
        assert download.status_code == 200 and download.content == EVIDENCE_PDF
        problem(admin.get(f"/v1/objections/{filed}/evidence"), 403)
        problem(reviewer.get(f"/v1/objections/{receipt}/evidence"), 404, "evidence-not-found")

        investigated = reviewer.post(
            f"/v1/objections/{receipt}/investigation", json={"note": "实地核查"}
        )
        assert investigated.json()["status"] == "investigating", investigated.text
        problem(
            reviewer.post(
                f"/v1/objections/{receipt}/decision", json={"outcome": "maybe", "findings": "x"}
            ),
            422,
        )
        decided = reviewer.post(
            f"/v1/objections/{receipt}/decision",
            json={"outcome": "uphold", "findings": "经核实台账不实"},
        )
        assert decided.status_code == 200 and decided.json()["withdrawn"], decided.text
        assert anonymous.get(f"/v1/public/objections/{receipt}").json()["status"] == "upheld"
        summary = reviewer.get(f"/v1/campaigns/{cid}/publicity").json()
        assert (summary["proposed"], summary["objections"]) == (1, {"upheld": 1, "open": 1})
        listed = anonymous.get(f"/v1/public/campaigns/{cid}/publicity").json()
        assert [e["nomination_id"] for e in listed["periods"][0]["entries"]] == [ids[80]]

        # switched off: the public page and the objections are 404
        off = reviewer.put(f"/v1/campaigns/{cid}/publicity/public-page", json={"public_page": False})
        assert off.status_code == 200, off.text
        problem(anonymous.get(f"/v1/public/campaigns/{cid}/publicity"), 404, "campaign-not-found")
        problem(anonymous.get(f"/v1/public/campaigns/{cid}/objection-form"), 404)


@BACKENDS
def test_objections_per_campaign_are_limited_too(database_url):
    clock = Clock(datetime(2022, 11, 15, 2, tzinfo=UTC))
    with (
        serve_in_process(database_url, clock, objection_campaign_limit="2/hour") as server,
        server.client() as admin,
    ):
        cid, ids = proposed_campaign(server, admin)
        anonymous = server.client(None)
        base = f"/v1/public/campaigns/{cid}/objections"
        for _ in range(3):  # junk is refused before the limits count: it uses none of them
            trap = {"nomination_id": ids[80], "text": "垃圾", "website": "x"}
            problem(anonymous.post(base, json={**trap, "form_token": old_token(server, cid)}), 422)
            problem(anonymous.post(base, json={**trap, "website": "", "form_token": "1.x"}), 422)
        for n in range(2):
            sent = anonymous.post(
                base,
                json={
                    "nomination_id": ids[80],
                    "text": f"异议{n}",
                    "form_token": old_token(server, cid),
                },
            )
            assert sent.status_code == 201, sent.text
        third = anonymous.post(
            base, json={"nomination_id": ids[80], "text": "异议3", "form_token": old_token(server, cid)}
        )
        problem(third, 429)
