"""/api/targets (the program's balance targets) and /api/openapi.json."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from media.insight.cues import Targets
from server.api.mentorships import target_fields
from server.auth import Viewer
from server.db.directory import program_targets, save_targets
from server.db.program import ProgramFigures, program_figures
from server.services import in_db, services
from server.web import Schema, api, json_body, json_object, openapi_document


@api("/api/targets", "GET", "member", "The program's balance targets")
async def targets_endpoint(request: Request, viewer: Viewer | None) -> Response:
    defaults = services(request).settings.targets
    targets = await in_db(request, lambda db: program_targets(db, defaults))
    return JSONResponse(targets.to_json())


@api("/api/targets", "PUT", "admin", "Change the program's balance targets",
     body=json_object(target_fields(clearable=False)))  # fmt: skip
async def set_targets_endpoint(request: Request, viewer: Viewer | None) -> Response:
    data = await json_body(request)
    defaults = services(request).settings.targets

    def work(db: OrmSession) -> Targets:
        return save_targets(db, defaults, dict(data))

    try:
        targets = await in_db(request, work)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return JSONResponse(targets.to_json())


@api("/api/openapi.json", "GET", "public", "This document")
async def openapi_endpoint(request: Request, viewer: Viewer | None) -> Response:
    return JSONResponse(openapi_document())


def weeks_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 104:
        raise HTTPException(400, f"{name} must be a whole number of weeks, 1-104")
    return int(raw)


async def summary_for(request: Request) -> ProgramFigures:
    weeks = weeks_param(request, "weeks", 12)
    quiet = weeks_param(request, "quiet_weeks", 3)
    defaults = services(request).settings.targets

    def work(db: OrmSession) -> ProgramFigures:
        targets = program_targets(db, defaults)
        return program_figures(db, datetime.now(UTC), weeks, quiet, targets.mentee_min_share)

    return await in_db(request, work)


WEEKS: Schema = {"type": "integer", "minimum": 1, "maximum": 104}


@api("/api/program/summary", "GET", "admin", "Sessions per week, targets met, quiet mentorships",
     query={"weeks": WEEKS, "quiet_weeks": WEEKS})  # fmt: skip
async def summary_endpoint(request: Request, viewer: Viewer | None) -> Response:
    return JSONResponse((await summary_for(request)).to_json())


routes = [targets_endpoint, set_targets_endpoint, openapi_endpoint, summary_endpoint]
