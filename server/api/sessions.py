"""/api/sessions: the sessions a person may see, their transcripts, exports and reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level, may_manage_session, readable_session_ids, session_level
from server.auth import Viewer
from server.db.deletion import Deleted, delete_session
from server.db.sessions import MAX_TITLE, rename_session
from server.db.store import (
    SavedTranscript,
    SessionReport,
    SessionSummary,
    list_sessions,
    load_report,
    load_transcript,
)
from server.db.tables import Session
from server.exports import FORMATS, MEDIA_TYPES, Extras, export, load_extras
from server.services import in_db, services
from server.web import api, json_body, json_object, path_id, require, text


def summary_json(summary: SessionSummary, level: Level | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": summary.id,
        "title": summary.title,
        "status": summary.status,
        "held_at": summary.held_at.isoformat(),
        "duration_s": summary.duration_s,
        "speakers": list(summary.speakers),
        "utterance_count": summary.utterance_count,
        "model": summary.model,
        "url": f"/sessions/{summary.id}",
    }
    if level is not None:
        document["access"] = "full" if level is Level.FULL else "figures"
    return document


def check_session(db: OrmSession, viewer: Viewer, session_id: int, needed: Level) -> Level:
    """The viewer's level for this session: 404 if they may not know it, 403 if too low."""
    session = db.get(Session, session_id, options=[selectinload(Session.mentorship)])
    level = Level.NONE if session is None else session_level(viewer, session)
    if level is Level.NONE:
        raise HTTPException(404, f"no session {session_id}")
    if level.value < needed.value:
        raise HTTPException(
            403, "the trainer sees figures only, until both members agree to share transcripts"
        )
    return level


def check_manage(db: OrmSession, viewer: Viewer, session_id: int) -> Session:
    """The session, if the viewer may manage it: 404 if they may not know it, else 403."""
    check_session(db, viewer, session_id, Level.FIGURES)
    session = db.get(Session, session_id)
    assert session is not None
    if not may_manage_session(viewer, session):
        raise HTTPException(403, "only the mentor and the mentee manage their sessions")
    return session


async def rename(request: Request, viewer: Viewer | None, title: object) -> str:
    """Rename the session in the path; returns the title as saved."""
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> str:
        check_manage(db, who, session_id)  # first: outsiders learn nothing from the body
        if not isinstance(title, str):
            raise ValueError("title must be a string")
        return rename_session(db, session_id, title).title

    try:
        saved: str = await in_db(request, work)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return saved


async def load_checked(request: Request, viewer: Viewer | None) -> SavedTranscript:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> SavedTranscript:
        check_session(db, who, session_id, Level.FULL)
        return load_transcript(db, session_id)

    return await in_db(request, work)


@api("/api/sessions", "GET", "member", "Sessions you may see, newest first")
async def list_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        full = readable_session_ids(db, who, Level.FULL)
        figures = readable_session_ids(db, who, Level.FIGURES)
        return [
            summary_json(s, Level.FULL if s.id in full else Level.FIGURES)
            for s in list_sessions(db, only=figures)
        ]

    return JSONResponse({"sessions": await in_db(request, work)})


@api("/api/sessions/{session_id}", "GET", "object", "One session's transcript")
async def transcript_endpoint(request: Request, viewer: Viewer | None) -> Response:
    saved = await load_checked(request, viewer)
    document = saved.transcript.to_json()
    document["session"] = summary_json(saved.summary)
    return JSONResponse(document)


@api("/api/sessions/{session_id}", "PATCH", "object", 'Rename a session: {"title": ...}',
     body=json_object({"title": text(MAX_TITLE)}, ("title",)))  # fmt: skip
async def patch_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    session_id = path_id(request, "session_id")
    data = await json_body(request)
    # Access first: outsiders learn nothing from how their body is wrong.
    await in_db(request, lambda db: check_manage(db, who, session_id))
    unknown = sorted(set(data) - {"title"})
    if unknown:
        raise HTTPException(400, f"unknown field(s): {', '.join(unknown)}; only title changes")
    title = await rename(request, viewer, data.get("title"))
    return JSONResponse({"id": session_id, "title": title})


async def remove(request: Request, viewer: Viewer | None) -> Deleted:
    """Delete the session in the path and everything of it (rows, files, search index)."""
    session_id = path_id(request, "session_id")
    who = require(viewer)
    settings = services(request).settings
    if session_id in services(request).calls.rooms:
        raise HTTPException(409, "the call is still open: end it before deleting the session")

    def work(db: OrmSession) -> Deleted:
        check_manage(db, who, session_id)
        return delete_session(
            db, session_id, settings.recordings_dir, settings.spool_dir(session_id)
        )

    try:
        deleted: Deleted = await in_db(request, work)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return deleted


@api("/api/sessions/{session_id}", "DELETE", "object", "Delete a session and all of it",
     status=204, errors={409: "the call is open, or the transcript is being refined"})  # fmt: skip
async def delete_endpoint(request: Request, viewer: Viewer | None) -> Response:
    await remove(request, viewer)
    return Response(status_code=204)


@api("/api/sessions/{session_id}/export.{fmt}", "GET", "object", "Export (vtt, srt, md, json)",
     params={"fmt": {"type": "string", "enum": list(FORMATS)}},
     produces=tuple(dict.fromkeys(t.split(";")[0] for t in MEDIA_TYPES.values())))  # fmt: skip
async def export_endpoint(request: Request, viewer: Viewer | None) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404, f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> tuple[SavedTranscript, Extras]:
        check_session(db, who, session_id, Level.FULL)
        return load_transcript(db, session_id), load_extras(db, session_id)

    saved, extras = await in_db(request, work)
    filename = f"tandem-session-{saved.summary.id}.{fmt}"
    return Response(
        export(saved, fmt, extras),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api("/api/sessions/{session_id}/report", "GET", "object", "Talk figures, cues, action items")
async def report_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> tuple[Level, SessionReport]:
        return check_session(db, who, session_id, Level.FIGURES), load_report(db, session_id)

    level, report = await in_db(request, work)
    document: dict[str, Any] = {"talk": report.talk, "cues": report.cues}
    if level is Level.FULL:
        document["action_items"] = report.action_items
    return JSONResponse(document)


@api("/api/sessions/{session_id}/status", "GET", "object", "Call and refinement state")
async def status_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        check_session(db, who, session_id, Level.FIGURES)
        session = db.get(Session, session_id)
        assert session is not None
        return {
            "id": session.id,
            "status": session.status,
            "duration_s": session.duration_s,
            "transcript_source": session.transcript_source,
            "refine_status": session.refine_status,
            "refine_progress": session.refine_progress,
        }

    return JSONResponse(await in_db(request, work))


routes = [
    list_endpoint,
    transcript_endpoint,
    patch_endpoint,
    delete_endpoint,
    export_endpoint,
    report_endpoint,
    status_endpoint,
]
