"""Helpers shared by tests."""

from __future__ import annotations

import subprocess
import sys


def run_tandem(
    args: list[str], env: dict[str, str], timeout: float = 300, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``tandem ARGS`` in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )
