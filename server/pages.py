"""Server-rendered pages: the list of saved sessions, one transcript, search results."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from server.api.sessions import load_or_404
from server.db.search import QueryError, SearchHit
from server.db.store import list_sessions, load_report
from server.exports import FORMATS, clock
from server.services import in_db, services

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
templates.env.filters["clock"] = lambda s: clock(float(s), always_hours=False)


async def home(request: Request) -> Response:
    summaries = await in_db(request, list_sessions)
    return templates.TemplateResponse(request, "sessions.html", {"sessions": summaries})


async def session_page(request: Request) -> Response:
    saved = await load_or_404(request)
    report = await in_db(request, lambda db: load_report(db, saved.summary.id))
    talk = (report.talk or {}).get("talk")
    return templates.TemplateResponse(
        request,
        "session.html",
        {"saved": saved, "formats": FORMATS, "report": report, "talk": talk},
    )


async def search_page(request: Request) -> Response:
    query = request.query_params.get("q", "")
    hits: list[SearchHit] = []
    error = None
    if query.strip():
        backend = services(request).search
        try:
            hits = await in_db(request, lambda db: backend.search(db, query, 50))
        except QueryError as exc:
            error = str(exc)
    return templates.TemplateResponse(
        request,
        "search.html",
        {"query": query, "hits": hits, "error": error},
        status_code=400 if error else 200,
    )


routes = [
    Route("/", home, methods=["GET"]),
    Route("/search", search_page, methods=["GET"]),
    Route("/sessions/{session_id}", session_page, methods=["GET"]),
]
