"""The janitor: what should be gone is removed, on a timer, whatever failed before.

Each sweep (every ``janitor_interval_s``, on a worker thread, and once at start-up):
- spooled call audio whose refinement finished, failed or will never run (the session is
  gone, or the audio waited longer than ``SPOOL_MAX_AGE_S``) is deleted ten minutes after
  it was last written: the call page promises it lives only until the transcript is refined;
- upload folders of finished or failed uploads, and half-received uploads older than a day;
- the retention policy, when configured: call audio ``keep_audio_days`` after the session,
  what was said (transcript, chat, action items, and the audio) ``keep_transcripts_days``
  after it. Figures, cues and coaching notes stay for the progress pages.
Calls still open and the session being refined are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql import ColumnElement

from server.db.deletion import OPEN_STATUSES, purge_deleted_text, remove_audio, remove_transcript
from server.db.engine import Database
from server.db.tables import Participant, Recording, Session, Upload, utcnow
from server.settings import Settings

log = logging.getLogger("tandem.janitor")

#: Spooled audio not refined within this long is deleted all the same.
SPOOL_MAX_AGE_S = 7 * 86400.0
#: Younger spools are left alone: a call that just ended hands its audio to the refiner.
SPOOL_GRACE_S = 600.0
#: An upload still being received is younger than this.
INCOMING_MAX_AGE_S = 86400.0
WAITING_UPLOADS = ("queued", "running")


@dataclass
class Swept:
    spools: list[int] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    audio: list[int] = field(default_factory=list)
    transcripts: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.spools or self.uploads or self.audio or self.transcripts)

    def describe(self) -> str:
        return (
            f"{len(self.spools)} spool(s), {len(self.uploads)} upload folder(s), audio of "
            f"{len(self.audio)} session(s), transcripts of {len(self.transcripts)} session(s)"
        )


def _age_s(folder: Path, now: float) -> float:
    """Seconds since anything in the folder last changed."""
    newest = max((p.stat().st_mtime for p in folder.rglob("*")), default=folder.stat().st_mtime)
    return now - newest


def _session_id(folder: Path, prefix: str) -> int | None:
    suffix = folder.name.removeprefix(prefix)
    return int(suffix) if folder.name.startswith(prefix) and suffix.isdigit() else None


def sweep(
    db: OrmSession,
    settings: Settings,
    busy: set[int] | None = None,
    now: datetime | None = None,
) -> Swept:
    """One pass; ``busy`` holds sessions a room or the refiner holds right now."""
    busy = busy or set()
    now = now or utcnow()
    clock = time.time()
    swept = Swept()
    spool_root = settings.data_dir / "spool"
    for folder in sorted(spool_root.glob("session-*")) if spool_root.is_dir() else []:
        session_id = _session_id(folder, "session-")
        if session_id is None or session_id in busy:
            continue
        session = db.get(Session, session_id)
        if session is not None and session.status in OPEN_STATUSES:
            continue
        waiting = session is not None and session.refine_status in ("pending", "running")
        age_s = _age_s(folder, clock)
        if age_s < SPOOL_GRACE_S or (waiting and age_s < SPOOL_MAX_AGE_S):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        swept.spools.append(session_id)
        if session is not None and waiting:
            session.refine_status = "failed"
            session.refine_error = "the audio waited too long for refinement and was deleted"
            db.commit()
    for folder in sorted(settings.uploads_dir.glob("*")) if settings.uploads_dir.is_dir() else []:
        upload_id = _session_id(folder, "upload-")
        if upload_id is not None:
            upload = db.get(Upload, upload_id)
            if upload is not None and upload.status in WAITING_UPLOADS:
                continue
        elif _age_s(folder, clock) < INCOMING_MAX_AGE_S:
            continue
        shutil.rmtree(folder, ignore_errors=True) if folder.is_dir() else folder.unlink()
        swept.uploads.append(folder.name)
    if settings.keep_transcripts_days:
        cutoff = now - timedelta(days=settings.keep_transcripts_days)
        for session in _due(db, cutoff, Session.transcript_deleted_at, busy):
            remove_transcript(db, session, settings)
            swept.transcripts.append(session.id)
    if settings.keep_audio_days:
        cutoff = now - timedelta(days=settings.keep_audio_days)
        has_audio = or_(
            exists().where(Recording.session_id == Session.id),
            exists().where(
                Participant.session_id == Session.id, Participant.recording_path.is_not(None)
            ),
        )
        for session in _due(db, cutoff, Session.audio_deleted_at, busy, has_audio):
            remove_audio(db, session, settings)
            swept.audio.append(session.id)
    if swept.transcripts:
        purge_deleted_text(db)
    return swept


def _due(
    db: OrmSession,
    cutoff: datetime,
    done_at: InstrumentedAttribute[datetime | None],
    busy: set[int],
    *extra: ColumnElement[bool],
) -> list[Session]:
    query = select(Session).where(
        Session.held_at < cutoff,
        done_at.is_(None),
        Session.status.not_in(OPEN_STATUSES),
        Session.refine_status.is_distinct_from("running"),
        *extra,
    )
    return [s for s in db.scalars(query.order_by(Session.id)) if s.id not in busy]


class Janitor:
    """Runs ``sweep`` on a timer from the event loop, on a worker thread."""

    def __init__(
        self, settings: Settings, database: Database, busy: Callable[[], set[int]]
    ) -> None:
        self.settings = settings
        self.database = database
        self.busy = busy
        self._task: asyncio.Task[None] | None = None
        self.last: Swept | None = None

    def run_once(self, busy: set[int]) -> Swept:
        with self.database.sessions() as db:
            swept = sweep(db, self.settings, busy)
        if swept:
            log.info("janitor removed %s", swept.describe())
        self.last = swept
        return swept

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_once, self.busy())
            except Exception:  # a failed sweep must not end the timer; the next one retries
                log.exception("janitor sweep failed")
            await asyncio.sleep(self.settings.janitor_interval_s)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="janitor")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
