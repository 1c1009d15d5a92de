"""Several server processes on one database: the nodes and their heartbeats, which node holds
a call's room and processes an upload, and failed logins counted in the database (every
process sees them).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(700), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])
    op.create_index("ix_login_failures_at", "login_failures", ["at"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("node", sa.String(200)))
    op.create_index("ix_sessions_node_status", "sessions", ["node", "status"])
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("node", sa.String(200)))


def downgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("node")
    op.drop_index("ix_sessions_node_status", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("node")
    op.drop_index("ix_login_failures_at", table_name="login_failures")
    op.drop_index("ix_login_failures_key_at", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("nodes")
