"""/api/calls: the calls you can join now, and who is in them (the home page keeps its
"Join" buttons current with it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import is_member, visible_mentorships
from server.auth import Viewer
from server.db.calls import OPEN_STATUSES
from server.db.tables import Participant, Person, Session
from server.services import in_db
from server.web import api, require


def open_calls(db: OrmSession, viewer: Viewer) -> list[dict[str, Any]]:
    """Joinable calls of the viewer's own mentorships (trainers and admins join no calls),
    with who is in each right now (``in_call``)."""
    mine = [m.id for m in visible_mentorships(db, viewer) if is_member(viewer, m)]
    if not mine:
        return []
    rows = db.scalars(
        select(Session)
        .where(Session.mentorship_id.in_(mine), Session.status.in_(OPEN_STATUSES))
        .order_by(Session.id)
    ).all()
    present = _present(db, [s.id for s in rows if s.status == "live"])
    return [
        {
            "session_id": s.id,
            "mentorship_id": s.mentorship_id,
            "title": s.title,
            "status": s.status,
            "join_url": f"/sessions/{s.id}/call",
            "in_call": [
                {"name": name, "role": role, "me": person_id == viewer.person_id}
                for person_id, name, role in present.get(s.id, [])
            ],
        }
        for s in rows
    ]


def _present(db: OrmSession, session_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Who is in these calls: joined and not left, as the node holding each call wrote it
    (whichever process serves the page: the rooms live in one node, the rows in the
    database). Session id → (person id, name, role)."""
    if not session_ids:
        return {}
    rows = db.execute(
        select(Participant.session_id, Person.id, Person.name, Participant.speaker)
        .join(Person, Person.id == Participant.person_id)
        .where(
            Participant.session_id.in_(session_ids),
            Participant.joined_at.is_not(None),
            Participant.left_at.is_(None),
        )
        .order_by(Participant.id)
    ).all()
    found: dict[int, list[tuple[int, str, str]]] = {}
    for session_id, person_id, name, role in rows:
        found.setdefault(session_id, []).append((person_id, name, role))
    return found


@api("/api/calls", "GET", "member", "Calls you can join now, and who is in them")
async def calls_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    calls = await in_db(request, lambda db: open_calls(db, who))
    return JSONResponse(calls)


routes = [calls_endpoint]
