"""/api/me and /api/people: who is logged in; people management for admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.api.mentorships import EMAIL
from server.auth import DEACTIVATED, AuthError, Viewer, add_person, create_link, deactivate
from server.db.directory import describe_person
from server.db.tables import ROLES, Person
from server.services import in_db, services
from server.web import api, json_body, json_object, path_id, require


@api("/api/me", "GET", "member", "The person logged in")
async def me_endpoint(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    return JSONResponse(
        {"id": who.person_id, "name": who.name, "email": who.email, "role": who.role}
    )


@api("/api/people", "GET", "admin", "Everyone in the program")
async def people_endpoint(request: Request, viewer: Viewer | None) -> Response:
    def work(db: OrmSession) -> list[dict[str, Any]]:
        return [describe_person(p) for p in db.scalars(select(Person).order_by(Person.name))]

    return JSONResponse({"people": await in_db(request, work)})


def _text(data: dict[str, object], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise HTTPException(400, f"{key!r} must be a string")
    return value


PERSON = json_object(
    {
        "email": EMAIL,
        "name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"\S"},
        "role": {"type": "string", "enum": list(ROLES)},
    },
    ("email", "name", "role"),
    closed=False,
)


@api("/api/people", "POST", "admin", "Add a person; returns their one-time invite link",
     body=PERSON, status=201)  # fmt: skip
async def add_person_endpoint(request: Request, viewer: Viewer | None) -> Response:
    data = await json_body(request)
    email, name, role = _text(data, "email"), _text(data, "name"), _text(data, "role")
    settings = services(request).settings

    def work(db: OrmSession) -> tuple[dict[str, Any], str]:
        person = add_person(db, email, name, role)
        token = create_link(db, "invite", person, settings.invite_ttl_s)
        return describe_person(person), token

    try:
        person, token = await in_db(request, work)
    except AuthError as exc:
        raise HTTPException(400, str(exc)) from None
    person["invite_url"] = f"{settings.base_url}/invite/{token}"
    return JSONResponse(person, status_code=201)


@api("/api/people/{person_id}/deactivate", "POST", "admin", "Deactivate a person (logs them out)",
     errors={400: "you cannot deactivate yourself"})  # fmt: skip
async def deactivate_endpoint(request: Request, viewer: Viewer | None) -> Response:
    person_id = path_id(request, "person_id")
    if person_id == require(viewer).person_id:
        raise HTTPException(400, "you cannot deactivate yourself")
    try:
        person = await in_db(request, lambda db: describe_person(deactivate(db, person_id)))
    except LookupError:
        raise HTTPException(404, f"no person {person_id}") from None
    await services(request).calls.end_person(person_id, DEACTIVATED)
    return JSONResponse(person)


routes = [me_endpoint, people_endpoint, add_person_endpoint, deactivate_endpoint]
