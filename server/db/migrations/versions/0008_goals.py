"""Goals of a mentorship, and action items linked to them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "mentorship_id",
            sa.Integer,
            sa.ForeignKey("mentorships.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("people.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_goals_mentorship", "goals", ["mentorship_id"])
    with op.batch_alter_table("action_items") as batch:
        batch.add_column(sa.Column("goal_id", sa.Integer))
        batch.create_foreign_key(
            "fk_action_items_goal", "goals", ["goal_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("action_items") as batch:
        batch.drop_constraint("fk_action_items_goal", type_="foreignkey")
        batch.drop_column("goal_id")
    op.drop_index("ix_goals_mentorship", table_name="goals")
    op.drop_table("goals")
