"""How long an access token lives: a default when the issuer names no expiry, never beyond a
maximum (the composition root sets both from LAUREL_TOKEN_LIFETIME / LAUREL_TOKEN_MAX_LIFETIME)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.errors import RuleFailure


@dataclass(frozen=True)
class TokenPolicy:
    default: timedelta = timedelta(days=90)
    maximum: timedelta = timedelta(days=366)


def expiry_failures(expires_at: datetime, at: datetime, maximum: timedelta) -> list[RuleFailure]:
    if expires_at.tzinfo is None:
        return [
            RuleFailure(
                "token_expiry_timezone",
                "expires_at needs a time zone (e.g. Z)",
                "expires_at 须带时区",
                "expires_at",
            )
        ]
    if expires_at <= at:
        return [
            RuleFailure(
                "token_expiry_future",
                "expires_at must lie in the future",
                "有效期须晚于当前时间",
                "expires_at",
                at.isoformat(),
                expires_at.isoformat(),
            )
        ]
    if expires_at - at > maximum:
        latest = (at + maximum).isoformat()
        return [
            RuleFailure(
                "token_lifetime_max",
                f"a token lives at most {maximum.days} days: expires_at must be before {latest}",
                f"令牌有效期最长 {maximum.days} 天",
                "expires_at",
                latest,
                expires_at.isoformat(),
            )
        ]
    return []
