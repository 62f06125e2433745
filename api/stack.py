"""``laurel up``: the embedded stack as supervised child processes — the Temporal dev server
(unless ``LAUREL_TEMPORAL_ADDRESS`` names a cluster), the worker, the projection runner, the
webhook dispatcher and the API with the pages."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from rich.console import Console

from infra.bootstrap import bootstrap
from infra.settings import Settings, ensure_admin_token
from infra.supervisor import Child, Supervisor
from infra.temporal_dev import dev_server_args, port_open


def children(settings: Settings, port: int) -> list[Child]:
    home = Path(settings.home_dir).resolve()
    dev_port = settings.temporal_dev_port
    env = {"LAUREL_HOME_DIR": str(home), "LAUREL_ADMIN_TOKEN": settings.admin_token or "", "LAUREL_TEMPORAL_ADDRESS": settings.temporal_address or f"127.0.0.1:{dev_port}"}
    if settings.database_url:
        env["LAUREL_DATABASE_URL"] = settings.database_url
    laurel = [sys.executable, "-m", "api.cli"]
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stack = []
    if not settings.temporal_address:
        stack.append(Child("temporal", dev_server_args(home, dev_port, dev_port + 1000), ready=lambda: port_open("127.0.0.1", dev_port), log_path=logs / "temporal.log"))
    stack += [
        Child("worker", [*laurel, "worker"], env, log_path=logs / "worker.log"),
        Child("projections", [*laurel, "projections", "run"], env, log_path=logs / "projections.log"),
        Child("webhooks", [*laurel, "webhooks", "dispatch"], env, log_path=logs / "webhooks.log"),
        Child("api", [*laurel, "api", "--port", str(port)], env, ready=lambda: port_open("127.0.0.1", port), log_path=logs / "api.log"),
    ]
    return stack


def run_stack(port: int, console: Console) -> None:
    settings = ensure_admin_token(Settings())
    bootstrap(settings).close()  # the event store and the read-model tables exist before any child starts
    supervisor = Supervisor(children(settings, port), on_event=lambda message: console.print(f"[dim]{message}[/dim]"))

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    try:
        supervisor.start()
        console.print(f"[bold green]Laurel[/bold green] on http://127.0.0.1:{port}  (pages: /ui/ · API docs: /docs · 接口文档)")
        console.print(f"admin token / 管理员令牌: [bold]{settings.admin_token}[/bold]")
        console.print(f"store: {settings.backend} · Temporal: {settings.temporal_address or f'embedded dev server 127.0.0.1:{settings.temporal_dev_port}'} · logs: {Path(settings.home_dir) / 'logs'}  — Ctrl-C stops everything / 按 Ctrl-C 全部停止")
        supervisor.watch()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        console.print("stopping / 正在停止 …")
        supervisor.stop()
