"""The 公示 pages (issue 23): the public list without a login shows names, units and
categories only; the objection form's guard (too fast, honeypot, another site) refuses with a
clear status; a receipt page shows the status only; the organiser publishes and decides on
its page, where the objector's contact is shown to its reviewer only."""

from __future__ import annotations

import re
import time
from pathlib import Path

from api.publicity_guard import client_digest, form_secret, issue_form_token
from domain.commands import Commend, ConfigurePublicity, IssueToken
from tests.api.page_session import login, own_origin
from tests.api.test_pages import INLINE_CODE
from tests.builders.actors import ADMIN, CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.http import serve_in_process
from tests.builders.tree import CITY, PENG_ZHEN_VILLAGES, UNIT_TREE
from tests.builders.world import World

CATEGORY = "five_good_site"


def hidden_fields_of(html: str, action: str) -> dict[str, str]:
    form = re.search(
        r'<form method="post" action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.DOTALL
    )
    assert form, f"no form posting to {action}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def test_the_public_page_the_objection_form_and_the_organisers_queue(tmp_path: Path) -> None:
    clock = Clock(FIVE_GOOD_2022.commendation)
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign("five-good-sites", quotas={CATEGORY: 2})
        app.execute(
            ConfigurePublicity(campaign_id=campaign.id, working_days=5),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.inspection,
        )
        ids = {
            score: world.inspected(campaign, unit, score)
            for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:3], [90, 80, 70], strict=True)
        }
        app.execute(Commend(campaign_id=campaign.id, category=CATEGORY), CITY_REVIEWER)
        names = {s: app.get_nomination(n).nominee.name for s, n in ids.items()}

        reviewer = server.client(None)
        token = app.execute(IssueToken(role="reviewer", unit_id=CITY, label="reviewer"), ADMIN)["token"]
        login(reviewer, token)
        work = f"/ui/organise/campaigns/{campaign.id}/publicity"
        page = reviewer.get(work)
        assert page.status_code == 200, page.text
        settings = reviewer.post(  # "²" is a digit to str.isdigit, not to int: refused, not a 500
            f"{work}/settings",
            data={**hidden_fields_of(page.text, f"{work}/publish"), "working_days": "²"},
            headers={"Origin": own_origin(reviewer)},
        )
        assert settings.status_code == 422, settings.text
        published = reviewer.post(
            f"{work}/publish",
            data={**hidden_fields_of(page.text, f"{work}/publish"), "category": "", "reason": "公示"},
            headers={"Origin": own_origin(reviewer)},
        )
        assert published.status_code == 303, published.text
        dashboard = reviewer.get(f"/ui/campaigns/{campaign.id}")
        assert 'data-testid="publicity-figures"' in dashboard.text
        assert "拟表彰 2 个" in dashboard.text
        ranking = reviewer.get(f"/ui/organise/campaigns/{campaign.id}")
        assert 'data-testid="publicity-link"' in ranking.text

        public = server.client(None)
        listed = public.get(f"/public/campaigns/{campaign.id}/publicity")
        assert listed.status_code == 200, listed.text
        assert names[90] in listed.text and names[80] in listed.text and names[70] not in listed.text
        assert "2022-11-23 00:00" in listed.text  # the period's end, in the campaign's zone
        for personal in ("score", "person_id", "peng-zhen"):
            assert personal not in listed.text
        # the policy applies no inline style: the honeypot is hidden by the stylesheet's .hp
        assert INLINE_CODE.findall(listed.text) == []
        assert '<div aria-hidden="true" class="hp">' in listed.text
        assert ".hp {" in public.get("/static/pages/pages.css").text

        action = f"/public/campaigns/{campaign.id}/objections"
        fields = hidden_fields_of(listed.text, action)
        body = {
            **fields,
            "nomination_id": ids[90],
            "text": "该站点台账造假",
            "contact": "王先生 13800000000",
        }
        origin = {"Origin": own_origin(public)}
        too_fast = public.post(action, data=body, headers=origin)
        assert too_fast.status_code == 422 and "提交过快" in too_fast.text
        trap = public.post(action, data={**body, "website": "http://spam"}, headers=origin)
        assert trap.status_code == 422
        elsewhere = public.post(action, data=body, headers={"Origin": "https://evil.example"})
        assert elsewhere.status_code == 403

        secret = form_secret(server.services)
        body["form_token"] = issue_form_token(
            secret, campaign.id, client_digest(secret, "127.0.0.1"), now=time.time() - 30
        )
        pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        files = {"evidence": ("台账照片.pdf", pdf, "application/pdf")}
        lodged = public.post(action, data=body, files=files, headers=origin)
        assert lodged.status_code == 303, lodged.text
        receipt_page = public.get(lodged.headers["location"])
        assert receipt_page.status_code == 200 and "待处理" in receipt_page.text
        assert "2022-11-15" in receipt_page.text  # lodged, in the campaign's zone
        assert "王先生" not in receipt_page.text and "台账造假" not in receipt_page.text
        assert public.get("/public/objections/99-AAAA-AAAA").status_code == 404

        queue = reviewer.get(work)
        assert "王先生 13800000000" in queue.text and "台账造假" in queue.text
        assert 'data-testid="objection-evidence"' in queue.text
        receipt = lodged.headers["location"].rsplit("/", 1)[1]
        assert reviewer.get(f"/v1/objections/{receipt}/evidence").content == pdf  # the session's
        decide = f"/ui/organise/campaigns/{campaign.id}/objections/{receipt}/decide"
        decided = reviewer.post(
            decide,
            data={
                **hidden_fields_of(queue.text, decide),
                "outcome": "uphold",
                "findings": "经核实台账不实",
            },
            headers={"Origin": own_origin(reviewer)},
        )
        assert decided.status_code == 303, decided.text
        assert world.state(ids[90]) == "not_commended"
        assert public.get(f"/public/objections/{receipt}").text.count("异议成立") >= 1
