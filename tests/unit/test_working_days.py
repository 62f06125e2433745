"""Working days for 公示 periods: weekends and public holidays skipped, the weekend days worked
in their place (调休) counted, a year the calendar lacks refused rather than guessed. Every
expected date below is counted by hand from the State Council's notices in cn.yaml."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from domain.working_days import CalendarNotCoveredError, load_calendar, shipped_calendar

BEIJING = ZoneInfo("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BEIJING)


def test_a_period_over_national_day_and_a_worked_sunday():
    """Published Friday 27 Sep 2024: Sat 28 off; Sun 29 worked (调休) = 1; Mon 30 = 2;
    1–7 Oct National Day off; Tue 8 = 3, Wed 9 = 4, Thu 10 = 5: closes at midnight into the 11th."""
    cn = shipped_calendar()
    days = cn.working_days_after(date(2024, 9, 27), 5)
    assert days == [
        date(2024, 9, 29),
        date(2024, 9, 30),
        date(2024, 10, 8),
        date(2024, 10, 9),
        date(2024, 10, 10),
    ]
    assert cn.period_end(at(2024, 9, 27, 15, 0), 5, "Asia/Shanghai") == at(2024, 10, 11)


def test_a_period_over_a_plain_weekend_and_the_dragon_boat_festival():
    """Published Wed 5 Jun 2024: Thu 6 = 1, Fri 7 = 2, Sat 8 / Sun 9 off, Mon 10 端午 off,
    Tue 11 = 3, Wed 12 = 4, Thu 13 = 5."""
    cn = shipped_calendar()
    assert cn.holiday_of(date(2024, 6, 10)) == "端午节"
    assert cn.working_days_after(date(2024, 6, 5), 5)[-1] == date(2024, 6, 13)


def test_the_publication_day_is_not_counted_whatever_the_hour():
    cn = shipped_calendar()
    morning = cn.period_end(at(2022, 3, 7, 8, 0), 5, "Asia/Shanghai")  # a Monday
    evening = cn.period_end(at(2022, 3, 7, 23, 59), 5, "Asia/Shanghai")
    assert morning == evening == at(2022, 3, 15)  # Tue 8 … Mon 14, closing into the 15th
    # the instant is read in the campaign's zone: 16:30 UTC on Monday is Tuesday in Beijing
    utc = datetime(2022, 3, 7, 16, 30, tzinfo=ZoneInfo("UTC"))
    assert cn.period_end(utc, 5, "Asia/Shanghai") == at(2022, 3, 16)


def test_a_year_the_calendar_lacks_is_refused_naming_it():
    cn = shipped_calendar()
    with pytest.raises(CalendarNotCoveredError) as refused:
        cn.working_days_after(date(2026, 12, 28), 7)  # runs into 2027
    failure = refused.value.failures[0]
    assert failure.rule == "calendar_covers_period" and failure.actual == 2027
    with pytest.raises(CalendarNotCoveredError):
        cn.is_working_day(date(2021, 6, 1))


def test_worked_weekend_days_are_working_days_and_holidays_are_not():
    cn = shipped_calendar()
    assert cn.is_working_day(date(2023, 6, 25))  # a Sunday worked for 端午
    assert not cn.is_working_day(date(2025, 1, 28))  # 除夕, in the 2025 Spring Festival
    assert not cn.is_working_day(date(2022, 12, 31))  # 2023's New Year began on a Saturday
    assert cn.is_working_day(date(2026, 2, 24))  # the Tuesday after the nine-day Spring Festival


def test_a_calendar_of_ones_own(tmp_path: Path):
    own = tmp_path / "calendar.yaml"
    own.write_text(
        "code: test\nyears:\n  2030:\n    holidays:\n"
        "      - {name: 假日, from: 2030-01-02, to: 2030-01-02}\n"
        "    workdays: [2030-01-05]\n",
        encoding="utf-8",
    )
    calendar = load_calendar(own)
    assert calendar.working_days_after(date(2030, 1, 1), 3) == [
        date(2030, 1, 3),
        date(2030, 1, 4),
        date(2030, 1, 5),
    ]
    own.write_text("years:\n  2030:\n    workdays: [2030-01-07]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Saturday or Sunday"):
        load_calendar(own)
