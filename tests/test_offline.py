"""No network at run time: analyze and serve open no outbound connection and resolve no name.

Each command runs in a child process with a Python audit hook that records every socket
connect, send and name lookup; loopback (the test talking to the server) is the only peer
allowed.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from server.bench.call_client import ScriptedParticipant
from server.settings import Settings
from tests.call_helpers import prepare_call
from tests.conftest import DialogueFiles

HOOKED = """
import json, os, sys
_log = open(os.environ["TANDEM_NET_LOG"], "a", buffering=1)
_WATCHED = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
            "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request"}
_TO = {"socket.connect", "socket.sendto", "socket.sendmsg"}
def _hook(event, args):
    if event in _WATCHED:
        # For sends and connects, log only where they go (not the local socket's address).
        shown = repr(args[1]) if event in _TO and len(args) > 1 else repr(args)
        _log.write(json.dumps([event, shown]) + "\\n")
sys.addaudithook(_hook)
if sys.argv[1] == "--probe":
    import socket
    try:
        socket.create_connection(("192.0.2.1", 80), timeout=0.05)
    except OSError:
        pass
    sys.exit(0)
from server.cli import main
sys.exit(main(sys.argv[1:]))
"""

LOOPBACK = ("127.0.0.1", "'localhost'", "::1")


def _hooked(args: list[str]) -> list[str]:
    return [sys.executable, "-c", HOOKED, *args]


def _outbound(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return [e for e in events if not any(host in e[1] for host in LOOPBACK)]


def test_the_hook_sees_a_connection_attempt(tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "net.log"
    subprocess.run(_hooked(["--probe"]), env={**env, "TANDEM_NET_LOG": str(log)}, check=True)
    assert any("192.0.2.1" in e[1] for e in _outbound(log))


def test_analyze_and_save_stay_offline(
    tmp_path: Path, env: dict[str, str], dialogue_files: DialogueFiles
) -> None:
    log = tmp_path / "net.log"
    args = ["analyze", "--stereo", str(dialogue_files.stereo), "--save", "--model", "base"]
    done = subprocess.run(
        _hooked(args),
        env={**env, "TANDEM_NET_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "saved session" in done.stdout
    assert _outbound(log) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _own_addresses() -> set[str]:
    """This machine's interface addresses: ICE checks between local peers go there."""
    found = set()
    for family, target in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            try:
                probe.connect((target, 9))  # picks the outgoing interface; sends nothing
                found.add(probe.getsockname()[0])
            except OSError:
                pass
    for info in socket.getaddrinfo(socket.gethostname(), None):
        found.add(str(info[4][0]))
    return found


def test_serve_and_a_call_stay_offline(tmp_path: Path, env: dict[str, str]) -> None:
    log = tmp_path / "net.log"
    port = _free_port()
    env = {**env, "TANDEM_MEDIA_MODE": "relay", "TANDEM_ROOM_GRACE_S": "1"}
    session_id, cookies = prepare_call(Settings.from_env(env))
    server = subprocess.Popen(
        _hooked(["serve", "--port", str(port)]),
        env={**env, "TANDEM_NET_LOG": str(log)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        expected = {"/": 200, "/login": 200, "/search?q=plan": 200, "/api/sessions": 401}
        for path, status in expected.items():
            try:
                with urllib.request.urlopen(base + path, timeout=5) as response:
                    got = response.status
            except urllib.error.HTTPError as error:
                got = error.code
            assert got == status, path

        # A relayed call: ICE, DTLS and RTP between this machine's own addresses only.
        url = f"ws://127.0.0.1:{port}/ws/sessions/{session_id}"

        async def call() -> None:
            tone = np.zeros(16000, dtype=np.float32)
            people = [
                ScriptedParticipant(url, cookies[role], tone, loop_audio=True)
                for role in ("mentor", "mentee")
            ]
            for person in people:
                await person.start()
            await asyncio.sleep(2.0)
            assert all(p.received.video_frames > 0 for p in people)
            for person in people:
                await person.close()

        asyncio.run(call())
    finally:
        server.terminate()
        server.wait(timeout=30)
    own = _own_addresses()
    outbound = [e for e in _outbound(log) if not any(e[1].startswith(f"('{a}'") for a in own)]
    assert outbound == []
    assert any(e[0] == "socket.sendto" for e in _outbound(log)), "the call's ICE was seen"
