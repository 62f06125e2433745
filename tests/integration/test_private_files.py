"""The embedded stack's files are its owner's alone: the home folder 0700, the SQLite store
(which holds the webhook signing secrets) and its WAL files 0600, the admin token 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from infra.bootstrap import bootstrap
from infra.settings import Settings, ensure_admin_token
from tests.builders.tree import UNIT_TREE
from tests.builders.world import World


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_home_folder_the_store_and_the_admin_token_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask: files would be world-readable without care
    try:
        home = tmp_path / ".laurel"
        settings = ensure_admin_token(Settings(home_dir=home))
        services = bootstrap(settings, configure_logs=False)
        try:
            World(services.app).register(UNIT_TREE[:1])  # writes: the WAL exists
            files = [
                home / "laurel.sqlite3",
                home / "admin-token",
                *[p for p in home.iterdir() if p.name.startswith("laurel.sqlite3-")],
            ]
            assert mode(home) == 0o700
            assert len(files) >= 3, files
            assert {p.name: mode(p) for p in files} == {p.name: 0o600 for p in files}
        finally:
            services.close()
    finally:
        os.umask(old)


def test_a_store_named_outside_the_home_folder_is_private_but_its_folder_is_left_alone(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    services = bootstrap(
        Settings(database_url=f"sqlite:///{shared / 'laurel.sqlite3'}", home_dir=tmp_path / ".laurel"),
        configure_logs=False,
    )
    services.close()
    assert mode(shared / "laurel.sqlite3") == 0o600 and mode(shared) == 0o755
