"""The refinement pass after a call: each person's whole track, transcribed again carefully.

Live captions decode short utterances greedily; afterwards there is time for beam search over
whole tracks with context. The spooled audio of each person is put back on the session clock
and run through the offline pipeline (voice activity, beam 5, word timestamps, the model
configured for refinement). The refined utterances become the session's transcript; the live
ones stay, marked "live", for comparison. Then talk figures and action items are computed and
stored, and the spool is deleted. Sessions wait in a job queue in the database
(server.db.refine_queue): each server process, and any `tandem worker` started alone, takes
the next one, one at a time on its own thread and its own model instance (one CPU thread),
so live captions keep their share of the machine.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import threading
import time

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session as OrmSession

from media.audio import SAMPLE_RATE_HZ, AudioError
from media.insight.analysis import analyze_conversation
from media.live.spool import assemble_track, read_spools
from media.mix import mix_recordings
from media.models import ModelStore
from media.pipeline import Track, analyze_tracks
from media.transcriber import DecodeOptions, LoadedModel, cuda_devices, load_model
from media.transcript import Transcript
from server.db.directory import mentorship_targets
from server.db.engine import Database
from server.db.recordings import mix_path, recorded_files
from server.db.refine_queue import beat, claim, finish, release_stale
from server.db.store import participant_ids, replace_analysis, speech_rows, utterance_rows
from server.db.tables import Session, SpeechRow, UtteranceRow
from server.settings import Settings, SettingsError

log = logging.getLogger("tandem.refine")

REFINE_BEAM = 5
#: Passes tried on one session's audio before it is given up and deleted.
MAX_ATTEMPTS = 3
#: How often an idle worker looks for jobs other processes queued.
POLL_S = 2.0
#: How often a running pass says it is alive (server.db.refine_queue.STALE_S is the limit).
BEAT_S = 20.0


def check_device(settings: Settings) -> None:
    """Before taking jobs: a GPU asked for is one CTranslate2 can use (else every pass would
    fail on its first chunk)."""
    if settings.refine_device == "cuda" and cuda_devices() == 0:
        raise SettingsError(
            "TANDEM_REFINE_DEVICE=cuda, but CTranslate2 finds no CUDA GPU here (it needs an "
            "NVIDIA driver and the CUDA 12 cuBLAS and cuDNN 9 libraries, see docs/deploy.md); "
            "use TANDEM_REFINE_DEVICE=cpu"
        )


def refine_model(settings: Settings, decoders: int = 1) -> tuple[LoadedModel, DecodeOptions]:
    """The refinement pass's model (one CPU thread a pass, ``decoders`` passes at once, on
    the configured device) and its decoding (beam search, the model's language)."""
    store = ModelStore(settings.model_store_dir, settings.model_dirs)
    info = store.resolve(settings.refine_model or settings.model)
    model = load_model(info, settings.compute_type, cpu_threads=1, num_workers=decoders,
                       device=settings.refine_device)  # fmt: skip
    return model, DecodeOptions(beam_size=REFINE_BEAM, language=info.default_language)


def worker_name(settings: Settings) -> str:
    """Who holds a job: TANDEM_NODE_NAME, or this host and the server's port (stable across
    restarts, so a restarted process takes back what it held at once)."""
    return settings.node


class _Heartbeat:
    """While a pass runs, a thread says so every BEAT_S (model loading and long chunks give
    no progress for minutes)."""

    def __init__(self, database: Database, session_id: int, worker: str) -> None:
        self._database, self._session_id, self._worker = database, session_id, worker
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="refine heartbeat", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._done.wait(BEAT_S):
            try:
                with self._database.sessions() as db:
                    beat(db, self._session_id, self._worker)
            except Exception:  # a missed beat is retried; STALE_S allows several
                log.warning("refinement heartbeat of session %s failed", self._session_id)


class Refiner:
    """Takes refinement jobs from the database queue (server.db.refine_queue) and runs them,
    one at a time on its own thread: in each server process, or alone in `tandem worker`."""

    def __init__(
        self, settings: Settings, database: Database, name: str | None = None, decoders: int = 1
    ) -> None:
        self.settings = settings
        #: Passes decoding at once in this process (its Refiners share one model instance).
        self.decoders = decoders
        self.database = database
        self.name = name or worker_name(settings)
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="refine", daemon=True)
        self._started = False
        self.current: int | None = None

    def start(self) -> None:
        """Start taking jobs; passes this worker's previous run held go back to the queue."""
        if self._started:
            return
        self._started = True
        with self.database.sessions() as db:
            released = release_stale(db, worker=self.name)
        if released:
            log.info("passes left running by an earlier run go back to the queue: %s", released)
        self._thread.start()

    def enqueue(self, session_id: int) -> None:
        """Called when a call room closes (from the event loop: only a quick DB write)."""
        if not (self.settings.spool_dir(session_id)).is_dir():
            return
        with self.database.sessions() as db:
            # A pass already running (another node queued it, e.g. its room was found dead)
            # is left to its worker.
            db.execute(
                update(Session)
                .where(
                    Session.id == session_id,
                    or_(Session.refine_status.is_(None), Session.refine_status != "running"),
                )
                .values(
                    refine_status="pending",
                    refine_progress=0.0,
                    refine_attempts=0,  # new audio, a new set of tries
                    refine_claimed_by=None,
                )
            )
            db.commit()
        self._wake.set()  # this process's worker looks at once; others within POLL_S

    def close(self) -> None:
        if not self._started:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=5)
        held = self.current
        if held is not None:  # an unfinished pass goes back to the queue for any worker
            with contextlib.suppress(Exception), self.database.sessions() as db:
                release_stale(db, worker=self.name)
            log.info("session %s goes back to the refinement queue", held)

    def _run(self) -> None:
        last_sweep = 0.0
        while not self._stopping:
            try:
                with self.database.sessions() as db:
                    if time.monotonic() - last_sweep > POLL_S * 15:
                        last_sweep = time.monotonic()
                        if stale := release_stale(db):
                            log.warning("passes whose worker fell silent are queued again: %s",
                                        stale)  # fmt: skip
                    session_id = claim(db, self.name)
            except Exception:  # the database away for a moment: try again shortly
                log.exception("taking a refinement job failed")
                session_id = None
            if session_id is None:
                self._wake.wait(POLL_S)
                self._wake.clear()
                continue
            self.current = session_id
            try:
                with _Heartbeat(self.database, session_id, self.name):
                    self.refine(session_id)
            except Exception as exc:  # one failed session must not stop the others
                log.exception("refining session %s failed", session_id)
                self._failed(session_id, f"{type(exc).__name__}: {exc}")
            finally:
                self.current = None
                with contextlib.suppress(Exception), self.database.sessions() as db:
                    finish(db, session_id)

    def _failed(self, session_id: int, error: str) -> None:
        """Try again later, a bounded number of times; after the last try the audio goes, as
        the call page promised (the live transcript stays)."""
        with self.database.sessions() as db:
            session = db.get(Session, session_id)
            attempts = session.refine_attempts if session is not None else MAX_ATTEMPTS
        if attempts < MAX_ATTEMPTS:
            self._set(session_id, status="pending", error=error)  # taken again from the queue
            return
        self._give_up(session_id, error)

    def _give_up(self, session_id: int, error: str) -> None:
        shutil.rmtree(self.settings.spool_dir(session_id), ignore_errors=True)
        self._set(
            session_id,
            status="failed",
            error=f"{error} (after {MAX_ATTEMPTS} tries; its audio was deleted, "
            "the live transcript stays)",
        )
        log.warning("gave up refining session %s; its spooled audio is deleted", session_id)

    def _set(
        self,
        session_id: int,
        status: str | None = None,
        progress: float | None = None,
        error: str | None = None,
    ) -> None:
        with self.database.sessions() as db:
            session = db.get(Session, session_id)
            if session is None:
                return
            if status is not None:
                session.refine_status = status
            if progress is not None:
                session.refine_progress = round(progress, 3)
            if error is not None:
                session.refine_error = error[:2000]
            db.commit()

    def refine(self, session_id: int) -> None:
        folder = self.settings.spool_dir(session_id)
        pieces = read_spools(folder)
        if not pieces:
            shutil.rmtree(folder, ignore_errors=True)
            self._set(session_id, status="failed", error="no audio was kept for this session")
            return
        with self.database.sessions() as db:
            session = db.get(Session, session_id)
            if session is None:  # deleted while it waited
                shutil.rmtree(folder, ignore_errors=True)
                return
            if session.refine_attempts > MAX_ATTEMPTS:  # e.g. each try crashed its worker
                self._give_up(session_id, session.refine_error or "the pass never finished")
                return
            duration_s = session.duration_s or 0.0
            held = session.held_at
            names = {p.speaker: p.person.name for p in session.participants if p.person is not None}
            targets = mentorship_targets(db, session.mentorship_id, self.settings.targets)
        total = round(duration_s * SAMPLE_RATE_HZ)
        tracks = [
            Track(speaker, assemble_track(parts, total))
            for speaker, parts in sorted(pieces.items(), key=lambda kv: kv[0] != "mentor")
        ]
        model, options = refine_model(self.settings, self.decoders)
        last = [0.0]

        def progress(done: float, whole: float) -> None:
            fraction = done / whole if whole else 1.0
            if fraction - last[0] >= 0.02:
                last[0] = fraction
                self._set(session_id, progress=min(fraction, 0.99))

        transcript = analyze_tracks(tracks, model, options, on_progress=progress)
        transcript.duration_s = max(transcript.duration_s, duration_s)
        analysis = analyze_conversation(
            transcript, held.date() if held else None, targets, names=names
        )
        with self.database.sessions() as db:
            _store(db, session_id, transcript)
            replace_analysis(db, session_id, transcript, analysis)
            session = db.get(Session, session_id)
            assert session is not None
            session.transcript_source = "refined"
            session.model = model.info.name
            session.refine_status = "done"
            session.refine_progress = 1.0
            session.refine_error = None
            db.commit()
        shutil.rmtree(folder, ignore_errors=True)
        log.info("session %s refined: %d utterances", session_id, len(transcript.utterances))
        self.prepare_audio(session_id)

    def prepare_audio(self, session_id: int) -> None:
        """Mix the call's recordings for the review page now, so the first person to press
        play does not wait for it (a 60-minute call takes about half a minute)."""
        with self.database.sessions() as db:
            plan = recorded_files(db, session_id)
        out = mix_path(self.settings.recordings_dir, session_id)
        if not plan.files or not plan.stale(out):
            return
        try:
            mix_recordings(plan.files, out, plan.duration_s)
        except (AudioError, OSError):
            log.exception("mixing the audio of session %s failed (built on first play)", session_id)


def _store(db: OrmSession, session_id: int, transcript: Transcript) -> None:
    participants = participant_ids(db, session_id)
    db.execute(
        delete(UtteranceRow).where(
            UtteranceRow.session_id == session_id, UtteranceRow.source == "refined"
        )
    )
    db.execute(delete(SpeechRow).where(SpeechRow.session_id == session_id))
    db.add_all(utterance_rows(session_id, participants, transcript.utterances, "refined"))
    db.add_all(speech_rows(session_id, transcript.speech))
