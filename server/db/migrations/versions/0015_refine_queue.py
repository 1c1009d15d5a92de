"""The refinement pass as a job queue in the database: which process holds a session's pass
and when it last said it was alive, so any server or `tandem worker` can take the next one.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("refine_claimed_by", sa.String(200)))
        batch.add_column(sa.Column("refine_heartbeat_at", sa.DateTime(timezone=True)))
    op.create_index("ix_sessions_refine_status", "sessions", ["refine_status"])


def downgrade() -> None:
    op.drop_index("ix_sessions_refine_status", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("refine_heartbeat_at")
        batch.drop_column("refine_claimed_by")
