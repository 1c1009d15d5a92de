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
from server.calls.rooms import CallRegistry
from server.db.calls import OPEN_STATUSES
from server.db.tables import Session
from server.services import in_db, services
from server.web import api, require


def open_calls(db: OrmSession, viewer: Viewer) -> list[dict[str, Any]]:
    """Joinable calls of the viewer's own mentorships (trainers and admins join no calls)."""
    mine = [m.id for m in visible_mentorships(db, viewer) if is_member(viewer, m)]
    if not mine:
        return []
    rows = db.scalars(
        select(Session)
        .where(Session.mentorship_id.in_(mine), Session.status.in_(OPEN_STATUSES))
        .order_by(Session.id)
    ).all()
    return [
        {
            "session_id": s.id,
            "mentorship_id": s.mentorship_id,
            "title": s.title,
            "status": s.status,
            "join_url": f"/sessions/{s.id}/call",
        }
        for s in rows
    ]


def with_presence(
    calls: list[dict[str, Any]], viewer: Viewer, registry: CallRegistry
) -> list[dict[str, Any]]:
    """Who is in each call right now (the rooms live on the event loop: call it there)."""
    for call in calls:
        room = registry.rooms.get(call["session_id"])
        present = [] if room is None or room.closed else list(room.peers.values())
        call["in_call"] = [
            {"name": p.name, "role": p.role, "me": p.person_id == viewer.person_id} for p in present
        ]
    return calls


@api("/api/calls", "GET", "member", "Calls you can join now, and who is in them")
async def calls_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    calls = await in_db(request, lambda db: open_calls(db, who))
    return JSONResponse(with_presence(calls, who, services(request).calls))


routes = [calls_endpoint]
