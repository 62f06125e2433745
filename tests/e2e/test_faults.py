"""Faults under load (marked slow; CI runs it): while declarations stream in over HTTP, the API,
then the worker, then the projection runner of a real ``laurel up`` stack are killed with
SIGKILL; the supervisor restarts each. Afterwards every acknowledged command's event exists
exactly once, the read models equal a rebuild, and the campaign's timers still fired."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.builders import tree
from tests.builders.http import free_port
from tests.builders.http_world import import_units, issue_token
from tests.builders.material import material_of
from tests.builders.tree import CITY, OTHER_TOWNSHIP, TOWNSHIP
from tests.e2e.processes import children as _children
from tests.e2e.processes import stack_logs, stack_started, start_stack, stop_stack
from tests.e2e.processes import wait_for as _wait

pytestmark = pytest.mark.slow
TOKEN = "lrl_admin_fault_test"


class Load:
    """Declarations with an Idempotency-Key each; a failed request is retried with the same
    key until it is acknowledged (the API may be down meanwhile)."""

    def __init__(self, base_url: str, token: str, campaign_id: str, villages: list[str]) -> None:
        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        self.campaign_id, self.villages = campaign_id, villages
        self.acknowledged: dict[str, str] = {}  # key -> nomination id
        self.retries = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        for village in self.villages:
            if self.stop.is_set():
                return
            key = uuid.uuid4().hex
            body = {
                "category": "five_good_site",
                "declaring_unit_id": TOWNSHIP,
                "nominee": {"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                "material": material_of(),
            }
            while not self.stop.is_set():
                try:
                    response = self.client.post(
                        f"/v1/campaigns/{self.campaign_id}/nominations",
                        json=body,
                        headers={"Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    self.retries += 1
                    time.sleep(0.1)
                    continue
                if response.status_code in (200, 201):
                    self.acknowledged[key] = response.json()["id"]
                    break
                if response.status_code >= 500 or response.status_code == 409:
                    self.retries += 1
                    time.sleep(0.1)
                    continue
                raise AssertionError(f"unexpected {response.status_code}: {response.text}")


def test_killed_parts_restart_and_nothing_is_lost_or_doubled(tmp_path: Path) -> None:
    port, dev_port = free_port(), free_port()
    env = dict(os.environ, LAUREL_HOME_DIR=str(tmp_path / ".laurel"))
    env.pop("LAUREL_DATABASE_URL", None)
    up = start_stack(tmp_path, port, dev_port, TOKEN)
    admin = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    try:
        assert _wait(lambda: admin.get("/readyz").status_code == 200 and stack_started(tmp_path)), (
            "the stack did not come up\n" + stack_logs(tmp_path)
        )
        city = tree.city(townships=1, villages=160)  # 彭镇 declares for its 160 villages
        quiet = next(row for row in tree.UNIT_TREE if row.code == OTHER_TOWNSHIP)  # 棋盘镇: silent
        import_units(admin, [*city.rows, quiet])
        villages = city.villages[TOWNSHIP]
        declarer = issue_token(admin, "declarer", TOWNSHIP, "load")
        starts = datetime.now(UTC) + timedelta(seconds=2)
        campaign = admin.post(
            "/v1/campaigns",
            json={
                "template": "five-good-sites",
                "organiser_unit_id": CITY,
                "starts_at": starts.isoformat(),
                "durations": {"declaration": 45, "pre_review": 10, "inspection": 30, "commendation": 30},
            },
        ).json()
        cid = campaign["id"]
        time.sleep(2.5)

        load = Load(f"http://127.0.0.1:{port}", declarer, cid, villages)
        load.thread.start()
        for part in ("api", "worker", "projections"):
            time.sleep(4)
            victim = _children(up.pid)[part]
            os.kill(victim, signal.SIGKILL)
            assert _wait(lambda v=victim, p=part: _children(up.pid).get(p) not in (None, v)), (
                f"{part} was not restarted\n" + stack_logs(tmp_path)
            )
        assert _wait(lambda: not load.thread.is_alive(), timeout=60), "the load did not finish"
        load.stop.set()
        acknowledged = set(load.acknowledged.values())
        assert len(acknowledged) == len(load.acknowledged) > 50

        declared: list[str] = []
        after = 0
        while page := admin.get("/v1/audit/events", params={"after": after, "limit": 1000}).json()[
            "items"
        ]:
            declared += [e["subject"] for e in page if e["type"] == "nomination.declared"]
            after = page[-1]["position"]
        assert sorted(declared) == sorted(acknowledged), (
            "every acknowledged declaration exactly once, nothing else"
        )

        # The timers still fire: the declaration and pre-review deadlines pass, every declared
        # nomination (none was pre-reviewed) lapses, and the silent township is recorded.
        def lapsed() -> bool:
            board = admin.get(f"/v1/campaigns/{cid}/dashboard").json()
            site = next(c for c in board["categories"] if c["code"] == "five_good_site")
            return site["states"]["lapsed"] == len(acknowledged) and board["silent_units"] == [
                OTHER_TOWNSHIP
            ]

        assert _wait(lambda: lapsed(), timeout=90), admin.get(f"/v1/campaigns/{cid}/dashboard").text
        verify = subprocess.run(
            [sys.executable, "-m", "cli", "projections", "rebuild", "--verify"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert admin.get("/v1/audit/verify").json()["ok"] is True
    finally:
        output = stop_stack(up, tmp_path)
        admin.close()
    assert output.count("restarting") >= 3, output
