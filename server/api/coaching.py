"""/api/coach/…: a mentor's figures over sessions, for their trainer and for themself."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.auth import Viewer
from server.db.coaching import (
    CSV_COLUMNS,
    MAX_NOTE,
    MentorView,
    add_note,
    csv_rows,
    list_notes,
    mentor_views,
    note_readers,
)
from server.db.directory import program_targets
from server.db.tables import Person, Session
from server.services import in_db, services
from server.web import ID, api, json_body, json_object, nullable, path_id, require


@api("/api/coach/mentors/{person_id}/figures.csv", "GET", "object",
     "A mentor's figures per session as CSV (their trainer, or the mentor)",
     produces=("text/csv",))  # fmt: skip
async def figures_csv(request: Request, viewer: Viewer | None) -> Response:
    mentor_id = path_id(request, "person_id")
    who = require(viewer)
    defaults = services(request).settings.targets

    def work(db: OrmSession) -> MentorView:
        targets = program_targets(db, defaults).to_json()
        views = mentor_views(db, who.person_id, targets, mentor_id=mentor_id)
        if not views:
            raise HTTPException(404, f"no mentor {mentor_id} that you coach")
        return views[0]

    view = await in_db(request, work)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(view))
    name = "".join(c if c.isalnum() else "-" for c in view.mentor.name.lower()).strip("-")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tandem-{name or "mentor"}.csv"'},
    )


def _note_session(db: OrmSession, who: Viewer, session_id: int) -> Session:
    """The session, if the viewer reads its notes (its trainer or mentor): 404 for anyone
    else, the mentee included (notes are between the trainer and the mentor)."""
    session = db.get(Session, session_id)
    if session is None or session.mentorship is None:
        raise HTTPException(404, f"no session {session_id}")
    if who.person_id not in note_readers(session.mentorship):
        raise HTTPException(404, f"no session {session_id}")
    return session


@api("/api/sessions/{session_id}/notes", "GET", "object",
     "Coaching notes on a session (its trainer and mentor only)")  # fmt: skip
async def notes_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        _note_session(db, who, session_id)
        return list_notes(db, [session_id])

    return JSONResponse({"notes": await in_db(request, work)})


NOTE = json_object(
    {
        # Several lines (newlines and tabs are kept), not blank.
        "text": {"type": "string", "minLength": 1, "maxLength": MAX_NOTE, "pattern": r"\S"},
        # Seconds into the session (at most its length).
        "at": nullable({"type": "number", "minimum": 0}),
        # The trainer's note a mentor replies to (the trainer sends none).
        "reply_to": nullable(ID),
    },
    ("text",),
)


@api("/api/sessions/{session_id}/notes", "POST", "object",
     'Write a note (trainer: {"text", "at"?}) or reply (mentor: {"text", "reply_to"})',
     body=NOTE, status=201)  # fmt: skip
async def add_note_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)
    await in_db(request, lambda db: _note_session(db, who, session_id))
    body = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        session = _note_session(db, who, session_id)
        author = db.get(Person, who.person_id)
        assert author is not None
        note = add_note(db, session, author, body)
        return next(n for n in list_notes(db, [session_id]) if n["id"] == note.id)

    try:
        return JSONResponse(await in_db(request, work), status_code=201)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None


routes = [figures_csv, notes_endpoint, add_note_endpoint]
