"""Helpers shared by tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path


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


@contextmanager
def small_disk(mount_point: Path, size: str = "8m") -> Iterator[Path]:
    """A real, size-limited file system (tmpfs) at ``mount_point``: writes past its size fail
    with ENOSPC. Skips the test where mounting is not allowed."""
    import pytest

    mount_point.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def fill_disk(folder: Path) -> Path:
    """Write a ballast file in ``folder`` until its file system has no byte left."""
    ballast = folder / "ballast"
    fd = os.open(ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 1 << 16, 4096, 512, 1):
            block = b"\0" * size
            with suppress(OSError):
                while True:
                    os.write(fd, block)
    finally:
        os.close(fd)
    return ballast
