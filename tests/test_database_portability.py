"""What SQLite lets through and PostgreSQL would refuse: text holding NUL characters, strings
longer than their column, times in another zone. Run on both backends; each must store and
give back the same (NUL, which PostgreSQL text cannot hold, as U+FFFD there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from server.db.calls import add_chat, chat_history, default_title, start_session
from server.db.engine import Database, normalize_url
from server.db.search import search_backend
from server.db.sessions import MAX_TITLE
from server.db.tables import Mentorship, Session
from tests.auth_helpers import add_account, make_mentorship, save_session


def _stored(database: Database, raw: str) -> str:
    """What the backend keeps of a text holding NUL."""
    return raw if database.dialect == "sqlite" else raw.replace("\x00", "\ufffd")


def test_text_with_nul_characters_is_kept_and_found(database: Database) -> None:
    mentor = add_account(database, "mia@example.org", "Mia", "mentor")
    mentee = add_account(database, "ned@example.org", "Ned", "mentee")
    pair = make_mentorship(database, mentor, mentee)
    said = "the zeppelin\x00 plan"
    session_id = save_session(database, "Nul", pair, [("mentor", said)])
    with database.sessions() as db:
        add_chat(db, session_id, mentee.id, "mentee", "chat\x00 about zeppelins", 1.0)
        [message] = chat_history(db, session_id)
        assert message["text"] == _stored(database, "chat\x00 about zeppelins")
        hits = search_backend(database.dialect).search(db, "zeppelin*")
    assert sorted(h.text for h in hits) == sorted(
        [_stored(database, said), _stored(database, "chat\x00 about zeppelins")]
    )
    with database.sessions() as db:  # a NUL in a condition matches nothing, quietly
        assert db.scalars(select(Session).where(Session.title == "N\x00ul")).first() is None


def test_a_calls_default_title_fits_its_column_for_the_longest_names(database: Database) -> None:
    mentor = add_account(database, "m@example.org", "M" * 200, "mentor")
    mentee = add_account(database, "e@example.org", "E" * 200, "mentee")
    pair = make_mentorship(database, mentor, mentee)
    with database.sessions() as db:
        mentorship = db.get(Mentorship, pair)
        assert mentorship is not None
        moment = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
        title = default_title(mentorship, moment)
        assert len(title) <= MAX_TITLE and title.endswith(f", {moment.astimezone():%Y-%m-%d %H:%M}")
        assert title.startswith("MMM") and " & EEE" in title
        call = start_session(db, mentorship)
        assert len(call.title) <= MAX_TITLE


def test_moments_come_back_in_utc_whatever_the_servers_zone(database: Database) -> None:
    """Tandem stores UTC; SQLite gives it back naive, PostgreSQL (whose test cluster runs in
    another zone) in UTC, as the connection asks for."""
    mentor = add_account(database, "z@example.org", "Zed", "mentor")
    mentee = add_account(database, "y@example.org", "Yan", "mentee")
    pair = make_mentorship(database, mentor, mentee)
    session_id = save_session(database, "Zoned", pair, [("mentor", "hello")])
    given = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        session.started_at = given
        db.commit()
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None and session.started_at is not None
        back = session.started_at
        assert back.replace(tzinfo=back.tzinfo or UTC) == given
        assert back.utcoffset() in (None, timedelta(0))  # naive UTC on SQLite, UTC here
        if database.dialect == "postgresql":
            assert db.scalar(text("SHOW timezone")) == "UTC"
            assert db.scalar(text("SELECT CAST(:t AS timestamptz)::text"), {"t": given}) == (
                "2026-06-01 23:30:00+00"
            )


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://u@db.example.org/tandem", "postgresql+psycopg"),
        ("postgres://u@db.example.org/tandem", "postgresql+psycopg"),
        ("postgresql+psycopg://u@/tandem?host=/run/postgresql", "postgresql+psycopg"),
        ("sqlite:////var/lib/tandem/tandem.db", "sqlite"),
    ],
)
def test_postgresql_urls_mean_psycopg(given: str, driver: str) -> None:
    assert normalize_url(given).drivername == driver
