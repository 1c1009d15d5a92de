"""The page where the pair brings in a meeting held elsewhere (recordings or a transcript)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.requests import Request
from starlette.responses import Response

from server.api.mentorships import check_member
from server.auth import Viewer
from server.services import in_db, services
from server.templating import render
from server.web import page, path_id, require


@page("/mentorships/{mentorship_id}/upload", ("GET",), "object")
async def upload_page(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        return {"m": check_member(db, who, mentorship_id)}

    context = await in_db(request, work)
    context["max_mb"] = services(request).settings.max_upload_bytes // 1024 // 1024
    context["today"] = datetime.now(UTC).date().isoformat()
    return render(request, "upload.html", context)


routes = [upload_page]
