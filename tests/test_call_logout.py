"""Logging out and being deactivated end open call sockets (a real server, real logins):
the person is told why, the socket closes with 4401, and the other person sees them leave."""

from __future__ import annotations

import asyncio
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.auth import SESSION_COOKIE, add_person, load_secret_key, sign, start_session
from server.db.engine import Database
from server.db.tables import Person
from server.security import session_csrf
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import SignalingClient, health, prepare_call


@pytest.fixture
def call_env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "TANDEM_ROOM_GRACE_S": "30", "TANDEM_MEDIA_MODE": "p2p"}


def _another_login(settings: Settings, email: str) -> str:
    """A second login (another browser) of the person with this email: its Cookie header."""
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            person = db.scalars(select(Person).where(Person.email == email)).one()
            token = start_session(db, person)
    finally:
        database.close()
    return f"{SESSION_COOKIE}={sign(load_secret_key(settings.data_dir, None), token)}"


def _person_id(settings: Settings, email: str) -> int:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            return db.scalars(select(Person.id).where(Person.email == email)).one()
    finally:
        database.close()


def _admin(settings: Settings) -> str:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            token = start_session(db, add_person(db, "admin@example.org", "Ad Min", "admin"))
    finally:
        database.close()
    return f"{SESSION_COOKIE}={sign(load_secret_key(settings.data_dir, None), token)}"


def _post(base: str, path: str, cookie: str, settings: Settings) -> int:
    """POST as that browser does (the CSRF token bound to its login, in the header)."""
    key = load_secret_key(settings.data_dir, None)
    token = session_csrf(key, cookie.partition("=")[2])
    assert token is not None
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        headers = {"Cookie": cookie, "X-CSRF-Token": token, "Content-Length": "0"}
        connection.request("POST", path, body=b"", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


async def _closed_code(client: SignalingClient) -> int | None:
    """Read until the server closes the socket; its close code."""
    with pytest.raises(ConnectionClosed):
        while True:
            await client.next("never")
    return client.socket.close_code


async def _refused(url: str, cookie: str) -> int:
    try:
        client = await SignalingClient.open(url, cookie)
    except InvalidStatus as refused:
        return refused.response.status_code
    await client.close()
    return 101


def test_logging_out_ends_that_logins_call_sockets(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    other_browser = _another_login(settings, "mentee@example.org")
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> None:
            mentor = await SignalingClient.open(url, cookies["mentor"])
            mentee = await SignalingClient.open(url, cookies["mentee"])
            idle = await SignalingClient.open(url, cookies["mentee"])  # not joined, same login
            elsewhere = await SignalingClient.open(url, other_browser)  # another login
            assert (await mentor.join())["type"] == "welcome"
            assert (await mentee.join())["type"] == "welcome"
            await mentor.next("peer-joined")
            await elsewhere.ping()
            assert health(server.base_url, settings)["calls"]["sockets"] == 4

            status = await asyncio.to_thread(
                _post, server.base_url, "/logout", cookies["mentee"], settings
            )
            assert status == 303
            for client in (mentee, idle):
                told = await client.next("error")
                assert told["code"] == "logged-out" and "logged out" in told["message"]
                assert await _closed_code(client) == 4401
            left = await mentor.next("peer-left")
            assert left["peer"]["role"] == "mentee"
            # The other person and the same person's other login carry on.
            await mentor.ping()
            await elsewhere.ping()
            calls = health(server.base_url, settings)["calls"]
            assert calls["participants"] == 1 and calls["sockets"] == 2, calls
            assert await _refused(url, cookies["mentee"]) == 403
            # The other login can still join the call.
            assert (await elsewhere.join())["type"] == "welcome"
            await mentor.next("peer-joined")
            await elsewhere.close()
            await mentor.close()

        asyncio.run(run())


@pytest.mark.parametrize("where", ["/api/people/{id}/deactivate", "/admin/people/{id}/deactivate"])
def test_deactivating_someone_ends_their_call_sockets(
    call_env: dict[str, str], tmp_path: Path, where: str
) -> None:
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    other_browser = _another_login(settings, "mentee@example.org")
    admin = _admin(settings)
    mentee_id = _person_id(settings, "mentee@example.org")
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def run() -> None:
            mentor = await SignalingClient.open(url, cookies["mentor"])
            mentee = await SignalingClient.open(url, cookies["mentee"])
            elsewhere = await SignalingClient.open(url, other_browser)  # not joined
            assert (await mentor.join())["type"] == "welcome"
            assert (await mentee.join())["type"] == "welcome"
            await mentor.next("peer-joined")

            path = where.format(id=mentee_id)
            status = await asyncio.to_thread(_post, server.base_url, path, admin, settings)
            assert status in (200, 303)
            for client in (mentee, elsewhere):  # every login of theirs
                told = await client.next("error")
                assert told["code"] == "logged-out" and "deactivated" in told["message"]
                assert await _closed_code(client) == 4401
            assert (await mentor.next("peer-left"))["peer"]["role"] == "mentee"
            await mentor.ping()
            calls = health(server.base_url, settings)["calls"]
            assert calls["participants"] == 1 and calls["sockets"] == 1, calls
            assert await _refused(url, other_browser) == 403
            await mentor.close()

        asyncio.run(run())
