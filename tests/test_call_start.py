"""Starting a call: both people pressing "Start a call now" meet in one call, which their
home pages then offer to join."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from server.db.calls import end_call, start_session
from server.db.engine import Database
from server.db.tables import Mentorship, Session
from server.settings import Settings
from tests.auth_helpers import Server, add_account, csrf_headers, make_mentorship, running


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def test_two_starts_lead_to_one_call_that_both_home_pages_offer(
    server: Server, database: Database
) -> None:
    mentor = add_account(database, "mira@example.org", "Mira", "mentor")
    mentee = add_account(database, "theo@example.org", "Theo", "mentee")
    mentorship = make_mentorship(database, mentor, mentee)
    mira, theo = server.logged_in(mentor), server.logged_in(mentee)
    targets = []
    for browser in (mira, theo):
        response = browser.post(
            f"/mentorships/{mentorship}/sessions", headers=csrf_headers(browser),
            follow_redirects=False,
        )  # fmt: skip
        assert response.status_code == 303
        targets.append(response.headers["location"])
    assert targets[0] == targets[1]
    session_id = int(targets[0].split("/")[2])
    for browser in (mira, theo):
        home = browser.get("/").text
        assert f'href="/sessions/{session_id}/call">Join the call' in home
        calls = browser.get("/api/calls").json()
        assert [c["session_id"] for c in calls] == [session_id]
        assert calls[0]["in_call"] == []  # nobody has joined yet
    # An outsider's API shows nothing.
    other = add_account(database, "olga@example.org", "Olga", "mentee")
    assert server.logged_in(other).get("/api/calls").json() == []
    # Once the call has ended, the next start makes a new session, with a distinct title.
    with database.sessions() as db:
        end_call(db, session_id, 60.0)
        m = db.get(Mentorship, mentorship)
        assert m is not None
        again = start_session(db, m)
        assert again.id != session_id and again.status == "scheduled"
        assert again.title.startswith("Mira & Theo, ") and again.title[-6] == " "  # HH:MM


def test_simultaneous_starts_from_two_threads_make_one_session(database: Database) -> None:
    mentor = add_account(database, "mira@example.org", "Mira", "mentor")
    mentee = add_account(database, "theo@example.org", "Theo", "mentee")
    mentorship = make_mentorship(database, mentor, mentee)
    barrier = threading.Barrier(4)
    ids: list[int] = []

    def start() -> None:
        with database.sessions() as db:
            m = db.get(Mentorship, mentorship)
            assert m is not None
            barrier.wait()
            ids.append(start_session(db, m).id)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1, ids
    with database.sessions() as db:
        open_calls = db.scalars(select(Session).where(Session.mentorship_id == mentorship)).all()
        assert len(open_calls) == 1
