"""Settings read from the environment: database backends and reminder offsets."""

from __future__ import annotations

import pydantic
import pytest

from infra.settings import Settings, eventsourcing_env, reminder_offset_seconds


def test_reminder_offsets_default_to_three_days_and_one_day():
    assert reminder_offset_seconds(Settings().reminder_offsets) == [259200, 86400]


def test_reminder_offsets_accept_seconds_and_durations():
    assert reminder_offset_seconds("60, PT1H") == [3600, 60]


def test_unreadable_reminder_offsets_are_a_settings_error():
    with pytest.raises(pydantic.ValidationError):
        Settings(reminder_offsets="soon")


def test_postgres_url_selects_the_postgres_recorder_with_its_schema():
    env = eventsourcing_env(
        Settings(database_url="postgresql://laurel:pw@db.example:5433/laurel?schema=s1")
    )
    assert env["PERSISTENCE_MODULE"] == "infra.event_store:PostgresFactory"
    assert (
        env["POSTGRES_HOST"],
        env["POSTGRES_PORT"],
        env["POSTGRES_DBNAME"],
        env["POSTGRES_SCHEMA"],
    ) == ("db.example", "5433", "laurel", "s1")


def test_unknown_database_scheme_is_refused():
    with pytest.raises(pydantic.ValidationError):
        Settings(database_url="mysql://x/y")
