"""People, mentorships, sessions, participants, utterances; the SQLite full-text index.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "mentorships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mentor_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("mentee_id", sa.Integer, sa.ForeignKey("people.id"), nullable=False),
        sa.Column("trainer_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("share_transcripts", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mentorship_id", sa.Integer, sa.ForeignKey("mentorships.id")),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("held_at", TZ, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("duration_s", sa.Float),
        sa.Column("model", sa.String(200)),
        sa.Column("language", sa.String(16)),
        sa.Column("transcript_source", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "participants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("joined_at", TZ),
        sa.Column("left_at", TZ),
    )
    op.create_table(
        "utterances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "participant_id", sa.Integer, sa.ForeignKey("participants.id", ondelete="SET NULL")
        ),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("words", sa.JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index(
        "ix_utterances_session_source_start", "utterances", ["session_id", "source", "start_s"]
    )
    if op.get_bind().dialect.name == "sqlite":
        _create_sqlite_fts()


def _create_sqlite_fts() -> None:
    # An external-content FTS5 index over utterances.text, kept in step by triggers, so every
    # write path (import, live captions, refinement) is indexed without remembering to.
    op.execute(
        "CREATE VIRTUAL TABLE utterances_fts USING fts5("
        "text, content='utterances', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER utterances_fts_insert AFTER INSERT ON utterances BEGIN "
        "INSERT INTO utterances_fts(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        "CREATE TRIGGER utterances_fts_delete AFTER DELETE ON utterances BEGIN "
        "INSERT INTO utterances_fts(utterances_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); END"
    )
    op.execute(
        "CREATE TRIGGER utterances_fts_update AFTER UPDATE OF text ON utterances BEGIN "
        "INSERT INTO utterances_fts(utterances_fts, rowid, text) "
        "VALUES ('delete', old.id, old.text); "
        "INSERT INTO utterances_fts(rowid, text) VALUES (new.id, new.text); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS utterances_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS utterances_fts")
    op.drop_index("ix_utterances_session_source_start", "utterances")
    for table in ("utterances", "participants", "sessions", "mentorships", "people"):
        op.drop_table(table)
