"""Coaching notes: a trainer's notes on sessions (or moments of them) and mentors' replies.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coaching_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("people.id", ondelete="SET NULL")),
        sa.Column("at_s", sa.Float),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("reply_to", sa.Integer, sa.ForeignKey("coaching_notes.id", ondelete="CASCADE")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_coaching_notes_session", "coaching_notes", ["session_id"])


def downgrade() -> None:
    op.drop_index("ix_coaching_notes_session", table_name="coaching_notes")
    op.drop_table("coaching_notes")
