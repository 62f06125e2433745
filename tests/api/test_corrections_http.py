"""Corrections and appeals over HTTP (issue 23, items 3-4): each endpoint's happy path and its
refusals as problem+json naming the rule (409), on both stores."""

from __future__ import annotations

from datetime import timedelta

from domain.commands import PreReview
from tests.builders.actors import CITY_REVIEWER
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.http import problem, serve_in_process
from tests.builders.http_world import import_units, issue_token
from tests.builders.tree import CITY, TOWNSHIP, UNIT_TREE
from tests.builders.world import CampaignRef, World

WHEN = FIVE_GOOD_2022


def rule(response) -> str:
    return str(problem(response, 409, "correction-refused")["failures"][0]["rule"])


@BACKENDS
def test_corrections_over_http(database_url):
    clock = Clock(WHEN.declaration)
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        import_units(admin, UNIT_TREE)
        created = admin.post(
            "/v1/campaigns",
            json={"template": "five-good-sites", "organiser_unit_id": CITY, "year": 2022},
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        world = World(server.services.app)
        ref = CampaignRef(cid, "five-good-sites", WHEN)
        declarer = server.client(issue_token(admin, "declarer", TOWNSHIP))
        reviewer = server.client(issue_token(admin, "reviewer", CITY))

        returned = world.declare(ref, name="退回的站点")
        inspected = world.declare(ref, name="考核的站点")
        rejected = world.declare(ref, name="不予通过的站点")
        late = world.declare(ref, name="初审截止后的站点")

        # return for amendment → amend → admitted
        clock.now = WHEN.pre_review
        answer = reviewer.post(
            f"/v1/nominations/{returned}/return",
            json={"reasons": ["缺签到表"], "fields": ["material"]},
        )
        assert answer.status_code == 200 and answer.json()["state"] == "returned", answer.text
        short = declarer.post(f"/v1/nominations/{returned}/amendment", json={"material": "短文"})
        failures = problem(short, 422, "declaration-invalid")["failures"]
        assert [f["rule"] for f in failures] == ["typical_material_min_length"]
        answer = declarer.post(
            f"/v1/nominations/{returned}/amendment",
            json={"material": world.app.get_nomination(returned).material + "（已补签到表）"},
        )
        assert answer.status_code == 200 and answer.json()["state"] == "declared", answer.text
        assert reviewer.post(
            f"/v1/nominations/{returned}/pre-review",
            json={"decision": "admit", "checks": FIVE_PROTECTIONS_OK},
        ).status_code in (200, 201)
        assert world.state(returned) == "admitted"
        world.admit(ref, inspected)
        world.app.execute(
            PreReview(nomination_id=rejected, decision="reject", reasons=["材料不实"], checks={}),
            CITY_REVIEWER,
            at=WHEN.pre_review,
        )

        # an appeal lodged (201), one open at a time
        answer = declarer.post(f"/v1/nominations/{rejected}/appeals", json={"grounds": "材料属实"})
        assert answer.status_code == 201, answer.text
        assert rule(declarer.post(f"/v1/nominations/{rejected}/appeals", json={"grounds": "再"})) == (
            "appeal_already_open"
        )

        # pre-review has closed: a return is refused, an upheld appeal reopens it for one
        clock.now = WHEN.inspection
        assert rule(reviewer.post(f"/v1/nominations/{late}/return", json={"reasons": ["迟"]})) == (
            "return_phase_closed"
        )
        answer = reviewer.post(
            f"/v1/nominations/{rejected}/appeals/decision",
            json={
                "outcome": "upheld",
                "findings": "核实属实",
                "until": (WHEN.inspection + timedelta(days=2)).isoformat(),
            },
        )
        assert answer.status_code == 200 and answer.json()["state"] == "declared", answer.text
        windows = reviewer.get(f"/v1/campaigns/{cid}/corrections").json()["reopenings"]
        assert [(w["phase"], w["scope"], w["target"]) for w in windows] == [
            ("pre_review", "nomination", rejected)
        ]

        # an inspection voided: the score recomputed, the voided one kept and marked
        world.inspect(ref, inspected, 90)
        world.inspect(ref, inspected, 50)
        answer = reviewer.post(
            f"/v1/nominations/{inspected}/inspections/2/voiding", json={"reason": "录错分数"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["score"] == 90.0 and answer.json()["voided_inspections"] == [2]
        board = reviewer.get(f"/v1/campaigns/{cid}/dashboard")  # the read models follow
        assert board.status_code == 200, board.text
        read = reviewer.get(f"/v1/nominations/{inspected}").json()
        assert [i["voided"] for i in read["inspections"]] == [False, True] and read["score"] == 90.0
        assert (
            declarer.post(
                f"/v1/nominations/{inspected}/inspections/1/voiding", json={"reason": "x"}
            ).status_code
            == 403
        )

        # reopening past the campaign's end: refused
        end = world.app.get_campaign(cid).ends_at
        answer = reviewer.post(
            f"/v1/campaigns/{cid}/phases/declaration/reopening",
            json={
                "scope": "unit",
                "target": TOWNSHIP,
                "until": (end + timedelta(hours=1)).isoformat(),
                "reason": "补报",
            },
        )
        assert rule(answer) == "reopen_after_campaign_end"
        # a deadline without its time zone: 422 naming the field (not the server's zone)
        naive = (WHEN.inspection + timedelta(days=1)).replace(tzinfo=None).isoformat()
        answer = reviewer.post(
            f"/v1/campaigns/{cid}/phases/declaration/reopening",
            json={"scope": "unit", "target": TOWNSHIP, "until": naive, "reason": "补报"},
        )
        failures = problem(answer, 422, "request-invalid")["failures"]
        assert [(f["field"], f["rule"]) for f in failures] == [("until", "request_timezone_aware")]
        answer = reviewer.post(
            f"/v1/nominations/{rejected}/appeals/decision",
            json={"outcome": "upheld", "findings": "x", "until": naive},
        )
        assert problem(answer, 422, "request-invalid")["failures"][0]["field"] == "until"
        answer = reviewer.post(
            f"/v1/campaigns/{cid}/phases/declaration/reopening",
            json={
                "scope": "unit",
                "target": TOWNSHIP,
                "until": (WHEN.inspection + timedelta(days=1)).isoformat(),
                "reason": "补报",
            },
        )
        assert answer.status_code == 201 and answer.json()["reopening"]["number"] == 2, answer.text

        # commended: no more voiding, no cancelling
        clock.now = WHEN.commendation
        world.commend(ref)
        assert (
            rule(
                reviewer.post(f"/v1/nominations/{inspected}/inspections/1/voiding", json={"reason": "x"})
            )
            == "correction_after_commendation"
        )
        assert rule(admin.post(f"/v1/campaigns/{cid}/cancellation", json={"reason": "停"})) == (
            "cancel_with_titles_granted"
        )

        # another campaign, cancelled: its open nominations close, nothing more is done
        created = admin.post(
            "/v1/campaigns",
            json={"template": "five-good-sites", "organiser_unit_id": CITY, "year": 2023},
        )
        other = CampaignRef(created.json()["id"], "five-good-sites", WHEN)
        clock.now = WHEN.declaration + timedelta(days=365)
        open_one = world.declare(other, at=clock.now)
        answer = admin.post(f"/v1/campaigns/{other.id}/cancellation", json={"reason": "上级通知停止"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["closed"] == [open_one]
        assert world.state(open_one) == "cancelled"
        read = admin.get(f"/v1/campaigns/{other.id}/corrections").json()  # tokens expired
        assert admin.get(f"/v1/campaigns/{other.id}/dashboard").json()["cancelled"]["reason"] == (
            "上级通知停止"
        )
        assert read["cancelled"]["reason"] == "上级通知停止"
        assert rule(admin.post(f"/v1/campaigns/{other.id}/cancellation", json={"reason": "再"})) == (
            "campaign_cancelled"
        )


@BACKENDS
def test_a_nominee_name_corrected_on_a_granted_title(database_url, tmp_path):
    """The certificate, the decision, the commendation list and the title register show the
    corrected name; the history keeps the old; the read models rebuilt agree."""
    import io

    from openpyxl import load_workbook

    from tests.api.test_documents_http import inspected_site, pdf_text

    old, new = "前双村远教站点", "前双村远程教育示范站点"
    with inspected_site(database_url, tmp_path) as site:
        reviewer = site.server.client(site.tokens["reviewer"])
        declarer = site.server.client(site.tokens["declarer"])
        url = f"/v1/nominations/{site.nomination}/nominee-name"
        early = reviewer.post(url, json={"name": new, "reason": "名称有误"})
        assert rule(early) == "name_correction_needs_title"
        site.commend()
        assert declarer.post(url, json={"name": new, "reason": "x"}).status_code == 403
        answer = reviewer.post(url, json={"name": new, "reason": "名称有误 / typo"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["nominee_name"] == new and answer.json()["state"] == "commended"

        certificate = pdf_text(
            reviewer.get(f"/v1/nominations/{site.nomination}/certificate.pdf").content
        )
        assert new in certificate and old not in certificate
        decision = pdf_text(reviewer.get(f"/v1/campaigns/{site.campaign.id}/decision.pdf").content)
        assert new in decision and old not in decision
        listed = reviewer.get(f"/v1/campaigns/{site.campaign.id}/commendations.xlsx")
        assert listed.status_code == 200, listed.text
        sheet = load_workbook(io.BytesIO(listed.content)).active
        names = [r[3] for r in sheet.iter_rows(values_only=True)]
        assert new in names and old not in names

        views = site.server.services.views
        views.catch_up()
        titles = reviewer.get("/v1/titles", params={"campaign_id": site.campaign.id}).json()
        held = {t["nomination_id"]: t["nominee"] for t in titles["items"]}
        assert held[site.nomination] == new
        assert views.rebuild_and_compare(["titles", "campaigns"]) == []

        history = reviewer.get(f"/v1/nominations/{site.nomination}/history")
        assert history.status_code == 200, history.text
        text = history.text
        assert old in text and new in text and "nomination.nominee_name_corrected" in text
        corrections = reviewer.get(f"/v1/nominations/{site.nomination}/corrections").json()
        assert corrections["name_corrections"][0]["previous"] == old
