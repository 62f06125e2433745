"""The public objections' abuse guard (issue 23, item 2), offline and without a CAPTCHA:

- a rate limit per client address and one per campaign (the ``limits`` library, in memory per
  process; ``LAUREL_OBJECTION_LIMIT``, ``LAUREL_OBJECTION_CAMPAIGN_LIMIT``): 429 with
  ``Retry-After``;
- a honeypot field (``website``) that people leave empty and form-filling robots do not: 422;
- a signed form token (HMAC-SHA256 under a server secret kept in ``<home>/objection-form-key``,
  0600, made on first use) binding the campaign and the instant the form was served; an
  objection sent less than ``MIN_FILL_SECONDS`` after it, or more than ``MAX_FORM_AGE`` after,
  or with a token not ours, is refused: 422;
- the duplicate-text guard is the domain's (``objection_duplicate``, 409): the same text
  against the same nomination is received once.

The client's address is never stored: the objection records ``client_digest`` (an HMAC of it
under the same secret), enough to see that many came from one place."""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import secrets
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api import problems
from domain.application import Laurel
from domain.commands import LodgeObjection
from domain.errors import (
    CampaignNotFoundError,
    EvidenceInvalidError,
    EvidenceTooLargeError,
    PublicityInvalidError,
    RuleFailure,
)
from domain.evidence import prepare
from domain.objections import MAX_TEXT, PUBLIC
from domain.publicity import publicity_view
from infra.bootstrap import Services

MIN_FILL_SECONDS = 5
MAX_FORM_AGE = 2 * 3600
HONEYPOT = "website"
KEY_FILE = "objection-form-key"


def form_secret(services: Services) -> bytes:
    """The server secret (``<home>/objection-form-key``, 0600), made on first use. Two workers
    racing to make it: ``O_EXCL`` lets one create it, and both read back what is on disk (the
    loser waits briefly for the winner's write), so every worker signs with the same key."""
    home: Path = services.settings.home_dir
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass  # another worker made it: read back what it wrote
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    for _ in range(50):
        text = path.read_text().strip()
        if len(text) == 64:
            return bytes.fromhex(text)
        time.sleep(0.01)  # the winner has created it and not yet written it
    raise RuntimeError(f"{path} holds no objection form key; remove it to have one made")


def _mac(secret: bytes, message: str) -> str:
    digest = hmac.digest(secret, message.encode(), "sha256")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_form_token(secret: bytes, campaign_id: str, client: str = "", now: float | None = None) -> str:
    """Bound to the campaign, the instant and the client digest (``client_digest``): a token
    fetched from one address is refused from another, so tokens gathered in bulk help no one
    past the per-address rate limit."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_mac(secret, f'objection|{campaign_id}|{issued}|{client}')}"


def form_token_problem(
    secret: bytes, campaign_id: str, token: str, client: str = "", now: float | None = None
) -> str | None:
    """None when the token is ours, for this campaign and client, and old enough; else the
    rule it fails."""
    now = time.time() if now is None else now
    issued_text, _, mac = (token or "").partition(".")
    if not (issued_text.isascii() and issued_text.isdecimal()) or not hmac.compare_digest(
        _mac(secret, f"objection|{campaign_id}|{issued_text}|{client}"), mac
    ):
        return "objection_form_token"
    age = now - int(issued_text)
    if age < MIN_FILL_SECONDS:
        return "objection_too_fast"
    if age > MAX_FORM_AGE:
        return "objection_form_expired"
    return None


def client_digest(secret: bytes, address: str) -> str:
    return hashlib.sha256(secret + b"|client|" + address.encode()).hexdigest()[:24]


@dataclass
class ObjectionThrottle:
    per_client: str
    per_campaign: str
    limiter: MovingWindowRateLimiter = field(
        default_factory=lambda: MovingWindowRateLimiter(MemoryStorage())
    )

    def retry_after(self, client: str, campaign_id: str) -> int | None:
        """None: allowed (and counted against both); else the seconds to wait."""
        for spec, key in (
            (self.per_client, f"client|{client}"),
            (self.per_campaign, f"campaign|{campaign_id}"),
        ):
            limit = parse(spec)
            if not self.limiter.hit(limit, "objection", key):
                reset = self.limiter.get_window_stats(limit, "objection", key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None


# --- what the public API and the public pages share --------------------------------------


def public_view(app: Laurel, campaign_id: str) -> dict[str, Any]:
    """404 unless the campaign has a 公示 with its public page on."""
    campaign = app.get_campaign(campaign_id)
    if campaign.publicity is None or not campaign.publicity.get("public_page"):
        raise CampaignNotFoundError(
            f"no public 公示 for campaign '{campaign_id}'", "该评选没有公开的公示", campaign=campaign_id
        )
    view = publicity_view(campaign, app.load, app.clock())
    view["objections"] = {
        "how": "POST /v1/public/campaigns/{id}/objections with a form token from …/objection-form",
        "max_text": MAX_TEXT,
    }
    return view


def throttle(request: Request) -> ObjectionThrottle:
    state = request.app.state
    found: ObjectionThrottle | None = getattr(state, "objection_throttle", None)
    if found is None:
        settings = state.services.settings
        found = state.objection_throttle = ObjectionThrottle(
            settings.objection_limit, settings.objection_campaign_limit
        )
    return found


def too_many(request: Request, retry_after: int) -> JSONResponse:
    response = problems.problem(
        429,
        "too-many-requests",
        "Too many objections",
        f"too many objections from this address or to this campaign; retry in {retry_after} s",
        request,
        detail_zh=f"提交过于频繁，请 {retry_after} 秒后重试",
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


GUARD_MESSAGES = {
    "objection_honeypot": ("the form was not filled in by a person", "表单填写异常"),
    "objection_form_token": (
        "the form token is not valid: load the form again",
        "表单已失效，请重新打开",
    ),
    "objection_too_fast": (
        f"the form was sent too fast: take at least {MIN_FILL_SECONDS} s",
        f"提交过快：请至少用 {MIN_FILL_SECONDS} 秒填写",
    ),
    "objection_form_expired": ("the form is too old: load it again", "表单已过期，请重新打开"),
}


def guard_failure(rule: str) -> PublicityInvalidError:
    en, zh = GUARD_MESSAGES[rule]
    field = HONEYPOT if rule == "objection_honeypot" else "form_token"
    return PublicityInvalidError([RuleFailure(rule, en, zh, field)])


def store_evidence(
    services: Services, data: bytes, filename: str | None
) -> tuple[dict[str, Any], list[str]]:
    """An objection's evidence file checked (``domain/evidence.py`` ``prepare``: size, type) and
    stored by its SHA-256; the entry the objection records and the blobs this call created
    (taken back if the objection is refused)."""
    prepared = prepare(data, filename, services.settings.max_evidence_bytes)
    if isinstance(prepared, list):
        failures = [replace(f, field="evidence") for f in prepared]
        if any(f.rule == "evidence_max_bytes" for f in failures):
            raise EvidenceTooLargeError(failures)
        raise EvidenceInvalidError(failures)
    sha256, new = services.blobs.put(prepared.data)
    entry = {
        "sha256": sha256,
        "size": prepared.size,
        "media_type": prepared.media_type,
        "name": prepared.name,
    }
    return entry, [sha256] if new else []


def check_form(
    services: Services, campaign_id: str, form_token: str, honeypot: str, address: str
) -> bytes:
    """The honeypot and the form token (bound to this client); the server secret. Run before
    the rate limits count: junk must not use up the campaign-wide limit."""
    secret = form_secret(services)
    if honeypot.strip():
        raise guard_failure("objection_honeypot")
    rule = form_token_problem(secret, campaign_id, form_token, client_digest(secret, address))
    if rule is not None:
        raise guard_failure(rule)
    return secret


def lodge_public(
    services: Services,
    campaign_id: str,
    *,
    nomination_id: str,
    text: str,
    contact: str,
    form_token: str,
    honeypot: str,
    address: str,
    evidence: bytes | None = None,
    evidence_name: str | None = None,
) -> dict[str, Any]:
    """The honeypot and the form token (``check_form``; the routes call it first, before the
    rate limits count), then the evidence file (if any), then the domain's rules (period,
    duplicate, length); a refused objection stores no file."""
    secret = check_form(services, campaign_id, form_token, honeypot, address)
    public_view(services.app, campaign_id)  # 404 when not public
    entry, created = store_evidence(services, evidence, evidence_name) if evidence else (None, [])
    try:
        result: dict[str, Any] = services.app.execute(
            LodgeObjection(
                campaign_id=campaign_id,
                nomination_id=nomination_id,
                text=text,
                contact=contact,
                evidence=entry,
                client=client_digest(secret, address),
            ),
            PUBLIC,
        )
    except BaseException:
        for sha256 in created:
            services.blobs.discard(sha256)
        raise
    return result


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
