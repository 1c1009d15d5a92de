"""/api/sessions/{id}/audio: both voices of a recorded call in one Ogg/Opus file, served with
byte ranges so the review page's player seeks without downloading the whole call.

The file is mixed from the registered recordings on first request (and again if a recording
came after it), in a worker thread, once per session at a time; it lives in the session's
recordings folder, so deleting the session removes it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from media.audio import AudioError
from media.mix import mix_recordings
from server.access import Level
from server.api.sessions import check_session
from server.auth import Viewer
from server.db.recordings import AudioPlan, mix_path, recorded_files
from server.services import in_db, services
from server.web import api, path_id, require

_locks: dict[int, asyncio.Lock] = {}


async def ensure_mix(request: Request, session_id: int, plan: AudioPlan) -> Path:
    out = mix_path(services(request).settings.recordings_dir, session_id)
    lock = _locks.setdefault(session_id, asyncio.Lock())
    async with lock:
        if plan.stale(out):
            try:
                await asyncio.to_thread(mix_recordings, plan.files, out, plan.duration_s)
            except AudioError as exc:
                raise HTTPException(500, f"the recording cannot be played: {exc}") from None
    return out


@api("/api/sessions/{session_id}/audio", "GET", "object", "The call's audio (Ogg/Opus, ranges)",
     produces=("audio/ogg",))  # fmt: skip
async def audio_endpoint(request: Request, viewer: Viewer | None) -> Response:
    session_id = path_id(request, "session_id")
    who = require(viewer)

    def work(db: OrmSession) -> AudioPlan:
        check_session(db, who, session_id, Level.FULL)
        return recorded_files(db, session_id)

    plan = await in_db(request, work)
    if not plan.files:
        raise HTTPException(
            404, "this session has no audio: it is kept only when both people agree to recording"
        )
    path = await ensure_mix(request, session_id, plan)
    return FileResponse(
        path,
        media_type="audio/ogg",
        headers={"Cache-Control": "private, no-store"},
    )


routes = [audio_endpoint]
