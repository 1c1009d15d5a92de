"""The refinement pass of a call: its status and progress.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sessions", sa.Column("refine_status", sa.String(16)))
    op.add_column(
        "sessions", sa.Column("refine_progress", sa.Float, nullable=False, server_default="0")
    )
    op.add_column("sessions", sa.Column("refine_error", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("refine_error")
        batch.drop_column("refine_progress")
        batch.drop_column("refine_status")
