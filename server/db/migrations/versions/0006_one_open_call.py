"""At most one joinable call (scheduled or live) per mentorship.

Older databases may hold several (each "Start a call now" made a new one): the newest stays
open, older ones that were never joined are removed (they hold nothing), joined ones end.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OPEN = "status IN ('scheduled', 'live')"


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            f"SELECT id, mentorship_id, started_at FROM sessions WHERE {OPEN} "
            "AND mentorship_id IS NOT NULL ORDER BY mentorship_id, id DESC"
        )
    ).all()
    seen: set[int] = set()
    for session_id, mentorship_id, started_at in rows:
        if mentorship_id not in seen:
            seen.add(mentorship_id)  # the newest stays open
            continue
        if started_at is None:
            connection.execute(sa.text("DELETE FROM sessions WHERE id = :id"), {"id": session_id})
        else:
            connection.execute(
                sa.text("UPDATE sessions SET status = 'ended' WHERE id = :id"), {"id": session_id}
            )
    op.create_index(
        "uq_sessions_open_call",
        "sessions",
        ["mentorship_id"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_sessions_open_call", table_name="sessions")
