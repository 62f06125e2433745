"""What the audit pages share: a campaign's label, the htmx fragment test, one half of the
chain's bilingual texts, and an instant typed in a campaign's time zone."""

from __future__ import annotations

from datetime import datetime

from api.instants import checked_as_of
from api.pages.formatting import zone
from api.pages.i18n import Translator
from domain.errors import RuleFailure, RuleViolationError

LOCAL_INPUT = "%Y-%m-%dT%H:%M:%S"  # a datetime-local input's value (step="1": to the second)


def in_language(text: str | None, t: Translator) -> str:
    """One half of the chain's bilingual ``English / 中文`` problem texts."""
    if not text or " / " not in text:
        return text or ""
    english, _, chinese = text.rpartition(" / ")
    return chinese if t.lang == "zh" else english


# --- an instant typed in a campaign's time zone ------------------------------------------------


def local_input(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime(LOCAL_INPUT)


def instant_of(text: str, timezone: str, field: str = "at") -> datetime:
    """``text`` from a ``datetime-local`` input, read in the campaign's zone (an offset typed
    with it wins); refused next to ``field`` when it names no instant."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(timezone))
        return checked_as_of(moment)
    except ValueError:
        failure = RuleFailure(
            "instant_format",
            "enter a date and time, e.g. 2022-11-15T10:00",
            "请输入日期和时间，例如 2022-11-15T10:00",
            field,
        )
    except RuleViolationError as exc:
        failure = RuleFailure(
            exc.failures[0].rule, exc.failures[0].message_en, exc.failures[0].message_zh, field
        )
    raise RuleViolationError([failure], "The date and time is not valid", "日期时间无效")


def errors_of(exc: RuleViolationError, t: Translator) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for f in exc.failures:
        errors.setdefault(f.field or "", []).append(f.message_zh if t.lang == "zh" else f.message_en)
    return errors
