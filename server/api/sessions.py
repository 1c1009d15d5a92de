"""/api/sessions: saved sessions and their transcripts."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server.db.store import (
    NotFound,
    SavedTranscript,
    SessionSummary,
    list_sessions,
    load_transcript,
)
from server.exports import FORMATS, MEDIA_TYPES, export
from server.services import in_db


def summary_json(summary: SessionSummary, base_url: str = "") -> dict[str, Any]:
    return {
        "id": summary.id,
        "title": summary.title,
        "status": summary.status,
        "held_at": summary.held_at.isoformat(),
        "duration_s": summary.duration_s,
        "speakers": list(summary.speakers),
        "utterance_count": summary.utterance_count,
        "model": summary.model,
        "url": f"{base_url}/sessions/{summary.id}",
    }


def session_id_of(request: Request) -> int:
    raw = request.path_params["session_id"]
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(404, f"no session {raw!r}") from None
    if not 1 <= value < 2**63:
        raise HTTPException(404, f"no session {raw!r}")
    return value


async def load_or_404(request: Request) -> SavedTranscript:
    session_id = session_id_of(request)
    try:
        return await in_db(request, lambda db: load_transcript(db, session_id))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None


async def list_endpoint(request: Request) -> Response:
    summaries = await in_db(request, list_sessions)
    return JSONResponse({"sessions": [summary_json(s) for s in summaries]})


async def transcript_endpoint(request: Request) -> Response:
    saved = await load_or_404(request)
    document = saved.transcript.to_json()
    document["session"] = summary_json(saved.summary)
    return JSONResponse(document)


async def export_endpoint(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in FORMATS:
        raise HTTPException(404, f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    saved = await load_or_404(request)
    filename = f"tandem-session-{saved.summary.id}.{fmt}"
    return Response(
        export(saved, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


routes = [
    Route("/api/sessions", list_endpoint, methods=["GET"]),
    Route("/api/sessions/{session_id}", transcript_endpoint, methods=["GET"]),
    Route("/api/sessions/{session_id}/export.{fmt}", export_endpoint, methods=["GET"]),
]
