"""The kinds of notice, with their labels, and which of them a person cannot mute."""

from __future__ import annotations

from domain.vocabulary import Term


class NoticeKind(Term):
    DEADLINE_APPROACHING = "deadline_approaching", "截止提醒", "Deadline approaching"
    LAPSED = "lapsed", "逾期未办", "Lapsed at a phase's close"
    ADMITTED = "admitted", "初审通过", "Passed pre-review"
    REJECTED = "rejected", "初审未通过", "Rejected at pre-review"
    RETURNED = "returned", "退回修改", "Returned for amendment"
    INSPECTION_SCHEDULED = "inspection_scheduled", "考核安排", "Inspection scheduled"
    COMMENDED = "commended", "表彰", "Commended"
    PUBLICITY_OUTCOME = "publicity_outcome", "公示结果", "Publicity outcome"
    OBJECTION_OUTCOME = "objection_outcome", "异议处理结果", "Objection decided"
    REVOKED = "revoked", "撤销荣誉", "Title revoked"
    REINSPECTION_DUE = "reinspection_due", "复查到期", "Re-inspection due"
    SILENT_ESCALATION = "silent_escalation", "未申报督办", "Silent unit escalated"
    DAILY_DIGEST = "daily_digest", "每日待办汇总", "Daily digest"


# Rejection, return for amendment and revocation take something away: the unit must hear it.
MANDATORY: frozenset[NoticeKind] = frozenset(
    {NoticeKind.REJECTED, NoticeKind.RETURNED, NoticeKind.REVOKED}
)


class DeliveryMode(Term):
    """What a person chose for a kind of notice (the inbox shows every kind not muted)."""

    IMMEDIATE = "immediate", "即时邮件", "E-mail at once"
    DIGEST = "digest", "每日汇总", "In the daily digest"
    MUTED = "muted", "不接收", "Muted"


class Channel(Term):
    INBOX = "inbox", "站内消息", "Inbox"
    EMAIL = "email", "电子邮件", "E-mail"
