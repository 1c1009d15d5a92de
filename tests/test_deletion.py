"""Deleting a session leaves nothing behind: not in any table, not in the search index, not as
bytes anywhere in the database file or its log, not on disk; other sessions stay whole."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from server.bench.speech import write_wav
from server.cli import main
from server.db.calls import add_chat, add_recording, start_session
from server.db.engine import Database
from server.db.tables import (
    ActionItemRow,
    ChatMessage,
    CoachingNote,
    CueRow,
    Participant,
    Recording,
    Session,
    SpeechRow,
    Upload,
    UtteranceRow,
)
from server.settings import Settings
from tests.auth_helpers import (
    Account,
    Server,
    add_account,
    csrf_from_page,
    csrf_headers,
    make_mentorship,
    running,
    save_session,
)
from tests.stored import stored_bytes

SPOKEN = "quetzalcoatlus"
CHATTED = "brontotherium"
KEPT = "ankylosaurid"
TABLES = (
    UtteranceRow, SpeechRow, ActionItemRow, CueRow, ChatMessage, Participant, Recording,
    CoachingNote, Upload,
)  # fmt: skip


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@dataclass(frozen=True)
class Prepared:
    mentor: Account
    mentee: Account
    mentorship: int
    doomed: int
    kept: int
    files: list[Path]


def _prepare(settings: Settings, database: Database) -> Prepared:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    mentorship = make_mentorship(database, mentor, mentee)
    lines = (
        ("mentor", f"Tell me about the {SPOKEN} project."),
        ("mentee", f"The {SPOKEN} project needs a budget."),
        ("mentor", "Can you send me the budget by Friday?"),
        ("mentee", "Yes, I will send you the budget by Friday."),
    )
    doomed = save_session(database, "Doomed session", mentorship, lines)
    kept = save_session(database, "Kept session", mentorship, [("mentor", f"The {KEPT} stays.")])
    files = []
    with database.sessions() as db:
        add_chat(db, doomed, mentee.id, "mentee", f"notes on {CHATTED}: https://x.org", 3.0)
        for role in ("mentor", "mentee"):
            path = settings.recordings_dir / f"session-{doomed}" / f"{role}-1.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, np.zeros(1600, np.float32))
            add_recording(db, doomed, role, str(path), 0.5)
            files.append(path)
        # It came in as an upload, and its trainer left a note.
        db.add(
            Upload(
                mentorship_id=mentorship,
                person_id=mentee.id,
                kind="transcript",
                plan={"title": "Doomed session"},
                status="done",
                session_id=doomed,
            )
        )
        db.add(CoachingNote(session_id=doomed, author_id=mentor.id, text=f"about {CHATTED}s"))
        db.commit()
    spool = settings.spool_dir(doomed)
    spool.mkdir(parents=True)
    (spool / "mentor-1.pcm").write_bytes(b"\0" * 320)
    files.append(spool)
    return Prepared(mentor, mentee, mentorship, doomed, kept, files)


def _counts(database: Database, session_id: int) -> dict[str, int]:
    with database.sessions() as db:
        counts = {
            table.__tablename__: db.scalar(
                select(func.count()).select_from(table).where(table.session_id == session_id)
            )
            or 0
            for table in TABLES
        }
        counts["sessions"] = (
            db.scalar(select(func.count()).select_from(Session).where(Session.id == session_id))
            or 0
        )
    return counts


def test_a_deleted_session_is_gone_from_tables_index_file_and_disk(
    server: Server, settings: Settings, database: Database
) -> None:
    world = _prepare(settings, database)
    doomed = world.doomed
    mentee = server.logged_in(world.mentee)
    assert mentee.get("/api/search", params={"q": SPOKEN}).json()["results"]
    assert mentee.get("/api/search", params={"q": CHATTED}).json()["results"]
    assert SPOKEN.encode() in stored_bytes(settings) and CHATTED.encode() in stored_bytes(settings)
    assert all(p.exists() for p in world.files)
    before = _counts(database, doomed)
    assert all(n for table, n in before.items() if table != "cues"), before

    response = mentee.delete(f"/api/sessions/{doomed}", headers=csrf_headers(mentee))
    assert response.status_code == 204, response.text

    assert set(_counts(database, doomed).values()) == {0}
    assert not any(p.exists() for p in world.files)
    assert not (settings.recordings_dir / f"session-{doomed}").exists()
    for word in (SPOKEN, CHATTED):
        assert mentee.get("/api/search", params={"q": word}).json()["results"] == []
        assert word.encode() not in stored_bytes(settings), f"{word} is still in the file"
    assert b"Doomed session" not in stored_bytes(settings)  # nor its title, anywhere
    assert mentee.get(f"/sessions/{doomed}").status_code == 404
    # The other session is whole and still found.
    assert mentee.get("/api/search", params={"q": KEPT}).json()["results"]
    assert _counts(database, world.kept)["utterances"] == 1
    assert mentee.delete(f"/api/sessions/{doomed}", headers=csrf_headers(mentee)).status_code == 404


def test_the_page_asks_then_deletes_and_says_what_went(
    server: Server, settings: Settings, database: Database
) -> None:
    world = _prepare(settings, database)
    mentor = server.logged_in(world.mentor)
    page = mentor.get(f"/sessions/{world.doomed}").text
    assert "Delete this session for good" in page and "cannot be undone" in page
    token = csrf_from_page(mentor, f"/sessions/{world.doomed}")
    done = mentor.post(f"/sessions/{world.doomed}/delete", data={"csrf_token": token})
    assert done.status_code == 200 and "Session deleted" in done.text
    assert "Doomed session" in done.text
    assert set(_counts(database, world.doomed).values()) == {0}


def test_an_open_call_is_not_deleted(
    server: Server, settings: Settings, database: Database
) -> None:
    world = _prepare(settings, database)
    with database.sessions() as db:
        from server.db.tables import Mentorship

        mentorship = db.get(Mentorship, world.mentorship)
        assert mentorship is not None
        call = start_session(db, mentorship)
        call.status, call.started_at = "live", datetime.now(UTC)
        db.commit()
        call_id = call.id
    mentee = server.logged_in(world.mentee)
    refused = mentee.delete(f"/api/sessions/{call_id}", headers=csrf_headers(mentee))
    assert refused.status_code == 409 and "end it" in refused.json()["error"]
    assert _counts(database, call_id)["sessions"] == 1


def test_the_operator_deletes_from_the_console(
    settings: Settings,
    database: Database,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = _prepare(settings, database)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["sessions", "delete", str(world.doomed)]) == 0
    assert "deleted" in capsys.readouterr().out
    assert set(_counts(database, world.doomed).values()) == {0}
    assert not any(p.exists() for p in world.files)
    assert main(["sessions", "delete", str(world.doomed)]) == 1
    assert f"no session {world.doomed}" in capsys.readouterr().err
