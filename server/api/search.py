"""/api/search: find utterances across the sessions a person may read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.access import Level, readable_session_ids
from server.auth import Viewer
from server.db.search import MAX_QUERY_CHARS, QueryError, SearchHit
from server.db.tables import Session
from server.services import in_db, services
from server.web import api, require


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "session_id": hit.session_id,
        "session_title": hit.session_title,
        "held_at": hit.held_at.isoformat(),
        "kind": hit.kind,
        "utterance_id": hit.utterance_id,
        "speaker": hit.speaker,
        "start": round(hit.start_s, 3),
        "end": round(hit.end_s, 3),
        "text": hit.text,
        "highlighted": hit.highlighted_html,
        "matches": [list(span) for span in hit.highlighted_spans],
        "score": round(hit.score, 4),
        "url": f"/sessions/{hit.session_id}#t={hit.start_s:.1f}",
    }


def bounded_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise QueryError(f"{name} must be between {low} and {high}, got {value}")
    return value


async def search_for(
    request: Request,
    viewer: Viewer,
    query: str,
    limit: int,
    offset: int = 0,
    mentorship_id: int | None = None,
) -> list[SearchHit]:
    """Hits in what the viewer may read; with ``mentorship_id``, in that mentorship only."""
    backend = services(request).search

    def work(db: OrmSession) -> list[SearchHit]:
        allowed = readable_session_ids(db, viewer, Level.FULL)
        if mentorship_id is not None:
            allowed &= set(
                db.scalars(select(Session.id).where(Session.mentorship_id == mentorship_id))
            )
        return backend.search(db, query, limit, offset, session_ids=allowed)

    return await in_db(request, work)


@api("/api/search", "GET", "member", "Search what you may read (?q=, &mentorship=ID)",
     query={
         # Words, "quoted phrases" and prefix* (required: an empty query is refused).
         "q": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
         "limit": {"type": "integer", "minimum": 1, "maximum": 200},
         "offset": {"type": "integer", "minimum": 0, "maximum": 100_000},
         "mentorship": {"type": "integer", "minimum": 1, "maximum": 2**62},
     },
     required_query=("q",))  # fmt: skip
async def search_endpoint(request: Request, viewer: Viewer | None) -> Response:
    query = request.query_params.get("q", "")
    try:
        limit = bounded_int(request, "limit", 20, 1, 200)
        offset = bounded_int(request, "offset", 0, 0, 100_000)
        within = request.query_params.get("mentorship")
        mentorship = bounded_int(request, "mentorship", 0, 1, 2**62) if within else None
        hits = await search_for(request, require(viewer), query, limit, offset, mentorship)
    except QueryError as exc:
        return JSONResponse({"error": str(exc), "query": query}, status_code=400)
    return JSONResponse({"query": query, "results": [hit_json(h) for h in hits]})


routes = [search_endpoint]
