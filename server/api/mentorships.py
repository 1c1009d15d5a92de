"""/api/mentorships: the mentorships a person belongs to or coaches; creation by admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level, is_member, mentorship_level, visible_mentorships
from server.auth import MAX_EMAIL, AuthError, Viewer
from server.db.directory import (
    TARGET_RANGES,
    create_mentorship,
    describe_mentorship,
    mentorship_targets,
    program_targets,
    save_mentorship_targets,
    set_sharing,
)
from server.db.progress import (
    done_items,
    link_json,
    open_items,
    point_json,
    session_points,
    shared_links,
)
from server.db.tables import Mentorship
from server.services import in_db, services
from server.web import (
    ID,
    Schema,
    api,
    json_body,
    json_object,
    nullable,
    path_id,
    query_id,
    require,
)

#: A person's email (normalised: case and spaces around it do not matter; none inside it).
EMAIL: Schema = {
    "type": "string",
    "maxLength": MAX_EMAIL,
    "pattern": r"^\s*[^@\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*@[^\s\x00-\x1f\x7f-\x9f]*"
    r"[^@\s\x00-\x1f\x7f-\x9f]\s*$",
}


def target_fields(clearable: bool) -> dict[str, Schema]:
    """The targets one may set, each in its range (null: back to the program's)."""
    fields: dict[str, Schema] = {}
    for key, (kind, low, high) in TARGET_RANGES.items():
        number = "integer" if kind is int else "number"
        schema: Schema = {"type": number, "minimum": low, "maximum": high}
        fields[key] = nullable(schema) if clearable else schema
    return fields


def check_mentorship(db: OrmSession, viewer: Viewer, mentorship_id: int) -> Mentorship:
    mentorship = db.get(Mentorship, mentorship_id)
    # Admins manage every mentorship; others must belong to it or coach it.
    if mentorship is None or (
        mentorship_level(viewer, mentorship) is Level.NONE and not viewer.is_admin
    ):
        raise HTTPException(404, f"no mentorship {mentorship_id}")
    return mentorship


@api("/api/mentorships", "GET", "member", "Mentorships you belong to or coach (admins: all)")
async def list_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        return [describe_mentorship(m) for m in visible_mentorships(db, who)]

    return JSONResponse({"mentorships": await in_db(request, work)})


@api("/api/mentorships", "POST", "admin", "Create a mentorship from people's emails",
     body=json_object({"mentor": EMAIL, "mentee": EMAIL, "trainer": nullable(EMAIL)},
                      ("mentor", "mentee"), closed=False),
     status=201)  # fmt: skip
async def create_endpoint(request: Request, viewer: Viewer | None) -> Response:
    data = await json_body(request)
    mentor, mentee, trainer = data.get("mentor"), data.get("mentee"), data.get("trainer")
    if not isinstance(mentor, str) or not isinstance(mentee, str):
        raise HTTPException(400, "give 'mentor' and 'mentee' as emails")
    if trainer is not None and not isinstance(trainer, str):
        raise HTTPException(400, "'trainer' must be an email or null")

    def work(db: OrmSession) -> dict[str, Any]:
        return describe_mentorship(create_mentorship(db, mentor, mentee, trainer or None))

    try:
        return JSONResponse(await in_db(request, work), status_code=201)
    except AuthError as exc:
        raise HTTPException(400, str(exc)) from None


@api("/api/mentorships/{mentorship_id}", "GET", "object", "One mentorship")
async def get_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        return describe_mentorship(check_mentorship(db, who, mentorship_id))

    return JSONResponse(await in_db(request, work))


@api(
    "/api/mentorships/{mentorship_id}/sharing",
    "PUT",
    "object",
    'Your agreement that the trainer may read transcripts ({"share": true|false})',
    body=json_object({"share": {"type": "boolean"}}, ("share",), closed=False),
)
async def sharing_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    data = await json_body(request)
    share = data.get("share")
    if not isinstance(share, bool):
        raise HTTPException(400, "'share' must be true or false")

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship = check_mentorship(db, who, mentorship_id)
        if not is_member(who, mentorship):
            raise HTTPException(403, "only the mentor and the mentee decide what the trainer reads")
        set_sharing(db, mentorship, who, share)
        return describe_mentorship(mentorship)

    return JSONResponse(await in_db(request, work))


def check_member(db: OrmSession, viewer: Viewer, mentorship_id: int) -> Mentorship:
    """The mentorship, if the viewer is its mentor or mentee (what only the pair changes:
    goals, resources, uploads): 404 if they may not know it, 403 for its trainer or an admin."""
    mentorship = check_mentorship(db, viewer, mentorship_id)
    if not is_member(viewer, mentorship):
        raise HTTPException(403, "only the mentor and the mentee do this for their mentorship")
    return mentorship


def check_level(db: OrmSession, viewer: Viewer, mentorship_id: int, needed: Level) -> Mentorship:
    """The mentorship, if the viewer may read it at ``needed`` (admins manage people, they do
    not read conversations: 403 like a trainer without sharing)."""
    mentorship = check_mentorship(db, viewer, mentorship_id)
    if mentorship_level(viewer, mentorship).value < needed.value:
        raise HTTPException(
            403, "only the pair (and a trainer they share transcripts with) read this"
        )
    return mentorship


@api(
    "/api/mentorships/{mentorship_id}/action-items",
    "GET",
    "object",
    "Action items of the mentorship's sessions (?open=true: not done; ?except_session=ID)",
    query={"open": {"type": "string", "enum": ["true", "false"]}, "except_session": ID},
)
async def items_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    only_open = request.query_params.get("open", "true")
    if only_open not in ("true", "false"):
        raise HTTPException(400, "open must be true or false")
    except_session = query_id(request, "except_session")

    def work(db: OrmSession) -> list[dict[str, Any]]:
        check_level(db, who, mentorship_id, Level.FULL)
        items = open_items(db, mentorship_id, except_session)
        return items if only_open == "true" else items + done_items(db, mentorship_id)

    return JSONResponse({"action_items": await in_db(request, work)})


@api(
    "/api/mentorships/{mentorship_id}/progress",
    "GET",
    "object",
    "Sessions over time with talk share and items done/open; links shared (readers only)",
)
async def progress_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship = check_level(db, who, mentorship_id, Level.FIGURES)
        full = mentorship_level(who, mentorship) is Level.FULL
        return {
            "sessions": [point_json(p) for p in session_points(db, mentorship_id)],
            "links": [link_json(link) for link in shared_links(db, mentorship_id)] if full else [],
        }

    return JSONResponse(await in_db(request, work))


def targets_json(
    db: OrmSession, mentorship: Mentorship, request: Request, viewer: Viewer
) -> dict[str, Any]:
    defaults = services(request).settings.targets
    return {
        "targets": mentorship_targets(db, mentorship.id, defaults).to_json(),
        "own": dict(mentorship.targets or {}),
        "program": program_targets(db, defaults).to_json(),
        "may_change": may_set_targets(viewer, mentorship),
    }


def may_set_targets(viewer: Viewer, mentorship: Mentorship) -> bool:
    """The pair's trainer or an admin sets the targets a pair is held to."""
    return viewer.is_admin or viewer.person_id == mentorship.trainer_id


@api(
    "/api/mentorships/{mentorship_id}/targets",
    "GET",
    "object",
    "The targets this pair is held to: the program's with those set for the pair (own)",
)
async def get_targets_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship = check_mentorship(db, who, mentorship_id)
        return targets_json(db, mentorship, request, who)

    return JSONResponse(await in_db(request, work))


@api(
    "/api/mentorships/{mentorship_id}/targets",
    "PUT",
    "object",
    "Set targets for this pair (its trainer or an admin): {key: number, or null for the "
    "program's}; the next call's cues use them",
    body=json_object(target_fields(clearable=True)),
)
async def set_targets_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    await in_db(request, lambda db: check_mentorship(db, who, mentorship_id))
    data = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship = check_mentorship(db, who, mentorship_id)
        if not may_set_targets(who, mentorship):
            raise HTTPException(403, "the pair's trainer or an admin sets its targets")
        save_mentorship_targets(db, mentorship, dict(data))
        return targets_json(db, mentorship, request, who)

    try:
        return JSONResponse(await in_db(request, work))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


routes = [
    get_targets_endpoint,
    set_targets_endpoint,
    list_endpoint,
    create_endpoint,
    get_endpoint,
    sharing_endpoint,
    items_endpoint,
    progress_endpoint,
]
