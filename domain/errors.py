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


# --- evidence files (issue 22, item 4) -----------------------------------------------------


class EvidenceInvalidError(RuleViolationError):
    """An upload of a type not accepted, empty, or with a bad reference (422; a too-large one is
    answered 413 by the route, with the same failures)."""

    code = "evidence-invalid"


class EvidenceNotFoundError(NotFoundError):
    """No file with this hash is attached to the nomination."""

    code = "evidence-not-found"


class EvidenceMissingError(ConflictError):
    """A file the log names is not in the blob store (logged; never a 500)."""

    code = "evidence-missing"


class EvidenceCorruptError(ConflictError):
    """The stored bytes no longer hash to the name the log records (logged; never a 500)."""

    code = "evidence-corrupt"


class EvidenceTooLargeError(EvidenceInvalidError):
    """A file over the size limit: the API answers 413 with the failed rule."""

    code = "evidence-too-large"


# --- inspection teams and recusal (issue 22, items 1-2; domain/teams.py) --------------------


class TeamNotFoundError(NotFoundError):
    code = "team-not-found"


class TeamInvalidError(RuleViolationError):
    """A team formed or changed against its rules (name, leader, members, home units)."""

    code = "team-invalid"


class AssignmentRefusedError(ConflictError):
    """An assignment to a team the nomination's state or history refuses (e.g. a reassignment
    after the old team recorded an inspection); ``failures`` names the rule."""

    code = "assignment-refused"

    def __init__(self, failures: Sequence[RuleFailure]) -> None:
        self.failures = tuple(failures)
        first = self.failures[0]
        super().__init__(first.message_en, first.message_zh, rule=first.rule)


class TeamInspectionRefusedError(AuthorizationError):
    """Where a campaign has teams, only a member of the nomination's assigned team who is not
    recused may inspect it; ``failures`` names the rule (team_assignment_required,
    inspector_not_in_assigned_team, recusal_own_unit, recusal_ancestor,
    recusal_declared_conflict)."""

    code = "team-inspection-refused"

    def __init__(self, failures: Sequence[RuleFailure]) -> None:
        self.failures = tuple(failures)
        first = self.failures[0]
        super().__init__(first.message_en, first.message_zh, rule=first.rule)


class TeamRefusedError(ConflictError):
    """A team command the campaign's or the nomination's state refuses (409); ``failures``
    names the rule: score_normalisation_frozen, conflict_nomination_open,
    conflict_after_inspection."""

    code = "team-refused"

    def __init__(self, failures: Sequence[RuleFailure]) -> None:
        self.failures = tuple(failures)
        first = self.failures[0]
        super().__init__(first.message_en, first.message_zh, rule=first.rule)


# --- printed documents and verification codes (issue 22, item 5) --------------------------


class DocumentUnavailableError(ConflictError):
    """The document cannot be printed from what the log holds yet (a decision before anyone
    was commended, a certificate of a nomination that holds no title in force)."""

    code = "document-unavailable"


class VerificationCodeNotFoundError(NotFoundError):
    """No title carries this verification code."""

    code = "verification-code-not-found"


class PdfFontMissingError(DomainError):
    """No CJK TrueType font to embed in the PDF (the API answers 503 naming it)."""

    code = "pdf-font-missing"


# --- corrections and appeals (issue 23, items 3-4; domain/corrections.py) ------------------


class CorrectionRefusedError(ConflictError):
    """A correction or an appeal the state or the calendar refuses (409); ``failures`` names
    the rule: correction_after_commendation, return_phase_closed, reopen_after_campaign_end,
    cancel_with_titles_granted, appeal_period_over, appeal_already_open, ..."""

    code = "correction-refused"

    def __init__(self, failures: Sequence[RuleFailure]) -> None:
        self.failures = tuple(failures)
        first = self.failures[0]
        super().__init__(first.message_en, first.message_zh, rule=first.rule)


class CorrectionInvalidError(RuleViolationError):
    """A correction or an appeal sent without what it needs (a reason, a known inspection, a
    deadline in the future...): 422 naming each failed rule."""

    code = "correction-invalid"


# --- 公示 and objections (issue 23, items 1-2; domain/publicity.py, domain/objections.py) ----


class PublicityRefusedError(ConflictError):
    """A publication, an objection or a decision the state or the period refuses (409);
    ``failures`` names the rule: publicity_not_configured, nothing_proposed,
    publicity_period_open, objection_duplicate, objection_decided, ..."""

    code = "publicity-refused"

    def __init__(self, failures: Sequence[RuleFailure]) -> None:
        self.failures = tuple(failures)
        first = self.failures[0]
        super().__init__(first.message_en, first.message_zh, rule=first.rule)


class PublicityInvalidError(RuleViolationError):
    """An objection or a publicity setting sent without what it needs (a text of at most
    2000 characters, a reason, a known nomination on the list...): 422 naming each rule."""

    code = "publicity-invalid"


class ObjectionNotFoundError(NotFoundError):
    code = "objection-not-found"
