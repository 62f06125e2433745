"""E-mails as a real SMTP server receives them: parseable MIME (policy.default) with the
Chinese subject and body and the headers; a refused recipient (5xx) fails at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.controller import Controller

from infra.notifications.mailer import Mailer, SmtpConfig, compose, message_id
from tests.builders.http import free_port
from tests.builders.smtp import SmtpServer
from tests.notifications.harness import BODY, SUBJECT, email


def delivery(n: int, address: str = "zhang.san@example.cn") -> dict[str, object]:
    row = email(n, address)
    return {"id": n, **{k: getattr(row, k) for k in row.__dataclass_fields__}}


def test_the_mime_parses_with_chinese_subject_body_and_headers(smtp: SmtpServer) -> None:
    mailer = Mailer(SmtpConfig("127.0.0.1", smtp.port, sender="laurel@notify.example.cn"))
    try:
        outcome = mailer.send(delivery(1))
    finally:
        mailer.close()
    assert outcome.result == "delivered" and outcome.code == 250
    [received] = smtp.messages()
    assert received.rcpt_tos == ("zhang.san@example.cn",)
    raw = received.data.decode("ascii")  # 7-bit clean on the wire: RFC 2047 + base64
    assert "=?utf-8?" in raw
    message = received.parsed()
    assert message["Subject"] == SUBJECT
    assert message["From"] == "laurel@notify.example.cn"
    assert message["To"] == "zhang.san@example.cn"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "zh-CN, en"
    assert message["Message-ID"] == message_id(delivery(1), "laurel@notify.example.cn")
    assert message["Date"].datetime.tzinfo is not None
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == BODY  # CRLF: SMTP line ends


def test_message_id_is_the_same_for_a_resend_and_differs_per_delivery() -> None:
    first = compose(delivery(1), "laurel@x.cn", datetime(2022, 6, 1, tzinfo=UTC))
    again = compose(delivery(1), "laurel@x.cn")
    other = compose(delivery(2), "laurel@x.cn")
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert str(first["Message-ID"]).endswith("@x.cn>")


def test_a_refused_recipient_is_permanent_and_a_refused_connection_transient(
    smtp: SmtpServer,
) -> None:
    smtp.refuse["nobody@example.cn"] = "550 5.1.1 no such user"
    mailer = Mailer(SmtpConfig("127.0.0.1", smtp.port))
    try:
        refused = mailer.send(delivery(1, "nobody@example.cn"))
        busy = "451 4.3.0 try later"
        smtp.refuse["busy@example.cn"] = busy
        later = mailer.send(delivery(2, "busy@example.cn"))
    finally:
        mailer.close()
    assert (refused.result, refused.code) == ("permanent", 550)
    assert (later.result, later.code) == ("transient", 451)
    smtp.stop()
    down = Mailer(SmtpConfig("127.0.0.1", smtp.port, timeout=2)).send(delivery(3))
    assert down.result == "transient" and down.code is None and "Refused" in (down.error or "")
    assert down.halt  # the server, not this message: the round stops


class Refusing:
    """An aiosmtpd handler that refuses MAIL FROM or DATA with the reply given."""

    def __init__(self, mail: str | None = None, data: str | None = None) -> None:
        self.mail, self.data = mail, data
        self.received: list[bytes] = []

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.mail:
            return self.mail
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data:
            return self.data
        self.received.append(bytes(envelope.content))
        return "250 OK"


@contextmanager
def refusing(handler: Refusing) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_refused_mail_from_is_the_settings_not_the_message() -> None:
    for reply in ("530 5.7.0 Authentication required", "553 5.7.1 bad sender laurel@localhost"):
        with refusing(Refusing(mail=reply)) as port:
            mailer = Mailer(SmtpConfig("127.0.0.1", port))
            try:
                outcome = mailer.send(delivery(1))
            finally:
                mailer.close()
        assert outcome.result == "transient" and outcome.halt, outcome
        assert outcome.code == int(reply[:3]) and "sender refused" in (outcome.error or "")


def test_a_refused_data_fails_the_message_and_the_address_is_masked_in_errors() -> None:
    with refusing(Refusing(data="554 5.6.0 message for zhang.san@example.cn rejected")) as port:
        mailer = Mailer(SmtpConfig("127.0.0.1", port))
        try:
            outcome = mailer.send(delivery(1, "Zhang.San@example.cn"))
        finally:
            mailer.close()
    assert (outcome.result, outcome.code, outcome.halt) == ("permanent", 554, False)
    assert outcome.error == "554 5.6.0 message for Z***@example.cn rejected"


def test_a_message_that_cannot_be_composed_fails_as_an_attempt(smtp: SmtpServer) -> None:
    broken = {**delivery(1), "subject": "line\nbreak\r\nBcc: other@example.cn"}
    outcome = Mailer(SmtpConfig("127.0.0.1", smtp.port)).send(broken)
    assert outcome.result == "permanent" and (outcome.error or "").startswith("compose:")
    assert smtp.messages() == []
