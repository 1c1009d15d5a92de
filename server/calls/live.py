"""Live transcription of calls: captions, the talk-balance meter and cues, as people speak.

Per person: the audio tap feeds an utterance segmenter (voice activity → partials and finals);
jobs go to the one shared :class:`AsrScheduler`; results come back to the event loop, where a
final caption is written to the database at once (a crash loses nothing already final) and
sent to both people. Writes go through the room's outbox (server/calls/outbox.py): in order,
retried and held while the database is away, when the caption is sent without waiting for
its row. Once a second, each room gets its meter (share of talk in the last 5
minutes and overall) and any cue the targets call for, sent only to the person concerned.
Everything each person says is also spooled to disk for the refinement pass after the call.

Audio the network lost (a hole the tap filled with silence) is asked of the speaker's browser
(server/calls/gaps.py); what it sends back is aligned on the audio received either side,
spooled for the refinement pass, and transcribed for that speaker at its place on the session
clock, keeping only words inside the hole (media/live/recover.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.insight.balance import talk_time, window_shares
from media.insight.cues import Cue, CueEngine, Targets
from media.live.recover import Alignment, align
from media.live.scheduler import AsrScheduler, Job, Result
from media.live.segmenter import Final, Partial, Pause, UtteranceSegmenter
from media.live.spool import SpoolWriter, describe, write_recovered
from media.live.tap import AudioTap
from media.live.vad_worker import VadFeed, VadWorker
from media.models import ModelError, ModelStore
from media.transcriber import DecodeOptions, load_model, transcribe_text
from media.transcript import SpeechInterval, Utterance
from media.vad import detect_speech
from server.calls.gaps import GapError, GapRequest, GapRequests
from server.calls.rooms import Peer, Room
from server.db.calls import dismiss_cue, save_cue, save_live_utterances, save_speech
from server.db.directory import mentorship_targets
from server.db.engine import Database
from server.settings import Settings

log = logging.getLogger("tandem.live")
#: One line per final caption: where its time went (INFO; `tandem -v serve` shows it).
timing = logging.getLogger("tandem.live.timing")

MIN_FINAL_S = 0.2  # shorter "utterances" are clicks and breaths (a short "No." is ~0.25 s)
IDLE_S = 0.8  # no audio for this long from someone: their open utterance is final
#: How far the browser's copy of a hole may be moved to lie over the audio received.
MAX_LAG_S = 0.5
#: Received audio either side of a hole transcribed with it (words cut by its edges whole).
HOLE_CONTEXT_S = 1.0


@dataclass
class Ahead:
    """A final transcribed at a pause, before anyone knew whether the speaker would go on."""

    end_s: float
    job: Job | None = None
    result: Result | None = None
    #: The segmenter has since said the utterance ended here: deliver when the result comes.
    confirmed: bool = False


@dataclass(eq=False)
class LiveStream:
    key: str
    peer: Peer
    tap: AudioTap
    segmenter: UtteranceSegmenter
    spool: SpoolWriter | None
    #: Where the stream's voice activity is scored off the loop (opened with its first audio).
    vad: VadFeed | None = None
    #: Utterance numbers already final (late partials for them are dropped).
    finished: set[int] = field(default_factory=set)
    partials_asked: set[int] = field(default_factory=set)
    spoken: int = 0  # closed speech intervals already handed to the room
    number: int = 0  # the room's count of streams when this one started (spool file names)


class RoomLive:
    """The live state of one call room."""

    def __init__(self, owner: LiveTranscription, room: Room, targets: Targets) -> None:
        self.owner = owner
        self.room = room
        self.session_id = room.info.session_id
        self.streams: dict[str, LiveStream] = {}
        #: Streams that ended with audio of theirs asked for and not in yet (their taps hold
        #: the audio around the hole; let go once nothing of theirs is open).
        self._ended: dict[str, LiveStream] = {}
        self.gaps = GapRequests()
        self.speech: list[SpeechInterval] = []
        self.utterances: list[Utterance] = []
        self._unsaved_speech: list[SpeechInterval] = []
        self._ahead: dict[tuple[str, int], Ahead] = {}
        #: Caption ids with a partial on screen and no final yet.
        self._shown: set[str] = set()
        self._counter = 0
        #: Finals are saved and sent one at a time: the people get them in the order the
        #: database holds them.
        self._finals = asyncio.Lock()
        names = {role: name for name, role in room.info.members.values()}
        self.cues = CueEngine(speakers=["mentor", "mentee"], names=names, targets=targets)
        self._ticker = asyncio.create_task(self._tick(), name=f"live {self.session_id} meter")

    # -- audio in ----------------------------------------------------------------------------
    def add(self, peer: Peer, tap: AudioTap) -> None:
        self._counter += 1
        key = f"{self.session_id}/{peer.role}/{self._counter}"
        role, room = peer.role, self.room
        spool = SpoolWriter(
            self.owner.settings.spool_dir(self.session_id) / f"{peer.role}-{self._counter}",
            peer.role,
            on_failure=lambda error: room.writer_failed("audio spool", role, error),
        )
        stream = LiveStream(key, peer, tap, UtteranceSegmenter(), spool, number=self._counter)
        self.streams[key] = stream
        self.owner.streams[key] = self
        tap.listen(spool.write)
        tap.listen(lambda start, samples: self._audio(stream, start, samples))
        tap.on_hole(lambda start, end: self._hole(stream, start, end))

    def _audio(self, stream: LiveStream, start_index: int, samples: FloatAudio) -> None:
        if stream.vad is None:
            detector = stream.segmenter.detector(start_index)
            stream.vad = self.owner.vad().open(detector, lambda probs: self._scored(stream, probs))
        stream.vad.push(samples)

    def _scored(self, stream: LiveStream, probs: FloatAudio) -> None:
        """Voice activity scored by the worker, back on the loop in order."""
        for event in stream.segmenter.push_scored(probs):
            self._submit(stream, event)
        self._collect_speech(stream)

    def _flush(self, stream: LiveStream) -> None:
        """Finish what the stream's speaker was saying: all its audio scored first."""
        if stream.vad is not None:
            stream.vad.settle()
        for event in stream.segmenter.flush():
            self._submit(stream, event)
        self._collect_speech(stream)

    def _collect_speech(self, stream: LiveStream) -> None:
        closed = stream.segmenter.speech[stream.spoken :]
        stream.spoken = len(stream.segmenter.speech)
        for interval in closed:
            item = SpeechInterval(stream.peer.role, interval.start_s, interval.end_s)
            self.speech.append(item)
            self._unsaved_speech.append(item)

    def _submit(self, stream: LiveStream, event: Partial | Final | Pause) -> None:
        scheduler = self.owner.scheduler
        if scheduler is None:
            return
        start = round(event.start_s * SAMPLE_RATE_HZ)
        end = round(event.end_s * SAMPLE_RATE_HZ)
        key = (stream.key, event.utterance)
        if isinstance(event, Final):
            stream.finished.add(event.utterance)
            ahead = self._ahead.pop(key, None)
            if ahead is not None and abs(ahead.end_s - event.end_s) < 1e-6:
                # Transcribed at the pause already: deliver it (now, or when it is done).
                if ahead.result is not None:
                    self.owner.spawn(self.deliver(ahead.result, final=True), f"final {key}")
                else:
                    ahead.confirmed = True
                    self._ahead[key] = ahead
                return
        if isinstance(event, Final | Pause):
            if event.end_s - event.start_s < MIN_FINAL_S:
                if isinstance(event, Final):
                    self._settle_empty(stream.key, stream.peer.role, event.utterance, event.start_s)
                return
            if isinstance(event, Pause):
                self._ahead[key] = Ahead(event.end_s)
            # A little audio either side: voice activity trims words' soft edges.
            start -= SAMPLE_RATE_HZ // 10
            end += SAMPLE_RATE_HZ // 5
        audio = stream.tap.ring.read(max(start, 0), end)
        if audio.size == 0:
            if isinstance(event, Final):
                self._settle_empty(stream.key, stream.peer.role, event.utterance, event.start_s)
            return
        job = Job(
            kind="partial" if isinstance(event, Partial) else "final",
            speculative=isinstance(event, Pause),
            stream=stream.key,
            speaker=stream.peer.role,
            utterance=event.utterance,
            start_s=max(start, stream.tap.ring.start) / SAMPLE_RATE_HZ,
            audio=audio,
            language=self.owner.language_for(stream.peer),
            first=isinstance(event, Partial) and event.utterance not in stream.partials_asked,
            speech_start_s=event.start_s,
            speech_end_s=event.end_s,
        )
        if isinstance(event, Partial):
            stream.partials_asked.add(event.utterance)
        if isinstance(event, Pause):
            self._ahead[key].job = job
        if not scheduler.submit(job) and isinstance(event, Pause):
            del self._ahead[key]  # not taken (busy): the final will be transcribed when due

    def stream_ended(self, peer: Peer) -> None:
        for key, stream in list(self.streams.items()):
            if stream.peer is not peer:
                continue
            self._flush(stream)
            if stream.vad is not None:
                self.owner.vad().close_feed(stream.vad)
            del self.streams[key]
            if any(r.stream == key for r in self.gaps.open.values()):
                self._ended[key] = stream
            if stream.spool is not None:
                spool, stream.spool = stream.spool, None
                self.owner.spawn(asyncio.to_thread(spool.close), f"close spool {key}")

    # -- audio the network lost ----------------------------------------------------------------
    def _hole(self, stream: LiveStream, start: int, end: int) -> None:
        """The tap filled ``[start, end)`` with silence: ask the speaker's browser for it."""
        person_id, role = stream.peer.person_id, stream.peer.role
        request = self.gaps.ask(person_id, stream.key, start, end)
        if request is None:
            log.info(
                "session %s: the %s's audio has a %.1f s hole; not asked for (requests open)",
                self.session_id, role, (end - start) / SAMPLE_RATE_HZ,
            )  # fmt: skip
            return
        log.info(
            "session %s: the %s's audio has a %.1f s hole at %.1f s; asking their browser",
            self.session_id, role, request.hole_s, start / SAMPLE_RATE_HZ,
        )  # fmt: skip
        self.owner.gap_stats["asked"] += 1
        peer = self.room.peers.get(person_id, stream.peer)
        self.owner.spawn(self.room.send(peer, request.message()), f"gap {request.id}")

    def gap_audio(self, peer: Peer, body: dict[str, Any]) -> None:
        """One ``gap-audio`` message (raises server.calls.gaps.GapError)."""
        request = self.gaps.take(peer.person_id, body)
        if request is not None:
            self.owner.spawn(self.recover(request), f"recover gap {request.id}")

    async def recover(self, request: GapRequest) -> None:
        """Place what the browser sent over the hole, spool it, transcribe it."""
        stream = self.streams.get(request.stream) or self._ended.get(request.stream)
        self._let_go()
        if stream is None or request.received == 0:
            return
        try:
            found = await asyncio.to_thread(self._place, stream, request)
        except Exception:
            log.exception("session %s: recovering gap %s failed", self.session_id, request.id)
            return
        if found is None:
            return
        repaired, region_start, speech = found
        role = stream.peer.role
        hole_start_s = request.hole_start / SAMPLE_RATE_HZ
        hole_end_s = request.hole_end / SAMPLE_RATE_HZ
        self.owner.gap_stats["recovered_s"] += request.hole_s
        for first, last in speech:  # talk the meter and the saved figures would have missed
            item = SpeechInterval(role, max(first, hole_start_s), min(last, hole_end_s))
            self.speech.append(item)
            self._unsaved_speech.append(item)
        scheduler = self.owner.scheduler
        if scheduler is None:
            return
        span_start = round((speech[0][0] - 0.1) * SAMPLE_RATE_HZ) - region_start
        span_end = round((speech[-1][1] + 0.2) * SAMPLE_RATE_HZ) - region_start
        span_start, span_end = max(span_start, 0), min(span_end, len(repaired))
        number = stream.segmenter.reserve()
        stream.finished.add(number)
        job = Job(
            kind="final",
            stream=stream.key,
            speaker=role,
            utterance=number,
            start_s=(region_start + span_start) / SAMPLE_RATE_HZ,
            audio=repaired[span_start:span_end],
            language=self.owner.language_for(stream.peer),
            speech_start_s=speech[0][0],
            speech_end_s=speech[-1][1],
            keep_s=(hole_start_s, hole_end_s),
        )
        scheduler.submit(job)

    def _let_go(self) -> None:
        for key in list(self._ended):
            if not any(r.stream == key for r in self.gaps.open.values()):
                del self._ended[key]

    def _place(
        self, stream: LiveStream, request: GapRequest
    ) -> tuple[FloatAudio, int, list[tuple[float, float]]] | None:
        """(On a worker thread.) The hole, filled from the browser's copy (aligned), with
        received audio either side; the sample index it starts at; the speech in the hole
        (session seconds). None when the hole held no speech. Spools the hole's audio."""
        ring, rate = stream.tap.ring, SAMPLE_RATE_HZ
        max_lag = round(MAX_LAG_S * rate)
        server_start = max(request.first - max_lag, ring.start)
        server = ring.read(server_start, request.last + max_lag)
        hole_start, hole_end = request.hole_start, request.hole_end
        references = [  # received audio just before and just after the hole
            (max(hole_start - round(1.5 * rate), request.first + max_lag), hole_start),
            (hole_end, min(hole_end + rate, request.last - max_lag)),
        ]
        references = [(a, b) for a, b in references if b - a >= rate // 4]
        found: Alignment = align(server, server_start, request.audio, request.first,
                                 references, max_lag)  # fmt: skip
        lag = found.lag
        log.info(
            "session %s: gap %s of the %s (%.1f s): the browser's copy %s",
            self.session_id, request.id, stream.peer.role, request.hole_s,
            f"moved {lag * 1000 / rate:+.0f} ms (correlation {found.score:.2f})"
            if found.measured else "placed by its own stamps (nothing received to align on)",
        )  # fmt: skip
        patch = np.zeros(hole_end - hole_start, dtype=np.float32)
        lo = hole_start - lag - request.first
        src_lo, src_hi = max(lo, 0), min(lo + len(patch), len(request.audio))
        if src_hi <= src_lo or not request.covered[src_lo:src_hi].any():
            return None
        patch[src_lo - lo : src_hi - lo] = request.audio[src_lo:src_hi]
        context = round(HOLE_CONTEXT_S * rate)
        before = ring.read(hole_start - context, hole_start)
        after = ring.read(hole_end, hole_end + context)
        repaired = np.concatenate([before, patch, after])
        region_start = hole_start - len(before)
        speech = [
            ((region_start / rate) + i.start_s, (region_start / rate) + i.end_s)
            for i in detect_speech(repaired)
        ]
        speech = [(a, b) for a, b in speech if b > hole_start / rate and a < hole_end / rate]
        if not speech:
            log.info("session %s: gap %s held no speech", self.session_id, request.id)
            return None
        role = stream.peer.role
        path = (
            self.owner.settings.spool_dir(self.session_id)
            / f"{role}-{stream.number}-gap-{request.id}"
        )
        try:
            write_recovered(path, role, hole_start, patch)
        except OSError as error:
            log.error(
                "session %s: the audio of gap %s cannot be spooled (%s); it is transcribed "
                "live only", self.session_id, request.id, describe(error),
            )  # fmt: skip
        return repaired, region_start, speech

    # -- results out ---------------------------------------------------------------------------
    async def deliver(self, result: Result, final: bool = False) -> None:
        job = result.job
        if job.speculative and not final:
            ahead = self._ahead.get((job.stream, job.utterance))
            if ahead is None or ahead.job is not job:
                return  # the speaker went on: this guess is of no use
            ahead.result = result
            if not ahead.confirmed:
                return
            del self._ahead[(job.stream, job.utterance)]
        stream_done = job.utterance in self._finished_for(job.stream)
        names = {role: name for name, role in self.room.info.members.values()}
        caption_id = f"{job.stream}/{job.utterance}"
        if job.kind == "partial":
            if not result.text and not stream_done:
                stream = self.streams.get(job.stream)
                if stream is not None:
                    stream.segmenter.hurry(job.utterance)
            if stream_done or not result.text:
                return
            self._shown.add(caption_id)
            await self.room.broadcast({
                "type": "caption", "final": False, "id": caption_id,
                "speaker": job.speaker, "name": names.get(job.speaker, job.speaker),
                "text": result.text, "start": round(job.start_s, 2),
                "end": round(job.start_s + job.duration_s, 2),
            })  # fmt: skip
            return
        utterances = [u for u in result.utterances if u.text.strip()]
        if not utterances:
            self._settle_empty(job.stream, job.speaker, job.utterance, job.start_s)
            return
        if job.speech_end_s is not None and timing.isEnabledFor(logging.INFO):
            self._log_timing(result, caption_id)
        async with self._finals:
            await self._save_and_send(caption_id, utterances, names)

    async def _save_and_send(
        self, caption_id: str, utterances: list[Utterance], names: dict[str, str]
    ) -> None:
        # While the database answers, each part is sent with its row id; while it is away,
        # at once without one (saved later, in order, by the outbox).
        saved, ids = await self.room.outbox.save(
            "final", save_live_utterances, self.session_id, utterances
        )
        row_ids: list[int | None] = list(ids) if saved else [None] * len(utterances)
        self.utterances.extend(utterances)
        self._shown.discard(caption_id)
        for part, (row_id, utterance) in enumerate(zip(row_ids, utterances, strict=True)):
            # One message per sentence, all with the caption id of the utterance: the page
            # keeps every part (``part`` of ``parts``), in order, in the speaker's line.
            await self.room.broadcast({
                "type": "caption", "final": True, "id": caption_id,
                "utterance_id": row_id, "part": part, "parts": len(utterances),
                "speaker": utterance.speaker,
                "name": names.get(utterance.speaker, utterance.speaker),
                "text": utterance.text, "start": round(utterance.start_s, 2),
                "end": round(utterance.end_s, 2),
            })  # fmt: skip

    def _log_timing(self, result: Result, caption_id: str) -> None:
        """Where a final's time went, on the session clock from the end of the speech."""
        job = result.job
        assert job.speech_end_s is not None
        now_mono, now = time.monotonic(), self.room.clock.now()

        def at(mono: float) -> float:
            return now - (now_mono - mono) - job.speech_end_s  # type: ignore[operator]

        timing.info(
            "final %s: %.1f s of speech; asked +%.3f%s, decoding +%.3f..+%.3f, sending +%.3f",
            caption_id, job.speech_end_s - (job.speech_start_s or job.start_s),
            at(job.submitted), " (at the pause)" if job.speculative else "",
            at(result.started), at(result.finished), now - job.speech_end_s,
        )  # fmt: skip

    def _settle_empty(self, stream: str, speaker: str, utterance: int, start_s: float) -> None:
        """An utterance held no words after all: a partial shown for it must not linger."""
        caption_id = f"{stream}/{utterance}"
        if caption_id in self._shown:
            self._shown.discard(caption_id)
            self.owner.spawn(
                self.room.broadcast({
                    "type": "caption", "final": True, "id": caption_id, "part": 0, "parts": 0,
                    "speaker": speaker, "name": self._name(speaker), "text": "",
                    "start": round(start_s, 2),
                }),
                f"settle {caption_id}",
            )  # fmt: skip

    def _name(self, role: str) -> str:
        return next((n for n, r in self.room.info.members.values() if r == role), role)

    def _finished_for(self, key: str) -> set[int]:
        stream = self.streams.get(key)
        return stream.finished if stream is not None else set()

    # -- meter and cues ------------------------------------------------------------------------
    def speech_so_far(self, now_s: float) -> list[SpeechInterval]:
        current = list(self.speech)
        for stream in self.streams.values():
            started = stream.segmenter.open_speech_start_s
            if started is not None and started < now_s:
                current.append(SpeechInterval(stream.peer.role, started, now_s))
        return current

    def meter(self, now_s: float) -> dict[str, Any]:
        speech = self.speech_so_far(now_s)
        roles = ["mentor", "mentee"]
        window = window_shares(speech, roles, now_s, self.cues.targets.window_s)
        overall_talk = {r: talk_time(speech, r) for r in roles}
        total = sum(overall_talk.values())
        overall = {r: (t / total if total else 0.0) for r, t in overall_talk.items()}
        speaking = {
            r: any(
                s.peer.role == r and s.segmenter.open_speech_start_s is not None
                for s in self.streams.values()
            )
            for r in roles
        }
        return {
            "type": "meter",
            "at": round(now_s, 1),
            "window_s": self.cues.targets.window_s,
            "window": {r: round(v, 3) for r, v in window.items()},
            "overall": {r: round(v, 3) for r, v in overall.items()},
            "talk_s": {r: round(v, 1) for r, v in overall_talk.items()},
            "speaking": speaking,
        }

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._tick_once()
            except Exception:  # the meter must keep going even if one tick fails
                log.exception("session %s: meter tick failed", self.session_id)

    async def _tick_once(self) -> None:
        if not self.room.peers:
            return
        now = self.room.clock.now()
        for request in self.gaps.expired():
            # Unanswered for too long: what did come is used.
            self.owner.spawn(self.recover(request), f"recover gap {request.id}")
        for stream in list(self.streams.values()):
            # No audio arriving (a stalled sender): finish what was said rather than wait.
            if stream.tap.first_sample_s is not None and now - stream.tap.position_s > IDLE_S:
                self._flush(stream)
        await self.room.broadcast(self.meter(now))
        for cue in self.cues.update(now, self.speech_so_far(now), self.utterances):
            saved = self.room.outbox.put("cue", save_cue, self.session_id, cue)
            if saved is not None:
                self.owner.spawn(self._send_cue(cue, saved), f"cue {self.session_id}")
        self._save_speech()

    async def _send_cue(self, cue: Cue, saved: asyncio.Future[Any]) -> None:
        """A cue goes to its person once saved (dismissing it needs its id)."""
        try:
            cue_id = await saved
        except (Exception, asyncio.CancelledError):
            return  # never saved; the outbox logged why
        for peer in list(self.room.peers.values()):
            if peer.role == cue.speaker:
                await self.room.send(peer, {"type": "cue", "id": cue_id, **cue.to_json()})

    def _save_speech(self) -> None:
        if self._unsaved_speech:
            batch, self._unsaved_speech = self._unsaved_speech, []
            self.room.outbox.put("speech", save_speech, self.session_id, batch)

    async def dismiss(self, peer: Peer, cue_id: int) -> bool:
        saved, found = await self.room.outbox.save(
            "dismiss", dismiss_cue, self.session_id, cue_id, peer.role
        )
        # Not saved yet (the database is away): it is applied in its turn.
        return bool(found) if saved else True

    async def close(self) -> None:
        self._ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker
        for stream in list(self.streams.values()):
            self.stream_ended(stream.peer)
        self._save_speech()


class LiveTranscription:
    """The process-wide live pipeline: one model, one scheduler, every room's live state."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.database = database
        self.scheduler: AsrScheduler | None = None
        self.model_name: str | None = None
        self.language: str | None = None
        self.rooms: dict[int, RoomLive] = {}
        self.streams: dict[str, RoomLive] = {}
        self.on_room_done: list[Callable[[int], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._vad: VadWorker | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.latencies_s: list[float] = []
        #: Holes asked of browsers, and seconds of audio put back (server/calls/gaps.py).
        self.gap_stats: dict[str, float] = {"asked": 0, "recovered_s": 0.0}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if not self.settings.live_transcription:
            log.info("live transcription is off (TANDEM_LIVE_TRANSCRIPTION=0)")
            return
        store = ModelStore(self.settings.model_store_dir, self.settings.model_dirs)
        try:
            info = await asyncio.to_thread(store.resolve, self.settings.model)
            workers = self.settings.asr_workers
            model = await asyncio.to_thread(
                load_model,
                info,
                self.settings.compute_type,
                max(1, self.settings.cpu_threads // workers),
                workers,
            )
        except ModelError as exc:
            log.error("live transcription is off: %s", exc)
            return
        self.model_name = info.name
        self.language = info.default_language
        # The first decode allocates; do it now rather than on someone's first sentence.
        await asyncio.to_thread(
            transcribe_text, model, np.zeros(SAMPLE_RATE_HZ, dtype=np.float32), DecodeOptions()
        )
        self.scheduler = AsrScheduler(model, self._from_worker, workers=self.settings.asr_workers)

    def language_for(self, peer: Peer) -> str | None:
        """English-only models: English. Multilingual: the person's choice, else detected."""
        if self.language is not None:
            return self.language
        return peer.language

    def vad(self) -> VadWorker:
        """The thread scoring every stream's voice activity (started with the first stream)."""
        if self._vad is None:
            self._vad = VadWorker((self._loop or asyncio.get_running_loop()).call_soon_threadsafe)
        return self._vad

    def spawn(self, work: Any, name: str) -> None:
        task = asyncio.ensure_future(work)
        task.set_name(name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _from_worker(self, result: Result) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._deliver, result)

    def _deliver(self, result: Result) -> None:
        if result.job.kind == "final":
            self.latencies_s.append(time.monotonic() - result.job.submitted)
            del self.latencies_s[:-500]
        live = self.streams.get(result.job.stream)
        if live is not None:
            self.spawn(live.deliver(result), f"deliver {result.job.stream}")

    # -- called by the rooms -----------------------------------------------------------------
    async def tap_started(self, room: Room, peer: Peer, tap: AudioTap) -> None:
        live = self.rooms.get(room.info.session_id)
        if live is None:
            defaults = self.settings.targets

            def targets(db: Any) -> Targets:
                return mentorship_targets(db, room.info.mentorship_id, defaults)

            chosen = await room._db(targets)
            # The other person's tap may have started while the targets were read: one room,
            # one RoomLive (two would each see one voice: meters and cues of half a call).
            live = self.rooms.get(room.info.session_id)
            if live is None:
                live = RoomLive(self, room, chosen)
                self.rooms[room.info.session_id] = live
        live.add(peer, tap)

    def tap_ended(self, room: Room, peer: Peer) -> None:
        live = self.rooms.get(room.info.session_id)
        if live is not None:
            live.stream_ended(peer)

    async def room_closed(self, room: Room) -> None:
        live = self.rooms.pop(room.info.session_id, None)
        if live is not None:
            await live.close()
            await self._drain(live)
            # Everything live is in the database before the refinement pass reads it.
            await room.outbox.flush(within_s=60.0)
            for callback in self.on_room_done:
                await asyncio.to_thread(callback, room.info.session_id)

    async def _drain(self, live: RoomLive, within_s: float = 60.0) -> None:
        """Let this room's queued finals be transcribed and saved before refinement starts."""
        deadline = time.monotonic() + within_s
        while self.scheduler is not None and time.monotonic() < deadline:
            finals, _ = self.scheduler.queued()
            if finals == 0:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0)  # deliveries already scheduled run first
        for key in [k for k, v in self.streams.items() if v is live]:
            del self.streams[key]

    async def dismiss(self, room: Room, peer: Peer, cue_id: int) -> bool:
        live = self.rooms.get(room.info.session_id)
        return await live.dismiss(peer, cue_id) if live is not None else False

    def gap_audio(self, room: Room, peer: Peer, body: dict[str, Any]) -> None:
        """A ``gap-audio`` message (raises server.calls.gaps.GapError)."""
        live = self.rooms.get(room.info.session_id)
        if live is None:
            raise GapError("no audio of this call was asked for")
        live.gap_audio(peer, body)

    async def close(self) -> None:
        for session_id in list(self.rooms):
            live = self.rooms.pop(session_id)
            await live.close()
        if self.scheduler is not None:
            await asyncio.to_thread(self.scheduler.close)
        if self._vad is not None:
            await asyncio.to_thread(self._vad.close)
            self._vad = None
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def stats(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "on": self.scheduler is not None,
            "model": self.model_name,
            "gaps_asked": int(self.gap_stats["asked"]),
            "gaps_recovered_s": round(self.gap_stats["recovered_s"], 1),
        }
        if self.scheduler is not None:
            figures.update(self.scheduler.snapshot())
        return figures
