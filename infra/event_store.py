"""The event stores Laurel runs on: eventsourcing's, with the roster kept by the application
recorder (``infra/roster_store.py``) and, on SQLite, the snapshots table as an ordinary (rowid)
table. ``PERSISTENCE_MODULE`` names one of the factories below (``infra.settings`` sets it):
``infra.event_store:SQLiteFactory``, ``…:PostgresFactory`` or ``…:POPOFactory`` (in memory).

eventsourcing creates ``stored_snapshots`` ``WITHOUT ROWID``: the whole row, snapshot blob
included, then lives in the primary-key b-tree, and SQLite compares a key whose cell spills
onto overflow pages by reading the *whole* cell. Every snapshot lookup (one per aggregate
rebuilt, a nomination included, though nominations have no snapshots) walks past the big
snapshots (campaigns held their nominations until the roster took them over). As a rowid
table the key lives
in a small separate index, as in ``stored_events`` (which eventsourcing already keeps rowid);
the figures are in docs/benchmarks.md.

An existing ``WITHOUT ROWID`` snapshots table is converted once, in one transaction, when the
recorder is created (snapshots are derived data: copying them keeps the rebuild shortcut)."""

from __future__ import annotations

from eventsourcing.persistence import AggregateRecorder, ApplicationRecorder, OperationalError
from eventsourcing.popo import POPOFactory as LibraryPOPOFactory
from eventsourcing.postgres import PostgresFactory as LibraryPostgresFactory
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteCursor
from eventsourcing.sqlite import SQLiteFactory as LibrarySQLiteFactory

from infra.roster_store import POPORosterRecorder, PostgresRosterRecorder, SQLiteRosterRecorder


class RowidSnapshotRecorder(SQLiteAggregateRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            (
                f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
                "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
        ]

    def create_table(self) -> None:
        try:
            super().create_table()
        except OperationalError:  # another process converted the table first: check again
            super().create_table()

    def _create_table(self, c: SQLiteCursor) -> None:
        c.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (self.events_table_name,)
        )
        row = c.fetchone()
        if row is not None and "WITHOUT ROWID" in row[0].upper():
            self._convert_to_rowid(c)
        super()._create_table(c)

    def _convert_to_rowid(self, c: SQLiteCursor) -> None:
        old = f"{self.events_table_name}_without_rowid"
        c.execute(f"ALTER TABLE {self.events_table_name} RENAME TO {old}")
        for statement in self.construct_create_table_statements():
            c.execute(statement)
        c.execute(f"INSERT INTO {self.events_table_name} SELECT * FROM {old}")
        c.execute(f"DROP TABLE {old}")


class SQLiteFactory(LibrarySQLiteFactory):
    application_recorder_class = SQLiteRosterRecorder

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose != "snapshots":
            return super().aggregate_recorder(purpose)
        recorder = RowidSnapshotRecorder(datastore=self.datastore, events_table_name="stored_snapshots")
        if self.env_create_table():
            recorder.create_table()
        return recorder


class PostgresFactory(LibraryPostgresFactory):
    application_recorder_class = PostgresRosterRecorder


class POPOFactory(LibraryPOPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return POPORosterRecorder()
