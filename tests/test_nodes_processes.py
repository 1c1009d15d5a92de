"""Two `tandem serve` processes on one PostgreSQL database and one data directory, for real:
a call held on each, each pair reaching its call's node by the page's socket address (or the
``elsewhere`` answer of the other node); captions; the refinement of the call held by the
process that leaves refinement to others, taken by the other; one process killed with SIGKILL
mid-call, its call interrupted by the survivor, and the pair's next call held by the
survivor. Then nginx with deploy/nginx.conf in front of two processes: TLS, the WebSocket
upgrade and the per-node routing. Runs on the test session's throwaway PostgreSQL cluster
(tests/postgres.py) whichever backend the run is on."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.auth import add_person, load_secret_key, monitor_token, sign, start_session
from server.bench.call_client import ScriptedParticipant
from server.bench.speech import Dialogue
from server.bench.wer import word_errors
from server.db.calls import start_session as start_call
from server.db.directory import create_mentorship
from server.db.engine import Database
from server.db.nodes import BEAT_S, STALE_S
from server.db.tables import Session
from server.security import session_csrf
from server.settings import PROJECT_DIR, Settings
from server.tls import self_signed
from tests.browser import RunningServer, free_port, serve
from tests.call_helpers import SignalingClient
from tests.helpers import run_tandem
from tests.postgres import Databases

pytestmark = pytest.mark.slow

WS_URL = re.compile(r'data-ws-url="([^"]*)"')
NGINX_CONF = PROJECT_DIR / "deploy" / "nginx.conf"


@dataclass(frozen=True)
class Pair:
    mentorship_id: int
    session_id: int
    #: Cookie header per role.
    cookies: dict[str, str]


def _pairs(settings: Settings, count: int) -> list[Pair]:
    """``count`` mentorships, each with a call session ready and both members logged in."""
    key = load_secret_key(settings.data_dir, None)
    database = Database.open(settings.database_url)
    pairs = []
    try:
        with database.sessions() as db:
            for n in range(count):
                people = {
                    role: add_person(db, f"{role}{n}@example.org", f"{role.title()} {n}", role)
                    for role in ("mentor", "mentee")
                }
                mentorship = create_mentorship(
                    db, f"mentor{n}@example.org", f"mentee{n}@example.org"
                )
                session_id = start_call(db, mentorship).id
                cookies = {
                    role: f"tandem_session={sign(key, start_session(db, person))}"
                    for role, person in people.items()
                }
                pairs.append(Pair(mentorship.id, session_id, cookies))
    finally:
        database.close()
    return pairs


def _get(url: str, cookie: str = "", context: ssl.SSLContext | None = None) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        text: str = response.read().decode()
        return text


def _page_socket(
    base: str, session_id: int, cookie: str, context: ssl.SSLContext | None = None
) -> str:
    """The call socket the call page served by ``base`` opens (as static/call.js does)."""
    page = _get(f"{base}/sessions/{session_id}/call", cookie, context)
    found = WS_URL.search(page)
    assert found is not None, page[:2000]
    given = unescape(found.group(1))
    if given:
        return given
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}/ws/sessions/{session_id}"


def _socket(server: RunningServer, session_id: int) -> str:
    return server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"


def _wait(check: Callable[[], bool], within_s: float, what: str) -> float:
    """Seconds until ``check`` held (a hang guard, not a timing assertion)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < within_s, f"timed out waiting for {what}"
        time.sleep(0.3)
    return time.monotonic() - started


def _session(database: Database, session_id: int) -> Session:
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        return session


def _heard(person: ScriptedParticipant, other: str) -> str:
    return " ".join(
        m["text"]
        for m in person.messages
        if m["type"] == "caption" and m["final"] and m["speaker"] == other
    )


#: (call, listener, speaker): each person of both calls hears the other.
LISTENERS = [
    (n, listener, speaker)
    for n in ("1", "2")
    for listener, speaker in (("mentor", "mentee"), ("mentee", "mentor"))
]


def _said(dialogue: Dialogue, speaker: str) -> str:
    return " ".join(line.text for line in dialogue.lines if line.speaker == speaker)


def _heard_well(
    people: dict[str, ScriptedParticipant], dialogue: Dialogue, n: str, listener: str, speaker: str
) -> bool:
    heard = _heard(people[f"{listener} {n}"], speaker)
    return word_errors(_said(dialogue, speaker), heard).wer <= 0.5


def _new_call(base: str, mentorship_id: int, cookie: str, key: bytes) -> int:
    """Press "Start a call now" on the page served by ``base``: the new session's id."""
    address = urlsplit(base)
    token = session_csrf(key, cookie.partition("=")[2])
    assert token is not None
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        headers = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Length": "0"}
        connection.request("POST", f"/mentorships/{mentorship_id}/sessions", b"", headers)
        response = connection.getresponse()
        assert response.status == 303, response.read()
        location = response.getheader("location") or ""
    finally:
        connection.close()
    found = re.fullmatch(r"/sessions/(\d+)/call", location)
    assert found, location
    return int(found.group(1))


@pytest.fixture
def shared_env(
    env: dict[str, str], postgres: Databases, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    """One PostgreSQL database and one data directory for every process of the test."""
    with postgres.fresh(request.node.name) as url:
        yield {
            **env,
            "TANDEM_DATABASE_URL": url,
            "TANDEM_ROOM_GRACE_S": "1",
            "TANDEM_MEDIA_MODE": "p2p",
            "TANDEM_ASR_WORKERS": "1",
        }


def test_two_processes_hold_a_call_each_share_refinement_and_outlive_each_other(
    shared_env: dict[str, str], tmp_path: Path, dialogue: Dialogue
) -> None:
    settings = Settings.from_env(shared_env)
    key = load_secret_key(settings.data_dir, None)
    on_b, on_a = _pairs(settings, 2)
    database = Database.open(settings.database_url)
    with ExitStack() as stack:
        a = stack.enter_context(serve({**shared_env, "TANDEM_NODE_NAME": "node-a"}, tmp_path))
        b = stack.enter_context(
            serve(
                {**shared_env, "TANDEM_NODE_NAME": "node-b", "TANDEM_REFINE_IN_SERVER": "0"},
                tmp_path,
            )
        )
        stack.callback(database.close)
        origin_a, origin_b = a.base_url, b.base_url

        # Call 1, held by B: the mentor opens the call page on B (B will hold it: its own
        # socket); the mentee opens it on A once the call is placed, and is given B's.
        mentor_1_url = _page_socket(b.base_url, on_b.session_id, on_b.cookies["mentor"])
        assert mentor_1_url == _socket(b, on_b.session_id)
        # Call 2, held by A: both open their pages before anyone joined, the mentor on A and
        # the mentee on B; each page names its own node.
        mentor_2_url = _page_socket(a.base_url, on_a.session_id, on_a.cookies["mentor"])
        mentee_2_url = _page_socket(b.base_url, on_a.session_id, on_a.cookies["mentee"])
        assert (mentor_2_url, mentee_2_url) == (
            _socket(a, on_a.session_id),
            _socket(b, on_a.session_id),
        )

        async def calls() -> dict[str, ScriptedParticipant]:
            people = {
                "mentor 1": ScriptedParticipant(
                    mentor_1_url, on_b.cookies["mentor"], dialogue.tracks["mentor"], origin=origin_b
                ),
                "mentor 2": ScriptedParticipant(
                    mentor_2_url, on_a.cookies["mentor"], dialogue.tracks["mentor"], origin=origin_a
                ),
            }
            await asyncio.gather(*(p.start() for p in people.values()))
            mentee_1_url = await asyncio.to_thread(
                _page_socket, a.base_url, on_b.session_id, on_b.cookies["mentee"]
            )
            assert mentee_1_url == _socket(b, on_b.session_id)  # A's page names B's socket
            people["mentee 1"] = ScriptedParticipant(
                mentee_1_url, on_b.cookies["mentee"], dialogue.tracks["mentee"], origin=origin_a
            )
            # The mentee of call 2 goes to B, as her page said; B answers "elsewhere".
            people["mentee 2"] = ScriptedParticipant(
                mentee_2_url, on_a.cookies["mentee"], dialogue.tracks["mentee"], origin=origin_b
            )
            await asyncio.gather(people["mentee 1"].start(), people["mentee 2"].start())
            await asyncio.gather(*(p.wait_sent() for p in people.values()))
            # Captions: each person sees the other's words. The last finals come after the
            # audio ends, later on a busy machine (four streams, two servers, two cores):
            # wait for them rather than a fixed while.
            for _ in range(120):  # up to a minute
                if all(_heard_well(people, dialogue, *who) for who in LISTENERS):
                    break
                await asyncio.sleep(0.5)
            # Call 1 ends (both hang up); call 2 goes on.
            await people["mentor 1"].close()
            await people["mentee 1"].close()
            return people

        loop = asyncio.new_event_loop()
        stack.callback(_close_loop, loop)
        people = loop.run_until_complete(calls())

        assert people["mentee 1"].followed == []  # sent straight to B by A's page
        assert people["mentee 2"].followed == [_socket(a, on_a.session_id)]
        assert _session(database, on_b.session_id).node == "node-b"
        assert _session(database, on_a.session_id).node == "node-a"
        for n, listener, speaker in LISTENERS:
            assert _heard_well(people, dialogue, n, listener, speaker), (
                n,
                listener,
                _said(dialogue, speaker),
                _heard(people[f"{listener} {n}"], speaker),
            )

        # Call 1's refinement: B leaves it to others, A takes it.
        _wait(
            lambda: _session(database, on_b.session_id).refine_status in ("done", "failed"),
            300,
            "the refinement of call 1",
        )
        refined = _session(database, on_b.session_id)
        assert refined.status == "ended" and refined.refine_status == "done", refined.refine_error
        assert f"session {on_b.session_id} refined" in a.log()
        assert f"session {on_b.session_id} refined" not in b.log()

        # A dies mid-call (call 2): B finds its heartbeat stale and ends the call.
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(timeout=10)
        took = _wait(
            lambda: _session(database, on_a.session_id).status == "interrupted",
            STALE_S + 4 * BEAT_S + 30,
            "the survivor to interrupt the dead node's call",
        )
        print(f"call of the killed node interrupted {took:.1f} s after SIGKILL")
        assert "node node-a fell silent" in b.log()
        listing = run_tandem(["nodes"], shared_env)
        assert listing.returncode == 0, listing.stderr
        lines = {line.split()[0]: line for line in listing.stdout.splitlines()}
        assert "silent" in lines["node-a"] and "calls: 0" in lines["node-a"]
        assert "live" in lines["node-b"]
        interrupted = _session(database, on_a.session_id)
        # Its refinement is queued for a worker (B takes none; its audio waits in the spool).
        assert interrupted.refine_status == "pending"
        assert settings.spool_dir(on_a.session_id).is_dir()

        async def again() -> tuple[int, list[dict[str, Any]]]:
            for person in (people["mentor 2"], people["mentee 2"]):
                await person.close(leave=False)  # their sockets died with A
            # The pair starts a new call from B's page: it is placed on B.
            new_id = await asyncio.to_thread(
                _new_call, b.base_url, on_a.mentorship_id, on_a.cookies["mentor"], key
            )
            urls = [
                await asyncio.to_thread(_page_socket, b.base_url, new_id, on_a.cookies[role])
                for role in ("mentor", "mentee")
            ]
            pair = [
                ScriptedParticipant(url, on_a.cookies[role], dialogue.tracks[role], origin=origin_b)
                for url, role in zip(urls, ("mentor", "mentee"), strict=True)
            ]
            await asyncio.gather(*(p.start() for p in pair))
            welcomes = [await p.wait_for("welcome") for p in pair]
            # Both are in: the one who joined second was welcomed with the other as peer
            # (who joined first is not known: they start together).
            if not any(w.get("peer") for w in welcomes):
                await pair[0].wait_for("peer-joined")
            for person in pair:
                await person.close()
            return new_id, welcomes

        new_id, welcomes = loop.run_until_complete(again())
        assert new_id != on_a.session_id
        assert all(w["session"]["id"] == new_id for w in welcomes)
        assert _session(database, new_id).node == "node-b"
        assert b.process.poll() is None


def _post_tls(port: int, path: str, cookie: str, key: bytes, context: ssl.SSLContext) -> int:
    """POST through the proxy as that person's browser does (CSRF token in the header)."""
    token = session_csrf(key, cookie.partition("=")[2])
    assert token is not None
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    try:
        headers = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Length": "0"}
        connection.request("POST", path, b"", headers)
        return connection.getresponse().status
    finally:
        connection.close()


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Whatever aiortc left running (a connection to the killed server) is cancelled first."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


# -- nginx in front ---------------------------------------------------------------------------
def _nginx_config(tmp: Path, port: int, redirect_port: int, nodes: dict[str, int],
                  cert: Path, key: Path) -> Path:  # fmt: skip
    """deploy/nginx.conf with this test's addresses: the proxy on ``port`` (TLS with a
    self-signed certificate) and the nodes on theirs; wrapped in a main configuration that
    keeps everything in ``tmp``."""
    site = NGINX_CONF.read_text()
    replacements = [
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{redirect_port};"),
        ("listen [::]:80;", ""),
        ("/etc/letsencrypt/live/tandem.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/tandem.example.org/privkey.pem", str(key)),
        ("127.0.0.1:8001", f"127.0.0.1:{nodes['a']}"),
        ("127.0.0.1:8002", f"127.0.0.1:{nodes['b']}"),
    ]
    for old, new in replacements:
        assert old in site, f"deploy/nginx.conf no longer has {old!r}: update this test"
        site = site.replace(old, new)
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "tandem-site.conf").write_text(site)
    for folder in ("logs", "temp"):
        (tmp / folder).mkdir(exist_ok=True)
    main = "\n".join(
        [
            "user root;" if _is_root() else "",
            "worker_processes 1;",
            "daemon off;",
            f"pid {tmp / 'nginx.pid'};",
            f"error_log {tmp / 'logs' / 'error.log'} info;",
            "events { worker_connections 256; }",
            "http {",
            f"    access_log {tmp / 'logs' / 'access.log'};",
            *(
                f"    {kind}_temp_path {tmp / 'temp' / kind};"
                for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            ),
            f"    include {tmp / 'tandem-site.conf'};",
            "}",
        ]
    )
    path = tmp / "nginx.conf"
    path.write_text(main)
    return path


def _is_root() -> bool:
    return os.geteuid() == 0


def _nginx() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        pytest.fail("nginx is not installed (scripts/test installs it)")
    return found


@contextmanager
def _running_nginx(config: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    binary = _nginx()
    checked = subprocess.run([binary, "-t", "-c", str(config), "-p", str(config.parent)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(config.parent)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait(lambda: _listening(port) or process.poll() is not None, 30, "nginx to listen")
        assert process.poll() is None, (config.parent / "logs" / "error.log").read_text()
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def test_nginx_with_the_deploy_config_upgrades_call_sockets_and_routes_by_node(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(shared_env)
    key = load_secret_key(settings.data_dir, None)
    (pair,) = _pairs(settings, 1)
    port, redirect_port = free_port(), free_port()
    public = f"https://127.0.0.1:{port}"
    cert, cert_key = self_signed(tmp_path / "tls")
    tls = _unverified()
    database = Database.open(settings.database_url)
    with ExitStack() as stack:
        stack.callback(database.close)
        servers = {}
        for name in ("a", "b"):
            node_env = {
                **shared_env,
                "TANDEM_NODE_NAME": f"node-{name}",
                "TANDEM_NODE_URL": f"{public}/nodes/{name}",
                "TANDEM_TRUSTED_PROXIES": "127.0.0.1",
            }
            servers[name] = stack.enter_context(serve(node_env, tmp_path, public_url=public))
        ports = {name: urlsplit(s.base_url).port or 0 for name, s in servers.items()}
        config = _nginx_config(tmp_path / "nginx", port, redirect_port, ports, cert, cert_key)
        stack.enter_context(_running_nginx(config, port))

        # Plain HTTP is sent to HTTPS; pages and the API answer through the pool.
        redirect = http.client.HTTPConnection("127.0.0.1", redirect_port, timeout=10)
        redirect.request("GET", "/healthz", headers={"Host": "tandem.example.org"})
        answer = redirect.getresponse()
        assert answer.status == 301
        assert answer.getheader("location") == "https://tandem.example.org/healthz"
        redirect.close()
        assert json.loads(_get(f"{public}/healthz", context=tls))["status"] == "ok"
        # Each node's path reaches that node (asked with the token monitoring uses).
        printed = run_tandem(["monitor-token"], shared_env)
        assert printed.stdout.strip() == monitor_token(key), printed.stderr
        for name in ("a", "b"):
            request = urllib.request.Request(
                f"{public}/nodes/{name}/healthz",
                headers={"Authorization": f"Bearer {monitor_token(key)}"},
            )
            with urllib.request.urlopen(request, timeout=30, context=tls) as response:
                health = json.load(response)
            assert health["node"] == f"node-{name}"
            assert f"node-{name}" in health["nodes"]

        async def call() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str, str]:
            async def open_socket(url: str, role: str, origin: str = public) -> SignalingClient:
                socket = await connect(
                    url,
                    ssl=tls,
                    additional_headers={"Cookie": pair.cookies[role], "Origin": origin},
                )
                return SignalingClient(socket)

            # The mentor's page (served by whichever node the pool picked) names that node's
            # socket, at its path on the proxy; the join places the call there.
            first = await asyncio.to_thread(
                _page_socket, public, pair.session_id, pair.cookies["mentor"], tls
            )
            assert re.fullmatch(rf"wss://127\.0\.0\.1:{port}/nodes/[ab]/ws/sessions/\d+", first)
            holder = first.split("/nodes/")[1][0]
            other = "b" if holder == "a" else "a"
            mentor = await open_socket(first, "mentor")
            welcome = await mentor.join()
            assert welcome["type"] == "welcome", welcome
            # The mentee reaches the other node: it answers "elsewhere" with the holder's
            # socket on the proxy, and the mentee follows.
            wrong = await open_socket(
                first.replace(f"/nodes/{holder}/", f"/nodes/{other}/"), "mentee"
            )
            sent_on = await wrong.join()
            await wrong.close()
            assert sent_on["code"] == "elsewhere", sent_on
            mentee = await open_socket(sent_on["url"], "mentee")
            joined = await mentee.join()
            await mentee.send({"type": "chat", "text": "Hello through the proxy"})
            chat = await mentor.next("chat")
            # The mentee logs out on the other node: her socket on the holder closes (4401)
            # within a heartbeat, and the mentor sees her leave.
            status = await asyncio.to_thread(
                _post_tls, port, f"/nodes/{other}/logout", pair.cookies["mentee"], key, tls
            )
            assert status == 303
            ended = await mentee.next("error")
            assert ended["code"] == "logged-out", ended
            await mentor.next("peer-left")
            for client in (mentor, mentee):
                await client.close()
            return joined, chat, sent_on, holder, first

        joined, chat, sent_on, holder, first = asyncio.run(call())
        assert sent_on["url"] == first and sent_on["node"] == f"node-{holder}"
        assert joined["type"] == "welcome" and joined["peer"]["role"] == "mentor"
        assert chat["message"]["text"] == "Hello through the proxy"
        assert _session(database, pair.session_id).node == f"node-{holder}"

        # A page of another site does not get its socket through the proxy.
        async def foreign() -> int:
            try:
                socket = await connect(
                    first, ssl=tls,
                    additional_headers={"Cookie": pair.cookies["mentor"],
                                        "Origin": "https://elsewhere.example"},
                )  # fmt: skip
            except InvalidStatus as refused:
                return refused.response.status_code
            await socket.close()
            return 101

        assert asyncio.run(foreign()) == 403
        log = (tmp_path / "nginx" / "logs" / "access.log").read_text()
        assert f'GET /nodes/{holder}/ws/sessions/{pair.session_id} HTTP/1.1" 101' in log
