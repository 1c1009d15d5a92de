"""The Starlette application: routes, error pages, and the lifespan that owns shared services."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypedDict

from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.api import search as search_api
from server.api import sessions as sessions_api
from server.pages import routes as page_routes
from server.pages import templates
from server.services import Services, in_db, services
from server.settings import PROJECT_DIR, Settings

log = logging.getLogger("tandem.app")
STATIC_DIR = PROJECT_DIR / "static"


class AppState(TypedDict):
    services: Services


def _ping(db: OrmSession) -> None:
    db.execute(text("SELECT 1"))


async def healthz(request: Request) -> Response:
    await in_db(request, _ping)
    settings = services(request).settings
    return JSONResponse({"status": "ok", "database": "ok", "model": settings.model})


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    titles = {404: "Not found", 405: "Not allowed", 400: "Bad request"}
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status_code": exc.status_code,
            "title": titles.get(exc.status_code, "Something went wrong"),
            "detail": exc.detail,
        },
        status_code=exc.status_code,
    )


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"error": "internal server error"}, status_code=500)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status_code": 500, "title": "Something went wrong", "detail": "Internal server error."},
        status_code=500,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[AppState]:
        shared = Services.open(settings)
        try:
            yield {"services": shared}
        finally:
            shared.close()

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        *page_routes,
        *sessions_api.routes,
        *search_api.routes,
        Mount("/static", StaticFiles(directory=Path(STATIC_DIR)), name="static"),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
