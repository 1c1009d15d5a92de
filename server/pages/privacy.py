"""The account page (a person downloads their data) and the admin's confirmations before
deleting a person or a mentorship for good."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.api.privacy import remove_mentorship, remove_person
from server.auth import Viewer
from server.db.deletion import Footprint, mentorship_footprint, person_footprint
from server.db.tables import Mentorship, Person
from server.services import in_db, services
from server.templating import render
from server.web import page, path_id, require, small_form


def retention_words(request: Request) -> str:
    settings = services(request).settings
    parts = []
    if settings.keep_audio_days:
        parts.append(f"call audio {settings.keep_audio_days} days after a session")
    if settings.keep_transcripts_days:
        parts.append(
            f"what was said (transcript, chat, action items) {settings.keep_transcripts_days} "
            "days after it; the figures stay"
        )
    return " and ".join(parts)


@page("/account", ("GET",), "member")
async def account(request: Request, viewer: Viewer | None) -> Response:
    require(viewer)
    return render(request, "account.html", {"retention": retention_words(request)})


async def _confirm(
    request: Request, context: dict[str, Any], error: str | None = None, status: int = 200
) -> Response:
    return render(request, "confirm_delete.html", {**context, "error": error}, status_code=status)


@page("/admin/people/{person_id}/delete", ("GET", "POST"), "admin")
async def delete_person_page(request: Request, viewer: Viewer | None) -> Response:
    person_id = path_id(request, "person_id")

    def look(db: OrmSession) -> tuple[Person, Footprint]:
        person = db.get(Person, person_id)
        if person is None:
            raise HTTPException(404, f"no person {person_id}")
        return person, person_footprint(db, person_id)

    person, footprint = await in_db(request, look)
    if person.active:
        raise HTTPException(409, "deactivate the person first, then delete them")
    context = {
        "kind": "person", "what": person.name, "name": person.name, "f": footprint,
        "confirm_word": person.email, "action": f"/admin/people/{person_id}/delete",
        "back": "/admin/people",
    }  # fmt: skip
    if request.method == "GET":
        return await _confirm(request, context)
    typed = str((await small_form(request)).get("confirm", "")).strip().lower()
    if typed != person.email.lower():
        return await _confirm(request, context, f"type {person.email} to confirm", 400)
    deleted = await remove_person(request, viewer, person_id)
    return render(request, "message.html", {
        "title": "Person deleted",
        "message": f"{deleted.what} is deleted, with {deleted.sessions} session(s) and "
        f"{deleted.files_removed} file(s) of audio and uploads.",
        "link": {"href": "/admin/people", "text": "Back to people"},
    })  # fmt: skip


@page("/admin/mentorships/{mentorship_id}/delete", ("GET", "POST"), "admin")
async def delete_mentorship_page(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")

    def look(db: OrmSession) -> tuple[str, Footprint]:
        mentorship = db.get(Mentorship, mentorship_id)
        if mentorship is None:
            raise HTTPException(404, f"no mentorship {mentorship_id}")
        names = f"{mentorship.mentor.name} and {mentorship.mentee.name}"
        return names, mentorship_footprint(db, mentorship_id)

    names, footprint = await in_db(request, look)
    context = {
        "kind": "mentorship", "what": f"the mentorship of {names}", "f": footprint,
        "confirm_word": "delete", "action": f"/admin/mentorships/{mentorship_id}/delete",
        "back": "/admin/mentorships",
    }  # fmt: skip
    if request.method == "GET":
        return await _confirm(request, context)
    typed = str((await small_form(request)).get("confirm", "")).strip().lower()
    if typed != "delete":
        return await _confirm(request, context, "type delete to confirm", 400)
    deleted = await remove_mentorship(request, viewer, mentorship_id)
    return render(request, "message.html", {
        "title": "Mentorship deleted",
        "message": f"The mentorship of {deleted.what} is deleted, with {deleted.sessions} "
        f"session(s) and {deleted.files_removed} file(s).",
        "link": {"href": "/admin/mentorships", "text": "Back to mentorships"},
    })  # fmt: skip


routes = [account, delete_person_page, delete_mentorship_page]
