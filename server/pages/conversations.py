"""Pages for people in the program: home by role, a mentorship, a session, search."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from media.insight.summary import summarize
from server.access import (
    Level,
    is_member,
    may_manage_session,
    mentorship_level,
    visible_mentorships,
)
from server.api.calls import open_calls
from server.api.mentorships import check_mentorship, targets_json
from server.api.search import search_for
from server.api.sessions import check_session, remove, rename
from server.auth import Viewer, needs_setup
from server.db.calls import chat_history
from server.db.coaching import list_notes, note_readers
from server.db.directory import set_sharing
from server.db.goals import list_goals
from server.db.progress import list_resources, open_items, session_points, shared_links
from server.db.recordings import recorded_files
from server.db.search import QueryError, SearchHit
from server.db.store import (
    SessionSummary,
    as_utc,
    list_sessions,
    load_report,
    load_transcript,
)
from server.db.tables import Mentorship, Person, Session
from server.exports import FORMATS
from server.pages.review import conversation, timeline
from server.services import in_db
from server.templating import render
from server.web import page, path_id, require, small_form


@dataclass(frozen=True)
class MentorshipView:
    mentorship: Mentorship
    level: Level
    sessions: list[SessionSummary]
    #: The mentor's share of talk, per session with figures (newest first).
    mentor_shares: list[float]

    @property
    def mean_mentor_share(self) -> float | None:
        return statistics.fmean(self.mentor_shares) if self.mentor_shares else None


def _mentor_share(session: Session, mentorship: Mentorship) -> float | None:
    talk = (session.talk or {}).get("talk")
    roles: dict[str, str] = (session.talk or {}).get("roles") or {}
    if not talk:
        return None
    for speaker, figures in talk["speakers"].items():
        if roles.get(speaker, speaker) == "mentor":
            return float(figures["share"])
    return None


def _views(db: OrmSession, viewer: Viewer) -> list[MentorshipView]:
    views = []
    for mentorship in visible_mentorships(db, viewer):
        level = mentorship_level(viewer, mentorship)
        if level is Level.NONE:
            continue
        ids = set(db.scalars(select(Session.id).where(Session.mentorship_id == mentorship.id)))
        rows = db.scalars(select(Session).where(Session.id.in_(ids))).all()
        shares = [s for s in (_mentor_share(r, mentorship) for r in rows) if s is not None]
        views.append(MentorshipView(mentorship, level, list_sessions(db, only=ids), shares))
    return views


def _by_mentorship(calls: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {c["mentorship_id"]: c for c in calls}


@page("/", ("GET",), "public")
async def home(request: Request, viewer: Viewer | None) -> Response:
    if viewer is None:

        def nobody_can_log_in(db: OrmSession) -> bool:
            # No admin yet and nobody else with a password: the setup link is the way in.
            anyone = select(Person.id).where(Person.password_hash.is_not(None)).limit(1)
            return needs_setup(db) and db.scalars(anyone).first() is None

        if await in_db(request, nobody_can_log_in):
            return render(request, "message.html", {
                "title": "Welcome to Tandem",
                "message": "Tandem is not set up yet. Open the setup link that the server "
                "printed when it started, or add the first admin on the server:",
                "code": 'tandem users add you@example.org --name "Your Name" --role admin',
            })  # fmt: skip
        return RedirectResponse("/login", status_code=303)
    who = viewer

    def work(db: OrmSession) -> dict[str, Any]:
        context: dict[str, Any] = {"views": _views(db, who), "calls": open_calls(db, who)}
        if who.is_admin:
            context["mentorships"] = visible_mentorships(db, who)
            context["mentorship_count"] = len(context["mentorships"])
            context["filed"] = request.query_params.get("filed") == "1"
            unassigned = set(db.scalars(select(Session.id).where(Session.mentorship_id.is_(None))))
            context["unassigned"] = list_sessions(db, only=unassigned)
        return context

    context = await in_db(request, work)
    context["calls"] = _by_mentorship(context["calls"])
    return render(request, f"home_{who.role}.html", context)


#: The targets as the mentorship page lists them: key, what it means, how a value reads.
TARGET_ROWS = (
    ("mentee_min_share", "Mentee's share of talk at least", lambda v: f"{v * 100:.0f}%"),
    ("max_monologue_s", "Longest mentor monologue", lambda v: f"{v:.0f} s"),
    (
        "question_gap_s",
        "Longest time without a mentor question",
        lambda v: f"{v:.0f} s" if v < 120 else f"{v / 60:.0f} min",
    ),
    ("max_interruptions", "Interruptions before a cue", lambda v: f"{v}"),
)


@page("/mentorships/{mentorship_id}", ("GET",), "object")
async def mentorship_page(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship = check_mentorship(db, who, mentorship_id)
        calls = [c for c in open_calls(db, who) if c["mentorship_id"] == mentorship.id]
        targets = targets_json(db, mentorship, request, who)
        found = [v for v in _views(db, who) if v.mentorship.id == mentorship.id]
        if not found:  # an admin managing it: people, not conversations
            view = MentorshipView(mentorship, Level.NONE, [], [])
            return {"view": view, "calls": calls, "targets": targets}
        view = found[0]
        full = view.level is Level.FULL
        return {
            "view": view,
            "calls": calls,
            "targets": targets,
            "points": session_points(db, mentorship.id),
            "open_items": open_items(db, mentorship.id) if full else [],
            "goals": list_goals(db, mentorship.id) if full else [],
            "links": shared_links(db, mentorship.id) if full else [],
            "resources": list_resources(db, mentorship.id) if full else [],
            "full": full,
        }

    context = await in_db(request, work)
    m = context["view"].mentorship
    context["member"] = is_member(who, m)
    context["owner_names"] = {"mentor": m.mentor.name, "mentee": m.mentee.name, "both": "Both"}
    context["calls"] = _by_mentorship(context["calls"])
    context["target_rows"] = TARGET_ROWS
    return render(request, "mentorship.html", context)


@page("/mentorships/{mentorship_id}/sharing", ("POST",), "object")
async def sharing_form(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    share = (await small_form(request)).get("share") == "yes"

    def work(db: OrmSession) -> None:
        mentorship = check_mentorship(db, who, mentorship_id)
        if not is_member(who, mentorship):
            raise HTTPException(403, "only the mentor and the mentee decide what the trainer reads")
        set_sharing(db, mentorship, who, share)

    await in_db(request, work)
    return RedirectResponse(f"/mentorships/{mentorship_id}", status_code=303)


@page("/sessions/{session_id}", ("GET",), "object")
async def session_page(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)
    source = request.query_params.get("source")
    if source not in (None, "live", "refined"):
        raise HTTPException(400, "source must be live or refined")

    def work(db: OrmSession) -> dict[str, Any]:
        level = check_session(db, who, session_id, Level.FIGURES)
        row = db.get(Session, session_id)
        member = row is not None and row.mentorship is not None and is_member(who, row.mentorship)
        saved = load_transcript(db, session_id, source)
        report = load_report(db, session_id)
        names = {
            p.speaker: p.person.name
            for p in (row.participants if row else [])
            if p.person is not None
        }
        full = level is Level.FULL
        chat = chat_history(db, session_id) if full else []
        talk_document = report.talk or {}
        readers = note_readers(row.mentorship) if row is not None and row.mentorship else set()
        notes_visible = who.person_id in readers
        goals = (
            [g for g in list_goals(db, row.mentorship_id) if g["status"] == "open"]
            if full and row is not None and row.mentorship_id is not None
            else []
        )
        return {
            "notes": list_notes(db, [session_id]) if notes_visible else None,
            "is_trainer": row is not None
            and row.mentorship is not None
            and who.person_id == row.mentorship.trainer_id,
            "goals": [{"id": g["id"], "title": g["title"]} for g in goals],
            "summary": summarize(
                talk_document.get("talk"),
                talk_document.get("targets"),
                talk_document.get("roles") or {},
                names,
            ),
            "entries": conversation(saved.transcript.utterances, chat, names) if full else [],
            "timeline": timeline(
                saved.transcript.speech,
                saved.transcript.duration_s,
                names,
                saved.transcript.speakers,
                report.cues,
                saved.transcript.utterances,
            ),
            "manage": row is not None and may_manage_session(who, row),
            "saved": saved,
            "report": report,
            "talk": (report.talk or {}).get("talk"),
            "full": level is Level.FULL,
            "member": member,
            "status": row.status if row else "",
            "refine_status": row.refine_status if row else None,
            "refine_progress": row.refine_progress if row else 0.0,
            "showing": source or (row.transcript_source if row else "refined"),
            "names": names,
            "has_live": row is not None and row.origin_is_call,
            "has_audio": level is Level.FULL and bool(recorded_files(db, session_id).files),
            "participants": [
                {
                    "name": p.person.name if p.person else p.speaker,
                    "role": p.speaker,
                    "joined": as_utc(p.joined_at) if p.joined_at else None,
                    "left": as_utc(p.left_at) if p.left_at else None,
                }
                for p in (row.participants if row else [])
            ],
            "formats": FORMATS,
        }

    return render(request, "session.html", await in_db(request, work))


@page("/sessions/{session_id}/title", ("POST",), "object")
async def rename_form(request: Request, viewer: Viewer | None) -> Response:
    title = (await small_form(request)).get("title", "")
    await rename(request, viewer, title)
    return RedirectResponse(f"/sessions/{path_id(request, 'session_id')}", status_code=303)


@page("/sessions/{session_id}/delete", ("POST",), "object")
async def delete_form(request: Request, viewer: Viewer | None) -> Response:
    deleted = await remove(request, viewer)
    return render(request, "message.html", {
        "title": "Session deleted",
        "message": f"“{deleted.title}” is deleted: its transcript, recordings, action items, "
        "chat and figures are gone for both of you.",
    })  # fmt: skip


@page("/search", ("GET",), "member")
async def search_page(request: Request, viewer: Viewer | None) -> Response:
    query = request.query_params.get("q", "")
    hits: list[SearchHit] = []
    error = None
    raw = request.query_params.get("mentorship", "")
    mentorship = int(raw) if raw.isdigit() and 0 < int(raw) < 2**62 else None
    if query.strip():
        try:
            hits = await search_for(request, require(viewer), query, 50, 0, mentorship)
        except QueryError as exc:
            error = str(exc)
    return render(
        request,
        "search.html",
        {"query": query, "hits": hits, "error": error, "mentorship": mentorship},
        status_code=400 if error else 200,
    )


routes = [
    home,
    mentorship_page,
    sharing_form,
    session_page,
    rename_form,
    delete_form,
    search_page,
]
