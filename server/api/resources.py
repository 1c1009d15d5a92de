"""/api/…/resources: links the pair keeps for their mentorship (added by hand; links sent in
chat are listed with them by /api/mentorships/{id}/progress)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level
from server.api.mentorships import check_level, check_member
from server.auth import Viewer
from server.db.action_items import clean_text
from server.db.progress import LINK, MAX_URL, add_resource, clean_url, list_resources, resource_json
from server.db.tables import Resource
from server.services import in_db
from server.web import (
    api,
    json_body,
    json_object,
    nullable,
    path_id,
    reached_through,
    require,
    text,
)

MAX_RESOURCE_TITLE = 300
RESOURCE = json_object(
    {
        # An http(s) address.
        "url": {"type": "string", "maxLength": MAX_URL, "pattern": f"^{LINK.pattern}$"},
        # Blank or null: the address is the title.
        "title": nullable(
            {"anyOf": [text(MAX_RESOURCE_TITLE), {"type": "string", "maxLength": 0}]}
        ),
    },
    ("url",),
)


@api("/api/mentorships/{mentorship_id}/resources", "GET", "object", "Links the pair keeps")
async def list_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> list[dict[str, Any]]:
        check_level(db, who, mentorship_id, Level.FULL)
        return [resource_json(r) for r in list_resources(db, mentorship_id)]

    return JSONResponse({"resources": await in_db(request, work)})


@api("/api/mentorships/{mentorship_id}/resources", "POST", "object",
     'Keep a link: {"url": ..., "title": ...}', body=RESOURCE, status=201)  # fmt: skip
async def add_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    await in_db(request, lambda db: check_member(db, who, mentorship_id))
    body = await json_body(request)
    unknown = sorted(set(body) - {"url", "title"})
    if unknown:
        raise HTTPException(400, f"unknown field {unknown[0]!r}; fields are title, url")

    def work(db: OrmSession) -> dict[str, Any]:
        check_member(db, who, mentorship_id)
        url = clean_url(body.get("url"))
        given = body.get("title")
        title = clean_text(url if given in (None, "") else given, "title", MAX_RESOURCE_TITLE)
        return resource_json(add_resource(db, mentorship_id, who.person_id, url, title))

    try:
        return JSONResponse(await in_db(request, work), status_code=201)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


@api("/api/resources/{resource_id}", "DELETE", "object", "Remove a kept link", status=204)
async def delete_endpoint(request: Request, viewer: Viewer | None) -> Response:
    resource_id = path_id(request, "resource_id")
    who = require(viewer)

    def work(db: OrmSession) -> None:
        resource = db.get(Resource, resource_id)
        if resource is None:
            raise HTTPException(404, f"no resource {resource_id}")
        with reached_through(f"no resource {resource_id}"):
            check_member(db, who, resource.mentorship_id)
        db.delete(resource)
        db.commit()

    await in_db(request, work)
    return Response(status_code=204)


routes = [list_endpoint, add_endpoint, delete_endpoint]
