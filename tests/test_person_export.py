"""A person downloads everything Tandem holds about them: their sessions with transcript and
chat, their own voice's audio, never anyone else's conversations or voice."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from server.bench.speech import write_wav
from server.cli import main
from server.db.calls import add_chat, add_recording
from server.db.engine import Database
from server.db.tables import CoachingNote
from server.settings import Settings
from tests.auth_helpers import WORD_A, WORD_B, Server, World, build_world, running

CHATTED = "okapiform"
NOTE = "watch the long monologue"


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _extras(settings: Settings, database: Database, world: World) -> dict[str, bytes]:
    """Chat and both voices recorded in session A, a trainer's note; returns the audio."""
    audio = {}
    with database.sessions() as db:
        add_chat(db, world.session_a, world.mentee_a.id, "mentee", f"see the {CHATTED}", 4.0)
        for role, level in (("mentor", 0.1), ("mentee", 0.2)):
            path = settings.recordings_dir / f"session-{world.session_a}" / f"{role}-1.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_wav(path, np.full(1600, level, np.float32))
            add_recording(db, world.session_a, role, str(path), 0.0)
            audio[role] = path.read_bytes()
        db.add(CoachingNote(session_id=world.session_a, author_id=world.trainer_a.id, text=NOTE))
        db.commit()
    return audio


def _open(raw: bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(raw))
    return json.loads(archive.read("person.json")), archive


def test_a_mentee_downloads_their_sessions_chat_and_own_voice(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    audio = _extras(settings, database, world)
    mentee = server.logged_in(world.mentee_a)
    account = mentee.get("/account")
    assert account.status_code == 200 and 'href="/api/me/export"' in account.text
    response = mentee.get("/api/me/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    document, archive = _open(response.content)

    assert document["person"]["email"] == world.mentee_a.email
    assert "password_hash" not in json.dumps(document)
    [session] = document["sessions"]
    assert session["id"] == world.session_a and session["you_speak_as"] == "mentee"
    spoken = " ".join(u["text"] for u in session["transcript"])
    assert WORD_A in spoken and WORD_B not in json.dumps(document)
    assert [m["text"] for m in session["chat"]] == [f"see the {CHATTED}"]
    assert session["action_items"] and session["talk"]
    assert "coaching_notes" not in session and NOTE not in json.dumps(document)
    [pair] = document["mentorships"]
    assert pair["your_role"] == "mentee"
    assert [g["title"] for g in pair["goals"]] == ["Run a retrospective alone"]
    # Only their own voice.
    names = [n for n in archive.namelist() if n.startswith("audio/")]
    assert names == [f"audio/session-{world.session_a}/mentee-1.wav"]
    assert archive.read(names[0]) == audio["mentee"]
    assert document["audio_files"] == names


def test_a_mentor_gets_the_trainers_notes_and_a_trainer_only_what_they_wrote(
    server: Server, settings: Settings, database: Database
) -> None:
    world = build_world(database)
    _extras(settings, database, world)
    mentor_doc, mentor_zip = _open(server.logged_in(world.mentor_a).get("/api/me/export").content)
    [session] = mentor_doc["sessions"]
    assert [n["text"] for n in session["coaching_notes"]] == [NOTE]
    assert [n for n in mentor_zip.namelist() if n.startswith("audio/")] == [
        f"audio/session-{world.session_a}/mentor-1.wav"
    ]
    assert mentor_doc["mentorships"][0]["goals"][0]["title"] == "Run a retrospective alone"
    trainer_doc, trainer_zip = _open(
        server.logged_in(world.trainer_a).get("/api/me/export").content
    )
    assert trainer_doc["sessions"] == []  # a trainer was in no conversation
    assert [n["text"] for n in trainer_doc["coaching_notes_written"]] == [NOTE]
    assert trainer_doc["mentorships"][0]["your_role"] == "trainer"
    assert not [n for n in trainer_zip.namelist() if n.startswith("audio/")]
    assert server.browser().get("/api/me/export").status_code == 401


def test_the_operator_exports_a_person_from_the_console(
    settings: Settings,
    database: Database,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    world = build_world(database)
    _extras(settings, database, world)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "milo.zip"
    assert main(["users", "export", world.mentee_a.email, "-o", str(out)]) == 0
    assert "1 session(s), 1 audio file(s)" in capsys.readouterr().out
    document, _ = _open(out.read_bytes())
    assert document["sessions"][0]["chat"][0]["text"] == f"see the {CHATTED}"
    assert main(["users", "export", "nobody@example.org", "-o", str(out)]) == 1
    capsys.readouterr()
    # A folder that is not there, or a folder for a file: one line saying so, no traceback.
    assert (
        main(["users", "export", world.mentee_a.email, "-o", str(tmp_path / "no" / "x.zip")]) == 1
    )
    said = capsys.readouterr()
    assert "there is no folder" in said.err and "Traceback" not in said.err, said.err
    assert main(["users", "export", world.mentee_a.email, "-o", str(tmp_path)]) == 1
    assert "it is a folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []
