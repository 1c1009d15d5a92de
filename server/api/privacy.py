"""Taking and deleting one's data: a person's export (ZIP of JSON and their audio), deleting a
person or a mentorship with everything of it (admins), used by the pages too."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session as OrmSession
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from server.auth import Viewer
from server.db.deletion import DeletedMany, delete_mentorship, delete_person
from server.db.store import NotFound
from server.db.tables import Person
from server.person_export import gather, write_zip
from server.services import in_db, services
from server.web import api, path_id, require


async def remove_person(request: Request, viewer: Viewer | None, person_id: int) -> DeletedMany:
    """Delete a deactivated person and every conversation they took part in."""
    if person_id == require(viewer).person_id:
        raise HTTPException(400, "you cannot delete yourself")
    shared = services(request)

    def work(db: OrmSession) -> DeletedMany:
        person = db.get(Person, person_id)
        if person is None:
            raise NotFound(f"no person {person_id}")
        if person.active:
            raise ValueError("deactivate the person first, then delete them")
        return delete_person(db, person_id, shared.settings, busy=set(shared.calls.rooms))

    try:
        return await in_db(request, work)
    except NotFound:
        raise HTTPException(404, f"no person {person_id}") from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


async def remove_mentorship(
    request: Request, viewer: Viewer | None, mentorship_id: int
) -> DeletedMany:
    require(viewer)
    shared = services(request)

    def work(db: OrmSession) -> DeletedMany:
        return delete_mentorship(db, mentorship_id, shared.settings, busy=set(shared.calls.rooms))

    try:
        return await in_db(request, work)
    except NotFound:
        raise HTTPException(404, f"no mentorship {mentorship_id}") from None
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None


def _deleted_json(deleted: DeletedMany) -> dict[str, object]:
    return {
        "deleted": deleted.what,
        "sessions": deleted.sessions,
        "files_removed": deleted.files_removed,
    }


@api("/api/people/{person_id}", "DELETE", "admin",
     "Delete a deactivated person and every session they took part in",
     errors={409: "the person is still active, or a call of theirs is open"})  # fmt: skip
async def delete_person_endpoint(request: Request, viewer: Viewer | None) -> Response:
    deleted = await remove_person(request, viewer, path_id(request, "person_id"))
    return JSONResponse(_deleted_json(deleted))


@api("/api/mentorships/{mentorship_id}", "DELETE", "admin",
     "Delete a mentorship: its sessions, goals, links and uploads",
     errors={409: "a call of the mentorship is open"})  # fmt: skip
async def delete_mentorship_endpoint(request: Request, viewer: Viewer | None) -> Response:
    deleted = await remove_mentorship(request, viewer, path_id(request, "mentorship_id"))
    return JSONResponse(_deleted_json(deleted))


def build_export(request: Request, person_id: int) -> Path:
    """Write the person's archive to a temporary file (call on a worker thread)."""
    database = services(request).db
    with database.sessions() as db:
        export = gather(db, person_id)
    descriptor, name = tempfile.mkstemp(prefix="tandem-export-", suffix=".zip")
    os.close(descriptor)
    out = Path(name)
    try:
        write_zip(export, out)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return out


async def export_response(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    out = await run_in_threadpool(build_export, request, who.person_id)
    return FileResponse(
        out,
        media_type="application/zip",
        filename=f"tandem-export-{who.person_id}.zip",
        background=BackgroundTask(out.unlink, missing_ok=True),
    )


@api("/api/me/export", "GET", "member",
     "Everything Tandem holds about you: ZIP of JSON and your own audio",
     produces=("application/zip",))  # fmt: skip
async def export_endpoint(request: Request, viewer: Viewer | None) -> Response:
    return await export_response(request, viewer)


routes = [delete_person_endpoint, delete_mentorship_endpoint, export_endpoint]
