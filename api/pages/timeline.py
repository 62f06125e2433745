"""A nomination's history (``app.queries.history``) as the timeline page shows it: each event
with its name, time, actor (role, unit, token) and what it decided and why, in the reader's
language (a lapse's reason is said from its phase, not the stored bilingual text; a phase by
its name, not its code). An event without an entry in ``DETAILS`` shows its reason, if any."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.pages.formatting import local_time
from api.pages.i18n import Translator
from domain.campaigns import Campaign
from domain.errors import DomainError
from domain.history import event_class_type
from domain.nominations import Nomination
from domain.rules.material import count_characters


@dataclass
class TimelineEntry:
    type: str
    label: str
    when: str
    actor_role: str
    actor_unit: str
    actor_token: str
    reasons: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    link: str | None = None
    at: str = ""  # the instant, ISO 8601 (for <time datetime>)


@dataclass(frozen=True)
class Reading:
    """What an event's details are read with: the reader's language and the campaign."""

    t: Translator
    campaign: Campaign

    @property
    def timezone(self) -> str:
        return self.campaign.timezone

    def phase(self, code: str | None) -> str:
        """A phase's name (its code if the campaign names no such phase)."""
        try:
            return self.t.name(self.campaign.phase(str(code)))
        except (DomainError, KeyError, ValueError):
            return str(code or "")


def _score(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else str(value or "")


def _inspection(data: dict[str, Any], t: Translator) -> list[tuple[str, str]]:
    inspection = data.get("inspection") or {}
    details = [
        (t("event.verdict"), t.verdict(inspection.get("verdict"))),
        (t("event.score"), _score(inspection.get("weighted_score"))),
        (t("event.methods"), "、".join(t.method(m) for m in inspection.get("methods") or [])),
    ]
    if inspection.get("notes"):
        details.append((t("event.notes"), str(inspection["notes"])))
    return details


Details = tuple[list[str], list[tuple[str, str]], str | None]  # reasons, other details, a link


def _reason(data: dict[str, Any]) -> list[str]:
    return [str(data.get("reason") or "")]


def _declared(data: dict[str, Any], r: Reading) -> Details:
    chars = count_characters(str(data.get("material") or ""))  # counted as the rule counts
    return [], [(r.t("event.material_chars"), str(chars))], None


def _pre_reviewed(data: dict[str, Any], r: Reading) -> Details:
    decision = (r.t("event.decision"), r.t.decision(data.get("decision")))
    return list(data.get("reasons") or []), [decision], None


def _inspected(data: dict[str, Any], r: Reading) -> Details:
    return [], _inspection(data, r.t), None


def _commended(data: dict[str, Any], r: Reading) -> Details:
    rank, score = str(data.get("rank")), _score(data.get("score"))
    return [], [(r.t("event.rank"), rank), (r.t("event.score"), score)], None


def _lapsed(data: dict[str, Any], r: Reading) -> Details:
    """The stored reason is bilingual ("phase 'x' closed … / 阶段「…」截止…"): said again here
    in the reader's language from the phase."""
    phase = r.phase(data.get("phase"))
    return [r.t("event.lapsed_reason", phase=phase)], [(r.t("event.phase"), phase)], None


def _revoked(data: dict[str, Any], r: Reading) -> Details:
    return _reason(data), [(r.t("event.cause"), r.t.cause(data.get("cause")))], None


def _reinspection_due(data: dict[str, Any], r: Reading) -> Details:
    return [], [(r.t("event.due_by"), local_time(data.get("due_by"), r.timezone))], None


def _forwarded(data: dict[str, Any], r: Reading) -> Details:
    target = str(data.get("target_nomination_id") or "")
    shown = (r.t("event.target"), r.t("event.target_link"))
    return [], [shown] if target else [], f"/ui/nominations/{target}" if target else None


def _default(data: dict[str, Any], _r: Reading) -> Details:
    """An event shown by its name, actor and reason (if it has one)."""
    return _reason(data), [], None


DETAILS: dict[str, Callable[[dict[str, Any], Reading], Details]] = {
    event_class_type(cls): show
    for cls, show in (
        (Nomination.Declared, _declared),
        (Nomination.PreReviewed, _pre_reviewed),
        (Nomination.Inspected, _inspected),
        (Nomination.Reinspected, _inspected),
        (Nomination.Commended, _commended),
        (Nomination.Lapsed, _lapsed),
        (Nomination.Revoked, _revoked),
        (Nomination.ReinspectionDue, _reinspection_due),
        (Nomination.Forwarded, _forwarded),
    )
}


def timeline(
    history: list[dict[str, Any]],
    t: Translator,
    campaign: Campaign,
    unit_name: Callable[[str | None], str],
) -> list[TimelineEntry]:
    reading = Reading(t, campaign)
    timezone = campaign.timezone
    entries = []
    for event in history:
        actor = event.get("actor") or {}
        show = DETAILS.get(event["type"], _default)
        reasons, details, link = show(event.get("data") or {}, reading)
        entries.append(
            TimelineEntry(
                type=event["type"],
                label=t.event(event["type"]),
                when=local_time(event["occurred_at"], timezone),
                actor_role=t.role(actor.get("role")),
                actor_unit=unit_name(actor.get("unit_id")),
                actor_token=str(actor.get("token_id") or ""),
                reasons=[r for r in reasons if r],
                details=details,
                link=link,
                at=str(event["occurred_at"]),
            )
        )
    return entries
