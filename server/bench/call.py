"""`tandem bench call`: server CPU and memory per call session, peer-to-peer vs relay.

For each media mode, a real `tandem serve` process is started on a scratch data directory with
N sessions; a separate client process runs 2N scripted participants (aiortc) that stream speech
in real time (and, in relay mode, a 640x480 camera each way). The server's CPU time is read
from /proc over a steady window after a warm-up, and reported as a percentage of one core,
overall and per session, with its resident memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.settings import Settings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_s: float
    rss_mb: float
    peak_mb: float


def process_usage(pid: int) -> Usage:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    rss = int(status["VmRSS"].split()[0]) / 1024
    peak = int(status["VmHWM"].split()[0]) / 1024
    return Usage(cpu, rss, peak)


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("call", help="server CPU and memory per call, P2P vs relay")
    parser.add_argument("--sessions", type=int, default=2, help="concurrent sessions (default 2)")
    parser.add_argument("--seconds", type=float, default=30.0, help="measured window (default 30)")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds before measuring")
    parser.add_argument("--modes", default="p2p,relay", help="modes to run (default p2p,relay)")
    parser.add_argument("--transcription", action="store_true",
                        help="keep live transcription on (off: media cost only)")  # fmt: skip
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")


def _prepare(data_dir: Path, sessions: int) -> list[dict[str, Any]]:
    from server.auth import add_person, load_secret_key, sign, start_session
    from server.db.calls import start_session as start_call
    from server.db.directory import create_mentorship
    from server.db.engine import Database

    settings = Settings.from_env({"TANDEM_DATA_DIR": str(data_dir)})
    database = Database.open(settings.database_url)
    plan: list[dict[str, Any]] = []
    tokens: list[list[str]] = []
    try:
        with database.sessions() as db:
            for k in range(sessions):
                mentor = add_person(db, f"mentor{k}@bench.local", f"Mentor {k}", "mentor")
                mentee = add_person(db, f"mentee{k}@bench.local", f"Mentee {k}", "mentee")
                mentorship = create_mentorship(db, mentor.email, mentee.email)
                plan.append({"session_id": start_call(db, mentorship).id})
                tokens.append([start_session(db, mentor), start_session(db, mentee)])
    finally:
        database.close()
    key = load_secret_key(data_dir, None)
    for entry, pair in zip(plan, tokens, strict=True):
        entry["cookies"] = [f"tandem_session={sign(key, t)}" for t in pair]
    return plan


def _wait_healthy(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the server exited during start-up")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def read_health(base: str, data_dir: Path) -> dict[str, Any]:
    """The server's /healthz in detail, with the monitor token of its data directory."""
    from server.auth import load_secret_key, monitor_token

    key = load_secret_key(data_dir, os.environ.get("TANDEM_SECRET_KEY") or None)
    request = urllib.request.Request(
        f"{base}/healthz", headers={"Authorization": f"Bearer {monitor_token(key)}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        document: dict[str, Any] = json.load(response)
        return document


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def measure(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tandem-bench-call-") as scratch:
        data = Path(scratch)
        plan = _prepare(data, args.sessions)
        port = _free_port()
        env = {
            **os.environ,
            "TANDEM_DATA_DIR": str(data),
            "TANDEM_MEDIA_MODE": mode,
            "TANDEM_LIVE_TRANSCRIPTION": "1" if args.transcription else "0",
            "TANDEM_ROOM_GRACE_S": "1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, server)
            plan_file = data / "plan.json"
            plan_file.write_text(json.dumps({"base": base, "sessions": plan}))
            total = args.warmup + args.seconds + 2
            clients = subprocess.Popen(
                [sys.executable, "-m", "server.bench.call", str(plan_file), str(total)],
                env=env,
            )
            time.sleep(args.warmup)
            before, started = process_usage(server.pid), time.monotonic()
            time.sleep(args.seconds)
            after, ended = process_usage(server.pid), time.monotonic()
            calls = read_health(base, data)["calls"]
            clients.wait(timeout=60)
        finally:
            server.terminate()
            server.wait(timeout=30)
    cpu_percent = (after.cpu_s - before.cpu_s) / (ended - started) * 100
    return {
        "mode": mode,
        "sessions": args.sessions,
        "seconds": round(ended - started, 1),
        "peer_connections": calls["peer_connections"],
        "cpu_percent": cpu_percent,
        "cpu_percent_per_session": cpu_percent / args.sessions,
        "rss_mb": after.rss_mb,
        "peak_mb": after.peak_mb,
    }


def run(args: argparse.Namespace, settings: Settings) -> int:
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    print(
        f"bench call: {args.sessions} session(s), 2 scripted participants each, "
        f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, "
        f"transcription {'on' if args.transcription else 'off'}\n"
    )
    header = (
        f"{'mode':<6} {'sessions':>8} {'PCs':>4} {'server CPU':>11} {'per session':>12} "
        f"{'RSS MB':>7} {'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for mode in modes:
        figures = measure(mode, args)
        results.append(figures)
        print(
            f"{mode:<6} {figures['sessions']:>8} {figures['peer_connections']:>4} "
            f"{figures['cpu_percent']:10.1f}% {figures['cpu_percent_per_session']:11.1f}% "
            f"{figures['rss_mb']:7.0f} {figures['peak_mb']:8.0f}"
        )
    print("\nCPU is a percentage of one core. Target: peer-to-peer <= 8% per session "
          "without transcription; relay reported.")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


# -- the client process -----------------------------------------------------------------------
async def _clients(plan: dict[str, Any], seconds: float) -> None:
    from server.bench.call_client import ScriptedParticipant, packetize_like_a_browser
    from server.calls.sdp import UPLINK_PTIME_MS

    packetize_like_a_browser(UPLINK_PTIME_MS)
    from server.bench.speech import SENTENCES, VOICES, render_sentence

    speech = [render_sentence(" ".join(SENTENCES[i::2]), VOICES[i]) for i in range(2)]
    ws_base = plan["base"].replace("http", "ws")
    participants = [
        ScriptedParticipant(
            f"{ws_base}/ws/sessions/{entry['session_id']}", cookie, speech[i], loop_audio=True
        )
        for entry in plan["sessions"]
        for i, cookie in enumerate(entry["cookies"])
    ]
    await asyncio.gather(*(p.start() for p in participants))
    await asyncio.sleep(seconds)
    await asyncio.gather(*(p.close() for p in participants))


if __name__ == "__main__":
    plan_path, duration = sys.argv[1], float(sys.argv[2])
    asyncio.run(_clients(json.loads(Path(plan_path).read_text()), duration))


@contextmanager
def serving(data: Path, **env: str) -> Iterator[str]:
    """`tandem serve` on a free port with ``data`` as its data directory (live transcription
    off unless given); yields its base URL and stops it afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "TANDEM_DATA_DIR": str(data), "TANDEM_PUBLIC_URL": base,
                   "TANDEM_LIVE_TRANSCRIPTION": "0", **env}  # fmt: skip
    with (data / "server.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_healthy(base, server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def log_in(page: Any, base: str, email: str, password: str) -> None:
    """Log a Playwright page in through the login form."""
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{base}/")
