"""A nomination's history (``Laurel.history``) as the timeline page shows it: each event
with its time, its actor (role, unit, token) and what it decided and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from api.pages.formatting import local_time
from api.pages.i18n import Translator


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


def _score(value: Any) -> str:
    return f"{float(value):.2f}" if isinstance(value, int | float) else str(value or "")


def _inspection(data: dict[str, Any], t: Translator) -> list[tuple[str, str]]:
    inspection = data.get("inspection") or {}
    details = [
        (
            t("event.verdict"),
            t(f"verdict.{inspection.get('verdict')}")
            if inspection.get("verdict") in ("pass", "fail")
            else str(inspection.get("verdict") or ""),
        ),
        (t("event.score"), _score(inspection.get("weighted_score"))),
        (t("event.methods"), "、".join(t.method(m) for m in inspection.get("methods") or [])),
    ]
    if inspection.get("notes"):
        details.append((t("event.notes"), str(inspection["notes"])))
    return details


def _details(
    kind: str, data: dict[str, Any], t: Translator, timezone: str
) -> tuple[list[str], list[tuple[str, str]], str | None]:
    """(reasons, other details, a link) of one event."""
    name = kind.rpartition(".")[2]
    if name == "declared":
        return [], [(t("event.material_chars"), str(len(str(data.get("material") or ""))))], None
    if name == "pre_reviewed":
        decision = data.get("decision")
        label = t(f"decision.{decision}") if decision in ("admit", "reject") else str(decision)
        return list(data.get("reasons") or []), [(t("event.decision"), label)], None
    if name in ("inspected", "reinspected"):
        return [], _inspection(data, t), None
    if name == "commended":
        return (
            [],
            [(t("event.rank"), str(data.get("rank"))), (t("event.score"), _score(data.get("score")))],
            None,
        )
    if name == "lapsed":
        return [str(data.get("reason") or "")], [(t("event.phase"), str(data.get("phase") or ""))], None
    if name == "revoked":
        cause = data.get("cause")
        return (
            [str(data.get("reason") or "")],
            [
                (
                    t("event.cause"),
                    t(f"cause.{cause}")
                    if cause in ("reinspection_failed", "not_reinspected", "decision")
                    else str(cause),
                )
            ],
            None,
        )
    if name == "withdrawn":
        return [str(data.get("reason") or "")], [], None
    if name == "reinspection_due":
        return [], [(t("event.due_by"), local_time(data.get("due_by"), timezone))], None
    if name == "forwarded":
        target = str(data.get("target_nomination_id") or "")
        return [], [(t("event.target"), target)], f"/ui/nominations/{target}" if target else None
    return [], [], None


def timeline(
    history: list[dict[str, Any]], t: Translator, timezone: str, unit_name: Callable[[str | None], str]
) -> list[TimelineEntry]:
    entries = []
    for event in history:
        actor = event.get("actor") or {}
        reasons, details, link = _details(event["type"], event.get("data") or {}, t, timezone)
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
            )
        )
    return entries
