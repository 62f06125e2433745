"""The SQLite event store keeps snapshots in an ordinary rowid table (infra/event_store.py):
in eventsourcing's WITHOUT ROWID table every lookup read whole multi-MB campaign snapshots."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from domain.application import Laurel
from infra.settings import Settings, eventsourcing_env
from tests.builders.tree import CITY, UNIT_TREE
from tests.builders.world import World

AT = datetime(2026, 10, 1, tzinfo=UTC)


def snapshots_table_sql(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT sql FROM sqlite_master WHERE name = 'stored_snapshots'").fetchone()[
            0
        ]


def app_with_a_snapshotted_unit(path, *, interval: int) -> Laurel:
    class Snapshotting(Laurel):
        name = "Laurel"
        snapshotting_intervals = {**Laurel.snapshotting_intervals}  # noqa: RUF012

    from domain.units import Unit

    Snapshotting.snapshotting_intervals[Unit] = interval
    app = Snapshotting(env=eventsourcing_env(Settings(database_url=f"sqlite:///{path}")))
    World(app).register(UNIT_TREE[:2], at=AT)  # the city at version 2 (its county registered)
    return app


def test_snapshots_table_of_a_new_sqlite_store_has_rowids(tmp_path):
    app = Laurel(env=eventsourcing_env(Settings(database_url=f"sqlite:///{tmp_path / 'new.sqlite3'}")))
    app.close()
    assert "WITHOUT ROWID" not in snapshots_table_sql(tmp_path / "new.sqlite3").upper()


def test_without_rowid_snapshots_table_is_converted_keeping_its_snapshots(tmp_path):
    path = tmp_path / "old.sqlite3"
    app_with_a_snapshotted_unit(path, interval=2).close()
    with sqlite3.connect(path) as conn:  # back to the table as eventsourcing.sqlite creates it
        conn.execute("ALTER TABLE stored_snapshots RENAME TO kept")
        conn.execute(
            "CREATE TABLE stored_snapshots "
            "(originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version)) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO stored_snapshots SELECT * FROM kept")
        conn.execute("DROP TABLE kept")
        assert conn.execute("SELECT count(*) FROM stored_snapshots").fetchone()[0] == 1

    reopened = Laurel(env=eventsourcing_env(Settings(database_url=f"sqlite:///{path}")))
    try:
        assert "WITHOUT ROWID" not in snapshots_table_sql(path).upper()
        assert reopened.snapshots is not None
        assert [s.originator_version for s in reopened.snapshots.get(reopened.get_unit(CITY).id)] == [2]
        assert reopened.get_unit(CITY).version == 2
    finally:
        reopened.close()
