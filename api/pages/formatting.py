"""Times and durations as the pages show them: instants in the campaign's time zone,
time left as days, hours, minutes and seconds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.pages.i18n import Translator
from domain.vocabulary import PhaseStatus

DEFAULT_TIMEZONE = "Asia/Shanghai"


def parse_instant(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def zone(timezone: str | None) -> ZoneInfo:
    """The campaign's time zone (Asia/Shanghai when it names none the system knows)."""
    try:
        return ZoneInfo(timezone or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_time(value: datetime | str | None, timezone: str | None) -> str:
    """``2022-10-20 08:00`` in the campaign's zone (UTC is how everything is stored), with the
    seconds when they are not zero: a deadline at ``23:59:59`` is not one at ``23:59``."""
    instant = parse_instant(value)
    if instant is None:
        return ""
    local = instant.astimezone(zone(timezone))
    return local.strftime("%Y-%m-%d %H:%M:%S" if local.second else "%Y-%m-%d %H:%M")


def local_date(value: datetime | str | None, timezone: str | None) -> date | None:
    """The calendar date of an instant in the campaign's zone (not UTC's)."""
    instant = parse_instant(value)
    return instant.astimezone(zone(timezone)).date() if instant else None


def zone_name(timezone: str | None) -> str:
    """``Asia/Shanghai, UTC+08:00``: the zone the page's times are in, said once."""
    found = zone(timezone)
    offset = datetime.now(found).strftime("%z")
    return f"{found.key}, UTC{offset[:3]}:{offset[3:]}"


def duration(seconds: float | None, t: Translator) -> str:
    """``3天 4小时 5分 6秒`` / ``3d 4h 5m 6s``, leading zero units left out."""
    total = max(0, int(seconds or 0))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "unit.day"), (hours, "unit.hour"), (minutes, "unit.minute"), (secs, "unit.second")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n}{t(unit)}" for n, unit in parts)


def phase_countdowns(board: dict[str, Any]) -> list[dict[str, Any]]:
    """Each phase of a dashboard with what its countdown shows: time left while it runs
    (the read model's ``seconds_left``), time until it opens, or nothing once closed."""
    as_of = parse_instant(board["as_of"])
    rows = []
    for phase in board["phases"]:
        opens_at, closes_at = parse_instant(phase["opens_at"]), parse_instant(phase["closes_at"])
        closed = phase.get("status") == PhaseStatus.CLOSED
        if not closed and as_of is not None and opens_at is not None and as_of < opens_at:
            mode, seconds = "opens_in", (opens_at - as_of).total_seconds()
        elif (
            not closed
            and phase.get("seconds_left")
            and (closes_at is None or as_of is None or as_of < closes_at)
        ):
            mode, seconds = "left", phase["seconds_left"]
        else:
            mode, seconds = "ended", 0
        rows.append(
            dict(
                phase,
                countdown=mode,
                countdown_seconds=int(seconds),
                shown_status=shown_status(phase, as_of),
            )
        )
    return rows


def shown_status(phase: dict[str, Any], as_of: datetime | None) -> str:
    """What a person expects: open inside the window, closed after it (or once closed by the
    workflow), scheduled before it — whether or not a workflow has recorded the change yet."""
    opens_at, closes_at = parse_instant(phase["opens_at"]), parse_instant(phase["closes_at"])
    closed = phase.get("status") == PhaseStatus.CLOSED
    if closed or as_of is None or opens_at is None or closes_at is None:
        return str(phase.get("status") or "")
    if as_of >= closes_at:
        return PhaseStatus.CLOSED
    return PhaseStatus.OPEN if as_of >= opens_at else PhaseStatus.SCHEDULED
