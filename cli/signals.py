"""Process signals for the long-running commands."""

from __future__ import annotations


def exit_on_sigterm() -> None:
    """SIGTERM ends the process through ``finally`` blocks (uvicorn re-raises the signal after
    its own shutdown; the default action would skip them and orphan the dev server)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
