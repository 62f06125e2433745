"""E-mail over SMTP with the standard library (smtplib, email.message): one bilingual UTF-8
text/plain message per delivery. The Message-ID is derived from the delivery's key, so a
message sent again after a crash carries the same id (receivers and tests can tell a repeat)."""

from __future__ import annotations

import hashlib
import re
import smtplib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from infra.notifications.store import mask


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "laurel@localhost"
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpConfig | None:
        """None when LAUREL_SMTP_HOST is unset: no e-mail, the inbox only."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_starttls,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_from,
            settings.smtp_timeout,
        )


@dataclass(frozen=True)
class Outcome:
    """``delivered``, ``transient`` (try again later) or ``permanent`` (give up now);
    ``halt``: the server or the operator's settings failed, not this message (unreachable,
    authentication, MAIL FROM refused) — the other queued e-mails would fail alike."""

    result: str
    code: int | None = None
    error: str | None = None
    halt: bool = False


def message_id(delivery: dict[str, Any], sender: str) -> str:
    key = f"{delivery['notice_key']}|{delivery['recipient']}|{delivery['channel']}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    domain = sender.rpartition("@")[2] or "laurel.invalid"
    return f"<{digest}@{domain}>"


def compose(delivery: dict[str, Any], sender: str, now: datetime | None = None) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = delivery["address"]
    message["Subject"] = delivery["subject"]  # non-ASCII: RFC 2047 encoded-words by the policy
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = message_id(delivery, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(delivery["body"], subtype="plain", charset="utf-8", cte="base64")
    message["Content-Language"] = "zh-CN, en"  # after set_content, which resets Content-*
    return message


def _text(text: Any) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def _code_error(code: int, text: Any) -> Outcome:
    """A reply to RCPT or DATA: a 5xx fails the message, any other code is tried again."""
    reply = _text(text)
    return Outcome("permanent" if 500 <= code < 600 else "transient", code, f"{code} {reply}"[:500])


def masked(outcome: Outcome, address: str | None) -> Outcome:
    """The outcome with ``address`` masked in its error text (servers echo the recipient)."""
    if not address or not outcome.error or address.lower() not in outcome.error.lower():
        return outcome
    error = re.sub(re.escape(address), mask(address) or "***", outcome.error, flags=re.IGNORECASE)
    return replace(outcome, error=error)


class Mailer:
    """Sends one message at a time on a connection kept for a round (``close`` ends it)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            c = self.config
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
            try:
                if c.starttls:
                    smtp.starttls()
                if c.username:
                    smtp.login(c.username, c.password or "")
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def send(self, delivery: dict[str, Any]) -> Outcome:
        return masked(self._send(delivery), delivery.get("address"))

    def _send(self, delivery: dict[str, Any]) -> Outcome:
        try:
            message = compose(delivery, self.config.sender)
        except (ValueError, TypeError, LookupError) as exc:  # a header it cannot carry: for good
            return Outcome("permanent", None, f"compose: {type(exc).__name__}: {exc}"[:500])
        try:
            smtp = self._connect()
            refused = smtp.send_message(message, self.config.sender, [delivery["address"]])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return _code_error(code, text)
        except smtplib.SMTPAuthenticationError as exc:  # the operator's settings: keep trying
            self.close()
            error = f"authentication: {exc.smtp_code} {_text(exc.smtp_error)}"[:500]
            return Outcome("transient", exc.smtp_code, error, halt=True)
        except smtplib.SMTPSenderRefused as exc:  # MAIL FROM (530 auth required, 553 bad From)
            self.close()
            error = f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}"[:500]
            return Outcome("transient", exc.smtp_code, error, halt=True)
        except smtplib.SMTPDataError as exc:  # this message's content: a 5xx fails it
            self.close()
            return _code_error(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, OSError) as exc:
            # unreachable, refused, reset, timed out: the server, not this message
            self.close()
            error = f"{type(exc).__name__}: {exc}"[:500]
            return Outcome("transient", getattr(exc, "smtp_code", None), error, halt=True)
        except smtplib.SMTPResponseException as exc:
            self.close()
            return Outcome("transient", exc.smtp_code, f"{exc.smtp_code} {_text(exc.smtp_error)}"[:500])
        except smtplib.SMTPException as exc:
            self.close()
            return Outcome("transient", None, f"{type(exc).__name__}: {exc}"[:500])
        if refused:
            code, text = next(iter(refused.values()))
            return _code_error(code, text)
        return Outcome("delivered", 250)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
