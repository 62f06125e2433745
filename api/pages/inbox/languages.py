"""A notice as the inbox and feed pages show it: its kind's label, and its two languages, the
reader's first, the other after it (``domain.notifications.rendering`` stores subject
"<zh> / <en>" and one body, Chinese, a separator line, English)."""

from __future__ import annotations

from typing import Any

from api.notices import kind_labels
from api.pages.i18n import Translator
from domain.notifications.rendering import body_parts, subject_parts


def notice_fields(row: dict[str, Any], t: Translator) -> dict[str, Any]:
    """What an inbox row and a feed row show alike."""
    labels = kind_labels(row["kind"])
    return {
        "id": row["id"],
        "kind": row["kind"],
        "kind_label": labels["kind_zh"] if t.lang == "zh" else labels["kind_en"],
        "mandatory": labels["mandatory"],
        "text": in_reader_order(row.get("subject") or "", row.get("body") or "", t.lang),
        "subject_id": row.get("subject_id") or "",
    }


def in_reader_order(subject: str, body: str, lang: str) -> dict[str, Any]:
    """``subject`` and ``lang`` the reader's; ``other`` the rest, each part
    ``{"lang", "subject", "body"}`` (``other`` None when the notice has one language only)."""
    zh_subject, en_subject = subject_parts(subject)
    zh_body, en_body = body_parts(body)
    zh = {"lang": "zh-CN", "subject": zh_subject, "body": zh_body}
    en = {"lang": "en", "subject": en_subject, "body": en_body}
    if not (en_subject or en_body):  # one text: shown as it is, in no declared language
        return {"first": {**zh, "lang": None}, "other": None}
    first, other = (en, zh) if lang == "en" else (zh, en)
    return {"first": first, "other": other}
