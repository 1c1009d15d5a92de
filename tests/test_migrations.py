"""The schema comes from Alembic migrations and matches the ORM tables."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from media.transcript import Transcript, Utterance
from server.db.engine import Database, migrate
from server.db.store import load_transcript, save_transcript
from server.db.tables import Base
from server.settings import Settings

FTS_TABLES = {
    f"{index}{suffix}"
    for index in ("utterances_fts", "chat_fts")
    for suffix in ("", "_config", "_data", "_docsize", "_idx")
}


def test_migrations_build_the_orm_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = [
            d
            for d in compare_metadata(context, Base.metadata)
            if not (d[0] == "remove_table" and d[1].name in FTS_TABLES)
        ]
        assert differences == []
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0013"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        names = set(inspect(connection).get_table_names())
    assert {"people", "mentorships", "sessions", "participants", "utterances"} <= names
    assert "utterances_fts" in names


def test_downgrade_to_base_and_upgrade_again(settings: Settings) -> None:
    database = Database.open(settings.database_url)
    try:
        transcript = Transcript(
            duration_s=5.0,
            speakers=["mentor"],
            model="tiny.en",
            language="en",
            utterances=[Utterance("mentor", 0.5, 2.0, "We keep this line.")],
        )
        with database.sessions() as db:
            session_id = save_transcript(db, transcript, "kept", datetime.now(UTC))
        migrate(database.engine, "0001", downgrade=True)
        with database.engine.connect() as connection:
            assert "action_items" not in inspect(connection).get_table_names()
        migrate(database.engine, "base", downgrade=True)
        with database.engine.connect() as connection:
            assert "sessions" not in inspect(connection).get_table_names()
    finally:
        database.close()
    reopened = Database.open(settings.database_url)  # opening migrates to head again
    try:
        with reopened.engine.connect() as connection:
            assert "utterances_fts" in inspect(connection).get_table_names()
    finally:
        reopened.close()
    assert session_id == 1


def test_rebuilding_migrations_do_not_cascade_deletes(settings: Settings) -> None:
    database = Database.open(settings.database_url)
    try:
        transcript = Transcript(
            duration_s=5.0,
            speakers=["mentor"],
            model="tiny.en",
            language="en",
            utterances=[Utterance("mentor", 0.5, 2.0, "We keep this line.")],
        )
        with database.sessions() as db:
            session_id = save_transcript(db, transcript, "kept", datetime.now(UTC))
        migrate(database.engine, "0001", downgrade=True)  # drops sessions.talk
        migrate(database.engine)
        with database.sessions() as db:
            saved = load_transcript(db, session_id)
        assert [u.text for u in saved.transcript.utterances] == ["We keep this line."]
    finally:
        database.close()
