"""Refinement attempts (bounded retries) and what the retention policy removed, and when.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("refine_attempts", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("audio_deleted_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("transcript_deleted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("transcript_deleted_at")
        batch.drop_column("audio_deleted_at")
        batch.drop_column("refine_attempts")
