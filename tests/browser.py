"""Helpers for end-to-end tests: a real `tandem serve` process and headless Chromium."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

from server.bench import CHROMIUM, CHROMIUM_ARGS
from tests.netns import PrivateNetwork

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[str]
    log_path: Path
    #: Where the test process itself reaches the server (differs from ``base_url``, the
    #: browsers', when the server runs in a private network).
    direct_url: str = ""

    def __post_init__(self) -> None:
        self.direct_url = self.direct_url or self.base_url

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def setup_link(self) -> str:
        found = re.search(r"(http://\S+/setup/\S+)", self.log())
        assert found, self.log()
        return found.group(1)


@contextmanager
def serve(
    env: dict[str, str],
    tmp: Path,
    extra_args: tuple[str, ...] = (),
    network: PrivateNetwork | None = None,
    public_url: str | None = None,
) -> Iterator[RunningServer]:
    """A real `tandem serve` on a free port; with ``network``, inside that private network
    (browsers started there use ``base_url``; this process, ``direct_url``). Its
    TANDEM_PUBLIC_URL is that port's address unless ``public_url`` says otherwise (behind a
    reverse proxy)."""
    port = free_port()
    log_path = tmp / f"serve-{port}.log"
    env = {**env, "TANDEM_PUBLIC_URL": public_url or f"http://127.0.0.1:{port}"}
    command = [sys.executable, "-m", "server.cli", "-v", "serve", "--port", str(port)]
    direct_url = ""
    if network is not None:
        command = [*network.prefix, *command, "--host", "0.0.0.0"]
        direct_url = f"http://{network.address}:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*command, *extra_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path, direct_url)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{server.direct_url}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"server did not start:\n{server.log()}") from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def launch_chromium(
    playwright: Playwright, extra_args: tuple[str, ...] = (), executable: str = CHROMIUM
) -> Browser:
    """Headless Chromium; ``executable`` may be a wrapper (PrivateNetwork.chromium)."""
    return playwright.chromium.launch(
        executable_path=executable, args=[*CHROMIUM_ARGS, *extra_args], env=dict(os.environ)
    )


def screenshot_path(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"{name}.png")


def log_in_page(page: Page, base: str, email: str, password: str) -> None:
    """Log in through the login form, as a person does, and land on the home page."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/")
