"""Read models on both stores: after a scripted campaign they agree with the aggregates and with
a rebuild from position zero; a crashed batch is neither skipped nor counted twice; the audit
chain is clean until a stored event is altered, and then names its position."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.commands import (
    RegisterUnit,
)
from projections.audit import LOG, chain
from projections.runner import Runner
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.scripted import LATER, scripted_campaign
from tests.builders.services import running_services
from tests.builders.tree import COUNTY, TOWNSHIP
from tests.builders.world import World

pytestmark = BACKENDS


def test_read_models_agree_with_the_aggregates_and_with_a_rebuild(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        script = scripted_campaign(services)
        app, views, campaign_id = services.app, services.views, script["campaign_id"]

        board = views.dashboard(campaign_id)
        site = next(c for c in board["categories"] if c["code"] == "five_good_site")
        states = {
            s: sum(
                1
                for n in app.queries.campaign_nominations(campaign_id, category="five_good_site")
                if n.state == s
            )
            for s in site["states"]
        }
        assert site["states"] == states
        assert (
            states["commended"] == 2
            and states["revoked"] == 1
            and states["lapsed"] >= 2
            and states["withdrawn"] == 1
            and states["rejected"] == 1
        )
        assert site["commended"] == 3  # quota use counts the revoked title's award
        assert site["remaining"] == site["quota"] - 3

        assert (
            views.ranking(campaign_id, "five_good_site")["entries"]
            == app.queries.ranking(campaign_id, "five_good_site")["entries"]
        )

        town = views.rollup(TOWNSHIP)
        assert town["nominations"] == 5 and town["titles_active"] == 2 and town["titles_revoked"] == 1
        assert sum(c["nominations"] for c in town["children"]) == 5
        assert views.rollup(COUNTY, campaign_id)["nominations"] == 10

        titles = views.titles(campaign_id=campaign_id)
        assert sorted(t["status"] for t in titles) == ["active", "active", "revoked"]
        assert all(t["next_reinspection_by"] for t in titles if t["status"] == "active")

        assert views.rebuild_and_compare() == []
        views.rebuild()
        assert views.rebuild_and_compare() == []
        assert views.dashboard(campaign_id) == board


def test_dashboard_as_of_an_instant_is_recomputed_from_the_log(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        script = scripted_campaign(services)
        then = services.views.dashboard(
            script["campaign_id"], as_of=FIVE_GOOD_2022.pre_review - timedelta(hours=1)
        )
        site = next(c for c in then["categories"] if c["code"] == "five_good_site")
        assert (
            site["states"]["declared"] == 9
            and site["states"]["withdrawn"] == 1
            and site["commended"] == 0
        )
        assert then["current_phase"]["code"] != "commendation"
        assert (
            services.views.dashboard(
                script["campaign_id"], as_of=FIVE_GOOD_2022.declaration - timedelta(days=30)
            )
            is None
        )


def test_a_crash_inside_a_batch_neither_skips_nor_double_counts(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        script = scripted_campaign(services)
        views = services.views
        views.rebuild()  # a clean start, then a runner that dies while writing its third batch
        views.runner.reset()

        # the process dying (an event the views cannot store is another matter:
        # test_projection_isolation)
        class Crash(BaseException):
            pass

        calls = {"n": 0}
        board = views.runner.projections[1]
        original = board.apply

        def dying(rows: Any, event: Any, notification: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 25:
                raise Crash
            original(rows, event, notification)

        board.apply = dying  # type: ignore[method-assign]
        small = Runner(views.store, views.mapper, views.runner.projections, batch_size=10)
        with pytest.raises(Crash):
            small.catch_up()
        board.apply = original  # type: ignore[method-assign]
        assert 0 < small.position() < views.store.max_notification_id()
        Runner(views.store, views.mapper, views.runner.projections, batch_size=7).catch_up()
        assert views.rebuild_and_compare() == []
        assert (
            views.ranking(script["campaign_id"], "five_good_site")["entries"]
            == services.app.queries.ranking(script["campaign_id"], "five_good_site")["entries"]
        )


def test_audit_verify_is_clean_until_a_stored_event_is_altered(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        views = services.views
        clean = views.verify()
        entries = views.audit_entries(after=0, limit=10_000)
        assert (
            clean.ok
            and clean.pending == 0
            and clean.checked == len(entries)
            and clean.head == entries[-1].hash
        )
        assert [e.position for e in entries] == list(range(1, len(entries) + 1))
        assert (
            entries[-1].type == "nomination.revoked"
            and entries[-1].state == "revoked"
            and entries[-1].campaign_id
        )
        target = next(e for e in entries if e.type == "nomination.pre_reviewed")
        with views.store.transaction() as sql:
            sql.execute(
                f"UPDATE {views.store.events_table} SET state = ? "
                f"WHERE {views.store.notification_column} = ?",
                (
                    b'{"decision":"admit","reasons":[],"checks":{},"actor":{"token_id":"forged"}}',
                    target.notification_id,
                ),
            )
        broken = views.verify()
        assert not broken.ok
        assert broken.first_bad_position == target.position
        assert str(target.position) in broken.problem and broken.checked == target.position - 1


def test_two_runners_on_the_same_views_never_apply_an_event_twice(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        views = services.views
        scripted_campaign(services)
        views.runner.reset()
        first = Runner(views.store, views.mapper, views.runner.projections, batch_size=5)
        second = Runner(
            views.store, views.mapper, [type(p)() for p in views.runner.projections], batch_size=3
        )
        while first.run_batch() + second.run_batch():
            pass
        assert views.rebuild_and_compare() == []


def test_a_metrics_scrape_between_two_runners_does_not_corrupt_the_views(database_url: str) -> None:
    """The API's runner, a runner in another process, and /metrics reading the lag in between."""
    with running_services(database_url, clock=lambda: LATER) as services:
        app, views = services.app, services.views
        World(app).city(townships=1, villages=3)
        views.catch_up()
        other = Runner(views.store, views.mapper, [type(p)() for p in views.runner.projections])
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
        other.catch_up()
        assert set(views.lag().values()) == {0}
        app.execute(
            RegisterUnit(
                code="wuli-zhen", name="Wuli Town", name_zh="五里镇", level="township", parent_id=COUNTY
            ),
            ADMIN,
        )
        views.catch_up()
        result = views.verify()
        assert result.ok, result
        assert views.audit.last_position() == result.checked == len(views.audit_entries(limit=10_000))
        assert views.rebuild_and_compare() == []


def test_a_rebuild_beside_a_running_follower_loses_no_event(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        World(services.app).city(townships=2, villages=10)
        views = services.views
        rebuild = Runner(
            views.store, views.mapper, [type(p)() for p in views.runner.projections], batch_size=5
        )
        rebuild.setup()
        rebuild.reset()
        follower = Runner(
            views.store, views.mapper, [type(p)() for p in views.runner.projections], batch_size=5
        )
        follower.run_batch()  # another process projects a batch meanwhile
        rebuild.catch_up()
        result = views.verify()
        assert result.ok and result.pending == 0, result
        assert result.checked == len(views.audit_entries(limit=10_000))
        assert views.rebuild_and_compare() == []


def test_verify_names_a_stored_event_the_log_passed_over(database_url: str) -> None:
    """A log whose chain is consistent but which skipped one stored event (what two racing
    runners could once produce) fails verification at the skipped place."""
    with running_services(database_url, clock=lambda: LATER) as services:
        World(services.app).city(townships=1, villages=3)
        views = services.views
        entries = views.audit_entries(limit=10_000)
        victim = entries[5]
        later = views.store.notifications([e.notification_id for e in entries[6:]])
        with views.store.transaction() as sql:  # re-chain the log as if the victim had never been seen
            sql.execute(f"DELETE FROM {views.store.table(LOG)} WHERE position >= ?", (victim.position,))
            previous = entries[4].hash
            for offset, (entry, notification) in enumerate(zip(entries[6:], later, strict=True)):
                previous = chain(previous, victim.position + offset, notification)
                sql.execute(
                    f"INSERT INTO {views.store.table(LOG)} (position, notification_id, event_id, "
                    "type, aggregate, subject, version, occurred_at, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        victim.position + offset,
                        entry.notification_id,
                        entry.event_id,
                        entry.type,
                        entry.aggregate,
                        entry.subject,
                        entry.version,
                        "2022-01-01T00:00:00.000000Z",
                        previous,
                    ),
                )
        result = views.audit.verify()
        assert not result.ok and "no position" in result.problem, result


def _view_rows(views: Any) -> dict[str, list[dict[str, Any]]]:
    from projections.views import PROJECTIONS

    store = views.store
    return {
        t.name: store.rows(f"SELECT * FROM {store.table(t)} ORDER BY {', '.join(t.key)}")
        for p in PROJECTIONS
        for t in p.tables
    }


def test_a_rebuild_in_processes_equals_one_in_this_process(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        views = services.views
        assert views.rebuild(processes=False) == views.store.max_notification_id()
        alone = _view_rows(views)
        assert views.rebuild() == views.store.max_notification_id()  # audit | campaigns + titles
        assert _view_rows(views) == alone and alone["audit_log"]
        assert views.rebuild_and_compare() == [] and views.verify().ok


def test_a_rebuild_writing_by_copy_equals_one_writing_row_by_row(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a rebuild copies a table's rows in (new keys straight into the table, rows
    of earlier batches through the staging table's upsert); small batches make both happen."""
    import projections.rows

    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        views = services.views
        monkeypatch.setattr(projections.rows, "COPY_FROM", 10**9)
        views.rebuild(processes=False, batch_size=7)
        row_by_row = _view_rows(views)
        monkeypatch.setattr(projections.rows, "COPY_FROM", 1)
        views.rebuild(processes=False, batch_size=7)
        assert _view_rows(views) == row_by_row and row_by_row["audit_log"]
        views.catch_up()
        assert views.rebuild_and_compare() == [] and views.verify().ok


def _no_store() -> Any:
    raise RuntimeError("no store here")


def test_a_failing_rebuild_process_is_reported_not_swallowed(database_url: str) -> None:
    from projections.parallel import RebuildFailedError, groups_of, rebuild_in_processes
    from projections.views import PROJECTIONS

    with pytest.raises(RebuildFailedError, match="no store here"):
        rebuild_in_processes(_no_store, groups_of(list(PROJECTIONS)), 1000)


def _dies_silently() -> Any:
    import os

    os._exit(3)  # as SIGKILL or the OOM killer would: no last report


@pytest.mark.slow  # rebuild processes, one killed
def test_a_rebuild_process_that_dies_without_a_word_is_reported(database_url: str) -> None:
    from projections.parallel import RebuildFailedError, groups_of, rebuild_in_processes
    from projections.views import PROJECTIONS

    with pytest.raises(RebuildFailedError, match="exited with 3"):
        rebuild_in_processes(_dies_silently, groups_of(list(PROJECTIONS)), 1000)


def test_an_in_memory_store_is_rebuilt_in_this_process(database_url: str) -> None:
    with running_services("sqlite:///:memory:", clock=lambda: LATER) as services:
        campaign_id = scripted_campaign(services)["campaign_id"]
        views = services.views
        assert (
            views.opener is not None and views.rebuild() == views.store.max_notification_id() > 0
        )  # another process would see another, empty database
        assert views.dashboard(campaign_id)["categories"]


def test_the_audit_log_reads_type_and_instant_without_decoding_where_it_can(database_url: str) -> None:
    from projections.audit import AuditLog
    from projections.rows import MemoryRows

    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        store, mapper = services.views.store, services.app.mapper
        notifications = store.log(1, 100_000)
        raw, decoded, lean, full = AuditLog(), AuditLog(), MemoryRows(), MemoryRows()
        skipped = 0
        for n in notifications:
            event = None if not raw.decodes(n) else mapper.to_domain_event(n)
            skipped += event is None
            raw.apply(lean, event, n)
            decoded.apply(full, mapper.to_domain_event(n), n)
        assert skipped > len(notifications) // 3  # most events: type and instant only
        assert lean.tables == full.tables


def test_the_runners_log_read_matches_the_librarys(database_url: str) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        store = services.views.store
        ours = store.log(3, 50, stop=40)
        theirs = store.recorder.select_notifications(3, 50, stop=40)
        assert [
            (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state)) for n in ours
        ] == [
            (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state)) for n in theirs
        ]
        assert len(ours) == 38
        assert [n.id for n in store.log(3, 50)] == [
            n.id for n in store.recorder.select_notifications(3, 50)
        ]
        assert [services.app.mapper.to_domain_event(n).originator_id for n in ours] == [
            services.app.mapper.to_domain_event(n).originator_id for n in theirs
        ]


def test_a_read_model_whose_columns_changed_is_projected_again_from_zero(database_url: str) -> None:
    """An upgrade that adds a column (the audit log's ``scope``) finds the old table: the read
    model is dropped and projected again, nothing read from the old rows."""
    from projections.views import Views

    with running_services(database_url, clock=lambda: LATER) as services:
        World(services.app).city(townships=1, villages=3)
        views = services.views
        views.catch_up()
        from dataclasses import replace

        old = replace(LOG, columns=tuple(c for c in LOG.columns if c[0] != "scope"))
        with views.store.transaction() as sql:  # the audit log as the release before wrote it
            sql.execute(f"DROP TABLE {views.store.table(LOG)}")
            for statement in old.create_statements(views.store.dialect, ns=views.store.ns):
                sql.execute(statement)
        assert views.lag()["audit"] == 0  # its tracking row says it is current
        upgraded = Views(services.app)
        assert (
            upgraded.lag()["audit"] == views.store.max_notification_id()
            and upgraded.lag()["campaigns"] == 0
        )
        assert upgraded.verify().ok and upgraded.verify().checked == views.store.max_notification_id()
        assert {e.aggregate for e in upgraded.audit_entries(limit=1000)} >= {"unit"}
        assert upgraded.audit_entries(within=TOWNSHIP)  # the new column is filled
