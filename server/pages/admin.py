"""Program admin pages: people and invites, mentorships, balance targets, program figures."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.api.program import summary_for
from server.auth import (
    DEACTIVATED,
    AuthError,
    HasPassword,
    Viewer,
    add_person,
    create_link,
    deactivate,
)
from server.db.directory import create_mentorship, program_targets, save_targets
from server.db.sessions import file_session
from server.db.store import NotFound
from server.db.tables import ROLES, Mentorship, Person
from server.services import in_db, services
from server.templating import render
from server.web import page, path_id, require, small_form


async def _form(request: Request) -> dict[str, str]:
    form = await small_form(request)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _people(db: OrmSession) -> list[Person]:
    return list(db.scalars(select(Person).order_by(Person.active.desc(), Person.name)))


@page("/admin/people", ("GET", "POST"), "admin")
async def people(request: Request, viewer: Viewer | None) -> Response:
    context: dict[str, Any] = {"roles": ROLES}
    status = 200
    if request.method == "POST":
        data = await _form(request)
        settings = services(request).settings

        def work(db: OrmSession) -> tuple[str, str]:
            person = add_person(
                db, data.get("email", ""), data.get("name", ""), data.get("role", "")
            )
            token = create_link(db, "invite", person, settings.invite_ttl_s)
            return person.name, f"{settings.base_url}/invite/{token}"

        try:
            name, link = await in_db(request, work)
            context["invited"] = {"name": name, "link": link}
        except AuthError as exc:
            context["error"] = str(exc)
            context["form"] = data
            status = 400
    context["people"] = await in_db(request, _people)
    return render(request, "admin_people.html", context, status_code=status)


@page("/admin/people/{person_id}/invite", ("POST",), "admin")
async def reinvite(request: Request, viewer: Viewer | None) -> Response:
    person_id = path_id(request, "person_id")
    settings = services(request).settings

    def work(db: OrmSession) -> tuple[str, str] | None:
        person = db.get(Person, person_id)
        if person is None or not person.active:
            return None
        token = create_link(db, "invite", person, settings.invite_ttl_s)
        return person.name, f"{settings.base_url}/invite/{token}"

    status = 200
    context: dict[str, Any] = {"roles": ROLES}
    try:
        found = await in_db(request, work)
    except HasPassword as exc:
        found, status = None, 409  # an admin never gets a way in as someone with a password
        context["error"] = str(exc)
    context["people"] = await in_db(request, _people)
    if found is not None:
        context["invited"] = {"name": found[0], "link": found[1]}
    elif status == 200:
        context["error"], status = f"no active person {person_id}", 404
    return render(request, "admin_people.html", context, status_code=status)


@page("/admin/people/{person_id}/deactivate", ("POST",), "admin")
async def deactivate_person(request: Request, viewer: Viewer | None) -> Response:
    person_id = path_id(request, "person_id")
    if person_id != require(viewer).person_id:
        with contextlib.suppress(LookupError):
            await in_db(request, lambda db: deactivate(db, person_id))
            await services(request).calls.end_person(person_id, DEACTIVATED)
    return RedirectResponse("/admin/people", status_code=303)


@page("/admin/mentorships", ("GET", "POST"), "admin")
async def mentorships(request: Request, viewer: Viewer | None) -> Response:
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        data = await _form(request)

        def create(db: OrmSession) -> None:
            create_mentorship(
                db, data.get("mentor", ""), data.get("mentee", ""), data.get("trainer") or None
            )

        try:
            await in_db(request, create)
            return RedirectResponse("/admin/mentorships", status_code=303)
        except AuthError as exc:
            context["error"] = str(exc)
            status = 400

    def work(db: OrmSession) -> dict[str, Any]:
        everyone = _people(db)
        return {
            "mentorships": list(db.scalars(select(Mentorship).order_by(Mentorship.id))),
            "mentors": [p for p in everyone if p.role == "mentor" and p.active],
            "mentees": [p for p in everyone if p.role == "mentee" and p.active],
            "trainers": [p for p in everyone if p.role == "trainer" and p.active],
        }

    context.update(await in_db(request, work))
    return render(request, "admin_mentorships.html", context, status_code=status)


@page("/admin/sessions/{session_id}/file", ("POST",), "admin")
async def file_session_form(request: Request, viewer: Viewer | None) -> Response:
    """File an imported session under a mentorship (from the admin's home page)."""
    session_id = path_id(request, "session_id")
    raw = (await _form(request)).get("mentorship", "")
    if not raw.isdigit() or len(raw) > 18:
        raise HTTPException(400, "choose a mentorship")

    def work(db: OrmSession) -> None:
        file_session(db, session_id, int(raw))

    try:
        await in_db(request, work)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    return RedirectResponse("/?filed=1", status_code=303)


@page("/admin/program", ("GET",), "admin")
async def program_page(request: Request, viewer: Viewer | None) -> Response:
    figures = await summary_for(request)
    most = max((n for _, n in figures.per_week), default=0)
    return render(request, "admin_program.html", {
        "f": figures, "most": most, "quiet_weeks": request.query_params.get("quiet_weeks") or 3,
    })  # fmt: skip


@page("/admin/targets", ("GET", "POST"), "admin")
async def targets(request: Request, viewer: Viewer | None) -> Response:
    defaults = services(request).settings.targets
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        data = await _form(request)
        values: dict[str, Any] = {k: v for k, v in data.items() if k != "csrf_token" and v != ""}
        if "mentee_min_share" in values:
            with contextlib.suppress(ValueError):
                values["mentee_min_share"] = float(values["mentee_min_share"]) / 100
        try:
            await in_db(request, lambda db: save_targets(db, defaults, values))
            context["saved"] = True
        except ValueError as exc:
            context["error"] = str(exc)
            status = 400
    context["targets"] = await in_db(request, lambda db: program_targets(db, defaults))
    return render(request, "admin_targets.html", context, status_code=status)


routes = [
    people,
    reinvite,
    deactivate_person,
    mentorships,
    file_session_form,
    program_page,
    targets,
]
