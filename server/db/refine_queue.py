"""The refinement pass as a job queue in the database, shared by every process.

A session waiting for its pass has ``refine_status = "pending"``; a worker (a server process
or ``tandem worker``) claims the oldest one in one statement, so a job runs once however many
workers ask at the same moment: on PostgreSQL the candidate row is locked with ``FOR UPDATE
SKIP LOCKED`` (two workers never wait on or take the same row), on SQLite the database takes
one writer at a time and the update re-checks the status. A claimed job carries its worker's
name and a heartbeat; one whose worker stopped beating for ``STALE_S`` goes back to pending
(the attempt it used still counts, see server.calls.refine.MAX_ATTEMPTS). Sync; call from
worker threads.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as OrmSession

from server.db.tables import Session, utcnow

#: A running pass whose worker has not beaten for this long is taken to be dead.
STALE_S = 120.0


def claim(db: OrmSession, worker: str, now: datetime | None = None) -> int | None:
    """Take the oldest pending pass for ``worker``; its session id, or None."""
    now = now or utcnow()
    candidate = (
        select(Session.id)
        .where(Session.refine_status == "pending")
        .order_by(Session.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL, ignored by SQLite
        .scalar_subquery()
    )
    taken = db.execute(
        update(Session)
        .where(Session.id == candidate, Session.refine_status == "pending")
        .values(
            refine_status="running",
            refine_claimed_by=worker,
            refine_heartbeat_at=now,
            refine_progress=0.0,
            refine_attempts=Session.refine_attempts + 1,
        )
        .returning(Session.id)
    ).scalar_one_or_none()
    db.commit()
    return taken


def beat(db: OrmSession, session_id: int, worker: str) -> bool:
    """Say the pass is alive; False when the job is no longer this worker's."""
    done = db.execute(
        update(Session)
        .where(
            Session.id == session_id,
            Session.refine_status == "running",
            Session.refine_claimed_by == worker,
        )
        .values(refine_heartbeat_at=utcnow())
    )
    db.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def release_stale(
    db: OrmSession, now: datetime | None = None, worker: str | None = None
) -> list[int]:
    """Back to pending: passes whose worker fell silent, and (at a worker's start) those its
    previous run held, whatever their heartbeat."""
    now = now or utcnow()
    silent = (Session.refine_heartbeat_at.is_(None)) | (
        Session.refine_heartbeat_at < now - timedelta(seconds=STALE_S)
    )
    mine = Session.refine_claimed_by == worker if worker is not None else None
    condition = silent if mine is None else (silent | mine)
    ids = list(db.scalars(select(Session.id).where(Session.refine_status == "running", condition)))
    if ids:
        db.execute(
            update(Session)
            .where(Session.id.in_(ids), Session.refine_status == "running")
            .values(refine_status="pending", refine_claimed_by=None)
        )
    db.commit()
    return ids


def finish(db: OrmSession, session_id: int) -> None:
    db.execute(update(Session).where(Session.id == session_id).values(refine_claimed_by=None))
    db.commit()
