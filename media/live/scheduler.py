"""The live ASR scheduler: one shared model, worker threads, finals before partials.

- A **final** (a finished utterance) is never dropped: it waits its turn, first in line.
- A **partial** (words so far of an utterance still being spoken) is superseded by the next
  partial of the same stream while it waits, and shed altogether while finals are waiting:
  under overload captions get fewer tentative words, never fewer sentences.
- Results go to a callback (the caller hands them to its event loop); every counter is kept
  in :class:`SchedulerStats` for logs and /healthz.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.live.recover import keep_words
from media.transcriber import DecodeOptions, LoadedModel, transcribe_text, transcribe_track
from media.transcript import Utterance
from media.vad import Interval

log = logging.getLogger("tandem.asr")

PARTIAL_WINDOW_S = 8.0
#: Shortest Whisper window for finals and partials (see DecodeOptions.min_window_s). On 53
#: finals of two bench conversations, 12 s came closest to full 30 s windows (word difference
#: 0.020, trimmed windows 0.045) at a third of their cost (172 vs 559 ms, one thread, idle).
FINAL_MIN_WINDOW_S = 12.0
PARTIAL_MIN_WINDOW_S = 10.0
#: Live audio reaches Whisper only where the segmenter heard speech, so only a window Whisper
#: is sure holds none is dropped (a short reply over the other's words scored 0.74 and was
#: lost at Whisper's default 0.6).
LIVE_NO_SPEECH_THRESHOLD = 0.9
#: A final of at most this much speech that came back empty is decoded once more in a full
#: window (see AsrScheduler._final).
SHORT_REPLY_S = 2.0
LOAD_WINDOW_S = 10.0
#: Above this share of busy time, only first partials of utterances are transcribed.
BUSY_LIMIT = 0.7


@dataclass(frozen=True)
class Job:
    kind: str  # "final" or "partial"
    #: Which audio stream (one per person in a call): partials of a stream supersede each other.
    stream: str
    speaker: str
    utterance: int
    start_s: float
    audio: FloatAudio
    language: str | None
    submitted: float = field(default_factory=time.monotonic)
    #: Where the segmenter heard speech, on the session clock (None: all of the audio).
    speech_start_s: float | None = None
    speech_end_s: float | None = None
    #: A final computed ahead, at a pause that may turn out to be the end (see segmenter.Pause).
    speculative: bool = False
    #: The first partial of an utterance (kept even under load: it shows someone started).
    first: bool = False
    #: Audio put back after the network lost it (media/live/recover.py): decoded with word
    #: timings, and only words whose middle lies in this span (session clock) are kept.
    keep_s: tuple[float, float] | None = None

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE_HZ


@dataclass(frozen=True)
class Result:
    job: Job
    #: Finals: the utterances (usually one) with words on the session clock.
    utterances: list[Utterance]
    #: Partials: the words so far.
    text: str
    started: float
    finished: float


@dataclass
class SchedulerStats:
    finals_done: int = 0
    partials_done: int = 0
    partials_superseded: int = 0
    partials_shed: int = 0
    busy_s: float = 0.0
    worst_final_wait_s: float = 0.0

    def to_json(self, queued_finals: int, queued_partials: int) -> dict[str, Any]:
        return {
            "finals_done": self.finals_done,
            "partials_done": self.partials_done,
            "partials_superseded": self.partials_superseded,
            "partials_shed": self.partials_shed,
            "queued_finals": queued_finals,
            "queued_partials": queued_partials,
            "busy_s": round(self.busy_s, 1),
            "worst_final_wait_s": round(self.worst_final_wait_s, 2),
        }


class AsrScheduler:
    def __init__(
        self,
        model: LoadedModel,
        on_result: Callable[[Result], None],
        workers: int = 1,
        final_options: DecodeOptions | None = None,
    ) -> None:
        self.model = model
        self.on_result = on_result
        # Live: one greedy pass (no hotter retries) and a token cap, so one bad utterance
        # costs a fraction of a second, not several; the refinement pass redoes it carefully.
        self.final_options = final_options or DecodeOptions(
            condition_on_previous_text=False,
            temperatures=(0.0,),
            max_tokens_per_s=8.0,
            min_window_s=FINAL_MIN_WINDOW_S,
            no_speech_threshold=LIVE_NO_SPEECH_THRESHOLD,
        )
        self.stats = SchedulerStats()
        self._finals: collections.deque[Job] = collections.deque()
        self._partials: dict[str, Job] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._busy = 0  # jobs being transcribed right now
        self._partials_running = 0
        self._recent: collections.deque[tuple[float, float]] = collections.deque(maxlen=400)
        self._workers = workers
        self._threads = [
            threading.Thread(target=self._work, name=f"asr-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Job) -> bool:
        """Queue a job; False when it was not taken (a speculative final while busy)."""
        with self._cond:
            if job.speculative and self._finals:
                # Work ahead only on an idle machine: under load it would delay real finals.
                return False
            if job.kind == "partial" and not job.first and self._load() > BUSY_LIMIT:
                # Nearly saturated: later partials go first, so finals keep their pace.
                self.stats.partials_shed += 1
                return False
            if job.kind == "final":
                self._finals.append(job)
                # The utterance is over: its pending partial is no use any more.
                pending = self._partials.get(job.stream)
                if pending is not None and pending.utterance <= job.utterance:
                    del self._partials[job.stream]
                    self.stats.partials_superseded += 1
            else:
                if job.stream in self._partials:
                    self.stats.partials_superseded += 1
                self._partials[job.stream] = job
            self._cond.notify()
            return True

    def _load(self) -> float:
        """Share of the workers' time spent transcribing over the last LOAD_WINDOW_S seconds."""
        now = time.monotonic()
        since = now - LOAD_WINDOW_S
        busy = sum(min(end, now) - max(start, since) for start, end in self._recent if end > since)
        return busy / (LOAD_WINDOW_S * self._workers)

    def queued(self) -> tuple[int, int]:
        with self._cond:
            return len(self._finals), len(self._partials)

    def snapshot(self) -> dict[str, Any]:
        finals, partials = self.queued()
        return self.stats.to_json(finals, partials)

    def close(self) -> None:
        """Finish the finals already queued, then stop (blocks; call from a thread)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=120)

    def _next(self) -> Job | None:
        with self._cond:
            while True:
                if self._finals:
                    job = self._finals.popleft()
                    wait = time.monotonic() - job.submitted
                    self.stats.worst_final_wait_s = max(self.stats.worst_final_wait_s, wait)
                    if self._partials and self._finals:
                        # Finals are still waiting: partials would only delay them.
                        self.stats.partials_shed += len(self._partials)
                        log.warning(
                            "ASR overloaded: %d finals waiting, %d partials shed",
                            len(self._finals),
                            len(self._partials),
                        )
                        self._partials.clear()
                    return job
                if self._closed:
                    return None
                if self._partials and self._partials_running < max(1, self._workers - 1):
                    # One worker is always left for finals: a short reply's final waited
                    # behind two partials for 0.3-0.5 s on a busy 2-core machine.
                    # The oldest waiting stream first, so every speaker gets partials.
                    stream = min(self._partials, key=lambda s: self._partials[s].submitted)
                    self._partials_running += 1
                    return self._partials.pop(stream)
                self._cond.wait()

    def _work(self) -> None:
        while (job := self._next()) is not None:
            started = time.monotonic()
            with self._cond:
                self._busy += 1
            try:
                if job.kind == "final":
                    utterances = self._final(job)
                    text = " ".join(u.text for u in utterances)
                else:
                    utterances, text = [], self._partial(job)
            except Exception:  # a bad utterance must not stop captions for everyone
                log.exception("transcribing %s %s failed", job.kind, job.stream)
                if job.kind != "final":
                    continue
                # A final still answers, with no words: the page settles its partial.
                utterances, text = [], ""
            finally:
                with self._cond:
                    self._busy -= 1
                    if job.kind == "partial":
                        self._partials_running -= 1
                        self._cond.notify()  # another partial may start now
                    self._recent.append((started, time.monotonic()))
            finished = time.monotonic()
            self.stats.busy_s += finished - started
            if finished - job.submitted > 2.0:
                log.warning(
                    "slow %s for %s: waited %.2f s, took %.2f s for %.1f s of audio",
                    job.kind, job.stream, started - job.submitted, finished - started,
                    job.duration_s,
                )  # fmt: skip
            if job.kind == "final":
                self.stats.finals_done += 1
            else:
                self.stats.partials_done += 1
            try:
                self.on_result(Result(job, utterances, text, started, finished))
            except Exception:
                log.exception("delivering an ASR result failed")

    def _final(self, job: Job) -> list[Utterance]:
        # No word alignment (a fifth of the time): segment times, kept inside the speech the
        # segmenter heard, place a caption well enough; the refinement pass adds the words.
        # Recovered audio needs them: its edges hold words already transcribed live.
        words = job.keep_s is not None
        options = replace(self.final_options, language=job.language, word_timestamps=words)
        # Words are kept inside the speech the segmenter heard (the audio has a margin).
        speech = [Interval(0.0, job.duration_s)]
        if job.speech_start_s is not None and job.speech_end_s is not None:
            begin = max(0.0, job.speech_start_s - job.start_s)
            end = min(job.duration_s, job.speech_end_s - job.start_s)
            if end > begin:
                speech = [Interval(begin, end)]
        result = transcribe_track(self.model, job.audio, speech, job.speaker, options)
        heard_s = sum(i.end_s - i.start_s for i in speech)
        if not result.utterances and heard_s <= SHORT_REPLY_S:
            # Short replies are where trimmed windows fail: once more as Whisper was trained
            # (a full 30 s window), keeping whatever it hears, before giving up on the words.
            again = replace(options, window_tail_s=None, no_speech_threshold=None)
            result = transcribe_track(self.model, job.audio, speech, job.speaker, again)
        utterances = [_shifted(u, job.start_s) for u in result.utterances]
        if job.keep_s is not None:
            utterances = keep_words(utterances, *job.keep_s)
        return utterances

    def _partial(self, job: Job) -> str:
        # Only the latest words: decoding a long turn from its start again and again would
        # cost quadratically; the final has the whole of it.
        audio = job.audio[-round(PARTIAL_WINDOW_S * SAMPLE_RATE_HZ) :]
        options = replace(
            self.final_options, language=job.language, min_window_s=PARTIAL_MIN_WINDOW_S
        )
        return transcribe_text(self.model, audio, options)


def _shifted(utterance: Utterance, offset_s: float) -> Utterance:
    return replace(
        utterance,
        start_s=utterance.start_s + offset_s,
        end_s=utterance.end_s + offset_s,
        words=tuple(
            replace(w, start_s=w.start_s + offset_s, end_s=w.end_s + offset_s)
            for w in utterance.words
        ),
    )
