"""Holiday calendars for tests that run at the wall clock: the shipped calendar holds only the
years the State Council has announced, and counting working days into a later year is refused,
so such a test brings a calendar (weekends only) for the years around today."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def weekends_only(directory: Path, years_ahead: int = 2) -> Path:
    """A calendar file with no public holidays for last year through ``years_ahead`` years on."""
    this_year = datetime.now(UTC).year
    years = "".join(
        f"  {year}:\n    holidays: []\n" for year in range(this_year - 1, this_year + years_ahead + 1)
    )
    path = directory / "weekends-only.yaml"
    path.write_text(f"code: weekends-only\nyears:\n{years}", encoding="utf-8")
    return path
