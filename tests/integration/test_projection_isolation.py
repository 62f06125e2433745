"""An event a read model cannot store stops nothing else: not the other read models, not the
audit chain, not the later events of the same read model. The pair (read model, event) is
recorded in ``v_projection_failures`` and every read keeps answering.

The events are written beneath the API's and ``run()``'s checks (the application's ``save``,
or the recorder itself), as events already in a log before those checks existed."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from domain.commands import ClosePhase, Commend, Inspect, OpenPhase, PreReview, RegisterUnit
from domain.nominations import Nomination
from domain.values import Nominee
from projections.runner import Runner
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import serve_in_process
from tests.builders.material import material_of
from tests.builders.tree import COUNTY, TOWNSHIP, VILLAGE
from tests.builders.world import World

pytestmark = BACKENDS
LATER = FIVE_GOOD_2022.commendation + timedelta(days=5)
NUL_NAME = "前双村\x00站点"


def smuggled_declaration(app: Any, campaign_id: str, town: str, village: str, name: str) -> str:
    """A declaration saved straight through the application, as ``declare`` would save it."""
    campaign = app.get_campaign(campaign_id)
    nominee = Nominee(kind="site", unit_id=village, name=name, level=app.get_unit(village).level)
    actor = declarer_of(town)
    nomination = Nomination.declare(
        campaign.id,
        "five_good_site",
        town,
        nominee,
        {},
        material_of(),
        actor,
        FIVE_GOOD_2022.declaration,
    )
    app.save(nomination)
    return str(nomination.id)


def orphan_pre_review(app: Any) -> Any:
    """A pre-review of a nomination whose declaration is not in the log (written with the
    library's recorder): the campaign board has no row to move."""
    nomination = Nomination.declare(
        uuid4(),
        "five_good_site",
        TOWNSHIP,
        Nominee("site", VILLAGE, "孤儿站点"),
        {},
        material_of(),
        declarer_of(TOWNSHIP),
        FIVE_GOOD_2022.declaration,
    )
    nomination.trigger_event(
        Nomination.PreReviewed,
        timestamp=FIVE_GOOD_2022.pre_review,
        decision="admit",
        reasons=[],
        checks={},
        actor=CITY_REVIEWER,
    )
    _declared, reviewed = nomination.collect_events()
    app.recorder.insert_events([app.mapper.to_stored_event(reviewed)])
    return reviewed


def commended_campaign(app: Any, smuggle: Any) -> dict[str, Any]:
    """Sites declared before and after the smuggled event, the later one carried to a title."""
    world = World(app)
    city = world.city(townships=1, villages=4)
    villages = city.villages[TOWNSHIP]
    campaign = world.campaign()
    campaign_id = campaign.id
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="declaration"), ADMIN, at=FIVE_GOOD_2022.declaration
    )
    before = world.declare(campaign, declaring_unit=TOWNSHIP, unit=villages[0])
    smuggled = smuggle(app, campaign_id, villages)
    after = world.declare(
        campaign,
        declaring_unit=TOWNSHIP,
        unit=villages[2],
        at=FIVE_GOOD_2022.declaration + timedelta(hours=1),
    )
    for nid in (smuggled, after):
        if nid is not None:
            app.execute(
                PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
                CITY_REVIEWER,
                at=FIVE_GOOD_2022.pre_review,
            )
    app.execute(
        Inspect(
            nomination_id=after,
            methods=["document_review", "site_visit"],
            scores=site_scores(92),
            checklist=SITE_CHECKLIST,
            verdict="pass",
        ),
        CITY_INSPECTOR,
        at=FIVE_GOOD_2022.inspection,
    )
    app.execute(
        ClosePhase(campaign_id=campaign_id, phase="inspection"),
        ADMIN,
        at=FIVE_GOOD_2022.inspection + timedelta(days=14),
    )
    app.execute(
        Commend(campaign_id=campaign_id, category="five_good_site", nomination_ids=[after]),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    return {"campaign_id": campaign_id, "before": before, "smuggled": smuggled, "after": after}


def every_read_answers(server: Any, script: dict[str, Any]) -> None:
    client, campaign_id, after = server.client(), script["campaign_id"], script["after"]
    total = server.services.views.store.max_notification_id()

    board = client.get(f"/v1/campaigns/{campaign_id}/dashboard")
    assert board.status_code == 200, board.text
    site = next(c for c in board.json()["categories"] if c["code"] == "five_good_site")
    assert (
        site["states"]["commended"] == 1 and site["commended"] == 1
    )  # the events after the bad one are projected
    ranking = client.get(f"/v1/campaigns/{campaign_id}/ranking", params={"category": "five_good_site"})
    assert ranking.status_code == 200 and [e["id"] for e in ranking.json()["entries"]] == [after], (
        ranking.text
    )
    titles = client.get("/v1/titles", params={"campaign_id": campaign_id})
    assert titles.status_code == 200 and [t["nomination_id"] for t in titles.json()["items"]] == [
        after
    ], titles.text
    page = client.get(f"/ui/campaigns/{campaign_id}")
    assert page.status_code == 200, page.text

    events = client.get("/v1/audit/events", params={"limit": 1000})
    assert events.status_code == 200, events.text
    assert [e["position"] for e in events.json()["items"]] == list(
        range(1, total + 1)
    )  # the audit chain gave every event its place
    verified = client.get("/v1/audit/verify")
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    exported = client.get("/v1/audit/export")
    assert exported.status_code == 200 and len(exported.text.splitlines()) == total, exported.text[:500]


def test_a_nominee_name_a_view_cannot_store_stops_no_read_and_no_later_event(
    database_url: str, tmp_path: Path
) -> None:
    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        app = server.services.app
        script = commended_campaign(
            app,
            lambda app, cid, villages: smuggled_declaration(app, cid, TOWNSHIP, villages[1], NUL_NAME),
        )

        every_read_answers(server, script)

        views = server.services.views
        failures = views.failures()
        if (
            views.store.postgres
        ):  # PostgreSQL's text cannot hold NUL: both views holding the name quarantine the declaration
            declared = views.audit.of_subject(script["smuggled"])[1][0]
            notification_id = views.audit_entries(after=declared - 1, limit=1)[0].notification_id
            quarantined = {(f["projection"], f["notification_id"]) for f in failures}
            assert {("campaigns", notification_id), ("titles", notification_id)} <= quarantined, failures
            first = next(
                f
                for f in failures
                if f["projection"] == "campaigns" and f["notification_id"] == notification_id
            )
            assert first["error"] == "DataError" and "NUL" in first["message"]
            assert (
                first["originator_id"] == script["smuggled"]
                and first["originator_version"] == 1
                and first["topic"].endswith("Nomination.Declared")
                and first["first_seen"]
            )
            assert (
                views.failure_counts()["campaigns"] >= 2
            )  # the declaration and the pre-review that found no row
        else:  # SQLite stores it
            assert failures == []


def test_an_event_a_handler_cannot_apply_is_quarantined_and_the_views_move_past_it(
    database_url: str, tmp_path: Path
) -> None:
    orphans: list[Any] = []

    def smuggle(app: Any, _campaign_id: str, _villages: list[str]) -> None:
        orphans.append(orphan_pre_review(app))

    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        script = commended_campaign(server.services.app, smuggle)
        every_read_answers(server, script)

        views = server.services.views
        (failure,) = views.failures()
        orphan = orphans[0]
        assert failure["projection"] == "campaigns" and failure["error"] == "AssertionError"
        assert (
            failure["originator_id"] == str(orphan.originator_id) and failure["originator_version"] == 2
        )
        assert (
            failure["topic"].endswith("Nomination.PreReviewed")
            and "was not declared" in failure["message"]
        )
        assert views.failure_counts() == {"audit": 0, "campaigns": 1, "titles": 0, "duties": 0}
        assert views.lag() == {"audit": 0, "campaigns": 0, "titles": 0, "duties": 0}

        # A rebuild meets it again, records it again and equals the live views.
        assert views.rebuild_and_compare() == []
        views.rebuild(processes=False)
        assert [(f["projection"], f["notification_id"]) for f in views.failures()] == [
            ("campaigns", failure["notification_id"])
        ]
        assert views.dashboard(script["campaign_id"])["categories"]


def test_a_database_error_is_not_blamed_on_the_event(database_url: str, tmp_path: Path) -> None:
    """An operational error (a lock, a lost connection) rolls the batch back and is raised: the
    next batch projects the same events, none is quarantined."""
    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        views = server.services.views
        World(server.services.app).city(townships=1, villages=3)
        views.runner.reset()
        board = views.runner.projections[1]
        original = board.apply
        calls = {"n": 0}

        def locked(rows: Any, event: Any, notification: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 3:
                raise sqlite3.OperationalError("database is locked")
            original(rows, event, notification)

        board.apply = locked  # type: ignore[method-assign]
        runner = Runner(views.store, views.mapper, views.runner.projections, batch_size=4)
        with pytest.raises(
            Exception, match="database is locked"
        ) as raised:  # the store's transaction re-raises it as its own OperationalError
            runner.catch_up()
        assert type(raised.value).__name__ == "OperationalError"
        runner.catch_up()
        board.apply = original  # type: ignore[method-assign]
        assert views.failures() == [] and set(views.lag().values()) == {0}
        assert views.rebuild_and_compare() == []


@pytest.mark.slow  # laurel processes
def test_the_failures_command_lists_the_quarantined_events(database_url: str, tmp_path: Path) -> None:
    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        World(server.services.app).city(townships=1, villages=2)
        orphan = orphan_pre_review(server.services.app)
        server.services.views.catch_up()
    listed = laurel(database_url, tmp_path, "projections", "failures", "--json")
    assert listed.returncode == 1, listed.stderr  # like verify: something to look at
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (
        row["projection"] == "campaigns"
        and row["originator_id"] == str(orphan.originator_id)
        and row["error"] == "AssertionError"
    )
    table = laurel(database_url, tmp_path, "projections", "failures")
    assert table.returncode == 1 and "campaigns" in table.stdout and "AssertionError" in table.stdout, (
        table.stdout + table.stderr
    )


def test_an_event_no_class_can_read_gets_its_place_in_the_chain_and_stops_nothing(
    database_url: str, tmp_path: Path
) -> None:
    """A row whose topic names no class (written straight into the store, or left by a class
    since removed): the audit chain logs it by its topic's name, the other views pass it by."""
    from eventsourcing.persistence import StoredEvent

    from infra.webhooks.messages import cloud_event

    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        app = server.services.app
        World(app).city(townships=1, villages=2)
        stray = uuid4()
        app.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=stray,
                    originator_version=1,
                    topic="domain.gone:Vanished.Happened",
                    state=b"\x00 not JSON",
                )
            ]
        )
        app.execute(
            RegisterUnit(
                code="taian-zhen",
                name="Tai'an Town",
                name_zh="太安镇",
                level="township",
                parent_id=COUNTY,
            ),
            ADMIN,
        )
        client = server.client()
        items = client.get("/v1/audit/events", params={"limit": 1000}).json()["items"]
        logged = next(e for e in items if e["subject"] == str(stray))
        assert (
            logged["type"] == "vanished.happened"
            and logged["data"] == {}
            and logged["occurred_at"] is None
        )
        assert items[-1]["type"] == "unit.child_added" and [e["position"] for e in items] == list(
            range(1, len(items) + 1)
        )
        assert client.get("/v1/audit/verify").json()["ok"] is True
        assert len(client.get("/v1/audit/export").text.splitlines()) == len(items)
        assert client.get("/v1/units/taian-zhen/rollup").status_code == 200
        entry = next(
            e for e in server.services.views.audit_entries(limit=1000) if e.subject == str(stray)
        )
        assert "time" not in cloud_event(entry, "urn:laurel")
        assert server.services.views.failures() == []


def test_a_dashboard_as_of_an_instant_passes_over_an_event_the_board_cannot_apply(
    database_url: str, tmp_path: Path
) -> None:
    from domain.campaigns import Campaign

    with serve_in_process(database_url, lambda: LATER, home_dir=tmp_path) as server:
        app, views = server.services.app, server.services.views
        world = World(app)
        city = world.city(townships=1, villages=2)
        campaign = world.campaign()
        campaign_id = campaign.id
        campaign = app.get_campaign(campaign_id)
        unknown = Campaign.PhaseOpened(
            originator_id=campaign.id,
            originator_version=campaign.version + 1,
            timestamp=FIVE_GOOD_2022.declaration,
            phase="no-such-phase",
            actor=ADMIN,
        )
        app.recorder.insert_events(
            [app.mapper.to_stored_event(unknown)]
        )  # the aggregate could not replay it; the views must
        declared = Nomination.declare(
            campaign.id,
            "five_good_site",
            TOWNSHIP,
            Nominee("site", city.villages[TOWNSHIP][0], "前双村站点", level="village"),
            {},
            material_of(),
            declarer_of(TOWNSHIP),
            FIVE_GOOD_2022.declaration,
        )
        app.save(declared)
        then = views.dashboard(campaign_id, as_of=FIVE_GOOD_2022.declaration + timedelta(hours=1))
        now = views.dashboard(campaign_id)
        assert then is not None and now is not None
        assert (
            next(c for c in then["categories"] if c["code"] == "five_good_site")["states"]["declared"]
            == 1
            == next(c for c in now["categories"] if c["code"] == "five_good_site")["states"]["declared"]
        )
        assert [(f["projection"], f["error"]) for f in views.failures()] == [
            ("campaigns", "StopIteration")
        ]
