"""PostgreSQL full-text search: a tsvector per utterance and chat message, with GIN indexes.

Nothing happens on SQLite (its FTS5 indexes come from 0001 and 0004). On PostgreSQL each row
carries a generated ``search_vector`` column, so every writer is indexed, as the FTS5 triggers
do on SQLite. The words are split as SQLite's ``unicode61`` tokenizer splits them: ASCII
punctuation and common typographic marks become spaces first (PostgreSQL's parser would keep
``follow-up``, ``3.5``, e-mail addresses and URLs whole, or split them its own way), then the
``tandem_search`` configuration lowercases each word and, where the ``unaccent`` extension is
available (Debian's postgresql package ships it), folds its diacritics.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

log = logging.getLogger("tandem.migrations")

CONFIG = "tandem_search"
#: Kept equal to server.db.search.PG_SEPARATORS (a test holds them together).
SEPARATORS = (
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
    "\u00a0\u2009\u202f\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033"
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2026\u2022\u00b7\u00ab\u00bb\u2039\u203a"
    "\u00a1\u00bf\u00a7\u00b6\u20ac\u00a3\u00a5\u00a2\u00b0\u00b1\u00d7\u00f7\u00a9\u00ae\u2122"
)
WORD_TOKENS = (
    "asciiword, word, numword, asciihword, hword, numhword, "
    "hword_asciipart, hword_part, hword_numpart"
)
TABLES = {"utterances": "ix_utterances_search", "chat_messages": "ix_chat_messages_search"}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def vector_expression(column: str) -> str:
    spaces = " " * len(SEPARATORS)
    return (
        f"to_tsvector('{CONFIG}'::regconfig, "
        f"translate({column}, {_literal(SEPARATORS)}, {_literal(spaces)}))"
    )


def _unaccent_schema(connection: sa.Connection) -> str | None:
    """The schema of the unaccent extension, installing it if the server has it."""
    available = connection.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ).first()
    if available is not None:
        try:
            with connection.begin_nested():  # a refusal (privileges) must not end the migration
                connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        except sa.exc.DBAPIError as exc:
            log.warning("unaccent could not be installed (%s): search keeps accents", exc.orig)
    else:
        log.warning("the unaccent extension is not available: search keeps accents")
    return connection.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'unaccent'"
        )
    ).scalar()


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    schema = _unaccent_schema(connection)
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.simple)")
    if schema is not None:
        quoted = connection.dialect.identifier_preparer.quote(schema)
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR {WORD_TOKENS} "
            f"WITH {quoted}.unaccent, pg_catalog.simple"
        )
    for table, index in TABLES.items():
        op.execute(
            f"ALTER TABLE {table} ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector_expression('text')}) STORED"
        )
        op.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, index in TABLES.items():
        op.execute(f"DROP INDEX IF EXISTS {index}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector")
    op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
