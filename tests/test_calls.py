"""Calls with scripted aiortc participants against a real `tandem serve` process: joins and
leaves leave nothing behind, vanished browsers are cleaned up, shutdown ends calls."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media.audio import SAMPLE_RATE_HZ
from server.bench.call_client import ScriptedParticipant
from server.calls.rooms import CHAT_PER_10_S
from server.db.engine import Database
from server.db.tables import Participant, Session
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import SignalingClient, health, prepare_call


@dataclass(frozen=True)
class Call:
    ws_url: str
    cookies: dict[str, str]
    session_id: int
    settings: Settings


def _health(base: str, settings: Settings) -> dict[str, Any]:
    calls: dict[str, Any] = health(base, settings)["calls"]
    return calls


def _tone(seconds: float) -> np.ndarray[Any, np.dtype[np.float32]]:
    t = np.arange(int(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


@pytest.fixture
def call_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "relay"}


@pytest.mark.slow
def test_twenty_joins_and_leaves_leave_nothing_behind(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    with serve(call_env, tmp_path) as server:
        base = server.base_url
        url = base.replace("http", "ws") + f"/ws/sessions/{session_id}"
        baseline = _health(base, settings)["tasks"]

        async def run() -> list[dict[str, Any]]:
            host = ScriptedParticipant(url, cookies["mentor"], _tone(2.0), loop_audio=True)
            await host.start()
            seen = []
            for k in range(20):
                guest = ScriptedParticipant(url, cookies["mentee"], _tone(1.0), loop_audio=True)
                await guest.start()
                await host.wait_for("peer-joined")
                await asyncio.sleep(0.6)  # some audio flows
                # Half leave politely, half vanish (socket and connections just drop).
                await guest.close(leave=k % 2 == 0)
                await asyncio.sleep(0.3)
                seen.append(_health(base, settings))
                host.messages.clear()
            await host.close()
            return seen

        during = asyncio.run(run())
        assert all(s["participants"] == 1 for s in during), during
        assert all(s["peer_connections"] == 2 for s in during), during  # the host's two legs
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(asyncio.sleep(2.0))  # the empty room's grace period
        finally:
            loop.close()
        after = _health(base, settings)
        assert after["rooms"] == 0 and after["peer_connections"] == 0, after
        assert after["tasks"] <= baseline + 1, (baseline, after)

    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            session = db.get(Session, session_id)
            assert session is not None and session.status == "ended"
            mentee = db.query(Participant).filter_by(session_id=session_id, speaker="mentee").one()
            # Audio from all twenty connections was received and counted.
            assert mentee.left_at is not None and mentee.audio_received_s > 4
    finally:
        database.close()


def test_outsiders_are_refused_during_the_handshake(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def attempt(cookie: str | None, origin: str | None = None) -> int:
            headers = {"Cookie": cookie} if cookie else {}
            if origin:
                headers["Origin"] = origin
            try:
                async with connect(url, additional_headers=headers):
                    return 101
            except InvalidStatus as refused:
                return refused.response.status_code

        assert asyncio.run(attempt(None)) == 403
        assert asyncio.run(attempt(cookies["outsider"])) == 403
        assert asyncio.run(attempt(cookies["mentee"], origin="https://evil.example")) == 403
        assert asyncio.run(attempt(cookies["mentee"])) == 101
        assert _health(server.base_url, settings)["peer_connections"] == 0


@pytest.mark.slow
def test_server_shutdown_ends_calls_and_closes_connections(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> None:
            a = ScriptedParticipant(url, cookies["mentor"], _tone(1.0), loop_audio=True)
            b = ScriptedParticipant(url, cookies["mentee"], _tone(1.0), loop_audio=True)
            await a.start()
            await b.start()
            await asyncio.sleep(1.0)
            assert _health(server.base_url, settings)["peer_connections"] == 4
            server.process.send_signal(signal.SIGTERM)
            # The server closes both signaling connections as it goes down.
            await asyncio.wait_for(asyncio.gather(a.closed.wait(), b.closed.wait()), 15)
            await a.close(leave=False)
            await b.close(leave=False)

        asyncio.run(run())
        server.process.wait(timeout=20)  # uvicorn re-raises SIGTERM after shutting down
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            session = db.get(Session, session_id)
            assert session is not None and session.status == "ended"
            assert session.duration_s is not None and session.duration_s > 1
    finally:
        database.close()


@pytest.mark.slow
def test_the_chat_limit_holds_across_leaving_and_joining(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> tuple[list[str], list[str]]:
            host = ScriptedParticipant(url, cookies["mentor"], _tone(1.0), loop_audio=True)
            await host.start()
            answers: list[str] = []
            for _ in range(3):  # a flood, rejoining between bursts to start afresh
                guest = ScriptedParticipant(url, cookies["mentee"], _tone(1.0), loop_audio=True)
                await guest.start()
                for k in range(CHAT_PER_10_S):
                    await guest.send({"type": "chat", "text": f"spam {k}"})
                await asyncio.sleep(0.5)
                answers += [m.get("message", "") for m in guest.messages if m["type"] == "error"]
                await guest.close(leave=True)
            delivered = [m["message"]["text"] for m in host.messages if m["type"] == "chat"]
            await host.close()
            return answers, delivered

        errors, delivered = asyncio.run(run())
    # Within ten seconds one person gets CHAT_PER_10_S messages through, however often they
    # join again; the rest are refused with a reason.
    assert len(delivered) == CHAT_PER_10_S, delivered
    assert len(errors) == 2 * CHAT_PER_10_S and all("too fast" in e for e in errors), errors


def _session_row(settings: Settings, session_id: int) -> tuple[str, object]:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            session = db.get(Session, session_id)
            assert session is not None
            return session.status, session.started_at
    finally:
        database.close()


def test_a_socket_that_never_joins_leaves_no_room_and_no_live_session(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    before = _session_row(settings, session_id)
    assert before == ("scheduled", None)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def visit() -> None:
            # A page opened and closed before joining, and a client that only talks.
            for cookie in (cookies["mentee"], cookies["mentor"]):
                client = await SignalingClient.open(url, cookie)
                await client.send({"type": "chat", "text": "hello?"})
                assert (await client.next("error"))["code"] == "out-of-order"
                await client.ping()
                assert _health(server.base_url, settings)["rooms"] == 0
                await client.close()

        asyncio.run(visit())
        assert _health(server.base_url, settings)["rooms"] == 0
        assert _session_row(settings, session_id) == before  # not live, no clock started

        async def call() -> None:
            mentor = ScriptedParticipant(url, cookies["mentor"], _tone(1.0))
            mentee = ScriptedParticipant(url, cookies["mentee"], _tone(1.0))
            await mentor.start()
            await mentee.start()
            await mentor.wait_for("peer-joined")
            assert _health(server.base_url, settings)["participants"] == 2
            await mentee.close(leave=True)
            await mentor.close(leave=True)

        asyncio.run(call())
    status, started_at = _session_row(settings, session_id)
    assert status in ("live", "ended") and started_at is not None


def test_a_message_that_fails_unexpectedly_is_answered_and_the_call_goes_on(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    database = Database.open(settings.database_url)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> None:
            mentor = await SignalingClient.open(url, cookies["mentor"])
            mentee = await SignalingClient.open(url, cookies["mentee"])
            assert (await mentor.join())["type"] == "welcome"
            # A real fault, not a stand-in: the chat history cannot be read for a while, so
            # the mentee's join fails half-way.
            with database.engine.begin() as db:
                db.exec_driver_sql("ALTER TABLE chat_messages RENAME TO chat_messages_away")
            await mentee.send({"type": "join", "v": 1})
            failed = await mentee.next("error")
            assert failed["code"] == "internal" and failed["in_reply_to"] == "join", failed
            await mentee.ping()
            with database.engine.begin() as db:
                db.exec_driver_sql("ALTER TABLE chat_messages_away RENAME TO chat_messages")
            assert (await mentee.join())["type"] == "welcome"
            assert (await mentor.next("peer-joined"))["peer"]["role"] == "mentee"
            await mentor.send({"type": "chat", "text": "this one gets through"})
            for client in (mentor, mentee):
                assert (await client.next("chat"))["message"]["text"] == "this one gets through"
            await mentor.send({"type": "p2p", "data": {"candidate": None}})
            assert (await mentee.next("p2p"))["data"] == {"candidate": None}
            await mentee.close()
            assert (await mentor.next("peer-left"))["peer"]["role"] == "mentee"
            await mentor.close()

        try:
            asyncio.run(run())
        finally:
            database.close()
        assert "handling join from person" in server.log()
