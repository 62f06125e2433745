"""The children of a `laurel up` supervisor, by the part they play."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

PARTS = ("worker", "projections", "webhooks", "api")


def children(parent: int) -> dict[str, int]:
    """part -> pid (``temporal`` for the dev server; ``pid:<n>`` for anything else)."""
    rows = subprocess.run(["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True).stdout.splitlines()[1:]
    found: dict[str, int] = {}
    for row in rows:
        pid, ppid, args = (row.split(None, 2) + [""])[:3]
        if int(ppid) != parent:
            continue
        name = next((p for p in PARTS if f"api.cli {p}" in args), "temporal" if "start-dev" in args else f"pid:{pid}")
        found[name] = int(pid)
    return found


def wait_for(condition: Callable[[], bool], timeout: float = 90.0, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except Exception:  # noqa: BLE001 - e.g. the API not answering yet
            pass
        time.sleep(step)
    return False
