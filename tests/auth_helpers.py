"""Helpers for tests that need accounts: people with passwords, logged-in browsers,
mentorships with saved sessions, and the CSRF token a page hands out."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import select
from starlette.testclient import TestClient

from media.insight.analysis import analyze_conversation
from media.insight.cues import Targets
from media.transcript import SpeechInterval, Transcript, Utterance
from server.app import create_app
from server.auth import SESSION_COOKIE, add_person, hash_password
from server.db.directory import create_mentorship
from server.db.engine import Database
from server.db.goals import add_goal, parse_goal
from server.db.progress import add_resource
from server.db.store import save_transcript
from server.db.tables import ActionItemRow, Upload
from server.settings import Settings

if TYPE_CHECKING:
    # What starlette's TestClient answers with (httpx2 when installed, as here).
    from httpx2 import Response

PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
HELD_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    name: str
    role: str
    password: str


@lru_cache(maxsize=8)
def _hashed(password: str) -> str:
    """Argon2 is slow on purpose; tests reuse one hash per password."""
    return hash_password(password)


def add_account(
    database: Database, email: str, name: str, role: str, password: str | None = PASSWORD
) -> Account:
    """A person with a password (or, with ``password=None``, an invited person without one)."""
    with database.sessions() as db:
        person = add_person(db, email, name, role)
        if password is not None:
            person.password_hash = _hashed(password)
            db.commit()
        return Account(person.id, person.email, person.name, person.role, password or "")


def csrf_from_page(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page puts in its forms (the hidden ``csrf_token`` field)."""
    response = client.get(path)
    found = CSRF_FIELD.search(response.text) or CSRF_META.search(response.text)
    assert found is not None, f"no CSRF token on {path} ({response.status_code})"
    return found.group(1)


def csrf_headers(client: TestClient) -> dict[str, str]:
    """Headers for a state-changing JSON API call from this browser."""
    return {"X-CSRF-Token": csrf_from_page(client)}


def login(client: TestClient, email: str, password: str, next_path: str | None = None) -> Response:
    """POST /login as a browser does: the token comes from the login form. Not followed."""
    token = csrf_from_page(client, "/login")
    return client.post(
        "/login",
        params={} if next_path is None else {"next": next_path},
        data={"csrf_token": token, "email": email, "password": password},
        follow_redirects=False,
    )


def log_in(client: TestClient, account: Account) -> TestClient:
    response = login(client, account.email, account.password)
    assert response.status_code == 303, response.text
    assert client.cookies.get(SESSION_COOKIE), "no session cookie after logging in"
    return client


def small_transcript(lines: Sequence[tuple[str, str]]) -> Transcript:
    """Utterances four seconds long, one every five seconds, with matching voice activity."""
    utterances = [
        Utterance(speaker, 5.0 * i, 5.0 * i + 4.0, said) for i, (speaker, said) in enumerate(lines)
    ]
    speakers = list(dict.fromkeys(speaker for speaker, _ in lines))
    speech = [SpeechInterval(u.speaker, u.start_s, u.end_s) for u in utterances]
    return Transcript(5.0 * len(lines), speakers, "tiny.en", "en", utterances, speech)


DEFAULT_LINES = (
    ("mentor", "How did the release go this week?"),
    ("mentee", "It went fine, but the rollback plan was missing."),
    ("mentor", "Can you send me the rollback plan by Friday?"),
    ("mentee", "Yes, I will send you the rollback plan by Friday."),
)


def save_session(
    database: Database,
    title: str,
    mentorship_id: int | None,
    lines: Sequence[tuple[str, str]] = DEFAULT_LINES,
    held_at: datetime = HELD_AT,
    targets: Targets | None = None,
) -> int:
    """A saved session with talk figures, cues and action items (judged by ``targets``, the
    defaults if None); returns its id."""
    transcript = small_transcript(lines)
    analysis = analyze_conversation(transcript, held_at.date(), targets)
    with database.sessions() as db:
        return save_transcript(db, transcript, title, held_at, mentorship_id, analysis)


def make_mentorship(
    database: Database, mentor: Account, mentee: Account, trainer: Account | None = None
) -> int:
    with database.sessions() as db:
        return create_mentorship(
            db, mentor.email, mentee.email, trainer.email if trainer else None
        ).id


class Server:
    """One running app (its lifespan owns the shared services) and the browsers that use it.

    Every browser has its own cookie jar and client address but talks to the same server
    process: the same database, secret key and login rate limiter.
    """

    def __init__(self, main: TestClient, stack: ExitStack) -> None:
        self.main = main
        self._stack = stack

    def browser(self, address: str = "testclient") -> TestClient:
        client = TestClient(self.main.app, raise_server_exceptions=False, client=(address, 50000))
        client.app_state.update(self.main.app_state)
        self._stack.callback(client.close)
        return client

    def logged_in(self, account: Account) -> TestClient:
        return log_in(self.browser(), account)


@contextmanager
def running(settings: Settings) -> Iterator[Server]:
    with ExitStack() as stack:
        main = stack.enter_context(TestClient(create_app(settings), raise_server_exceptions=False))
        yield Server(main, stack)


@dataclass(frozen=True)
class World:
    """An admin, two mentorships (A and B) with their own trainers, a session in each, and an
    import that belongs to no mentorship."""

    admin: Account
    mentor_a: Account
    mentee_a: Account
    trainer_a: Account
    mentor_b: Account
    mentee_b: Account
    trainer_b: Account
    mentorship_a: int
    mentorship_b: int
    session_a: int
    session_b: int
    unassigned: int
    #: A detected action item of each session.
    item_a: int
    item_b: int
    #: A goal of each mentorship.
    goal_a: int
    goal_b: int
    #: An upload (processed) into mentorship B.
    upload_b: int
    #: A kept link of each mentorship.
    resource_a: int
    resource_b: int


#: Words said only in one place each, to find out who can search what.
WORD_A = "quokkafest"
WORD_B = "zanzibarite"
WORD_IMPORT = "orreryplan"
TITLE_A = "Alpha planning"
TITLE_B = "Bravo retrospective"
TITLE_IMPORT = "Imported onboarding"


def build_world(database: Database) -> World:
    admin = add_account(database, "ada@example.com", "Ada Admin", "admin")
    mentor_a = add_account(database, "marta@example.com", "Marta Mentor", "mentor")
    mentee_a = add_account(database, "milo@example.com", "Milo Mentee", "mentee")
    trainer_a = add_account(database, "tara@example.com", "Tara Trainer", "trainer")
    mentor_b = add_account(database, "bruno@example.com", "Bruno Mentor", "mentor")
    mentee_b = add_account(database, "bea@example.com", "Bea Mentee", "mentee")
    trainer_b = add_account(database, "theo@example.com", "Theo Trainer", "trainer")
    mentorship_a = make_mentorship(database, mentor_a, mentee_a, trainer_a)
    mentorship_b = make_mentorship(database, mentor_b, mentee_b, trainer_b)
    session_a = save_session(
        database, TITLE_A, mentorship_a, [*DEFAULT_LINES, ("mentor", f"Bring the {WORD_A}.")]
    )
    session_b = save_session(
        database, TITLE_B, mentorship_b, [*DEFAULT_LINES, ("mentee", f"The {WORD_B} broke.")]
    )
    unassigned = save_session(
        database, TITLE_IMPORT, None, [*DEFAULT_LINES, ("mentor", f"Read the {WORD_IMPORT}.")]
    )
    return World(
        admin,
        mentor_a,
        mentee_a,
        trainer_a,
        mentor_b,
        mentee_b,
        trainer_b,
        mentorship_a,
        mentorship_b,
        session_a,
        session_b,
        unassigned,
        first_item(database, session_a),
        first_item(database, session_b),
        make_goal(database, mentorship_a, mentor_a, "Run a retrospective alone"),
        make_goal(database, mentorship_b, mentee_b, "Give a conference talk"),
        make_upload(database, mentorship_b, mentee_b, session_b),
        make_resource(database, mentorship_a, mentor_a, "https://example.org/a"),
        make_resource(database, mentorship_b, mentee_b, "https://example.org/b"),
    )


def make_resource(database: Database, mentorship_id: int, by: Account, url: str) -> int:
    with database.sessions() as db:
        return add_resource(db, mentorship_id, by.id, url, url).id


def make_upload(database: Database, mentorship_id: int, by: Account, session_id: int) -> int:
    with database.sessions() as db:
        upload = Upload(mentorship_id=mentorship_id, person_id=by.id, kind="transcript",
                        plan={}, status="done", progress=1.0, session_id=session_id)  # fmt: skip
        db.add(upload)
        db.commit()
        return upload.id


def make_goal(database: Database, mentorship_id: int, by: Account, title: str) -> int:
    with database.sessions() as db:
        return add_goal(db, mentorship_id, by.id, parse_goal({"title": title}, creating=True)).id


def first_item(database: Database, session_id: int) -> int:
    with database.sessions() as db:
        found = db.scalar(
            select(ActionItemRow.id).where(ActionItemRow.session_id == session_id).limit(1)
        )
    assert found is not None, f"session {session_id} has no action item"
    return found
