"""The children of a `laurel up` supervisor, by the part they play."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PARTS = ("worker", "projections", "webhooks", "notify", "api")


def children(parent: int) -> dict[str, int]:
    """part -> pid (``temporal`` for the dev server; ``pid:<n>`` for anything else)."""
    rows = subprocess.run(
        ["ps", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True
    ).stdout.splitlines()[1:]
    found: dict[str, int] = {}
    for row in rows:
        pid, ppid, args = [*row.split(None, 2), ""][:3]
        if int(ppid) != parent:
            continue
        name = next(
            (p for p in PARTS if f"cli {p}" in args), "temporal" if "start-dev" in args else f"pid:{pid}"
        )
        found[name] = int(pid)
    return found


def wait_for(condition: Callable[[], bool], timeout: float = 90.0, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # e.g. the API not answering yet
            if condition():
                return True
        time.sleep(step)
    return False


def stack_env(tmp_path: Path, dev_port: int, token: str, **extra: str) -> dict[str, str]:
    """The environment of a ``laurel up`` in ``tmp_path``: the embedded SQLite store, the
    dev-server port asked for, and ``extra`` (``LAUREL_*`` names) on top."""
    env = dict(
        os.environ,
        LAUREL_HOME_DIR=str(tmp_path / ".laurel"),
        LAUREL_TEMPORAL_DEV_PORT=str(dev_port),
        LAUREL_ADMIN_TOKEN=token,
    )
    for name in (
        "LAUREL_DATABASE_URL",
        "LAUREL_TEMPORAL_ADDRESS",
        "LAUREL_TEMPORAL_NAMESPACE",
        "LAUREL_TEMPORAL_TASK_QUEUE",
    ):
        env.pop(name, None)
    return {**env, **extra}


def start_stack(
    tmp_path: Path, port: int, dev_port: int, token: str, **extra: str
) -> subprocess.Popen[str]:
    """``laurel up`` in ``tmp_path`` on the embedded SQLite store and its own dev-server port;
    what the supervisor prints goes to ``tmp_path/up.log`` (a file, never a pipe that could fill)."""
    with (tmp_path / "up.log").open("w") as out:
        return subprocess.Popen(
            up_command(port),
            env=stack_env(tmp_path, dev_port, token, **extra),
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def up_command(port: int) -> list[str]:
    return [sys.executable, "-m", "cli", "up", "--port", str(port)]


def recorded_stack(tmp_path: Path) -> dict[str, Any]:
    """What the running ``laurel up`` in ``tmp_path`` recorded it chose (``.laurel/stack.json``)."""
    return json.loads((tmp_path / ".laurel" / "stack.json").read_text())


def stack_started(tmp_path: Path) -> bool:
    """The supervisor has seen every part ready (it prints the admin token only then). Until
    it has, a part that dies counts as a failed start and stops the stack, so a test that
    kills a part must wait for this, not just for the API to answer."""
    log = tmp_path / "up.log"
    return log.exists() and "admin token" in log.read_text(errors="replace")


def stop_stack(up: subprocess.Popen[str], tmp_path: Path) -> str:
    """SIGTERM, wait, and what the supervisor printed."""
    up.terminate()
    up.wait(60)
    return (tmp_path / "up.log").read_text()


def stack_logs(tmp_path: Path, lines: int = 15) -> str:
    """The supervisor's output and the tail of each part's log, for an assertion's message."""
    parts = [
        ("up", tmp_path / "up.log"),
        *((f.stem, f) for f in sorted((tmp_path / ".laurel" / "logs").glob("*.log"))),
    ]
    return "\n".join(
        f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        for name, path in parts
        if path.exists()
    )
