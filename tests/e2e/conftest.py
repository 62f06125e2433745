"""A real browser for the e2e tests: Debian's Chromium (``/usr/bin/chromium``, installed by
scripts/setup) driven by Playwright. Nothing is downloaded at run time (no ``playwright
install``). Without Chromium or Playwright a test skips locally and fails when CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LAUREL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).parent / "artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI runs the browser test; scripts/setup installs Chromium through apt)")
    pytest.skip(reason)


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=30
    )
    return bool(found.stdout.strip())


# Not session: a live sync_playwright keeps an event loop running, and later asyncio.run()
# calls (the Temporal tests) would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)")
    if not _has_cjk_font():
        _unavailable("no CJK font: Chinese would render as boxes (apt-get install fonts-wqy-microhei)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def artifacts() -> Path:
    """Screenshots land here (gitignored); CI may upload the folder."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
