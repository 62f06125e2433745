"""No campaign without its workflow: a campaign created while Temporal is down (stopped) or
unreachable (frozen: connections open, nothing answers) is acknowledged with 201 at once;
once Temporal is back the worker's reconciler starts its workflow, and its deadlines fire —
one workflow per campaign, each phase closed exactly once, a finished workflow never
started again. A real ``laurel up`` on an external Temporal (a dev server this test starts,
stops and freezes), so the namespace and task queue come from the environment."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx
from temporalio.client import Client

from infra.temporal import binary
from tests.builders.http import free_port
from tests.builders.http_world import quick_campaign, seed_city
from tests.e2e.observe import closings, workflow_runs, workflow_status
from tests.e2e.processes import stack_logs, stack_started, start_stack, stop_stack, wait_for

TOKEN = "lrl_admin_workflow_start_test"
NAMESPACE, QUEUE = "laurel-e2e-start", "laurel-e2e-start-queue"
PHASES = ("declaration", "pre_review", "inspection", "commendation")
QUICK = dict.fromkeys(PHASES, 3)
ANSWERS_WITHIN = 15.0  # seconds: the POST does not wait on Temporal beyond its short start timeout


class DevServer:
    """A Temporal dev server on a fixed port and database file, to stop, freeze and restart."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        args = [
            binary("temporal"),
            "server",
            "start-dev",
            "--headless",
            "--db-filename",
            str(self.home / "temporal.db"),
            "--port",
            str(self.port),
            "--ip",
            "127.0.0.1",
            "--log-level",
            "warn",
            "--namespace",
            NAMESPACE,
        ]
        with (self.home / "temporal.log").open("ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        assert wait_for(self.healthy, timeout=60), "the dev server did not come up"

    def healthy(self) -> bool:
        async def check() -> bool:
            client = await Client.connect(self.address, namespace=NAMESPACE)
            return await client.service_client.check_health()

        return asyncio.run(check())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(30)

    def freeze(self, frozen: bool) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP if frozen else signal.SIGCONT)


def _create(client: httpx.Client) -> str:
    began = time.monotonic()
    created = quick_campaign(client, lead_seconds=2, durations=QUICK)
    took = time.monotonic() - began
    assert created.status_code == 201, created.text
    assert took < ANSWERS_WITHIN, f"the POST waited {took:.1f} s on Temporal"
    cid = created.json()["id"]
    assert [c["id"] for c in client.get("/v1/campaigns").json()].count(cid) == 1
    return cid


def test_a_campaign_created_while_temporal_is_away_gets_its_workflow_once(tmp_path: Path) -> None:
    server = DevServer(tmp_path, free_port())
    server.start()
    port = free_port()
    up = start_stack(
        tmp_path,
        port,
        free_port(),
        TOKEN,
        LAUREL_TEMPORAL_ADDRESS=server.address,
        LAUREL_TEMPORAL_NAMESPACE=NAMESPACE,
        LAUREL_TEMPORAL_TASK_QUEUE=QUEUE,
        LAUREL_RECONCILE_INTERVAL="1",
    )
    admin = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60
    )
    try:
        assert wait_for(lambda: admin.get("/readyz").status_code == 200 and stack_started(tmp_path)), (
            "the stack did not come up\n" + stack_logs(tmp_path)
        )
        seed_city(admin)
        campaigns = [_create(admin)]  # Temporal up: the API starts the workflow itself

        server.stop()
        campaigns.append(_create(admin))  # Temporal stopped: connections refused
        server.start()

        server.freeze(True)
        try:
            campaigns.append(_create(admin))  # Temporal frozen: connections hang
        finally:
            server.freeze(False)

        for cid in campaigns:
            assert wait_for(lambda c=cid: set(PHASES) <= closings(admin, c).keys(), timeout=120), (
                f"{cid}: the deadlines did not fire\n" + stack_logs(tmp_path)
            )
            assert wait_for(
                lambda c=cid: workflow_status(server.address, NAMESPACE, f"campaign-{c}") == "COMPLETED",
                timeout=30,
            )
        time.sleep(3)  # three more reconciler rounds after every workflow finished
        for cid in campaigns:
            assert workflow_runs(server.address, NAMESPACE, f"campaign-{cid}") == 1, (
                f"{cid}: its workflow ran more than once"
            )
            closed = closings(admin, cid)
            assert {phase: len(closed[phase]) for phase in PHASES} == dict.fromkeys(PHASES, 1), closed
        assert len(admin.get("/v1/campaigns").json()) == len(campaigns)
    finally:
        stop_stack(up, tmp_path)
        admin.close()
        server.stop()
