"""Password resets made on the operator's console, and the notice the person sees next login.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("password_reset_at", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column("reset_notice", sa.Boolean, nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("reset_notice")
        batch.drop_column("password_reset_at")
