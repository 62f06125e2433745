"""A real HTTP server over chosen ``Settings`` (a home folder of the test's own, so the audit
signing key and the checkpoints' interval are the test's): uvicorn in a thread, as
``tests/api/conftest.running_server`` runs it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import uvicorn

from api.app import create_app
from infra.bootstrap import bootstrap
from infra.settings import Settings
from tests.api.conftest import ADMIN_TOKEN, Server, free_port


def settings_for(database_url: str, home: Path, **extra: object) -> Settings:
    return Settings(database_url=database_url, admin_token=ADMIN_TOKEN, home_dir=home, **extra)


@contextmanager
def serving(settings: Settings, clock: Callable[[], datetime] | None = None) -> Iterator[Server]:
    kwargs = {"clock": clock} if clock else {}
    services = bootstrap(settings, configure_logs=False, **kwargs)
    server = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{server.config.port}", services)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()
