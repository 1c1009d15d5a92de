"""Deleting a person or a mentorship takes every conversation of it from the tables, the search
index, the database file and the disk, and nothing of anyone else's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from server.bench.speech import write_wav
from server.cli import main
from server.db.calls import add_chat, add_recording
from server.db.engine import Database
from server.db.tables import (
    AuthSession,
    ChatMessage,
    CoachingNote,
    Goal,
    Mentorship,
    Person,
    Resource,
    Session,
    Upload,
    UtteranceRow,
)
from server.settings import Settings
from tests.auth_helpers import (
    WORD_A,
    WORD_B,
    Server,
    World,
    build_world,
    csrf_from_page,
    csrf_headers,
    running,
)
from tests.stored import stored_bytes

CHATTED = "pangolinade"


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _with_audio_and_chat(settings: Settings, database: Database, world: World) -> list[Path]:
    """Recordings and chat in session A, a trainer's note on it; returns the audio files."""
    files = []
    with database.sessions() as db:
        add_chat(db, world.session_a, world.mentee_a.id, "mentee", f"the {CHATTED} link", 2.0)
        for role in ("mentor", "mentee"):
            path = settings.recordings_dir / f"session-{world.session_a}" / f"{role}-1.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, np.zeros(1600, np.float32))
            add_recording(db, world.session_a, role, str(path), 0.0)
            files.append(path)
        db.add(CoachingNote(session_id=world.session_a, author_id=world.trainer_a.id, text="ok"))
        db.commit()
    return files


def _count(database: Database, table: type, *where: object) -> int:
    with database.sessions() as db:
        return db.scalar(select(func.count()).select_from(table).where(*where)) or 0  # type: ignore[arg-type]


def test_a_deactivated_mentee_is_deleted_with_every_conversation_and_nothing_else(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    files = _with_audio_and_chat(settings, database, world)
    admin = server.logged_in(world.admin)
    mentee = server.logged_in(world.mentee_a)
    assert mentee.get("/api/search", params={"q": WORD_A}).json()["results"]

    refused = admin.delete(f"/api/people/{world.mentee_a.id}", headers=csrf_headers(admin))
    assert refused.status_code == 409 and "deactivate" in refused.json()["error"]
    assert _count(database, Session, Session.id == world.session_a) == 1

    deactivated = admin.post(
        f"/api/people/{world.mentee_a.id}/deactivate", headers=csrf_headers(admin)
    )
    assert deactivated.status_code == 200
    done = admin.delete(f"/api/people/{world.mentee_a.id}", headers=csrf_headers(admin))
    assert done.status_code == 200, done.text
    assert done.json()["sessions"] == 1 and done.json()["files_removed"] == 2

    assert _count(database, Person, Person.id == world.mentee_a.id) == 0
    assert _count(database, AuthSession, AuthSession.person_id == world.mentee_a.id) == 0
    assert _count(database, Mentorship, Mentorship.id == world.mentorship_a) == 0
    assert _count(database, Session, Session.mentorship_id == world.mentorship_a) == 0
    for table in (UtteranceRow, ChatMessage):
        assert _count(database, table, table.session_id == world.session_a) == 0
    for kept in (Goal, Resource):
        assert _count(database, kept, kept.mentorship_id == world.mentorship_a) == 0
    assert not any(path.exists() for path in files)
    assert not (settings.recordings_dir / f"session-{world.session_a}").exists()
    raw = stored_bytes(settings)
    for gone in (WORD_A, CHATTED, world.mentee_a.email):
        assert gone.encode() not in raw, f"{gone} is still in the database file"
    # The mentor of the deleted pair finds nothing of it any more; the other pair is whole.
    mentor = server.logged_in(world.mentor_a)
    assert mentor.get("/api/search", params={"q": WORD_A}).json()["results"] == []
    assert mentor.get(f"/sessions/{world.session_a}").status_code == 404
    other = server.logged_in(world.mentee_b)
    assert other.get("/api/search", params={"q": WORD_B}).json()["results"]
    assert _count(database, Upload, Upload.mentorship_id == world.mentorship_b) == 1
    assert (
        admin.delete(f"/api/people/{world.mentee_a.id}", headers=csrf_headers(admin)).status_code
        == 404
    )


def test_deleting_a_trainer_keeps_the_pairs_but_not_their_notes(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    _with_audio_and_chat(settings, database, world)
    admin = server.logged_in(world.admin)
    admin.post(f"/api/people/{world.trainer_a.id}/deactivate", headers=csrf_headers(admin))
    done = admin.delete(f"/api/people/{world.trainer_a.id}", headers=csrf_headers(admin))
    assert done.status_code == 200 and done.json()["sessions"] == 0
    with database.sessions() as db:
        pair = db.get(Mentorship, world.mentorship_a)
        assert pair is not None and pair.trainer_id is None
    assert _count(database, CoachingNote, CoachingNote.session_id == world.session_a) == 0
    assert _count(database, UtteranceRow, UtteranceRow.session_id == world.session_a) > 0


def test_the_admin_pages_ask_for_the_email_before_deleting_a_person(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    _with_audio_and_chat(settings, database, world)
    admin = server.logged_in(world.admin)
    # Active people have no delete button, and their delete page refuses.
    people = admin.get("/admin/people").text
    assert f"/admin/people/{world.mentee_a.id}/delete" not in people
    assert admin.get(f"/admin/people/{world.mentee_a.id}/delete").status_code == 409
    admin.post(f"/api/people/{world.mentee_a.id}/deactivate", headers=csrf_headers(admin))
    assert f"/admin/people/{world.mentee_a.id}/delete" in admin.get("/admin/people").text

    path = f"/admin/people/{world.mentee_a.id}/delete"
    confirm = admin.get(path)
    assert confirm.status_code == 200
    assert "1 session:" in confirm.text and "2 audio recordings" in confirm.text
    token = csrf_from_page(admin, path)
    wrong = admin.post(path, data={"csrf_token": token, "confirm": "yes"})
    assert wrong.status_code == 400 and "to confirm" in wrong.text
    assert _count(database, Person, Person.id == world.mentee_a.id) == 1
    done = admin.post(path, data={"csrf_token": token, "confirm": world.mentee_a.email.upper()})
    assert done.status_code == 200 and "Person deleted" in done.text
    assert _count(database, Person, Person.id == world.mentee_a.id) == 0
    # A mentor may not delete anyone.
    mentor = server.logged_in(world.mentor_b)
    refused = mentor.delete(f"/api/people/{world.mentee_b.id}", headers=csrf_headers(mentor))
    assert refused.status_code == 403


def test_a_mentorship_is_deleted_from_its_page_and_the_api(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    files = _with_audio_and_chat(settings, database, world)
    admin = server.logged_in(world.admin)
    path = f"/admin/mentorships/{world.mentorship_a}/delete"
    assert path in admin.get("/admin/mentorships").text
    confirm = admin.get(path)
    assert "Marta Mentor and Milo Mentee" in confirm.text
    token = csrf_from_page(admin, path)
    done = admin.post(path, data={"csrf_token": token, "confirm": "delete"})
    assert done.status_code == 200 and "Mentorship deleted" in done.text
    assert _count(database, Session, Session.id == world.session_a) == 0
    assert not any(p.exists() for p in files)
    assert WORD_A.encode() not in stored_bytes(settings)
    # Both people stay; B's mentorship goes through the API.
    assert _count(database, Person, Person.id.in_([world.mentor_a.id, world.mentee_a.id])) == 2
    api = admin.delete(f"/api/mentorships/{world.mentorship_b}", headers=csrf_headers(admin))
    assert api.status_code == 200 and api.json()["sessions"] == 1
    assert _count(database, Upload, Upload.mentorship_id == world.mentorship_b) == 0
    assert WORD_B.encode() not in stored_bytes(settings)


def test_the_operator_deletes_people_and_mentorships_from_the_console(
    settings: Settings,
    database: Database,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = build_world(database)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["mentorships", "delete", str(world.mentorship_b)]) == 0
    assert "1 session(s)" in capsys.readouterr().out
    assert main(["users", "delete", world.mentee_a.email]) == 0
    assert "deleted Milo Mentee" in capsys.readouterr().out
    assert _count(database, Session, Session.id.in_([world.session_a, world.session_b])) == 0
    assert main(["users", "delete", world.admin.email]) == 1  # the only admin stays
    assert "only admin" in capsys.readouterr().err
    assert main(["mentorships", "delete", "999"]) == 1
