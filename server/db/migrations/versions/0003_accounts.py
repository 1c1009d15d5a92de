"""Logins, invites, program settings; per-member transcript sharing on mentorships.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mentorships") as batch:
        batch.add_column(
            sa.Column("mentor_shares", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("mentee_shares", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE mentorships "
        "SET mentor_shares = share_transcripts, mentee_shares = share_transcripts"
    )
    with op.batch_alter_table("mentorships") as batch:
        batch.drop_column("share_transcripts")
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("people.id", ondelete="CASCADE")),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
    )
    op.create_table(
        "program_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("program_settings")
    op.drop_table("invites")
    op.drop_table("auth_sessions")
    with op.batch_alter_table("mentorships") as batch:
        batch.add_column(
            sa.Column("share_transcripts", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE mentorships SET share_transcripts = mentor_shares AND mentee_shares")
    with op.batch_alter_table("mentorships") as batch:
        batch.drop_column("mentor_shares")
        batch.drop_column("mentee_shares")
