"""Starting a call session and the call page itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.access import is_member
from server.api.mentorships import check_mentorship
from server.auth import Viewer
from server.db.calls import start_session
from server.db.progress import open_items
from server.db.tables import Session
from server.services import in_db, services
from server.templating import render
from server.web import page, path_id, require


@page("/mentorships/{mentorship_id}/sessions", ("POST",), "object")
async def start(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> int:
        mentorship = check_mentorship(db, who, mentorship_id)
        if not is_member(who, mentorship):
            raise HTTPException(403, "only the mentor and the mentee start their sessions")
        return start_session(db, mentorship).id

    session_id = await in_db(request, work)
    return RedirectResponse(f"/sessions/{session_id}/call", status_code=303)


@page("/sessions/{session_id}/call", ("GET",), "object")
async def call(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        session = db.get(Session, session_id)
        if session is None or session.mentorship is None:
            raise HTTPException(404, f"no session {session_id}")
        if not is_member(who, session.mentorship):
            # Trainers and admins do not join calls; others may not know the session exists.
            known = who.person_id == session.mentorship.trainer_id
            raise HTTPException(403 if known else 404, "only the mentor and the mentee join calls")
        m = session.mentorship
        other = m.mentee if who.person_id == m.mentor_id else m.mentor
        return {
            "session": session,
            "open_items": open_items(db, m.id, except_session=session.id),
            "owner_names": {"mentor": m.mentor.name, "mentee": m.mentee.name, "both": "Both"},
            "other": other,
            "my_role": "mentor" if who.person_id == m.mentor_id else "mentee",
            "ended": session.status in ("ended", "interrupted", "imported"),
        }

    context = await in_db(request, work)
    live = services(request).live
    context["media_mode"] = services(request).settings.media_mode
    # A multilingual model lets each person say which language they will speak.
    context["languages"] = LANGUAGES if live.scheduler is not None and live.language is None else ()
    return render(request, "call.html", context)


LANGUAGES = (
    ("", "Detect automatically"), ("en", "English"), ("de", "Deutsch"), ("fr", "Français"),
    ("es", "Español"), ("it", "Italiano"), ("pt", "Português"), ("nl", "Nederlands"),
    ("pl", "Polski"), ("sv", "Svenska"), ("tr", "Türkçe"), ("ru", "Русский"),
    ("uk", "Українська"), ("ar", "العربية"), ("hi", "हिन्दी"), ("zh", "中文"), ("ja", "日本語"),
    ("ko", "한국어"),
)  # fmt: skip

routes = [start, call]
