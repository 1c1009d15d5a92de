"""Faults survived in a real call (a real `tandem serve`, scripted aiortc participants saying
an espeak-ng dialogue, the real tiny.en model, real SQLite), nothing final lost:

- the database locked by another connection for 12 s across a spoken utterance: every final
  caption the people were sent, and the chat typed meanwhile, is in the database afterwards,
  in the order they were sent; the people are told saving is held up, and told again when
  everything is saved;
- the data directory's disk full (a small tmpfs filled to the last byte) in mid-call:
  captions keep coming, the people and the log are told once, the audio spooled and
  recorded before stays whole, and once space is back every final is saved.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from sqlalchemy import select, text

from server.bench.call_client import ScriptedParticipant
from server.bench.speech import Dialogue, Line, render_dialogue
from server.db.engine import Database
from server.db.tables import ChatMessage, Participant, Recording, Session, UtteranceRow
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import prepare_call
from tests.helpers import fill_disk, small_disk
from tests.test_live_calls import SCRIPT, VOICES

pytestmark = pytest.mark.slow

Messages = list[dict[str, Any]]


@pytest.fixture(scope="module")
def script() -> Dialogue:
    return render_dialogue(SCRIPT, VOICES, tail_s=3.0)


def _env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "p2p"}


async def _until(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def _wait(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _finals(messages: Messages) -> Messages:
    return [m for m in messages if m["type"] == "caption" and m["final"] and m["text"]]


def _notices(messages: Messages, topic: str) -> Messages:
    return [m for m in messages if m["type"] == "notice" and m["topic"] == topic]


def _last_saving_notice_is(person: ScriptedParticipant, levels: tuple[str | None, ...]) -> bool:
    """The last "saving" notice is of one of these levels (None: there was none)."""
    notices = _notices(person.messages, "saving")
    return (notices[-1]["level"] if notices else None) in levels


#: Words of the script's last two lines only (spoken from 11.7 s on, after the disk fills).
LATER_WORDS = ("example", "project", "minutes", "practice", "round", "tonight", "tomorrow")


def _after_the_fill(person: ScriptedParticipant, filled: float) -> Messages:
    return [
        m
        for m in _finals(person.messages)
        if m["_received"] > filled and any(w in m["text"].lower() for w in LATER_WORDS)
    ]


def _live_rows(database: Database, session_id: int) -> list[tuple[str, str, float]]:
    with database.sessions() as db:
        rows = db.scalars(
            select(UtteranceRow)
            .where(UtteranceRow.session_id == session_id, UtteranceRow.source == "live")
            .order_by(UtteranceRow.id)
        )
        return [(r.speaker, r.text, r.start_s) for r in rows]


def _ended(database: Database, session_id: int) -> bool:
    with database.sessions() as db:
        session = db.get(Session, session_id)
        return session is not None and session.status == "ended"


def _check_every_final_saved_in_order(
    database: Database, session_id: int, people: dict[str, ScriptedParticipant]
) -> None:
    """What each person was sent, final by final, is what the database holds, in that order
    (the database's order is the order of its row ids)."""
    sent = {role: _finals(p.messages) for role, p in people.items()}
    assert sent["mentor"], "no finals at all"
    expected = [(m["speaker"], m["text"]) for m in sent["mentor"]]
    assert [(m["speaker"], m["text"]) for m in sent["mentee"]] == expected
    _wait(lambda: len(_live_rows(database, session_id)) >= len(expected), 60, "every final")
    rows = _live_rows(database, session_id)
    assert [(speaker, words) for speaker, words, _ in rows] == expected
    for (_, _, start_s), message in zip(rows, sent["mentor"], strict=True):
        assert abs(start_s - message["start"]) <= 0.01


def test_a_locked_database_loses_no_final_and_no_chat(
    env: dict[str, str], tmp_path: Path, script: Dialogue
) -> None:
    call_env = _env(env)
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    database_file = settings.data_dir / "tandem.db"
    window: dict[str, float] = {}
    #: Per person, the captions they had before the lock (the mentor's first line).
    seen: dict[str, set[str]] = {}
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def call() -> dict[str, ScriptedParticipant]:
            people = {
                role: ScriptedParticipant(url, cookies[role], script.tracks[role])
                for role in ("mentor", "mentee")
            }
            await asyncio.gather(*(p.start() for p in people.values()))
            mentee = people["mentee"]
            await _until(lambda: _finals(mentee.messages), 60, "the mentor's first final")
            # Another connection takes the database for 12 s (longer than the server's 10 s
            # wait for a lock), while the mentee says her line.
            lock = sqlite3.connect(database_file, isolation_level=None, timeout=30)
            lock.execute("BEGIN EXCLUSIVE")
            window["locked"] = time.monotonic()
            seen.update({r: {m["id"] for m in _finals(p.messages)} for r, p in people.items()})
            try:
                await people["mentor"].send({"type": "chat", "text": "Notes are in the doc."})
                await asyncio.sleep(12.0)
            finally:
                lock.execute("ROLLBACK")
                lock.close()
                window["unlocked"] = time.monotonic()
            await asyncio.gather(*(p.wait_sent() for p in people.values()))
            await asyncio.sleep(1.5)
            for person in people.values():
                await _until(
                    partial(_last_saving_notice_is, person, ("ok",)),
                    90,
                    "the notice that everything is saved",
                )
            for person in people.values():
                await person.close()
            return people

        people = asyncio.run(call())
        database = Database.open(settings.database_url)
        try:
            _wait(lambda: _ended(database, session_id), 60, "the end of the call")
            _check_every_final_saved_in_order(database, session_id, people)
            with database.sessions() as db:
                chat = db.scalars(
                    select(ChatMessage.text).where(ChatMessage.session_id == session_id)
                ).all()
            assert chat == ["Notes are in the doc."]
        finally:
            database.close()
        log = server.log()

    for role, person in people.items():
        # Told once that saving is held up, and once that it is done.
        assert [n["level"] for n in _notices(person.messages, "saving")] == ["warning", "ok"]
        # What was said while the database was locked was shown at once, without its row.
        during = [
            m
            for m in _finals(person.messages)
            if m["id"] not in seen[role] and m["_received"] < window["unlocked"]
        ]
        assert during and all(m["utterance_id"] is None for m in during), during
        [chat_message] = [m for m in person.messages if m["type"] == "chat"]
        assert chat_message["message"]["text"] == "Notes are in the doc."
    assert log.count("saving held up") == 1, log
    assert log.count("the database answers again") == 1, log


def test_a_full_disk_keeps_captions_going_and_what_was_written_whole(
    env: dict[str, str], tmp_path: Path, script: Dialogue
) -> None:
    call_env = _env(env)
    with small_disk(tmp_path / "data", "24m") as data:
        settings = Settings.from_env(call_env)
        assert settings.data_dir == data
        session_id, cookies = prepare_call(settings)
        spool_dir = settings.spool_dir(session_id)
        before: dict[Path, bytes] = {}
        with serve(call_env, tmp_path) as server:  # (its log is not on the small disk)
            url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

            async def call() -> tuple[dict[str, ScriptedParticipant], float]:
                people = {
                    role: ScriptedParticipant(url, cookies[role], script.tracks[role], record=True)
                    for role in ("mentor", "mentee")
                }
                await asyncio.gather(*(p.start() for p in people.values()))
                mentee = people["mentee"]
                await _until(lambda: _finals(mentee.messages), 60, "the mentor's first final")
                await _until(lambda: len(list(spool_dir.glob("*.pcm"))) == 2, 30, "two spools")
                for pcm in spool_dir.glob("*.pcm"):
                    before[pcm] = pcm.read_bytes()
                ballast = await asyncio.to_thread(fill_disk, data)
                filled = time.monotonic()
                for person in people.values():
                    await _until(partial(_notices, person.messages, "disk"), 30, "disk notice")
                # Captions go on: the mentor's second line, spoken after the disk filled.
                await _until(partial(_after_the_fill, mentee, filled), 60, "a later line")
                for pcm, old in before.items():
                    now = pcm.read_bytes()
                    assert now[: len(old)] == old, f"{pcm} changed"  # what was there stays
                    assert len(now) % 2 == 0  # whole samples only
                ballast.unlink()  # space again: the database takes what waited
                await asyncio.gather(*(p.wait_sent() for p in people.values()))
                await asyncio.sleep(1.5)
                for person in people.values():
                    await _until(
                        partial(_last_saving_notice_is, person, (None, "ok")),
                        90,
                        "everything saved",
                    )
                for person in people.values():
                    await person.close()
                return people, filled

            people, filled = asyncio.run(call())
            database = Database.open(settings.database_url)
            try:
                _wait(lambda: _ended(database, session_id), 60, "the end of the call")
                _check_every_final_saved_in_order(database, session_id, people)
                with database.sessions() as db:
                    assert db.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                    recordings = db.scalars(
                        select(Recording.path).where(Recording.session_id == session_id)
                    ).all()
            finally:
                database.close()
            log = server.log()
            # The recordings cut by the full disk are kept and play.
            assert len(recordings) == 2
            for path in recordings:
                with av.open(path) as container:
                    played = sum(f.samples for f in container.decode(audio=0))
                    assert played / container.streams.audio[0].rate > 3.0, path

    for person in people.values():
        assert len(_notices(person.messages, "disk")) == 1  # once, not per packet
        assert _after_the_fill(person, filled)
    full_lines = [line for line in log.splitlines() if "the disk is full" in line]
    # One line per writer that stopped (two spools, two recordings) and one for the call.
    assert 1 <= len(full_lines) <= 5, full_lines


def test_joining_and_leaving_while_the_database_is_locked(
    env: dict[str, str], tmp_path: Path
) -> None:
    """A reload or a late arrival during the outage: the person gets in, is transcribed, and
    their joining and leaving are saved once the database is back."""
    call_env = _env(env)
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    sentence = render_dialogue(
        [Line("mentor", "Sorry I am late, the train was stuck outside the station.", at_s=0.5)],
        VOICES,
        tail_s=2.0,
    ).tracks["mentor"]
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def call() -> Messages:
            mentee = ScriptedParticipant(url, cookies["mentee"], np.zeros(16000, np.float32))
            await mentee.start()
            lock = sqlite3.connect(settings.data_dir / "tandem.db", isolation_level=None)
            lock.execute("BEGIN EXCLUSIVE")
            locked = time.monotonic()
            try:
                mentor = ScriptedParticipant(url, cookies["mentor"], sentence)
                await mentor.start()
                await _until(lambda: _finals(mentee.messages), 60, "the mentor's final")
                await mentor.close()
                await asyncio.sleep(max(0.0, locked + 12.0 - time.monotonic()))
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            await _until(partial(_last_saving_notice_is, mentee, ("ok",)), 90, "everything saved")
            await mentee.close()
            return mentee.messages

        messages = asyncio.run(call())
        database = Database.open(settings.database_url)
        try:
            _wait(lambda: _ended(database, session_id), 60, "the end of the call")
            with database.sessions() as db:
                mentor_row = db.scalars(
                    select(Participant).where(
                        Participant.session_id == session_id, Participant.speaker == "mentor"
                    )
                ).one()
                assert mentor_row.joined_at is not None and mentor_row.left_at is not None
                assert mentor_row.audio_received_s > 3.0
            rows = _live_rows(database, session_id)
        finally:
            database.close()
    assert [(s, t) for s, t, _ in rows] == [(m["speaker"], m["text"]) for m in _finals(messages)]
    assert "train" in " ".join(t for _, t, _ in rows).lower()
