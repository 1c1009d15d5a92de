"""The Starlette application: routes, error pages, security middleware, and the lifespan that
owns shared services."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from sqlalchemy import text
from sqlalchemy.orm import Session as OrmSession
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from server.api import action_items as action_items_api
from server.api import audio as audio_api
from server.api import calls as calls_api
from server.api import coaching as coaching_api
from server.api import goals as goals_api
from server.api import mentorships as mentorships_api
from server.api import people as people_api
from server.api import privacy as privacy_api
from server.api import program as program_api
from server.api import resources as resources_api
from server.api import search as search_api
from server.api import sessions as sessions_api
from server.api import uploads as uploads_api
from server.auth import load_secret_key, monitor_token
from server.calls.signaling import call_socket
from server.limits import UPLOAD_OVERHEAD_BYTES, BodyLimitMiddleware
from server.logredact import redact_path
from server.pages import accounts as account_pages
from server.pages import admin as admin_pages
from server.pages import call as call_pages
from server.pages import coaching as coaching_pages
from server.pages import conversations as pages
from server.pages import privacy as privacy_pages
from server.pages import uploads as upload_pages
from server.security import SecurityMiddleware
from server.services import Services, in_db, services
from server.settings import PROJECT_DIR, Settings
from server.templating import render
from server.web import current_viewer

log = logging.getLogger("tandem.app")
STATIC_DIR = PROJECT_DIR / "static"


class AppState(TypedDict):
    services: Services


def _ping(db: OrmSession) -> None:
    db.execute(text("SELECT 1"))


async def _may_see_details(request: Request) -> bool:
    """Calls, memory and loop figures say when people talk: for admins and the monitor token
    only; anyone may learn that the server is up."""
    given = request.headers.get("authorization", "")
    expected = "Bearer " + monitor_token(services(request).secret_key)
    if hmac.compare_digest(given.encode(), expected.encode()):
        return True
    viewer = await current_viewer(request)
    return viewer is not None and viewer.is_admin


async def healthz(request: Request) -> Response:
    await in_db(request, _ping)
    shared = services(request)
    if not await _may_see_details(request):
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse({
        "status": "ok",
        "database": "ok",
        "model": shared.settings.model,
        "calls": {**shared.calls.stats(), "tasks": len(asyncio.all_tasks())},
        "live": shared.live.stats(),
        "node": shared.nodes.name,
        "nodes": sorted(shared.nodes.live),
        "refining": shared.refiner.current,
        "loop_lag": shared.loop_watch.summary(),
        "rss_mb": round(_rss_mb(), 1),
    })  # fmt: skip


def _rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    413: "Too large",
    415: "Wrong content type",
}


def allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (one path may have a route per method, and
    Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:  # PARTIAL: the path matches, the method does not
                methods |= route.methods
    return ", ".join(sorted(methods))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    detail = exc.detail
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
        detail = f"{request.method} is not allowed here: {headers['Allow']}"
    if _wants_json(request):
        return JSONResponse({"error": detail}, status_code=exc.status_code, headers=headers)
    context = {
        "status_code": exc.status_code,
        "title": TITLES.get(exc.status_code, "Something went wrong"),
        "detail": detail,
    }
    response = render(request, "error.html", context, status_code=exc.status_code)
    response.headers.update(headers)
    return response


async def server_error(request: Request, exc: Exception) -> Response:
    where = redact_path(request.url.path)
    log.exception("unhandled error on %s %s", request.method, where, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"error": "internal server error"}, status_code=500)
    context = {"status_code": 500, "title": "Something went wrong", "detail": "Internal error."}
    return render(request, "error.html", context, status_code=500)


def all_routes() -> list[BaseRoute]:
    return [
        Route("/healthz", healthz, methods=["GET"]),
        WebSocketRoute("/ws/sessions/{session_id}", call_socket),
        *account_pages.routes,
        *call_pages.routes,
        *pages.routes,
        *admin_pages.routes,
        *upload_pages.routes,
        *coaching_pages.routes,
        *privacy_pages.routes,
        *sessions_api.routes,
        *action_items_api.routes,
        *audio_api.routes,
        *goals_api.routes,
        *uploads_api.routes,
        *resources_api.routes,
        *coaching_api.routes,
        *calls_api.routes,
        *search_api.routes,
        *people_api.routes,
        *mentorships_api.routes,
        *program_api.routes,
        *privacy_api.routes,
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    key = load_secret_key(settings.data_dir, settings.secret_key)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[AppState]:
        shared = Services.open(settings)
        # The calls this node held when it last stopped are over (other nodes' calls go on);
        # their refinement is queued.
        stale = await asyncio.to_thread(shared.nodes.open)
        if stale:
            log.warning("calls left live by this node's previous run are interrupted: %s", stale)
        await shared.start()
        try:
            yield {"services": shared}
        finally:
            await shared.stop()
            shared.close()

    upload_mb = settings.max_upload_bytes // 1024 // 1024
    uploads = (
        r"/api/mentorships/[^/]+/uploads",
        settings.max_upload_bytes + UPLOAD_OVERHEAD_BYTES,
        f"the upload is over the limit of {upload_mb} MB",
    )
    return Starlette(
        routes=all_routes(),
        lifespan=lifespan,
        middleware=[
            # First: bodies are bounded before anything (the CSRF check included) reads them.
            Middleware(BodyLimitMiddleware, large=[uploads]),
            Middleware(SecurityMiddleware, key=key, secure_cookies=settings.https),
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
    )
