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
from server.calls.nodes import origin_of, socket_url
from server.db.calls import start_session
from server.db.progress import open_items
from server.db.tables import Session
from server.security import content_security_policy
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
            "holder": session.node if session.status == "live" else None,
        }

    context = await in_db(request, work)
    shared = services(request)
    live = shared.live
    context["media_mode"] = shared.settings.media_mode
    # A multilingual model lets each person say which language they will speak.
    context["languages"] = LANGUAGES if live.scheduler is not None and live.language is None else ()
    context["ws_url"] = ""
    if not context["ended"]:
        ws_url = await call_socket_url(request, session_id, context["holder"])
        if ws_url is None:
            context["ended"] = True  # held by a node that died: the call was interrupted
        else:
            context["ws_url"] = ws_url
    response = render(request, "call.html", context)
    if shared.nodes.others():  # the socket may be another node's: their origins are allowed
        response.headers["content-security-policy"] = content_security_policy(
            origin_of(socket_url(n.url, session_id)) for n in shared.nodes.live.values()
        )
    return response


async def call_socket_url(request: Request, session_id: int, holder: str | None) -> str | None:
    """The call socket the page opens: the node holding the call, else this node (it will
    hold the call if this person is the first to join). "" is the page's own address (one
    node alone); None: the holder died, so the call is over.

    With several nodes the page opens the socket of the node that holds the call, and the
    socket of a node that does not answers ``elsewhere`` with the holder's (docs/deploy.md).
    """
    nodes = services(request).nodes
    await nodes.live_now()
    if holder is not None and holder != nodes.name:
        where = await nodes.locate(holder, session_id)
        return where.url
    if not nodes.others():
        return ""
    return socket_url(nodes.url, session_id)


LANGUAGES = (
    ("", "Detect automatically"), ("en", "English"), ("de", "Deutsch"), ("fr", "Français"),
    ("es", "Español"), ("it", "Italiano"), ("pt", "Português"), ("nl", "Nederlands"),
    ("pl", "Polski"), ("sv", "Svenska"), ("tr", "Türkçe"), ("ru", "Русский"),
    ("uk", "Українська"), ("ar", "العربية"), ("hi", "हिन्दी"), ("zh", "中文"), ("ja", "日本語"),
    ("ko", "한국어"),
)  # fmt: skip

routes = [start, call]
