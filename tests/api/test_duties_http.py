"""Duties over HTTP (issue 21, item 5): seed 001's county office and its townships — a
township submits its implementation rules, the county returns and accepts, criticises a
township with a rectification deadline; who may do what, and the sizes refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from domain.commands import IssueToken, SubmitDuty
from domain.duties import DutyBook
from tests.api.page_session import login, own_origin
from tests.builders.actors import ADMIN, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.clock import Clock
from tests.builders.http import problem, serve_in_process
from tests.builders.http_world import import_units, issue_token
from tests.builders.tree import AGENCY, COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, TOWNSHIP, UNIT_TREE
from tests.builders.world import World

RULES = "implementation_rules"


@BACKENDS
def test_duties_over_http(database_url):
    clock = Clock(datetime(2011, 7, 10, 2, tzinfo=UTC))  # seed 001's mobilisation, 2011
    with serve_in_process(database_url, clock) as server, server.client() as admin:
        import_units(admin, UNIT_TREE)
        created = admin.post(
            "/v1/campaigns",
            json={"template": "double-strengthen", "organiser_unit_id": COUNTY, "year": 2011},
        )
        assert created.status_code == 201, created.text
        cid = created.json()["id"]
        declarer = server.client(issue_token(admin, "declarer", TOWNSHIP))
        other = server.client(issue_token(admin, "declarer", OTHER_TOWNSHIP))
        reviewer = server.client(issue_token(admin, "reviewer", COUNTY))
        stranger = server.client(issue_token(admin, "reviewer", OTHER_COUNTY))
        base = f"/v1/campaigns/{cid}/duties"

        # what the township owes, as it sees it: its own duties only
        mine = declarer.get(base)
        assert mine.status_code == 200, mine.text
        assert {d["unit_id"] for d in mine.json()["duties"]} == {TOWNSHIP}
        assert {d["duty"] for d in mine.json()["duties"]} >= {RULES, "self_check_report", "work_summary"}
        board = reviewer.get(base, params={"duty_state": "ignored"}).json()
        assert {u["unit_id"] for u in board["units"]} == {COUNTY, TOWNSHIP, OTHER_TOWNSHIP, AGENCY}

        submission = {"title": "彭镇实施细则", "body": "一、目标任务\n二、步骤安排\n三、保障措施"}
        submitted = declarer.post(f"{base}/{RULES}/{TOWNSHIP}/submission", json=submission)
        assert submitted.status_code == 201, submitted.text
        assert submitted.json()["state"] == "submitted"
        key = {"Idempotency-Key": "rules-1"}
        first = other.post(f"{base}/{RULES}/{OTHER_TOWNSHIP}/submission", json=submission, headers=key)
        again = other.post(f"{base}/{RULES}/{OTHER_TOWNSHIP}/submission", json=submission, headers=key)
        assert (first.status_code, again.status_code) == (201, 200)

        # refusals: another township, a reviewer of another county, a declarer reviewing
        problem(other.post(f"{base}/{RULES}/{TOWNSHIP}/submission", json=submission), 403)
        problem(stranger.post(f"{base}/{RULES}/{TOWNSHIP}/acceptance", json={}), 403)
        problem(declarer.post(f"{base}/{RULES}/{TOWNSHIP}/acceptance", json={}), 403, "role-not-allowed")
        problem(stranger.get(base), 403)
        problem(other.get(f"{base}/{RULES}/{TOWNSHIP}"), 403)
        problem(
            declarer.post(f"{base}/no_such/{TOWNSHIP}/submission", json=submission),
            404,
            "duty-not-found",
        )

        returned = reviewer.post(
            f"{base}/{RULES}/{TOWNSHIP}/return", json={"reason": "缺少保障措施细节"}
        )
        assert returned.json()["state"] == "returned", returned.text
        clock.now = datetime(2011, 7, 25, 2, tzinfo=UTC)  # after the 20 July deadline
        late = declarer.post(
            f"{base}/{RULES}/{TOWNSHIP}/submission", json=dict(submission, body="修改稿")
        )
        assert late.json()["state"] == "late" and late.json()["late"] is True
        problem(
            declarer.post(f"{base}/{RULES}/{TOWNSHIP}/submission", json=dict(submission, body="第三稿")),
            409,
            "duty-transition-refused",
        )
        accepted = reviewer.post(f"{base}/{RULES}/{TOWNSHIP}/acceptance", json={"note": "同意"})
        assert accepted.json()["state"] == "accepted"
        detail = declarer.get(f"{base}/{RULES}/{TOWNSHIP}").json()
        assert detail["body"] == "修改稿"
        assert [h["event"] for h in detail["history"]] == [
            "submitted",
            "returned",
            "submitted",
            "accepted",
        ]

        # size limits, named per field
        too_long = declarer.post(
            f"{base}/self_check_report/{TOWNSHIP}/submission",
            json={"title": "自查报告", "body": "字" * 100_001},
        )
        body = problem(too_long, 422)
        assert [f["field"] for f in body["failures"]] == ["body"]
        blank = problem(
            declarer.post(
                f"{base}/self_check_report/{TOWNSHIP}/submission", json={"title": "t", "body": " "}
            ),
            422,
            "duty-invalid",
        )
        assert blank["failures"][0]["field"] == "body" and blank["failures"][0]["message_zh"]

        # a spot check and a circular of criticism with a 限期整改 deadline
        clock.now = datetime(2011, 11, 2, 2, tzinfo=UTC)  # tokens live 90 days: new ones
        for client in (declarer, other, reviewer, stranger):
            client.close()
        stranger = server.client(issue_token(admin, "reviewer", OTHER_COUNTY))
        declarer = server.client(issue_token(admin, "declarer", TOWNSHIP))
        other = server.client(issue_token(admin, "declarer", OTHER_TOWNSHIP))
        reviewer = server.client(issue_token(admin, "reviewer", COUNTY))
        check = reviewer.post(
            f"{base}/supervision_checks/spot-checks",
            json={
                "unit_id": OTHER_TOWNSHIP,
                "method": "phone",
                "checked_on": "2011-11-01",
                "checker": "李华",
                "findings": "站点无人值守，活动记录缺失。",
            },
        )
        assert check.status_code == 201, check.text
        problem(
            declarer.post(
                f"{base}/supervision_checks/spot-checks",
                json={
                    "unit_id": TOWNSHIP,
                    "method": "phone",
                    "checked_on": "2011-11-01",
                    "checker": "我",
                    "findings": "好",
                },
            ),
            403,
        )
        circular = reviewer.post(
            f"{base}/supervision_circular/circulars",
            json={
                "kind": "criticism",
                "title": "关于棋盘镇活动开展不积极的通报",
                "body": "图形式、走过场，限期整改。",
                "unit_id": OTHER_TOWNSHIP,
                "rectify_by": "2011-11-30T16:00:00Z",
            },
        )
        assert circular.status_code == 201, circular.text
        code = circular.json()["circular"]["rectification"]
        assert code == "supervision_circular.1"
        owed = other.get(base, params={"unit_id": OTHER_TOWNSHIP}).json()["duties"]
        rectification = next(d for d in owed if d["duty"] == code)
        assert rectification["kind"] == "rectification" and rectification["state"] == "due"
        report = other.post(
            f"{base}/{code}/{OTHER_TOWNSHIP}/submission", json={"title": "整改报告", "body": "已整改。"}
        )
        assert report.json()["state"] == "submitted", report.text
        assert (
            reviewer.post(f"{base}/{code}/{OTHER_TOWNSHIP}/acceptance", json={}).json()["state"]
            == "accepted"
        )
        missing = problem(
            reviewer.post(
                f"{base}/supervision_circular/circulars",
                json={"kind": "criticism", "title": "通报", "body": "x"},
            ),
            422,
            "duty-invalid",
        )
        assert {f["field"] for f in missing["failures"]} == {"unit_id", "rectify_by"}
        summary = {u["unit_id"]: u for u in reviewer.get(base).json()["units"]}
        states = summary[OTHER_TOWNSHIP]["states"]
        assert (states["accepted"], states["submitted"], states["due"]) == (1, 1, 4)
        # the duty board (the read model): per unit, what it owes and in which state
        board = reviewer.get(f"{base}/board")
        assert board.status_code == 200, board.text
        units = {u["unit_id"]: u for u in board.json()["units"]}
        assert units[TOWNSHIP]["states"]["accepted"] == 1 and units[TOWNSHIP]["late"] == 1
        assert units[OTHER_TOWNSHIP]["states"] == states
        assert units[COUNTY]["states"]["accepted"] == 2  # its spot check and its circular
        rectified = next(d for d in units[OTHER_TOWNSHIP]["duties"] if d["duty"] == code)
        assert rectified["kind"] == "rectification" and rectified["due_at"].startswith(
            "2011-11-30T16:00"
        )
        own = other.get(f"{base}/board").json()["units"]
        assert [u["unit_id"] for u in own] == [OTHER_TOWNSHIP]
        problem(stranger.get(f"{base}/board"), 403)
        # the read model rebuilt from the log is the live one
        assert server.services.views.rebuild_and_compare(["duties"]) == []
        for client in (declarer, other, reviewer, stranger):
            client.close()


def test_anonymous_is_refused(database_url):
    with serve_in_process(database_url) as server:
        anonymous: httpx.Client = server.client(None)
        response = anonymous.get("/v1/campaigns/00000000-0000-0000-0000-000000000000/duties")
        assert response.status_code == 401


# --- the pages ---------------------------------------------------------------------------------


def _form_inputs(html: str, testid: str) -> dict[str, str]:
    form = re.search(rf'<form [^>]*data-testid="{testid}"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, f"no form {testid}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


@contextmanager
def _signed_in(server, token: str) -> Iterator[httpx.Client]:
    with server.client(None) as client:
        assert login(client, token).status_code == 303
        yield client


def _post(client: httpx.Client, path: str, data: dict[str, object]) -> httpx.Response:
    return client.post(path, data=data, headers={"Origin": own_origin(client)})


def test_the_duty_pages_submit_return_accept_and_criticise(tmp_path, monkeypatch):
    clock = Clock(datetime(2011, 7, 10, 2, tzinfo=UTC))
    with serve_in_process(f"sqlite:///{tmp_path / 'laurel.sqlite3'}", clock) as server:
        app = server.services.app
        told: list[str] = []  # the campaigns whose workflow was told of a new duty deadline

        async def deadline_extended(campaign_id: str) -> None:
            told.append(campaign_id)

        monkeypatch.setattr(server.services.scheduler, "deadline_extended", deadline_extended)
        world = World(app)
        world.register(UNIT_TREE)
        campaign = world.campaign("double-strengthen", COUNTY, at=clock.now)
        organiser = app.execute(IssueToken(role="reviewer", unit_id=COUNTY, label="县远程办"), ADMIN)[
            "token"
        ]
        township = app.execute(IssueToken(role="declarer", unit_id=TOWNSHIP, label="彭镇"), ADMIN)[
            "token"
        ]
        item = f"/ui/duties/{campaign.id}/{RULES}/{TOWNSHIP}"
        with _signed_in(server, township) as browser:
            home = browser.get("/ui/declare").text
            assert f'href="/ui/duties/{campaign.id}"' in home
            page = browser.get(f"/ui/duties/{campaign.id}")
            assert page.status_code == 200 and 'data-testid="duty-row"' in page.text
            assert f'data-unit="{OTHER_TOWNSHIP}"' not in page.text  # its own duties only
            fields = _form_inputs(browser.get(item).text, "submit-form")
            blank = _post(browser, f"{item}/submit", {**fields, "title": "实施细则", "body": " "})
            assert blank.status_code == 422 and 'data-field="body"' in blank.text
            fields = _form_inputs(blank.text, "submit-form")
            done = _post(browser, f"{item}/submit", {**fields, "title": "实施细则", "body": "第一稿"})
            assert done.status_code == 303
            assert "已提交。" in browser.get(done.headers["location"]).text
            assert (
                _post(
                    browser, f"{item}/submit", {**fields, "title": "实施细则", "body": "第一稿"}
                ).status_code
                == 303
            )
            assert browser.get(f"{item}/accept").status_code in (404, 405)
            # the campaign's dashboard shows the duties per unit (its own unit's, to a declarer)
            board = browser.get(f"/ui/campaigns/{campaign.id}").text
            assert 'data-testid="dashboard-duties"' in board and f'data-unit="{TOWNSHIP}"' in board
            assert f'<tr data-unit="{OTHER_TOWNSHIP}">' not in board
        with _signed_in(server, organiser) as browser:
            assert f'href="/ui/duties/{campaign.id}"' in browser.get("/ui/organise").text
            page = browser.get(item).text
            returned = _post(
                browser,
                f"{item}/return",
                {**_form_inputs(page, "return-form"), "reason": "请补充保障措施"},
            )
            assert returned.status_code == 303
            assert told == []  # no new deadline: nothing to tell the workflow
        with _signed_in(server, township) as browser:
            fields = _form_inputs(browser.get(item).text, "submit-form")
            assert (
                _post(
                    browser, f"{item}/submit", {**fields, "title": "实施细则", "body": "第二稿"}
                ).status_code
                == 303
            )
        with _signed_in(server, organiser) as browser:
            page = browser.get(item).text
            assert "第二稿" in page
            accepted = _post(
                browser, f"{item}/accept", {**_form_inputs(page, "accept-form"), "note": "同意"}
            )
            assert accepted.status_code == 303
            history = browser.get(item).text
            assert history.count('data-event="submitted"') == 2 and 'data-event="accepted"' in history
            # a 通报批评 with a 限期整改 deadline, from the campaign's page
            clock.now = datetime(2011, 10, 2, 2, tzinfo=UTC)  # the consolidation; tokens live 90 days
            page = browser.get(f"/ui/duties/{campaign.id}").text
            circular = f"/ui/duties/{campaign.id}/supervision_circular/circular"
            fields = _form_inputs(page, "circular-form")
            refused = _post(
                browser, circular, {**fields, "kind": "criticism", "title": "通报", "body": "走过场"}
            )
            assert refused.status_code == 422 and 'data-field="rectify_by"' in refused.text
            assert told == []  # refused: nothing recorded, nothing told
            issued = _post(
                browser,
                circular,
                {
                    **_form_inputs(refused.text, "circular-form"),
                    "kind": "criticism",
                    "title": "关于棋盘镇的通报",
                    "body": "走过场，限期整改。",
                    "unit_id": OTHER_TOWNSHIP,
                    "rectify_by": "2011-10-30T18:00",
                },
            )
            assert issued.status_code == 303, issued.text
            assert told == [campaign.id]  # the 限期整改 deadline reaches the workflow
            listing = browser.get(f"/ui/duties/{campaign.id}").text
            assert 'data-duty="supervision_circular.1"' in listing
            # a return with a new deadline (重新提交期限) is told the workflow too
            rectification = f"/ui/duties/{campaign.id}/supervision_circular.1/{OTHER_TOWNSHIP}"
            app.execute(
                SubmitDuty(
                    campaign_id=campaign.id,
                    duty="supervision_circular.1",
                    unit_id=OTHER_TOWNSHIP,
                    title="整改报告",
                    body="已整改。",
                ),
                declarer_of(OTHER_TOWNSHIP),
                at=clock.now,
            )
            page = browser.get(rectification).text
            returned = _post(
                browser,
                f"{rectification}/return",
                {
                    **_form_inputs(page, "return-form"),
                    "reason": "整改不到位",
                    "resubmit_by": "2011-11-10T18:00",
                },
            )
            assert returned.status_code == 303, returned.text
            assert told == [campaign.id, campaign.id]
            # a spot check naming no unit: a 422 naming the field, not a 404
            checks = f"/ui/duties/{campaign.id}/supervision_checks/spot-check"
            unnamed = _post(
                browser,
                checks,
                {
                    **_form_inputs(listing, "spot-check-form"),
                    "unit_id": "",
                    "method": "phone",
                    "checked_on": "2011-10-01",
                    "checker": "王明",
                    "findings": "电话无人接听。",
                },
            )
            assert unnamed.status_code == 422 and 'data-field="unit_id"' in unnamed.text
        owed = {
            (o.item.code, o.item.unit_id): o
            for o in DutyBook(app.load, app.queries, app.get_campaign(campaign.id)).all()
        }
        assert owed[(RULES, TOWNSHIP)].state == "accepted"
        rectification_owed = owed[("supervision_circular.1", OTHER_TOWNSHIP)]
        assert rectification_owed.duty is not None
        assert rectification_owed.duty.origin["rectify_by"] == "2011-10-30T10:00:00+00:00"
        # returned with a new deadline: the rectification is due then
        assert rectification_owed.state == "returned"
        assert rectification_owed.due_at == datetime(2011, 11, 10, 10, tzinfo=UTC)
