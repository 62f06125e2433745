"""``laurel up``'s process supervisor: each part of the embedded stack is a child process,
restarted (with backoff) when it dies, and stopped in reverse order on Ctrl-C or SIGTERM.

Children run in their own sessions, so a Ctrl-C in the terminal reaches the supervisor only;
it then sends SIGTERM to each child's whole process group, waits, and SIGKILLs what is left —
no orphans.

One data directory runs one supervisor: it holds an exclusive ``flock`` on ``<home>/up.lock``
for its life, and its children inherit the descriptor, so the lock outlives the supervisor
only while parts it started still run (the OS drops it when they are all gone, kill -9
included)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    env: dict[str, str] = field(default_factory=dict)
    ready: Callable[[], bool] | None = None  # e.g. a port accepting connections
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
    STABLE_SECONDS = 60.0  # a child that ran this long starts its backoff afresh

    def __init__(
        self,
        children: Sequence[Child],
        *,
        on_event: Callable[[str], None] | None = None,
        inherit_fds: Sequence[int] = (),
    ) -> None:
        self.children = list(children)
        self.inherit_fds = tuple(inherit_fds)  # e.g. the data directory's lock
        self.stopping = threading.Event()
        self.log = structlog.get_logger("laurel.supervisor")
        self.on_event = on_event or (lambda message: None)

    def _spawn(self, child: Child) -> None:
        out = child.log_path.open("ab") if child.log_path else None
        try:
            child.process = subprocess.Popen(
                list(child.argv),
                env={**os.environ, **child.env},
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
                pass_fds=self.inherit_fds,
            )
        finally:
            if out is not None:
                out.close()  # the child has its own descriptor; a restart must not leak ours
        child.started_at = time.monotonic()
        self.log.info("child started", child=child.name, pid=child.process.pid, restarts=child.restarts)

    def start(self, timeout: float = 60.0) -> None:
        """Starts the children in order, each once the one before is ready."""
        for child in self.children:
            self._spawn(child)
            deadline = time.monotonic() + timeout
            while child.ready is not None and not child.ready():
                if not child.alive():
                    code = child.process.returncode if child.process else "?"
                    raise RuntimeError(
                        f"{child.name} exited ({code}) before it was ready"
                        + (f"; see {child.log_path}" if child.log_path else "")
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{child.name} was not ready within {timeout:.0f} s")
                time.sleep(0.1)
            self.on_event(f"{child.name} started (pid {child.process.pid}) / 已启动")  # type: ignore[union-attr]

    def watch(self, poll_seconds: float = 0.5) -> None:
        """Restarts children that die, until ``stop()``."""
        pending: dict[str, float] = {}
        while not self.stopping.wait(poll_seconds):
            for child in self.children:
                if child.alive() or self.stopping.is_set():
                    continue
                now = time.monotonic()
                if child.name not in pending:
                    if now - child.started_at > self.STABLE_SECONDS:
                        child.restarts = 0
                    delay = self.BACKOFF[min(child.restarts, len(self.BACKOFF) - 1)]
                    pending[child.name] = now + delay
                    code = child.process.returncode if child.process else None
                    self.log.warning("child exited", child=child.name, code=code, restart_in=delay)
                    self.on_event(
                        f"{child.name} exited ({code}); restarting in {delay:.0f} s"
                        f" / 子进程退出，{delay:.0f} 秒后重启"
                    )
                elif now >= pending[child.name]:
                    del pending[child.name]
                    child.restarts += 1
                    self._spawn(child)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to every child's process group (last started first), then SIGKILL."""
        self.stopping.set()
        for child in reversed(self.children):
            if child.alive():
                _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in reversed(self.children):
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(child, signal.SIGKILL)
                child.process.wait(5)
            self.log.info("child stopped", child=child.name, code=child.process.returncode)


def _signal_group(child: Child, sig: int) -> None:
    assert child.process is not None
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.process.pid, sig)


class AlreadyRunningError(RuntimeError):
    """Another supervisor (or a part it started) holds the data directory's lock."""


def hold_lock(path: Path, wait_seconds: float = 1.0) -> int:
    """Takes an exclusive ``flock`` on ``path`` (created 0600) and returns its descriptor,
    which holds the lock until it is closed or its process ends. Waits ``wait_seconds``
    for a reader's brief probe (``lock_held``) to finish, then raises ``AlreadyRunningError``."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise AlreadyRunningError(str(path)) from None
            time.sleep(0.05)


def lock_held(path: Path) -> bool:
    """Whether some process holds ``path``'s lock (probed with a shared lock, released at once)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)
