"""Working days (工作日) for periods the rules count in them — a 公示 of five working days
skips weekends and public holidays and counts the weekend days worked in their place (调休).

The calendar is data (``domain/calendars/cn.yaml``, or a file of the same shape named by
``LAUREL_HOLIDAY_CALENDAR``), one entry per year as the State Council announces it. A year the
calendar does not hold is never guessed: counting into it raises ``CalendarNotCoveredError``
naming the year, so a period is not silently shortened by an unknown holiday.

A period of *n* working days published at an instant starts on the first working day after the
day of publication (the day itself is not counted: a notice put up in the afternoon has not
been up a working day) and ends at midnight after its *n*-th working day, in the campaign's
time zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from domain.errors import RuleFailure, RuleViolationError

MAX_PERIOD_WORKING_DAYS = 60
SATURDAY = 5


class CalendarNotCoveredError(RuleViolationError):
    """A period runs into a year the holiday calendar does not hold."""

    code = "calendar-not-covered"


@dataclass(frozen=True)
class HolidayCalendar:
    code: str
    name_zh: str
    name_en: str
    years: frozenset[int]
    off: Mapping[date, str] = field(default_factory=dict)  # day -> the holiday's name
    workdays: frozenset[date] = frozenset()  # weekend days worked (调休上班)

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def require_covered(self, day: date) -> None:
        if not self.covers(day):
            known = ", ".join(str(y) for y in sorted(self.years))
            raise CalendarNotCoveredError(
                [
                    RuleFailure(
                        "calendar_covers_period",
                        f"the holiday calendar '{self.code}' holds no data for {day.year} "
                        f"(it holds {known}): add the year's holidays before counting working days",
                        f"节假日日历「{self.code}」没有 {day.year} 年的数据（已有 {known}）："
                        "请先补充该年的放假安排",
                        field="calendar",
                        expected=sorted(self.years),
                        actual=day.year,
                    )
                ]
            )

    def is_working_day(self, day: date) -> bool:
        self.require_covered(day)
        if day in self.workdays:
            return True
        if day in self.off:
            return False
        return day.weekday() < SATURDAY

    def holiday_of(self, day: date) -> str | None:
        return self.off.get(day)

    def working_days_after(self, day: date, n: int) -> list[date]:
        """The first ``n`` working days after ``day``."""
        if not 1 <= n <= MAX_PERIOD_WORKING_DAYS:
            raise ValueError(f"a period of 1..{MAX_PERIOD_WORKING_DAYS} working days, not {n}")
        found: list[date] = []
        current = day
        while len(found) < n:
            current += timedelta(days=1)
            if self.is_working_day(current):
                found.append(current)
        return found

    def period_end(self, published_at: datetime, n: int, zone: str) -> datetime:
        """When a period of ``n`` working days published at ``published_at`` closes: midnight
        after its last working day, in ``zone`` (an aware instant)."""
        tz = ZoneInfo(zone)
        last = self.working_days_after(published_at.astimezone(tz).date(), n)[-1]
        return datetime.combine(last + timedelta(days=1), time(0), tz)


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def parse_calendar(data: Mapping[str, Any]) -> HolidayCalendar:
    """A calendar from its YAML shape (see ``domain/calendars/cn.yaml``)."""
    off: dict[date, str] = {}
    workdays: set[date] = set()
    years: set[int] = set()
    for year, entry in (data.get("years") or {}).items():
        years.add(int(year))
        for holiday in entry.get("holidays") or ():
            start, end = holiday["from"], holiday["to"]
            if not isinstance(start, date) or not isinstance(end, date) or end < start:
                raise ValueError(f"{year}: a holiday needs from <= to as dates: {holiday}")
            for day in _days(start, end):
                off[day] = str(holiday["name"])
        for day in entry.get("workdays") or ():
            if not isinstance(day, date) or day.weekday() < SATURDAY:
                raise ValueError(f"{year}: a worked weekend day must be a Saturday or Sunday: {day}")
            workdays.add(day)
    return HolidayCalendar(
        code=str(data.get("code") or "custom"),
        name_zh=str(data.get("name_zh") or data.get("code") or ""),
        name_en=str(data.get("name_en") or data.get("code") or ""),
        years=frozenset(years),
        off=off,
        workdays=frozenset(workdays),
    )


@cache
def shipped_calendar(code: str = "cn") -> HolidayCalendar:
    text = resources.files("domain.calendars").joinpath(f"{code}.yaml").read_text("utf-8")
    return parse_calendar(yaml.safe_load(text))


def load_calendar(path: Path | None) -> HolidayCalendar:
    """The configured calendar file, or the shipped one."""
    if path is None:
        return shipped_calendar()
    return parse_calendar(yaml.safe_load(path.read_text("utf-8")))
