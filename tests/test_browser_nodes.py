"""The call page with two server processes, in real headless Chromium: the mentor opens the
call on one process and the mentee on the other, both before anyone joined; the mentee's page
opens its own process's socket, is answered ``elsewhere`` and follows it to the process
holding the call (a socket of another origin: the page's CSP and the node's Origin check let
it through), and the two meet peer to peer. The database is the session's throwaway
PostgreSQL cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from server.auth import add_person, hash_password
from server.db.calls import start_session
from server.db.directory import create_mentorship
from server.db.engine import Database
from server.db.tables import Session
from server.settings import Settings
from tests.browser import launch_chromium, log_in_page, serve
from tests.postgres import Databases

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


@pytest.fixture
def shared_env(
    env: dict[str, str], postgres: Databases, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    with postgres.fresh(request.node.name) as url:
        yield {**env, "TANDEM_DATABASE_URL": url, "TANDEM_ROOM_GRACE_S": "1",
               "TANDEM_MEDIA_MODE": "p2p", "TANDEM_LIVE_TRANSCRIPTION": "0"}  # fmt: skip


def _prepare(settings: Settings) -> int:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            for email, name, role in (
                ("mira@example.org", "Mira Mentor", "mentor"),
                ("tom@example.org", "Tom Mentee", "mentee"),
            ):
                person = add_person(db, email, name, role)
                person.password_hash = hash_password(PASSWORD)
            db.commit()
            return start_session(
                db, create_mentorship(db, "mira@example.org", "tom@example.org")
            ).id
    finally:
        database.close()


def test_the_page_follows_the_call_to_the_process_holding_it(
    shared_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(shared_env)
    session_id = _prepare(settings)
    with ExitStack() as stack:
        a = stack.enter_context(serve({**shared_env, "TANDEM_NODE_NAME": "node-a"}, tmp_path))
        b = stack.enter_context(serve({**shared_env, "TANDEM_NODE_NAME": "node-b"}, tmp_path))
        playwright = stack.enter_context(sync_playwright())
        browser = launch_chromium(
            playwright,
            ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             "--disable-features=WebRtcHideLocalIpsWithMdns"),
        )  # fmt: skip
        stack.callback(browser.close)
        # The mentee's page keeps its Content-Security-Policy (it must allow the other node's
        # socket), so it is read without evaluating scripts; the mentor's is free of it.
        mentor = browser.new_context(bypass_csp=True).new_page()
        mentee = browser.new_context().new_page()
        problems: list[str] = []
        mentee.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        log_in_page(mentor, a.base_url, "mira@example.org", PASSWORD)
        log_in_page(mentee, b.base_url, "tom@example.org", PASSWORD)
        for page, server in ((mentor, a), (mentee, b)):
            page.goto(f"{server.base_url}/sessions/{session_id}/call")
            own = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"
            assert page.get_attribute("#call-root", "data-ws-url") == own
        mentor.click("#join")
        mentor.wait_for_selector("#call:not([hidden])")
        mentor.wait_for_function(
            "document.getElementById('status').textContent.includes('Waiting')"
        )
        mentee.click("#join")
        # Only the node holding the call welcomes her: B answered "elsewhere".
        mentee.wait_for_selector("#call:not([hidden])", timeout=30_000)
        mentor.wait_for_function("window.tandemCall.peer !== null", timeout=30_000)
        assert mentor.evaluate("window.tandemCall.peer.name") == "Tom Mentee"
        # Peer to peer, negotiated through node A's socket.
        mentor.wait_for_function("document.getElementById('remote').videoWidth > 0",
                                 timeout=30_000)  # fmt: skip
        assert mentee.inner_text("#link-mode") == "Direct"
        database = Database.open(settings.database_url)
        try:
            with database.sessions() as db:
                session = db.get(Session, session_id)
                assert session is not None and session.node == "node-a"
        finally:
            database.close()
        assert not [p for p in problems if "Content Security Policy" in p], problems
