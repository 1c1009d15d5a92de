"""/api/…/action-items: the pair edits, ticks off, adds and deletes their action items.

Reading needs the transcript level (a trainer reads them only while both members share);
changing them is for the people who manage the session (the pair; an admin for imports that
belong to no mentorship).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level
from server.api.sessions import check_manage, check_session
from server.auth import Viewer
from server.db.action_items import (
    MAX_ACTION,
    MAX_DUE_PHRASE,
    OWNERS,
    add_item,
    delete_item,
    item_json,
    list_items,
    parse_change,
    session_of_item,
    update_item,
)
from server.services import in_db
from server.web import (
    DATE,
    ID,
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

ITEM_FIELDS: dict[str, Schema] = {
    "action": text(MAX_ACTION),
    "owner": {"type": "string", "enum": list(OWNERS)},
    # "" or null: no date.
    "due_date": nullable({"anyOf": [DATE, {"const": ""}]}),
    # The phrase said in the call ("by Friday"); blank or null: none.
    "due": nullable({"type": "string", "maxLength": MAX_DUE_PHRASE}),
    "done": {"type": "boolean"},
    # Seconds into the session where it was said.
    "start": {"type": "number", "minimum": 0, "exclusiveMaximum": 10**7},
    # A goal of the same mentorship, or null to unlink.
    "goal_id": nullable(ID),
}


def _checked_item(db: OrmSession, who: Viewer, item_id: int) -> int:
    """The item's session id, if the viewer may change the item (404 when they may not know
    it exists, 403 when they may read but not change it)."""
    session_id = session_of_item(db, item_id)
    if session_id is None:
        raise HTTPException(404, f"no action item {item_id}")
    with reached_through(f"no action item {item_id}"):
        check_manage(db, who, session_id)
    return session_id


@api("/api/sessions/{session_id}/action-items", "GET", "object", "A session's action items")
async def list_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        check_session(db, who, session_id, Level.FULL)
        return [item_json(i) for i in list_items(db, session_id)]

    return JSONResponse({"action_items": await in_db(request, work)})


@api("/api/sessions/{session_id}/action-items", "POST", "object", "Add an action item",
     body=json_object(ITEM_FIELDS, ("action",)), status=201)  # fmt: skip
async def add_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def check(db: OrmSession) -> None:
        check_manage(db, who, session_id)  # first: outsiders learn nothing from the body

    await in_db(request, check)
    body = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        check_manage(db, who, session_id)
        return item_json(add_item(db, session_id, parse_change(body, creating=True)))

    try:
        created = await in_db(request, work)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return JSONResponse(created, status_code=201)


@api("/api/action-items/{action_item_id}", "PATCH", "object", "Change an action item",
     body=json_object(ITEM_FIELDS, at_least=1))  # fmt: skip
async def patch_endpoint(request: Request, viewer: Viewer | None) -> Response:
    item_id = path_id(request, "action_item_id")
    who = require(viewer)
    await in_db(request, lambda db: _checked_item(db, who, item_id))
    body = await json_body(request)

    def work(db: OrmSession) -> dict[str, Any]:
        _checked_item(db, who, item_id)
        change = parse_change(body, creating=False)
        if not change.values:
            raise ValueError("send at least one of action, owner, due_date, due, done, start")
        return item_json(update_item(db, item_id, change))

    try:
        return JSONResponse(await in_db(request, work))
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@api("/api/action-items/{action_item_id}", "DELETE", "object", "Delete an action item",
     status=204)  # fmt: skip
async def delete_endpoint(request: Request, viewer: Viewer | None) -> Response:
    item_id = path_id(request, "action_item_id")
    who = require(viewer)

    def work(db: OrmSession) -> None:
        _checked_item(db, who, item_id)
        delete_item(db, item_id)

    await in_db(request, work)
    return Response(status_code=204)


routes = [list_endpoint, add_endpoint, patch_endpoint, delete_endpoint]
