"""``laurel up``: the embedded stack as supervised child processes — the Temporal dev server
(unless ``LAUREL_TEMPORAL_ADDRESS`` names a cluster), the worker, the projection runner, the
webhook dispatcher, the notification sender and the API with the pages.

One stack per data directory (the home dir): the supervisor holds ``<home>/up.lock`` and a
second ``laurel up`` there is refused. Its Temporal is its own: the dev server on the
configured port, or a free one when that is taken (another stack's), with a namespace and
task queue named after the home dir; every child is handed the same address, namespace and
queue, and ``<home>/stack.json`` records them for the CLI (``laurel worker``, ``laurel demo``)."""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from infra.bootstrap import bootstrap
from infra.settings import Settings, ensure_admin_token, private_dir
from infra.supervisor import AlreadyRunningError, Child, Supervisor, hold_lock, lock_held
from infra.temporal_dev import (
    dev_server_args,
    embedded_name,
    pick_port,
    port_free,
    port_open,
    temporal_ready,
)

LOCK, RECORD = "up.lock", "stack.json"


@dataclass(frozen=True)
class TemporalTarget:
    """The Temporal every process of one stack talks to."""

    address: str
    namespace: str
    task_queue: str
    embedded: bool  # the stack runs the dev server itself
    ui_port: int | None = None

    @property
    def port(self) -> int:
        return int(self.address.rsplit(":", 1)[1])

    def env(self) -> dict[str, str]:
        return {
            "LAUREL_TEMPORAL_ADDRESS": self.address,
            "LAUREL_TEMPORAL_NAMESPACE": self.namespace,
            "LAUREL_TEMPORAL_TASK_QUEUE": self.task_queue,
        }


def temporal_target(settings: Settings, home: Path, api_port: int) -> TemporalTarget:
    """The cluster named in the settings, or the embedded dev server: its configured port
    when free, else a free one (and a free UI port), and the home dir's own namespace and queue."""
    if settings.temporal_address:
        return TemporalTarget(
            settings.temporal_address,
            settings.temporal_namespace,
            settings.temporal_task_queue,
            embedded=False,
        )
    name = embedded_name(home)
    dev_port = pick_port(settings.temporal_dev_port, frozenset({api_port}))
    ui_port = pick_port(dev_port + 1000, frozenset({api_port, dev_port}))
    return TemporalTarget(f"127.0.0.1:{dev_port}", name, name, embedded=True, ui_port=ui_port)


def children(settings: Settings, port: int, temporal: TemporalTarget) -> list[Child]:
    home = Path(settings.home_dir).resolve()
    env = {
        "LAUREL_HOME_DIR": str(home),
        "LAUREL_ADMIN_TOKEN": settings.admin_token or "",
        **temporal.env(),
    }
    if settings.database_url:
        env["LAUREL_DATABASE_URL"] = settings.database_url
    laurel = [sys.executable, "-m", "cli"]
    logs = home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stack = []
    if temporal.embedded:
        assert temporal.ui_port is not None
        args = dev_server_args(home, temporal.port, temporal.ui_port, temporal.namespace)
        stack.append(
            Child(
                "temporal",
                args,
                ready=lambda: temporal_ready(temporal.address, temporal.namespace),
                log_path=logs / "temporal.log",
            )
        )
    stack += [
        Child("worker", [*laurel, "worker"], env, log_path=logs / "worker.log"),
        Child("projections", [*laurel, "projections", "run"], env, log_path=logs / "projections.log"),
        Child("webhooks", [*laurel, "webhooks", "dispatch"], env, log_path=logs / "webhooks.log"),
        Child("notifier", [*laurel, "notify", "send"], env, log_path=logs / "notifier.log"),
        Child(
            "api",
            [*laurel, "api", "--port", str(port)],
            env,
            ready=lambda: port_open("127.0.0.1", port),
            log_path=logs / "api.log",
        ),
    ]
    return stack


def running_stack(home: Path) -> dict[str, Any] | None:
    """What the ``laurel up`` running on ``home`` recorded (its API URL, its Temporal), or
    None when none runs there (a record left by a stack that is gone does not count)."""
    record = home / RECORD
    if not lock_held(home / LOCK) or not record.exists():
        return None
    try:
        return dict(json.loads(record.read_text()))
    except (OSError, ValueError):
        return None


def with_running_temporal(settings: Settings) -> Settings:
    """``settings``, or, without a Temporal address, the one the running ``laurel up`` on
    the same home dir recorded (its address, namespace and task queue)."""
    record = None if settings.temporal_address else running_stack(settings.home_dir.resolve())
    if record is None:
        return settings
    temporal = record["temporal"]
    return settings.model_copy(
        update={
            "temporal_address": temporal["address"],
            "temporal_namespace": temporal["namespace"],
            "temporal_task_queue": temporal["task_queue"],
        }
    )


def _record(home: Path, port: int, temporal: TemporalTarget) -> None:
    record = {
        "pid": os.getpid(),
        "home": str(home),
        "api_url": f"http://127.0.0.1:{port}",
        "temporal": asdict(temporal),
    }
    partial = home / f"{RECORD}.tmp"
    partial.write_text(json.dumps(record, indent=1))
    partial.replace(home / RECORD)  # readers never see half a record


def _refusal(home: Path) -> str:
    other = running_stack(home) or {}
    who = f" (pid {other['pid']}, {other['api_url']})" if other else ""
    if other and not _alive(
        int(other["pid"])
    ):  # killed with SIGKILL: its children still run and hold the lock
        who = (
            f" (its supervisor, pid {other['pid']}, is gone but parts it started still run: fuser -v "
            f"{home / LOCK} lists them)"
        )
    return (
        f"[red]laurel up is already running on {home}[/red]{who}: one stack per data directory. "
        f"Stop it first, or set LAUREL_HOME_DIR to another directory (the lock: {home / LOCK}). "
        f"/ 该数据目录已有 laurel up 在运行"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_stack(port: int, console: Console) -> int:
    """Runs the stack until Ctrl-C or SIGTERM; the process's exit code."""
    settings = Settings()
    home = private_dir(Path(settings.home_dir).resolve())
    try:
        lock = hold_lock(home / LOCK)  # held until this process and every child it hands it to are gone
    except AlreadyRunningError:
        console.print(_refusal(home), soft_wrap=True)
        return 1
    if not port_free(port):
        console.print(
            f"[red]port {port} is in use[/red]: pass --port / 端口 {port} 已被占用", soft_wrap=True
        )
        return 1
    token_from_env = bool(settings.admin_token)
    settings = ensure_admin_token(settings)
    temporal = temporal_target(settings, home, port)
    _record(home, port, temporal)
    bootstrap(
        settings
    ).close()  # the event store and the read-model tables exist before any child starts
    supervisor = Supervisor(
        children(settings, port, temporal),
        on_event=lambda message: console.print(f"[dim]{message}[/dim]"),
        inherit_fds=(lock,),
    )

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        supervisor.start()
        console.print(
            f"[bold green]Laurel[/bold green]: open http://127.0.0.1:{port}/ui/ and log in with the"
            f" admin token / 打开 http://127.0.0.1:{port}/ui/ 用管理员令牌登录  (API docs / 接口文档:"
            f" http://127.0.0.1:{port}/docs)",
            soft_wrap=True,
        )
        kept = "LAUREL_ADMIN_TOKEN" if token_from_env else settings.home_dir / "admin-token"
        console.print(
            f"admin token / 管理员令牌: [bold]{settings.admin_token}[/bold]  (kept in / 保存在: {kept})",
            soft_wrap=True,
        )
        console.print(
            f"store: {settings.backend} · Temporal: {_describe(settings, temporal)} · logs: "
            f"{home / 'logs'}  — Ctrl-C stops everything / 按 Ctrl-C 全部停止",
            soft_wrap=True,
        )
        supervisor.watch()
    except (KeyboardInterrupt, SystemExit):
        pass
    except RuntimeError as exc:  # a part did not come up
        console.print(f"[red]{exc}[/red]", soft_wrap=True)
        code = 1
    finally:
        console.print("stopping / 正在停止 …")
        supervisor.stop()
        (home / RECORD).unlink(missing_ok=True)
    return code


def _describe(settings: Settings, temporal: TemporalTarget) -> str:
    where = f"namespace {temporal.namespace}, task queue {temporal.task_queue}"
    if not temporal.embedded:
        return f"{temporal.address} ({where})"
    moved = (
        f"; port {settings.temporal_dev_port} was taken"
        if temporal.port != settings.temporal_dev_port
        else ""
    )
    return f"embedded dev server {temporal.address} ({where}{moved})"
