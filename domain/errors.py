"""Domain errors. The API maps each family to one HTTP status in api/problems.py.

Every error carries an English and a Chinese message and a stable ``code`` (the slug of
its problem ``type``). Rule violations carry every failed rule, never only the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class RuleFailure:
    """One named rule that a command did not satisfy."""

    rule: str
    message_en: str
    message_zh: str
    field: str | None = None
    expected: Any = None
    actual: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class DomainError(Exception):
    code = "domain-error"
    retryable = False

    def __init__(self, message_en: str, message_zh: str = "", **details: Any) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh or message_en
        self.details = details


# --- not found -------------------------------------------------------------------------


class NotFoundError(DomainError):
    code = "not-found"


class UnitNotFoundError(NotFoundError):
    code = "unit-not-found"


class CampaignNotFoundError(NotFoundError):
    code = "campaign-not-found"


class NominationNotFoundError(NotFoundError):
    code = "nomination-not-found"


class TemplateNotFoundError(NotFoundError):
    code = "template-not-found"


class TokenNotFoundError(NotFoundError):
    code = "token-not-found"


# --- conflicts with the current state ----------------------------------------------------


class ConflictError(DomainError):
    code = "conflict"


class PhaseNotOpenError(ConflictError):
    """The command belongs to a phase that is not open at that instant."""

    code = "phase-not-open"


class InvalidTransitionError(ConflictError):
    code = "invalid-transition"


class CampaignExistsError(ConflictError):
    """Next year's campaign was already made from this one."""

    code = "campaign-exists"


class DuplicateUnitError(ConflictError):
    code = "duplicate-unit"


class DuplicateNominationError(ConflictError):
    code = "duplicate-nomination"


class QuotaExceededError(ConflictError):
    code = "quota-exceeded"


class ConcurrencyConflictError(ConflictError):
    """Another writer changed the aggregate first; reload and retry."""

    code = "concurrency-conflict"
    retryable = True


class StaleVersionError(ConflictError):
    """The caller's expected version (If-Match) is not the current one."""

    code = "stale-version"


# --- rule violations (the request is understood but breaks named rules) -------------------


class RuleViolationError(DomainError):
    code = "rule-violation"

    def __init__(
        self, failures: Sequence[RuleFailure], message_en: str = "", message_zh: str = ""
    ) -> None:
        self.failures = tuple(failures)
        names = ", ".join(f.rule for f in self.failures)
        super().__init__(
            message_en or f"{len(self.failures)} rule(s) failed: {names}",
            message_zh or f"{len(self.failures)} 项规则未通过：{names}",
        )


class InvalidUnitError(RuleViolationError):
    code = "invalid-unit"


class UnitMoveRefusedError(RuleViolationError):
    code = "unit-move-refused"


class InvalidCampaignError(RuleViolationError):
    code = "invalid-campaign"


class DeclarationInvalidError(RuleViolationError):
    code = "declaration-invalid"


class PreReviewRefusedError(RuleViolationError):
    code = "pre-review-refused"


class InspectionInvalidError(RuleViolationError):
    code = "inspection-invalid"


class CommendationRefusedError(RuleViolationError):
    code = "commendation-refused"


class ForwardingRefusedError(RuleViolationError):
    """A forwarding (择优上报) the rules refuse: not passed, no parent, over the parent's quota."""

    code = "forwarding-refused"


class DeadlineExtensionRefusedError(RuleViolationError):
    code = "deadline-extension-refused"


class TextInvalidError(RuleViolationError):
    """A text field holds a control character (NUL and the like) that text may not hold."""

    code = "text-invalid"


class IdempotencyKeyReusedError(RuleViolationError):
    """The same idempotency key came back with a different command."""

    code = "idempotency-key-reused"


# --- authorisation ------------------------------------------------------------------------


class AuthorizationError(DomainError):
    code = "forbidden"


class RoleNotAllowedError(AuthorizationError):
    code = "role-not-allowed"


class OutsideJurisdictionError(AuthorizationError):
    code = "outside-jurisdiction"


class ImportInvalidError(RuleViolationError):
    """A bulk import file that cannot be read as a table."""

    code = "import-invalid"


class CategoryUnknownError(RuleViolationError):
    code = "category-unknown"


class PhaseUnknownError(RuleViolationError):
    code = "phase-unknown"


# --- duties (issue 21, item 5) ------------------------------------------------------------


class DutyNotFoundError(NotFoundError):
    code = "duty-not-found"


class DutyInvalidError(RuleViolationError):
    """A submission, review, spot check or circular that breaks a named rule."""

    code = "duty-invalid"


class DutyTransitionError(InvalidTransitionError):
    """The duty is not in a state that allows this (accepting what was never submitted)."""

    code = "duty-transition-refused"
