"""Session-wide fixtures (the Laurel home folder, the event store per backend) and the ``slow``
marker put on what needs processes, a real server, Temporal, a browser or PostgreSQL, so that
``scripts/test -m "not slow"`` runs the unit, in-process API and fast integration tests on
SQLite in under a minute; the full run adds the rest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders.backends import backend_url, postgres_problem

SLOW_FOLDERS = {"e2e", "workflows"}  # real processes and browsers; Temporal servers
SLOW_FIXTURES = {"real_server", "receiver", "browser"}  # a socket, a receiver process, Chromium


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0]
        fixtures = set(getattr(item, "fixturenames", ()))
        # a PostgreSQL variant repeats its SQLite twin on a server, a fresh schema each
        postgres = item.get_closest_marker("postgres") is not None
        if folder in SLOW_FOLDERS or SLOW_FIXTURES & fixtures or postgres:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def laurel_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """LAUREL_HOME_DIR for the whole run: what Laurel makes there (the audit signing key, an
    admin token) stays out of the checkout. Tests that start processes set their own."""
    home = tmp_path_factory.mktemp("laurel-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAUREL_HOME_DIR", str(home))
        yield home


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    problem = postgres_problem()
    if problem is None:
        return True
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{problem} (CI must test on PostgreSQL; run scripts/test to start it)")
    pytest.skip(problem)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``sqlite`` or ``postgres`` (indirect parametrisation) -> a LAUREL_DATABASE_URL."""
    with backend_url(request, getattr(request, "param", "sqlite"), tmp_path) as url:
        yield url
