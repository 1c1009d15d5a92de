"""The refinement pass is a job queue in the database: any number of workers (server processes
or `tandem worker`) take jobs, each job runs once, and a job whose worker died is taken again."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from media.audio import SAMPLE_RATE_HZ
from media.live.spool import SpoolWriter
from server.bench.speech import Dialogue
from server.calls.refine import Refiner
from server.db.engine import Database
from server.db.refine_queue import claim
from server.db.tables import Session, UtteranceRow
from server.settings import Settings
from tests.auth_helpers import add_account, make_mentorship, save_session

pytestmark = pytest.mark.slow

SECONDS = 6.0


def _waiting_session(
    settings: Settings, database: Database, pair: int, dialogue: Dialogue, title: str
) -> int:
    """An ended call whose two voices (six seconds of real speech) wait for their pass."""
    session_id = save_session(database, title, pair, [("mentor", "Hello there.")])
    end = int(SECONDS * SAMPLE_RATE_HZ)
    for role in ("mentor", "mentee"):
        writer = SpoolWriter(settings.spool_dir(session_id) / f"{role}-1", role)
        writer.write(0, dialogue.tracks[role][:end])
        writer.close()
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        session.status, session.started_at = "ended", datetime.now(UTC)
        session.duration_s, session.refine_status = SECONDS, "pending"
        db.commit()
    return session_id


def _pair(database: Database) -> int:
    mentor = add_account(database, "mo@example.org", "Mo Mentor", "mentor")
    mentee = add_account(database, "mi@example.org", "Mi Mentee", "mentee")
    return make_mentorship(database, mentor, mentee)


def _wait(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _states(database: Database, ids: list[int]) -> dict[int, tuple[str | None, int]]:
    with database.sessions() as db:
        rows = db.execute(
            select(Session.id, Session.refine_status, Session.refine_attempts).where(
                Session.id.in_(ids)
            )
        ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def test_two_workers_share_the_queue_and_run_each_pass_once(
    settings: Settings, database: Database, dialogue: Dialogue
) -> None:
    pair = _pair(database)
    ids = [_waiting_session(settings, database, pair, dialogue, f"Call {i}") for i in range(3)]
    workers = [Refiner(settings, database, name) for name in ("worker-a", "worker-b")]
    for worker in workers:
        worker.start()
    try:
        _wait(
            lambda: all(s == "done" for s, _ in _states(database, ids).values()),
            300,
            "three passes",
        )
    finally:
        for worker in workers:
            worker.close()
    assert {attempts for _, attempts in _states(database, ids).values()} == {1}
    with database.sessions() as db:
        for session_id in ids:
            session = db.get(Session, session_id)
            assert session is not None and session.refine_claimed_by is None
            refined = db.scalar(
                select(func.count())
                .select_from(UtteranceRow)
                .where(UtteranceRow.session_id == session_id, UtteranceRow.source == "refined")
            )
            assert refined, f"session {session_id} has no refined transcript"
            assert not settings.spool_dir(session_id).exists()


def test_a_job_is_claimed_once_however_many_ask_at_once(
    settings: Settings, database: Database
) -> None:
    pair = _pair(database)
    session_id = save_session(database, "One job", pair, [("mentor", "Hi.")])
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        session.refine_status = "pending"
        db.commit()
    start = threading.Barrier(8)
    taken: list[int | None] = []

    def ask(name: str) -> None:
        start.wait()
        with database.sessions() as db:
            taken.append(claim(db, name))

    threads = [threading.Thread(target=ask, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken, key=lambda t: t or 0) == [None] * 7 + [session_id]
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None
        assert session.refine_status == "running" and session.refine_attempts == 1


def test_the_pass_of_a_worker_that_fell_silent_is_taken_by_another(
    settings: Settings, database: Database, dialogue: Dialogue
) -> None:
    pair = _pair(database)
    session_id = _waiting_session(settings, database, pair, dialogue, "Orphaned")
    with database.sessions() as db:  # a worker took it, then died ten minutes ago
        session = db.get(Session, session_id)
        assert session is not None
        session.refine_status, session.refine_attempts = "running", 1
        session.refine_claimed_by = "dead-worker"
        session.refine_heartbeat_at = datetime.now(UTC) - timedelta(minutes=10)
        db.commit()
    alive = Refiner(settings, database, "alive-worker")
    alive.start()
    try:
        _wait(lambda: _states(database, [session_id])[session_id][0] == "done", 300, "the pass")
    finally:
        alive.close()
    assert _states(database, [session_id])[session_id] == ("done", 2)


def test_tandem_worker_runs_passes_alone_and_stops_on_sigterm(
    settings: Settings, database: Database, dialogue: Dialogue, env: dict[str, str]
) -> None:
    pair = _pair(database)
    session_id = _waiting_session(settings, database, pair, dialogue, "For the worker")
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker"],
        env={**env, "TANDEM_NODE_NAME": "gpu-box"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(lambda: _states(database, [session_id])[session_id][0] == "done", 300, "the pass")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "tandem worker gpu-box: taking refinement jobs" in stderr
    assert "stopped" in stderr
