"""Several `tandem serve` processes on one database: the nodes, which one holds each call's
room, and what happens to the rooms of a node that died.

A node is a server process (``TANDEM_NODE_NAME``, by default host and port) with the address
its call sockets are reached at (``TANDEM_NODE_URL``, by default ``TANDEM_PUBLIC_URL``). It
beats every ``BEAT_S``; a node whose heartbeat is older than ``STALE_S`` is dead. A call's
room lives in one node: the first join places it there (one conditional update, so two
processes racing place it once), and every other node sends that call's people there.

When a node dies its rooms are gone with it: at its own next start it marks them
interrupted, and the live nodes do the same once its heartbeat is stale (each session once,
whoever gets there first), so the pair can start a new call on a live node. Sync; call from
worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, func, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from server.db.store import as_utc
from server.db.tables import AuthSession, Node, Participant, Person, Session, Upload, utcnow

#: How often a node says it is alive.
BEAT_S = 10.0
#: A node that has not beaten for this long is dead; its calls end as interrupted.
STALE_S = 30.0

#: Statuses of a call that can still be joined (as server.db.calls.OPEN_STATUSES).
_OPEN = ("scheduled", "live")
#: Uploads a node still has to process.
_WAITING_UPLOADS = ("queued", "running")


@dataclass(frozen=True)
class NodeInfo:
    name: str
    url: str
    heartbeat_at: datetime

    def alive(self, now: datetime) -> bool:
        return as_utc(self.heartbeat_at) >= now - timedelta(seconds=STALE_S)


def beat(db: OrmSession, name: str, url: str, starting: bool = False) -> None:
    """Say the node is alive (and, at its start, register it or say it started again)."""
    now = utcnow()
    values: dict[str, object] = {"heartbeat_at": now, "url": url}
    if starting:
        values["started_at"] = now
    done = db.execute(update(Node).where(Node.name == name).values(**values))
    if not done.rowcount:  # type: ignore[attr-defined]
        db.add(Node(name=name, url=url, started_at=now, heartbeat_at=now))
    db.commit()


def leave(db: OrmSession, name: str) -> None:
    """A node stopping cleanly (its calls ended): nobody is sent to it any more."""
    db.execute(delete(Node).where(Node.name == name))
    db.commit()


def nodes(db: OrmSession) -> dict[str, NodeInfo]:
    """Every node that registered, live or not, by name."""
    rows = db.scalars(select(Node)).all()
    return {n.name: NodeInfo(n.name, n.url, as_utc(n.heartbeat_at)) for n in rows}


def live_nodes(db: OrmSession, now: datetime | None = None) -> dict[str, NodeInfo]:
    now = now or utcnow()
    return {name: n for name, n in nodes(db).items() if n.alive(now)}


class Elsewhere(LookupError):
    """The call's room is held by another node."""

    def __init__(self, node: str) -> None:
        super().__init__(f"the call is held by node {node}")
        self.node = node


def place(db: OrmSession, session_id: int, node: str) -> None:
    """At a join: the room is this node's, unless another node placed it first (Elsewhere).

    One statement places the session and marks it live (its clock starts at the first join),
    so two nodes racing for it place it once: on PostgreSQL the second waits for the first's
    row lock and then finds the session placed; on SQLite writers take turns.
    """
    now = utcnow()
    db.execute(
        update(Session)
        .where(Session.id == session_id, Session.node.is_(None), Session.status.in_(_OPEN))
        .values(
            node=node,
            status="live",
            started_at=func.coalesce(Session.started_at, now),
            held_at=case((Session.started_at.is_(None), now), else_=Session.held_at),
        )
    )
    db.commit()
    holder = db.scalar(select(Session.node).where(Session.id == session_id))
    if holder is not None and holder != node:
        raise Elsewhere(holder)


def holder(db: OrmSession, session_id: int) -> str | None:
    """The node holding (or that held) the session's room."""
    return db.scalar(select(Session.node).where(Session.id == session_id))


def interrupt_rooms(db: OrmSession, node: str, unplaced: bool = False) -> list[int]:
    """The calls still live on ``node`` (and, with ``unplaced``, those live on no node: left
    by a version that did not place rooms) end as "interrupted"; the ids of those this call
    ended (another node doing the same at the same moment gets the others)."""
    where: ColumnElement[bool] = Session.node == node
    if unplaced:
        where = or_(where, Session.node.is_(None))
    candidates = list(db.scalars(select(Session.id).where(Session.status == "live", where)))
    ended: list[int] = []
    for session_id in candidates:
        now = utcnow()
        taken = db.execute(
            update(Session)
            .where(Session.id == session_id, Session.status == "live", where)
            .values(status="interrupted", ended_at=now)
            .returning(Session.id)
        ).scalar_one_or_none()
        if taken is None:
            db.rollback()
            continue
        session = db.get(Session, session_id, populate_existing=True)
        assert session is not None
        started = as_utc(session.started_at) if session.started_at else None
        last = max((as_utc(p.left_at) for p in session.participants if p.left_at), default=None)
        if started is not None:
            session.duration_s = max(
                session.duration_s or 0.0, ((last or now) - started).total_seconds()
            )
        db.execute(
            update(Participant)
            .where(Participant.session_id == session_id, Participant.left_at.is_(None))
            .values(left_at=now)
        )
        db.commit()
        ended.append(session_id)
    return ended


def dead_holders(db: OrmSession, me: str, now: datetime | None = None) -> list[str]:
    """Nodes other than ``me`` that hold live calls but are not alive (stale, or gone)."""
    alive = set(live_nodes(db, now))
    held = db.scalars(
        select(Session.node)
        .where(Session.status == "live", Session.node.is_not(None), Session.node != me)
        .distinct()
    )
    return sorted(n for n in held if n is not None and n not in alive)


def take_uploads(db: OrmSession, me: str, dead: list[str]) -> list[int]:
    """Uploads the dead nodes were to process become ``me``'s (their files are in the shared
    data directory); their ids."""
    if not dead:
        return []
    taken = list(
        db.scalars(
            update(Upload)
            .where(Upload.node.in_(dead), Upload.status.in_(_WAITING_UPLOADS))
            .values(node=me, status="queued")
            .returning(Upload.id)
        )
    )
    db.commit()
    return sorted(taken)


def dead_upload_holders(db: OrmSession, me: str, now: datetime | None = None) -> list[str]:
    """Nodes other than ``me`` with uploads waiting that are not alive."""
    alive = set(live_nodes(db, now))
    held = db.scalars(
        select(Upload.node)
        .where(Upload.status.in_(_WAITING_UPLOADS), Upload.node.is_not(None), Upload.node != me)
        .distinct()
    )
    return sorted(n for n in held if n is not None and n not in alive)


def not_mine(db: OrmSession, me: str, session_ids: list[int]) -> list[int]:
    """Of the rooms this node runs, those the database no longer has live here (another node
    found this one dead, e.g. after the database was out of its reach): they must end."""
    if not session_ids:
        return []
    rows = db.execute(
        select(Session.id, Session.status, Session.node).where(Session.id.in_(session_ids))
    ).all()
    kept = {row[0] for row in rows if row[1] == "live" and row[2] == me}
    return sorted(set(session_ids) - kept)


def ended_logins(db: OrmSession, logins: list[str]) -> dict[str, bool]:
    """Of these logins (token hashes), those revoked or whose person was deactivated: hash →
    True when the person was deactivated. A logout or deactivation on another node reaches
    the call sockets of this one so."""
    if not logins:
        return {}
    rows = db.execute(
        select(AuthSession.token_hash, AuthSession.revoked, Person.active)
        .join(Person, Person.id == AuthSession.person_id)
        .where(AuthSession.token_hash.in_(logins))
    ).all()
    found = {row[0]: (bool(row[1]), bool(row[2])) for row in rows}
    ended: dict[str, bool] = {}
    for login in logins:
        revoked, active = found.get(login, (True, True))  # a deleted login is over too
        if revoked or not active:
            ended[login] = not active
    return ended
