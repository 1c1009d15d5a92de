"""Nothing lingers that should be gone: a failed refinement is retried a bounded number of times
and then its audio deleted; the janitor removes left-over spools and uploads; the retention
policy removes audio, then what was said, after the configured days."""

from __future__ import annotations

import dataclasses
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from media.live.spool import SpoolWriter
from server.bench.speech import write_wav
from server.calls.refine import MAX_ATTEMPTS, Refiner
from server.db.calls import add_chat, add_recording
from server.db.engine import Database
from server.db.tables import ChatMessage, Person, Recording, Session, Upload, UtteranceRow
from server.janitor import SPOOL_GRACE_S, SPOOL_MAX_AGE_S, sweep
from server.settings import Settings
from tests.auth_helpers import (
    add_account,
    make_mentorship,
    running,
    save_session,
)
from tests.stored import stored_bytes

OLD = datetime.now(UTC) - timedelta(days=40)
SAID = "capybarist"
CHATTED = "axolotlish"


def _spool(settings: Settings, session_id: int, age_s: float = 0.0) -> Path:
    """A real spool (one second of a tone), as a call leaves it, last written ``age_s`` ago."""
    writer = SpoolWriter(settings.spool_dir(session_id) / "mentor-1", "mentor")
    tone = np.sin(np.arange(16000) / 16000 * 2 * np.pi * 220).astype(np.float32) * 0.3
    writer.write(0, tone)
    writer.close()
    folder = settings.spool_dir(session_id)
    if age_s:
        then = time.time() - age_s
        for path in [folder, *folder.rglob("*")]:
            os.utime(path, (then, then))
    return folder


def _ended(database: Database, session_id: int, refine_status: str | None) -> None:
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        session.status, session.refine_status = "ended", refine_status
        session.started_at, session.duration_s = datetime.now(UTC), 1.0
        db.commit()


def _pair(database: Database) -> int:
    mentor = add_account(database, "mo@example.org", "Mo Mentor", "mentor")
    mentee = add_account(database, "mi@example.org", "Mi Mentee", "mentee")
    return make_mentorship(database, mentor, mentee)


def _mentee(database: Database) -> int:
    with database.sessions() as db:
        found = db.scalar(select(Person.id).where(Person.role == "mentee"))
        assert found is not None
        return found


def test_a_refinement_that_keeps_failing_is_tried_three_times_then_its_audio_deleted(
    settings: Settings, database: Database
) -> None:
    session_id = save_session(database, "Call", _pair(database), [("mentor", "Hello there.")])
    _ended(database, session_id, None)
    folder = _spool(settings, session_id)
    # The refinement model cannot be found: every try fails the same way.
    broken = dataclasses.replace(settings, refine_model="no-such-model")
    refiner = Refiner(broken, database)
    refiner.enqueue(session_id)
    refiner.start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with database.sessions() as db:
                session = db.get(Session, session_id)
                assert session is not None
                if session.refine_status == "failed":
                    break
            time.sleep(0.1)
    finally:
        refiner.close()
    assert session is not None and session.refine_status == "failed"
    assert session.refine_attempts == MAX_ATTEMPTS
    assert "no-such-model" in (session.refine_error or "")
    assert "audio was deleted" in (session.refine_error or "")
    assert not folder.exists()
    # The live transcript stays.
    with database.sessions() as db:
        count = db.scalar(
            select(func.count())
            .select_from(UtteranceRow)
            .where(UtteranceRow.session_id == session_id)
        )
    assert count == 1


def test_a_server_restarted_mid_pass_does_not_retry_forever(
    settings: Settings, database: Database
) -> None:
    session_id = save_session(database, "Call", _pair(database), [("mentor", "Hello there.")])
    _ended(database, session_id, "running")  # a server died during its last allowed try
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        session.refine_attempts = MAX_ATTEMPTS
        db.commit()
    folder = _spool(settings, session_id)
    refiner = Refiner(settings, database)
    refiner.start()
    try:
        deadline = time.monotonic() + 60
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        refiner.close()
    assert not folder.exists()
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None and session.refine_status == "failed"


def test_the_janitor_removes_left_over_spools_and_uploads_and_keeps_what_is_needed(
    settings: Settings, database: Database
) -> None:
    pair = _pair(database)
    done, waiting, stale, live, fresh = (
        save_session(database, f"S{i}", pair, [("mentor", "Hi.")]) for i in range(5)
    )
    _ended(database, done, "done")
    _ended(database, waiting, "pending")
    _ended(database, stale, "pending")
    _ended(database, fresh, "failed")
    with database.sessions() as db:
        session = db.get(Session, live)
        assert session is not None
        session.status = "live"
        db.commit()
    hour = 3600.0
    folders = {
        "done": _spool(settings, done, hour),
        "waiting": _spool(settings, waiting, hour),
        "stale": _spool(settings, stale, SPOOL_MAX_AGE_S + hour),
        "live": _spool(settings, live, SPOOL_MAX_AGE_S + hour),
        "fresh": _spool(settings, fresh, SPOOL_GRACE_S / 2),
        "orphan": _spool(settings, 9999, hour),  # its session was deleted
    }
    with database.sessions() as db:
        queued = Upload(mentorship_id=pair, kind="single", status="queued")
        finished = Upload(mentorship_id=pair, kind="single", status="done")
        db.add_all([queued, finished])
        db.commit()
        queued_id, finished_id = queued.id, finished.id
    for upload_id in (queued_id, finished_id):
        (settings.uploads_dir / f"upload-{upload_id}").mkdir(parents=True)
        (settings.uploads_dir / f"upload-{upload_id}" / "a.wav").write_bytes(b"RIFF")
    half = settings.uploads_dir / "incoming-abc"
    half.mkdir()
    old = time.time() - 2 * 86400
    os.utime(half, (old, old))

    with database.sessions() as db:
        swept = sweep(db, settings, busy=set())
    assert sorted(swept.spools) == sorted([done, stale, 9999])
    assert not folders["done"].exists() and not folders["stale"].exists()
    assert not folders["orphan"].exists()
    assert folders["waiting"].exists() and folders["live"].exists() and folders["fresh"].exists()
    assert not (settings.uploads_dir / f"upload-{finished_id}").exists() and not half.exists()
    assert (settings.uploads_dir / f"upload-{queued_id}").exists()
    with database.sessions() as db:
        gave_up = db.get(Session, stale)
        assert gave_up is not None and gave_up.refine_status == "failed"
        assert "waited too long" in (gave_up.refine_error or "")


def _old_session_with_audio(settings: Settings, database: Database, pair: int, by: int) -> int:
    session_id = save_session(
        database, "Old talk", pair, [("mentor", f"The {SAID} plan."), ("mentee", "Yes.")], OLD
    )
    with database.sessions() as db:
        add_chat(db, session_id, by, "mentee", f"the {CHATTED} link", 1.0)
        path = settings.recordings_dir / f"session-{session_id}" / "mentor-1.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, np.zeros(1600, np.float32))
        add_recording(db, session_id, "mentor", str(path), 0.0)
    return session_id


def test_retention_removes_audio_then_what_was_said_and_keeps_the_figures(
    settings: Settings, database: Database
) -> None:
    pair = _pair(database)
    old = _old_session_with_audio(settings, database, pair, _mentee(database))
    recent = _old_session_with_audio(settings, database, pair, _mentee(database))
    with database.sessions() as db:
        session = db.get(Session, recent)
        assert session is not None
        session.held_at = datetime.now(UTC) - timedelta(days=2)
        db.commit()
    audio = settings.recordings_dir / f"session-{old}"

    with database.sessions() as db:  # off by default: nothing goes
        assert not sweep(db, settings)
    assert audio.exists()

    with database.sessions() as db:
        swept = sweep(db, dataclasses.replace(settings, keep_audio_days=30))
    assert swept.audio == [old] and not audio.exists()
    with database.sessions() as db:
        session = db.get(Session, old)
        assert session is not None and session.audio_deleted_at is not None
        assert not db.scalars(select(Recording).where(Recording.session_id == old)).all()
        assert db.scalars(select(UtteranceRow).where(UtteranceRow.session_id == old)).all()
    assert (settings.recordings_dir / f"session-{recent}").exists()

    policy = dataclasses.replace(settings, keep_audio_days=30, keep_transcripts_days=30)
    with database.sessions() as db:
        swept = sweep(db, policy)
    assert swept.transcripts == [old] and swept.audio == []
    with database.sessions() as db:
        session = db.get(Session, old)
        assert session is not None and session.transcript_deleted_at is not None
        assert session.talk  # the figures stay for the progress pages
        for table in (UtteranceRow, ChatMessage):
            assert not db.scalars(select(table).where(table.session_id == old)).all()
        assert db.scalars(select(UtteranceRow).where(UtteranceRow.session_id == recent)).all()
    raw = stored_bytes(settings)
    assert raw.count(SAID.encode()) >= 1  # the recent session still says it...
    with database.sessions() as db:  # ...and once that one goes too, nowhere does
        sweep(db, dataclasses.replace(policy, keep_transcripts_days=1))
    raw = stored_bytes(settings)
    assert SAID.encode() not in raw and CHATTED.encode() not in raw


def test_the_server_applies_the_policy_and_the_session_page_says_so(
    settings: Settings, database: Database
) -> None:
    mentor = add_account(database, "mo@example.org", "Mo Mentor", "mentor")
    mentee = add_account(database, "mi@example.org", "Mi Mentee", "mentee")
    pair = make_mentorship(database, mentor, mentee)
    old = _old_session_with_audio(settings, database, pair, _mentee(database))
    policy = dataclasses.replace(settings, keep_transcripts_days=30, janitor_interval_s=1.0)
    with running(policy) as server:
        deadline = time.monotonic() + 30
        while (settings.recordings_dir / f"session-{old}").exists():
            assert time.monotonic() < deadline, "the server never applied the policy"
            time.sleep(0.1)
        client = server.logged_in(mentee)
        page = client.get(f"/sessions/{old}").text
        assert "retention policy" in page and SAID not in page
        account = client.get("/account").text
        assert "30 days after it" in account
