"""Processing what people upload from the browser into a session: recordings of a meeting
held elsewhere (one file per person, one stereo file, or one file of one speaker) through the
same pipeline as ``tandem analyze``, or a transcript another tool made.

One worker thread takes uploads in order (CPU work never runs on the event loop); progress
is written to the ``uploads`` row for the page to poll. The session is saved in one
transaction at the very end, so a failure leaves no half-saved session, and the uploaded
files are deleted whatever happens. Each upload belongs to the node (server process) that
received it: a stopped server takes its own up again on start while their files are still
there, and a live node takes over those of a node that died (server.calls.nodes).
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, update

from media.audio import AudioError
from media.insight.analysis import analyze_conversation
from media.models import ModelError, ModelStore
from media.pipeline import analyze_tracks
from media.sources import TrackSource, load_tracks
from media.transcriber import DecodeOptions, load_model
from media.transcript import Transcript
from media.transcript_import import TranscriptError, read_transcript
from server.db.directory import mentorship_targets
from server.db.engine import Database
from server.db.store import save_transcript
from server.db.tables import Mentorship, Upload
from server.settings import Settings

log = logging.getLogger("tandem.uploads")

KINDS = ("tracks", "stereo", "single", "transcript")
#: The same careful decoding as the refinement pass after a call.
UPLOAD_BEAM = 5


class UploadFailed(Exception):
    """A reason a person can act on (shown on the upload page)."""


def upload_folder(settings: Settings, upload_id: int) -> Path:
    return settings.uploads_dir / f"upload-{upload_id}"


def speaker_map_for(transcript_names: list[str], mentorship: Mentorship) -> dict[str, str]:
    """Names in an imported transcript matched to the pair: the full name or the first name,
    ignoring case. Unmatched names keep their own label."""
    people = {"mentor": mentorship.mentor.name, "mentee": mentorship.mentee.name}
    mapping: dict[str, str] = {}
    for name in transcript_names:
        key = name.casefold()
        for role, full in people.items():
            first = full.split()[0].casefold() if full.split() else ""
            if key in (full.casefold(), first) or key.split()[:1] == [first]:
                mapping[key] = role
    return mapping


class UploadWorker:
    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="uploads", daemon=True)
        self._started = False

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        me = self.settings.node
        with self.database.sessions() as db:
            # This node's own (and those no node took yet, from before nodes): each other
            # node takes back its own, and those of a node that died are taken over by a live
            # one (server.calls.nodes).
            mine = list(
                db.scalars(
                    update(Upload)
                    .where(
                        Upload.status.in_(("queued", "running")),
                        or_(Upload.node == me, Upload.node.is_(None)),
                    )
                    .values(node=me)
                    .returning(Upload.id)
                )
            )
            db.commit()
            for upload_id in sorted(mine):
                upload = db.get(Upload, upload_id)
                if upload is None:
                    continue
                if upload_folder(self.settings, upload.id).is_dir():
                    upload.status = "queued"
                    self._queue.put(upload.id)
                else:
                    upload.status, upload.error = "failed", "the server stopped; upload it again"
            db.commit()
        self._thread.start()

    def enqueue(self, upload_id: int) -> None:
        """Process this upload (thread-safe): one this node received, or took over."""
        self._queue.put(upload_id)

    def close(self) -> None:
        if self._started:
            self._queue.put(None)
            self._thread.join(timeout=5)  # an unfinished upload is taken up on the next start

    def _run(self) -> None:
        while (upload_id := self._queue.get()) is not None:
            try:
                session_id = self.process(upload_id)
                self._set(upload_id, status="done", progress=1.0, session_id=session_id)
            except (UploadFailed, AudioError, TranscriptError, ModelError) as exc:
                self._set(upload_id, status="failed", error=str(exc))
            except Exception as exc:  # one bad upload must not stop the others
                log.exception("processing upload %s failed", upload_id)
                self._set(upload_id, status="failed", error=f"{type(exc).__name__}: {exc}")
            finally:
                shutil.rmtree(upload_folder(self.settings, upload_id), ignore_errors=True)

    def _set(self, upload_id: int, **values: Any) -> None:
        with self.database.sessions() as db:
            upload = db.get(Upload, upload_id)
            if upload is None:
                return
            for name, value in values.items():
                setattr(upload, name, value)
            if "error" in values:
                upload.error = str(values["error"])[:2000]
            db.commit()

    def process(self, upload_id: int) -> int:
        with self.database.sessions() as db:
            upload = db.get(Upload, upload_id)
            if upload is None:
                raise UploadFailed("the upload is gone")
            mentorship = db.get(Mentorship, upload.mentorship_id)
            if mentorship is None:
                raise UploadFailed("the mentorship is gone")
            kind, plan = upload.kind, dict(upload.plan)
            targets = mentorship_targets(db, mentorship.id, self.settings.targets)
            upload.status = "running"
            db.commit()
        folder = upload_folder(self.settings, upload_id)
        held_at = datetime.fromisoformat(plan["held_at"])
        if kind == "transcript":
            path = folder / plan["files"]["transcript"]
            names = read_transcript(path).speakers
            transcript = read_transcript(path, speaker_map_for(names, mentorship))
            approximate = True
        else:
            transcript = self._transcribe(upload_id, kind, plan, folder)
            approximate = False
        if not transcript.utterances:
            raise UploadFailed("no speech was found in the recording")
        analysis = analyze_conversation(transcript, held_at.date(), targets)
        with self.database.sessions() as db:
            return save_transcript(
                db, transcript, plan["title"], held_at, mentorship_id=mentorship.id,
                analysis=analysis, approximate=approximate,
            )  # fmt: skip

    def _transcribe(
        self, upload_id: int, kind: str, plan: dict[str, Any], folder: Path
    ) -> Transcript:
        files = {role: folder / name for role, name in plan["files"].items()}
        if kind == "tracks":
            sources = [TrackSource(role, path) for role, path in sorted(files.items())]
        elif kind == "stereo":
            left, right = plan["channels"]
            sources = [
                TrackSource(left, files["recording"], 0),
                TrackSource(right, files["recording"], 1),
            ]
        else:
            sources = [TrackSource(plan["speaker"], files["recording"])]
        tracks = load_tracks(sources)
        store = ModelStore(self.settings.model_store_dir, self.settings.model_dirs)
        info = store.resolve(self.settings.refine_model or self.settings.model)
        model = load_model(info, self.settings.compute_type, cpu_threads=1)
        last = [0.0]

        def progress(done_s: float, whole_s: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.5:
                last[0] = now
                fraction = done_s / whole_s if whole_s else 1.0
                self._set(upload_id, progress=round(min(fraction, 0.99), 3))

        return analyze_tracks(
            tracks,
            model,
            DecodeOptions(beam_size=UPLOAD_BEAM, language=info.default_language),
            on_progress=progress,
        )
