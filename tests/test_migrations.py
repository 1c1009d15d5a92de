"""The schema comes from Alembic migrations and matches the ORM tables."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from server.db.engine import Database, alembic_config
from server.db.tables import Base
from server.settings import Settings

FTS_TABLES = {
    "utterances_fts",
    "utterances_fts_config",
    "utterances_fts_data",
    "utterances_fts_docsize",
    "utterances_fts_idx",
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
        assert version == "0001"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(database: Database) -> None:
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        names = set(inspect(connection).get_table_names())
    assert {"people", "mentorships", "sessions", "participants", "utterances"} <= names
    assert "utterances_fts" in names


def test_downgrade_and_upgrade_again(settings: Settings) -> None:
    database = Database.open(settings.database_url)
    try:
        config = alembic_config(database.engine)
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
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
