"""Laurel's services composed the way the processes compose them (``infra.bootstrap``), over a
database URL, and closed afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from infra.bootstrap import Services, bootstrap
from infra.settings import Settings


@contextmanager
def running_services(
    database_url: str, clock: Callable[[], datetime] | None = None, **settings: Any
) -> Iterator[Services]:
    """``settings``: further ``Settings`` fields; ``clock``: the application's clock."""
    kwargs = {"clock": clock} if clock else {}
    services = bootstrap(Settings(database_url=database_url, **settings), configure_logs=False, **kwargs)
    try:
        yield services
    finally:
        services.close()
