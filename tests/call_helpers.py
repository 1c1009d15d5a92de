"""Set-up shared by the call tests: people, a mentorship, a call session, login cookies."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from server.auth import add_person, load_secret_key, monitor_token, sign, start_session
from server.db.calls import start_session as start_call
from server.db.directory import create_mentorship, save_mentorship_targets
from server.db.engine import Database
from server.settings import Settings


def prepare_call(
    settings: Settings, targets: dict[str, Any] | None = None
) -> tuple[int, dict[str, str]]:
    """(session id, Cookie header per role: mentor, mentee, outsider); ``targets`` are set
    for the pair (as its trainer would) before the call."""
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            people = {
                role: add_person(db, f"{role}@example.org", role.title(), role)
                for role in ("mentor", "mentee")
            }
            outsider = add_person(db, "out@example.org", "Out Sider", "mentee")
            mentorship = create_mentorship(db, "mentor@example.org", "mentee@example.org")
            if targets:
                save_mentorship_targets(db, mentorship, targets)
            session_id = start_call(db, mentorship).id
            tokens = {role: start_session(db, p) for role, p in people.items()}
            tokens["outsider"] = start_session(db, outsider)
    finally:
        database.close()
    key = load_secret_key(settings.data_dir, None)
    return session_id, {role: f"tandem_session={sign(key, t)}" for role, t in tokens.items()}


def health(base: str, settings: Settings | None = None) -> dict[str, Any]:
    """/healthz: in detail with the server's monitor token (from its data directory)."""
    request = urllib.request.Request(f"{base}/healthz")
    if settings is not None:
        key = load_secret_key(settings.data_dir, settings.secret_key)
        request.add_header("Authorization", f"Bearer {monitor_token(key)}")
    with urllib.request.urlopen(request, timeout=5) as response:
        document: dict[str, Any] = json.load(response)
        return document


class SignalingClient:
    """A raw signaling socket, for tests that send what no browser would."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        #: Every message received, in order.
        self.received: list[dict[str, Any]] = []
        self._read = 0

    @classmethod
    async def open(cls, url: str, cookie: str) -> SignalingClient:
        return cls(await connect(url, additional_headers={"Cookie": cookie}, max_size=2**22))

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        await self.socket.send(json.dumps(message) if isinstance(message, dict) else message)

    async def next(self, *kinds: str) -> dict[str, Any]:
        """The next message of one of these types (the others are kept in ``received``).
        Raises ConnectionClosed if the server closes the socket first."""
        while True:
            while self._read < len(self.received):
                message = self.received[self._read]
                self._read += 1
                if message["type"] in kinds:
                    return message
            # A hang guard only (a broken server would otherwise hang the test run).
            raw = await asyncio.wait_for(self.socket.recv(), 60)
            self.received.append(json.loads(raw))

    async def ping(self) -> list[dict[str, Any]]:
        """Send ping and wait for pong; the messages that came before it, since the last."""
        start = self._read
        await self.send({"type": "ping"})
        await self.next("pong")
        return self.received[start : self._read - 1]

    async def join(self) -> dict[str, Any]:
        await self.send({"type": "join", "v": 1})
        return await self.next("welcome", "error")

    async def close(self) -> None:
        await self.socket.close()
