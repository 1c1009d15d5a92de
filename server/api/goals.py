"""/api/…/goals: the pair's goals for their mentorship. Both members add, change, complete,
drop and delete them; a trainer reads them only while both share transcripts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level
from server.api.mentorships import check_level, check_member
from server.auth import Viewer
from server.db.goals import (
    MAX_TITLE,
    add_goal,
    delete_goal,
    list_goals,
    mentorship_of_goal,
    parse_goal,
    update_goal,
)
from server.db.tables import GOAL_STATUSES
from server.services import in_db
from server.web import (
    DATE,
    Schema,
    api,
    json_body,
    json_object,
    nullable,
    path_id,
    reached_through,
    require,
    text,
)

GOAL_FIELDS: dict[str, Schema] = {
    "title": text(MAX_TITLE),
    "status": {"type": "string", "enum": list(GOAL_STATUSES)},
    # "" or null: no date.
    "due_date": nullable({"anyOf": [DATE, {"const": ""}]}),
}


def _checked_goal(db: OrmSession, who: Viewer, goal_id: int) -> int:
    mentorship_id = mentorship_of_goal(db, goal_id)
    if mentorship_id is None:
        raise HTTPException(404, f"no goal {goal_id}")
    with reached_through(f"no goal {goal_id}"):
        check_member(db, who, mentorship_id)
    return mentorship_id


def _one(db: OrmSession, mentorship_id: int, goal_id: int) -> dict[str, Any]:
    return next(g for g in list_goals(db, mentorship_id) if g["id"] == goal_id)


@api("/api/mentorships/{mentorship_id}/goals", "GET", "object", "The mentorship's goals")
async def list_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        check_level(db, who, mentorship_id, Level.FULL)
        return list_goals(db, mentorship_id)

    return JSONResponse({"goals": await in_db(request, work)})


@api("/api/mentorships/{mentorship_id}/goals", "POST", "object", 'Add a goal: {"title": ...}',
     body=json_object(GOAL_FIELDS, ("title",)), status=201)  # fmt: skip
async def add_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    await in_db(request, lambda db: check_member(db, who, mentorship_id))
    body = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        check_member(db, who, mentorship_id)
        goal = add_goal(db, mentorship_id, who.person_id, parse_goal(body, creating=True))
        return _one(db, mentorship_id, goal.id)

    try:
        return JSONResponse(await in_db(request, work), status_code=201)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@api("/api/goals/{goal_id}", "PATCH", "object", "Change, complete (done) or drop a goal",
     body=json_object(GOAL_FIELDS, at_least=1))  # fmt: skip
async def patch_endpoint(request: Request, viewer: Viewer | None) -> Response:
    goal_id = path_id(request, "goal_id")
    who = require(viewer)
    await in_db(request, lambda db: _checked_goal(db, who, goal_id))
    body = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        mentorship_id = _checked_goal(db, who, goal_id)
        update_goal(db, goal_id, parse_goal(body, creating=False))
        return _one(db, mentorship_id, goal_id)

    try:
        return JSONResponse(await in_db(request, work))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@api("/api/goals/{goal_id}", "DELETE", "object", "Delete a goal (its items stay, unlinked)",
     status=204)  # fmt: skip
async def delete_endpoint(request: Request, viewer: Viewer | None) -> Response:
    goal_id = path_id(request, "goal_id")
    who = require(viewer)

    def work(db: OrmSession) -> None:
        _checked_goal(db, who, goal_id)
        delete_goal(db, goal_id)

    await in_db(request, work)
    return Response(status_code=204)


routes = [list_endpoint, add_endpoint, patch_endpoint, delete_endpoint]
