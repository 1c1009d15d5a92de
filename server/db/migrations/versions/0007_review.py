"""Review: action items people changed (origin, and the session's edited time, after which
detection no longer replaces the list); one row per recorded file, placed on the session clock.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "action_items",
        sa.Column("origin", sa.String(16), nullable=False, server_default="detected"),
    )
    op.add_column("sessions", sa.Column("action_items_edited_at", sa.DateTime(timezone=True)))
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_recordings_session", "recordings", ["session_id"])
    # Recordings known before: the first file of each participant.
    op.execute(
        "INSERT INTO recordings (session_id, speaker, path, start_s, created_at) "
        "SELECT session_id, speaker, recording_path, COALESCE(recording_start_s, 0), "
        "COALESCE(left_at, joined_at, CURRENT_TIMESTAMP) FROM participants "
        "WHERE recording_path IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_recordings_session", table_name="recordings")
    op.drop_table("recordings")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("action_items_edited_at")
    with op.batch_alter_table("action_items") as batch:
        batch.drop_column("origin")
