"""/api/…/uploads: a meeting held elsewhere, brought in from the browser: recordings (one per
person, one stereo file, or one file of one speaker) or a transcript another tool made.
Checked as it arrives (size, type, readable), then processed by the upload worker; the page
polls /api/uploads/{id} for progress and opens the session when it is done."""

from __future__ import annotations

import asyncio
import secrets
import shutil
from datetime import UTC, date, datetime
from typing import Any

import av
from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from media.transcript_import import TranscriptError, read_transcript
from server.api.mentorships import check_member
from server.auth import Viewer
from server.db.sessions import MAX_TITLE, clean_title
from server.db.tables import Upload
from server.services import in_db, services
from server.uploads.receive import one_of, receive_upload
from server.uploads.worker import KINDS, upload_folder
from server.web import DATE, Schema, api, json_object, path_id, reached_through, require

ROLES = ("mentor", "mentee")
NEEDED = {
    "tracks": ("mentor", "mentee"),
    "stereo": ("recording",),
    "single": ("recording",),
    "transcript": ("transcript",),
}


def _pair(db: OrmSession, who: Viewer, mentorship_id: int) -> str:
    mentorship = check_member(db, who, mentorship_id)
    return f"{mentorship.mentor.name} & {mentorship.mentee.name}"


def _probe_audio(path: Any) -> str | None:
    """None if the file holds audio Tandem can decode, else why not."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return "has no audio in it"
            stream = container.streams.audio[0]
            for _ in container.decode(stream):
                return None
            return "holds no audio samples"
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError):
        return "is not a recording Tandem can read (wav, mp3, m4a, ogg/opus, webm, flac…)"


FILE: Schema = {"type": "string", "format": "binary"}
CHOICE: Schema = {"type": "string", "enum": list(ROLES)}
UPLOAD = json_object(
    {
        # tracks: the files mentor and mentee; stereo and single: recording; transcript: a
        # WebVTT, SRT or Tandem JSON transcript.
        "kind": {"type": "string", "enum": list(KINDS)},
        "mentor": FILE,
        "mentee": FILE,
        "recording": FILE,
        "transcript": FILE,
        # The session's title (the pair's names and the date if not given).
        "title": {"type": "string", "maxLength": MAX_TITLE},
        "date": {"anyOf": [DATE, {"const": ""}]},
        # stereo: whose voice is on the left channel; single: who speaks in the recording.
        "left": CHOICE,
        "speaker": CHOICE,
    },
    ("kind",),
    closed=False,
)


@api("/api/mentorships/{mentorship_id}/uploads", "POST", "object",
     "Upload recordings or a transcript (multipart: kind, files, title, date)",
     form=UPLOAD, status=202)  # fmt: skip
async def upload_endpoint(request: Request, viewer: Viewer | None) -> Response:
    mentorship_id = path_id(request, "mentorship_id")
    who = require(viewer)
    pair = await in_db(request, lambda db: _pair(db, who, mentorship_id))
    settings = services(request).settings
    incoming = settings.uploads_dir / f"incoming-{secrets.token_hex(8)}"
    received = await receive_upload(request, settings.max_upload_bytes, incoming)
    try:
        fields = received.fields
        kind = one_of(fields, "kind", KINDS, "tracks")
        missing = [name for name in NEEDED[kind] if name not in received.files]
        extra = sorted(set(received.files) - set(NEEDED[kind]))
        if missing or extra:
            raise HTTPException(400, f"a {kind} upload needs the file(s) {', '.join(NEEDED[kind])}")
        raw_date = fields.get("date") or ""
        try:
            day = date.fromisoformat(raw_date) if raw_date else datetime.now(UTC).date()
        except ValueError:
            raise HTTPException(400, "date must look like 2026-11-20") from None
        try:
            title = clean_title(fields.get("title") or f"{pair}, {day.isoformat()} (uploaded)")
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
        plan: dict[str, Any] = {
            "title": title,
            "held_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC).isoformat(),
            "files": {},
        }
        if kind == "stereo":
            first = one_of(fields, "left", ROLES, "mentor")
            plan["channels"] = [first, "mentee" if first == "mentor" else "mentor"]
        if kind == "single":
            plan["speaker"] = one_of(fields, "speaker", ROLES, "mentor")
        for name, stored in received.files.items():
            path = incoming / stored
            if kind == "transcript":
                try:
                    await asyncio.to_thread(read_transcript, path)
                except TranscriptError as exc:
                    reason = str(exc).split(": ", 1)[-1]
                    raise HTTPException(400, f"the transcript cannot be used: {reason}") from None
            else:
                problem = await asyncio.to_thread(_probe_audio, path)
                if problem is not None:
                    raise HTTPException(400, f"the file for {name} {problem}")
            plan["files"]["recording" if kind in ("stereo", "single") else name] = stored

        def create(db: OrmSession) -> int:
            upload = Upload(mentorship_id=mentorship_id, person_id=who.person_id, kind=kind,
                            plan=plan, status="queued", node=settings.node)  # fmt: skip
            db.add(upload)
            db.commit()
            return upload.id

        upload_id = await in_db(request, create)
        await asyncio.to_thread(incoming.replace, upload_folder(settings, upload_id))
    except BaseException:
        await asyncio.to_thread(shutil.rmtree, incoming, True)
        raise
    services(request).uploads.enqueue(upload_id)
    return JSONResponse(
        {"id": upload_id, "status": "queued", "status_url": f"/api/uploads/{upload_id}"},
        status_code=202,
    )


@api("/api/uploads/{upload_id}", "GET", "object", "An upload's processing state")
async def status_endpoint(request: Request, viewer: Viewer | None) -> Response:
    upload_id = path_id(request, "upload_id")
    who = require(viewer)

    def work(db: OrmSession) -> dict[str, Any]:
        upload = db.get(Upload, upload_id)
        if upload is None:
            raise HTTPException(404, f"no upload {upload_id}")
        with reached_through(f"no upload {upload_id}"):
            check_member(db, who, upload.mentorship_id)
        return {
            "id": upload.id,
            "kind": upload.kind,
            "status": upload.status,
            "progress": upload.progress,
            "error": upload.error,
            "session_id": upload.session_id,
            "session_url": f"/sessions/{upload.session_id}" if upload.session_id else None,
        }

    return JSONResponse(await in_db(request, work))


routes = [upload_endpoint, status_endpoint]
