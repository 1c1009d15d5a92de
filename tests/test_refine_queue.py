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
from server.settings import Settings, SettingsError
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
    ids = [_waiting_session(settings, database, pair, dialogue, f"For the worker {i}")
           for i in range(2)]  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "worker", "--jobs", "2"],
        env={**env, "TANDEM_NODE_NAME": "gpu-box"},
        stderr=subprocess.PIPE,
        text=True,
    )
    holders: set[str] = set()  # who held a pass while both waited

    def done() -> bool:
        with database.sessions() as db:
            rows = db.execute(
                select(Session.refine_status, Session.refine_claimed_by).where(Session.id.in_(ids))
            ).all()
        if all(status == "running" for status, _ in rows):
            holders.update(str(holder) for _, holder in rows)
        return all(status == "done" for status, _ in rows)

    try:
        _wait(done, 300, "the passes")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr
    assert "tandem worker gpu-box: taking refinement jobs" in stderr
    assert "2 at a time on the cpu" in stderr
    assert holders == {"gpu-box#1", "gpu-box#2"}  # the two passes ran at once
    assert {attempts for _, attempts in _states(database, ids).values()} == {1}
    assert "stopped" in stderr


@pytest.mark.parametrize("how", [["--device", "cuda"], ["--jobs", "0"]])
def test_a_worker_refuses_a_gpu_it_cannot_use_or_no_jobs(
    env: dict[str, str], how: list[str]
) -> None:
    """This machine has no GPU: asking for one stops the worker before it takes a job (else
    each pass would fail on its first chunk), with what to do about it."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "worker", *how],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (1, 2)
    if how[0] == "--device":
        assert done.returncode == 1
        assert "CTranslate2 finds no CUDA GPU here" in done.stderr
        assert "TANDEM_REFINE_DEVICE=cpu" in done.stderr
    else:
        assert done.returncode == 2 and "--jobs must be at least 1" in done.stderr
    assert "taking refinement jobs" not in done.stderr


def test_the_refine_device_setting_is_checked() -> None:
    assert Settings.from_env({"TANDEM_REFINE_DEVICE": "CUDA"}).refine_device == "cuda"
    assert Settings.from_env({}).refine_device == "cpu"
    with pytest.raises(SettingsError, match="TANDEM_REFINE_DEVICE must be one of cpu, cuda"):
        Settings.from_env({"TANDEM_REFINE_DEVICE": "gpu"})
