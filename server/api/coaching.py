"""/api/coach/…: a mentor's figures over sessions, for their trainer and for themself."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.auth import Viewer
from server.db.coaching import CSV_COLUMNS, MentorView, csv_rows, mentor_views
from server.db.directory import program_targets
from server.services import in_db, services
from server.web import api, path_id, require


@api("/api/coach/mentors/{person_id}/figures.csv", "GET", "object",
     "A mentor's figures per session as CSV (their trainer, or the mentor)")  # fmt: skip
async def figures_csv(request: Request, viewer: Viewer | None) -> Response:
    mentor_id = path_id(request, "person_id")
    who = require(viewer)
    defaults = services(request).settings.targets

    def work(db: OrmSession) -> MentorView:
        targets = program_targets(db, defaults).to_json()
        views = mentor_views(db, who.person_id, targets, mentor_id=mentor_id)
        if not views:
            raise HTTPException(404, f"no mentor {mentor_id} that you coach")
        return views[0]

    view = await in_db(request, work)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_rows(view))
    name = "".join(c if c.isalnum() else "-" for c in view.mentor.name.lower()).strip("-")
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tandem-{name or "mentor"}.csv"'},
    )


routes = [figures_csv]
