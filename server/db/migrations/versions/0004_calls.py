"""Calls: session start time, per-participant consent and recording, side chat with search.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("started_at", sa.DateTime(timezone=True)))
    op.add_column(
        "participants",
        sa.Column("consent_record", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("participants", sa.Column("recording_start_s", sa.Float))
    op.add_column("participants", sa.Column("recording_path", sa.String(500)))
    op.add_column(
        "participants",
        sa.Column("audio_received_s", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id")),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("at_s", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_session_at", "chat_messages", ["session_id", "at_s"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE chat_fts USING fts5("
            "text, content='chat_messages', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER chat_fts_insert AFTER INSERT ON chat_messages BEGIN "
            "INSERT INTO chat_fts(rowid, text) VALUES (new.id, new.text); END"
        )
        op.execute(
            "CREATE TRIGGER chat_fts_delete AFTER DELETE ON chat_messages BEGIN "
            "INSERT INTO chat_fts(chat_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS chat_fts_insert")
        op.execute("DROP TRIGGER IF EXISTS chat_fts_delete")
        op.execute("DROP TABLE IF EXISTS chat_fts")
    op.drop_index("ix_chat_session_at", "chat_messages")
    op.drop_table("chat_messages")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("audio_received_s")
        batch.drop_column("recording_path")
        batch.drop_column("recording_start_s")
        batch.drop_column("consent_record")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("started_at")
