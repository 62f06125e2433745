"""The documents people print (issue 22, item 5), as PDF built with ReportLab from the log:
the 申报表 of a nomination, the 表彰决定 of a campaign and the 荣誉证书 of each title, which
carries a verification code (``domain/verification.py``) anyone can check at ``/verify/{code}``.

ReportLab: a pure-Python wheel (no Pango/Cairo as WeasyPrint needs, no external binary as
typst is), which embeds a subset of a TrueType font — the CJK font ``fonts`` locates.

``documents`` is what the routes, the pages and the CLI call: read access is the caller's."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from fastapi import Request

from api.documents import facts, fonts, render
from domain.actors import Actor
from domain.campaigns import Campaign
from domain.nominations import Nomination
from infra.bootstrap import Services

PDF = "application/pdf"


@dataclass(frozen=True)
class Printed:
    data: bytes
    filename: str


def declaration(services: Services, nomination: Nomination, reader: Actor) -> Printed:
    font = fonts.registered(services.settings.pdf_font)
    found = facts.declaration_facts(services.app, nomination, reader)
    return Printed(render.declaration_pdf(found, font), f"declaration-{nomination.id}.pdf")


def decision(services: Services, campaign: Campaign) -> Printed:
    font = fonts.registered(services.settings.pdf_font)
    found = facts.decision_facts(services.app, campaign)
    return Printed(render.decision_pdf(found, font), f"decision-{campaign.id}.pdf")


def certificate(services: Services, nomination: Nomination) -> Printed:
    found = facts.printable_certificate(services.app, nomination)
    font = fonts.registered(services.settings.pdf_font)
    data = render.certificate_pdf(found, font, services.settings.public_url)
    return Printed(data, f"certificate-{found.code}.pdf")


class VerifyThrottle:
    """Public checks of a code per client address (``LAUREL_VERIFY_LIMIT``, a moving window
    kept in this process, as ``api.auth`` limits failed logins): past it, 429."""

    def __init__(self, limit: str) -> None:
        from limits import parse
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self.limit = parse(limit)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client: str) -> int | None:
        """None: allowed (and counted); else the seconds to wait."""
        if self.limiter.hit(self.limit, client):
            return None
        reset = self.limiter.get_window_stats(self.limit, client).reset_time
        return max(1, math.ceil(reset - time.time()))


def throttle(request: Request) -> int | None:
    """The app's throttle for the public checks, made on first use; None when allowed."""
    state = request.app.state
    found: VerifyThrottle | None = getattr(state, "verify_throttle", None)
    if found is None:
        found = state.verify_throttle = VerifyThrottle(state.services.settings.verify_limit)
    return found.retry_after(request.client.host if request.client else "unknown")


def verify(services: Services, code: str) -> facts.CertificateFacts:
    """The title a code names (404 ``verification-code-not-found`` when none)."""
    return facts.verify(services.app, facts.candidates(services.views.store, code), code)


__all__ = [
    "PDF",
    "Printed",
    "VerifyThrottle",
    "certificate",
    "decision",
    "declaration",
    "facts",
    "fonts",
    "throttle",
    "verify",
]
