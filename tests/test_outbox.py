"""The outbox of a call against a real SQLite database made unavailable for real: another
connection holds an exclusive lock on the file. Writes wait it out in order, the people are
told once when saving is held up and once when it is done, a full outbox refuses with one log
line, and a write that can never succeed does not hold up the rest.

The database here waits 0.3 s for a lock before giving up (the server waits 10 s), so that
failed attempts and retries happen within a short test."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from server.calls.outbox import Outbox
from server.db.calls import add_chat
from server.db.engine import Database, create_db_engine
from server.db.tables import ChatMessage
from server.settings import Settings
from tests.call_helpers import prepare_call

# The outage is made with an exclusive lock on the SQLite file (sqlite3); on PostgreSQL the
# outbox is exercised by the call tests that run there.
pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def quick_db(settings: Settings) -> Iterator[tuple[Database, int, Path]]:
    session_id, _ = prepare_call(settings)  # migrates the file, adds people and a session
    engine = create_db_engine(settings.database_url)

    def short_wait(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA busy_timeout=300")

    event.listen(engine, "connect", short_wait)
    database = Database(engine)
    yield database, session_id, Path(engine.url.database or "")
    database.close()


class Lock:
    """An exclusive lock on the database file, from another connection (as another process
    writing a long transaction would hold it)."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=10)

    def __enter__(self) -> Lock:
        self.connection.execute("BEGIN EXCLUSIVE")
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def _texts(database: Database, session_id: int) -> list[str]:
    with database.sessions() as db:
        rows = db.scalars(
            select(ChatMessage).where(ChatMessage.session_id == session_id).order_by(ChatMessage.id)
        )
        return [r.text for r in rows]


def _mentor_id(database: Database) -> int:
    from server.db.tables import Person

    with database.sessions() as db:
        found: int = db.scalars(select(Person.id).where(Person.role == "mentor")).one()
        return found


def test_writes_wait_out_a_locked_database_in_order(
    quick_db: tuple[Database, int, Path], caplog: pytest.LogCaptureFixture
) -> None:
    database, session_id, path = quick_db
    mentor = _mentor_id(database)
    told: list[dict[str, Any]] = []

    async def notify(message: dict[str, Any]) -> None:
        told.append(message)

    async def run() -> tuple[list[bool], list[Any]]:
        outbox = Outbox(database, "session test", notify, notice_after_s=1.0)
        first = await outbox.save("chat", add_chat, session_id, mentor, "mentor", "one", 1.0)
        with Lock(path):
            results = []
            for n, text in enumerate(("two", "three", "four", "five"), start=2):
                saved, _ = await outbox.save(
                    "chat", add_chat, session_id, mentor, "mentor", text, float(n)
                )
                results.append(saved)
                await asyncio.sleep(0.6)
            held = outbox.pending
            assert outbox.struggling
        assert held == 4
        assert await outbox.flush(within_s=30)
        await outbox.close()
        return [first[0], *results], told

    with caplog.at_level(logging.INFO, logger="tandem.outbox"):
        saved, _ = asyncio.run(run())
    assert saved == [True, False, False, False, False]  # not one waited for the lock
    assert _texts(database, session_id) == ["one", "two", "three", "four", "five"]
    assert [(m["topic"], m["level"]) for m in told] == [("saving", "warning"), ("saving", "ok")]
    lines = [r.getMessage() for r in caplog.records if r.name == "tandem.outbox"]
    assert len(lines) == 3, lines  # first failure, held up, saved again: not one per retry
    assert "database is locked" in lines[0]
    assert "held up" in lines[1] and "answers again" in lines[2]


def test_a_full_outbox_refuses_new_writes_with_one_log_line(
    quick_db: tuple[Database, int, Path], caplog: pytest.LogCaptureFixture
) -> None:
    database, session_id, path = quick_db
    mentor = _mentor_id(database)
    told: list[dict[str, Any]] = []

    async def notify(message: dict[str, Any]) -> None:
        told.append(message)

    async def run() -> list[bool]:
        outbox = Outbox(database, "session test", notify, capacity=3, notice_after_s=0.5)
        with Lock(path):
            taken = [
                outbox.put("chat", add_chat, session_id, mentor, "mentor", f"m{n}", float(n))
                is not None
                for n in range(6)
            ]
            await asyncio.sleep(1.0)
        await outbox.close(within_s=30)
        return taken

    with caplog.at_level(logging.ERROR, logger="tandem.outbox"):
        taken = asyncio.run(run())
    assert taken == [True, True, True, False, False, False]
    assert _texts(database, session_id) == ["m0", "m1", "m2"]  # the oldest kept, in order
    full = [r for r in caplog.records if "the most one call holds" in r.getMessage()]
    assert len(full) == 1
    assert [m["level"] for m in told] == ["error", "warning", "error"]
    assert "3 caption(s) or message(s)" in told[-1]["message"]


def test_a_write_that_can_never_succeed_does_not_hold_up_the_rest(
    quick_db: tuple[Database, int, Path], caplog: pytest.LogCaptureFixture
) -> None:
    database, session_id, _ = quick_db
    mentor = _mentor_id(database)

    async def notify(message: dict[str, Any]) -> None:
        pass

    async def run() -> None:
        outbox = Outbox(database, "session test", notify)
        outbox.put("chat", add_chat, 999_999, mentor, "mentor", "nowhere", 1.0)  # no session
        saved, _ = await outbox.save("chat", add_chat, session_id, mentor, "mentor", "ok", 2.0)
        assert saved
        await outbox.close()

    with caplog.at_level(logging.ERROR, logger="tandem.outbox"):
        asyncio.run(run())
    assert _texts(database, session_id) == ["ok"]
    assert any("could not be saved and is dropped" in r.getMessage() for r in caplog.records)


def test_what_the_database_never_took_is_logged_as_lost_when_the_call_closes(
    quick_db: tuple[Database, int, Path], caplog: pytest.LogCaptureFixture
) -> None:
    database, session_id, path = quick_db
    mentor = _mentor_id(database)

    async def notify(message: dict[str, Any]) -> None:
        pass

    async def run() -> None:
        outbox = Outbox(database, "session test", notify)
        with Lock(path):
            outbox.put("chat", add_chat, session_id, mentor, "mentor", "late", 1.0)
            started = time.monotonic()
            await outbox.close(within_s=1.0)
            assert time.monotonic() - started < 20

    with caplog.at_level(logging.ERROR, logger="tandem.outbox"):
        asyncio.run(run())
    lost = [r.getMessage() for r in caplog.records if "lost" in r.getMessage()]
    assert len(lost) == 1 and "1 chat message(s)" in lost[0], lost
