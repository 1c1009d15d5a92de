"""Talk figures, speech intervals, action items and cues of a session.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _session_fk() -> sa.Column[int]:
    return sa.Column(
        "session_id", sa.Integer, sa.ForeignKey("sessions.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.add_column("sessions", sa.Column("talk", sa.JSON))
    op.create_table(
        "speech",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_fk(),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
    )
    op.create_index("ix_speech_session_start", "speech", ["session_id", "start_s"])
    op.create_table(
        "action_items",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_fk(),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("owner", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("due_phrase", sa.String(100)),
        sa.Column("due_date", sa.Date),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_action_items_session", "action_items", ["session_id"])
    op.create_table(
        "cues",
        sa.Column("id", sa.Integer, primary_key=True),
        _session_fk(),
        sa.Column("at_s", sa.Float, nullable=False),
        sa.Column("speaker", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("dismissed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_cues_session", "cues", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_cues_session", "cues")
    op.drop_table("cues")
    op.drop_index("ix_action_items_session", "action_items")
    op.drop_table("action_items")
    op.drop_index("ix_speech_session_start", "speech")
    op.drop_table("speech")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("talk")
