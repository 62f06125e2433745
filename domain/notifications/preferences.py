"""What a person may choose per kind of notice: e-mail at once, in the daily digest, or muted
(issue 24, item 5). Rejection, return for amendment and revocation take something away from a
unit, so they cannot be muted (``notice-mandatory``, 422); the digest itself is not a choice."""

from __future__ import annotations

from domain.errors import RuleFailure, RuleViolationError
from domain.notifications.kinds import MANDATORY, DeliveryMode, NoticeKind


class PreferenceInvalidError(RuleViolationError):
    code = "preference-invalid"


class NoticeMandatoryError(RuleViolationError):
    code = "notice-mandatory"


def check_preference(
    kind: str, mode: str, *, has_address: bool = True
) -> tuple[NoticeKind, DeliveryMode]:
    """The kind and mode of a preference, or the rules it breaks. ``has_address``: False for
    a token that names no person (no e-mail), for which the digest means nothing."""
    notice_kind, delivery_mode = NoticeKind.parse(kind), DeliveryMode.parse(mode)
    failures = []
    if notice_kind is None or notice_kind == NoticeKind.DAILY_DIGEST:
        choosable = [k for k in NoticeKind.codes() if k != NoticeKind.DAILY_DIGEST]
        failures.append(
            RuleFailure(
                "notice_kind_known",
                "a preference names a kind of notice",
                "须为已知的通知类别",
                "kind",
                choosable,
                kind,
            )
        )
    if delivery_mode is None:
        failures.append(
            RuleFailure(
                "delivery_mode_known",
                "the mode is immediate, digest or muted",
                "接收方式须为即时邮件、每日汇总或不接收",
                "mode",
                DeliveryMode.codes(),
                mode,
            )
        )
    if delivery_mode == DeliveryMode.DIGEST and not has_address:
        failures.append(
            RuleFailure(
                "digest_needs_email",
                "this token names no person: its notices are in the inbox only, never in a digest",
                "此令牌未关联联系人，只能在站内查看消息，不能选择每日汇总",
                "mode",
                [str(DeliveryMode.IMMEDIATE), str(DeliveryMode.MUTED)],
                mode,
            )
        )
    if failures:
        raise PreferenceInvalidError(failures)
    assert notice_kind is not None and delivery_mode is not None
    if delivery_mode == DeliveryMode.MUTED and notice_kind in MANDATORY:
        raise NoticeMandatoryError(
            [
                RuleFailure(
                    "notice_mandatory",
                    f"'{notice_kind.en}' notices cannot be muted",
                    f"「{notice_kind.zh}」类通知不可关闭",
                    "mode",
                    [str(DeliveryMode.IMMEDIATE), str(DeliveryMode.DIGEST)],
                    mode,
                )
            ]
        )
    return notice_kind, delivery_mode
