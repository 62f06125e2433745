"""The ``laurel`` command line as an operator runs it: a separate process over a store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def laurel_env(database_url: str, home: Path) -> dict[str, str]:
    """The environment of a ``laurel`` process over ``database_url``, its home in ``home``."""
    return dict(
        os.environ, LAUREL_DATABASE_URL=database_url, LAUREL_HOME_DIR=str(home), LAUREL_LOG_FORMAT="json"
    )


def laurel(database_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``laurel <args>`` run to its end (two minutes at most), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=laurel_env(database_url, home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
