"""The schema comes from Alembic migrations and matches the ORM tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from media.transcript import Transcript, Utterance
from server.db.engine import Database, migrate
from server.db.search import search_backend
from server.db.store import load_transcript, save_transcript
from server.db.tables import Base
from server.settings import Settings
from tests.postgres import Databases

FTS_TABLES = {
    f"{index}{suffix}"
    for index in ("utterances_fts", "chat_fts")
    for suffix in ("", "_config", "_data", "_docsize", "_idx")
}
#: PostgreSQL's search columns and their indexes (migration 0014), kept out of the ORM.
PG_SEARCH_INDEXES = {"ix_utterances_search", "ix_chat_messages_search"}


def _search_index_parts(difference: Any) -> bool:
    kind = difference[0]
    if kind == "remove_table":
        return difference[1].name in FTS_TABLES
    if kind == "remove_index":
        return difference[1].name in PG_SEARCH_INDEXES
    if kind == "remove_column":
        return bool(difference[3].name == "search_vector")
    return False


def test_migrations_build_the_orm_schema(database: Database) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = [
            d for d in compare_metadata(context, Base.metadata) if not _search_index_parts(d)
        ]
        assert differences == []
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0016"


def _has_search_index(connection: Connection) -> bool:
    if connection.dialect.name == "sqlite":
        return "utterances_fts" in inspect(connection).get_table_names()
    columns = {c["name"] for c in inspect(connection).get_columns("utterances")}
    return "search_vector" in columns


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        names = set(inspect(connection).get_table_names())
    assert {"people", "mentorships", "sessions", "participants", "utterances"} <= names
    assert "utterances_fts" in names


@pytest.mark.postgresql_only
def test_postgres_search_columns_are_generated_and_gin_indexed(database: Database) -> None:
    with database.engine.connect() as connection:
        for table, index in (
            ("utterances", "ix_utterances_search"),
            ("chat_messages", "ix_chat_messages_search"),
        ):
            generated = connection.execute(
                text(
                    "SELECT attgenerated FROM pg_attribute "
                    "WHERE attrelid = CAST(:table AS regclass) AND attname = 'search_vector'"
                ),
                {"table": table},
            ).scalar()
            assert generated == "s"  # stored, computed by the database from the text
            method = connection.execute(
                text(
                    "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                    "WHERE c.relname = :index"
                ),
                {"index": index},
            ).scalar()
            assert method == "gin"
        dictionaries = connection.execute(
            text("SELECT dictionaries FROM ts_debug('tandem_search', 'Café')")
        ).scalar()
    assert [str(d).split(".")[-1] for d in dictionaries or ()] == ["unaccent", "simple"]


@pytest.mark.postgresql_only
def test_without_unaccent_search_works_and_keeps_accents_apart(
    postgres: Databases, caplog: pytest.LogCaptureFixture
) -> None:
    """A user who may create tables but not extensions: the migration goes on without it."""
    admin = postgres.cluster.admin()
    admin.execute("CREATE ROLE plain LOGIN")
    postgres.cluster.create_database("no_extensions")
    try:
        with postgres.cluster.connect("no_extensions") as owner:
            owner.execute("GRANT CREATE ON SCHEMA public TO plain")
        url = postgres.cluster.url("no_extensions", user="plain")
        with caplog.at_level("WARNING", logger="tandem.migrations"):
            database = Database.open(url)
        try:
            assert "search keeps accents" in caplog.text
            said = [Utterance("mentor", 0.5, 2.0, "Lunch at the Café Noir.")]
            transcript = Transcript(5.0, ["mentor"], "tiny.en", "en", said)
            with database.sessions() as db:
                save_transcript(db, transcript, "accents", datetime.now(UTC))
                search = search_backend(database.dialect)
                assert [h.text for h in search.search(db, "CAFÉ noir")] == [
                    "Lunch at the Café Noir."
                ]
                assert search.search(db, "cafe") == []
        finally:
            database.close()
    finally:
        postgres.cluster.drop_database("no_extensions")
        admin.execute("DROP ROLE plain")


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
            assert _has_search_index(connection)
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
