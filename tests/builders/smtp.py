"""A real SMTP server for tests (aiosmtpd, in a thread of the test process) that keeps what it
accepted. It can start later than the sender (``SmtpServer(port)`` then ``start()``: until
then connections are refused), answer slowly (``delay``: a message the client abandons
while it waits is not kept, as an MTA that never said 250 does not take it), and refuse
recipients with a code (``refuse``).

    with smtp_server() as server:            # or the ``smtp`` fixture (tests/notifications)
        settings = {"smtp_host": "127.0.0.1", "smtp_port": server.port}
        ...
        server.wait_for(3)
        [message] = server.parsed()           # email.message.EmailMessage, policy.default"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.builders.http import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


class Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.server.refuse.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # cancelled if the client goes meanwhile
        received = Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        with self.server.lock:
            self.server.received.append(received)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.delay = 0.0
        self.refuse: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 no such user"
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def settings(self) -> dict[str, Any]:
        """The Settings fields that point the sender here."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_timeout": 5.0}

    def start(self) -> SmtpServer:
        self._controller = Controller(Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def parsed(self) -> list[EmailMessage]:
        return [r.parsed() for r in self.messages()]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.parsed()]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(found := self.messages()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} messages arrived in {timeout} s")
            time.sleep(0.05)
        return found


@contextmanager
def smtp_server(*, started: bool = True) -> Iterator[SmtpServer]:
    server = SmtpServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
