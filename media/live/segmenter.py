"""Cutting one person's live audio into utterances for captions.

Voice activity runs on the stream as it arrives. An utterance opens when speech starts and
becomes **final** when ``end_silence_s`` of silence follows its last speech, or when it reaches
``max_utterance_s`` (then it is cut at its last pause, if it has one). A **pause** comes as
soon as voice activity sees the speech stop, before the end silence has passed. While it is open, a
**partial** is asked for every ``partial_every_s`` of new audio, so long turns show words as
they are spoken. Times are seconds on the session clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.vad import Interval, SpeechDetector, VadOptions


@dataclass(frozen=True)
class SegmenterOptions:
    end_silence_s: float = 0.5
    max_utterance_s: float = 12.0
    partial_every_s: float = 0.8
    #: The first partial waits for this much speech: of 51 bench utterances, 0.4 s gave 8 empty
    #: first partials (0.3 s: 25, 0.5 s: 4); an empty one is asked again sooner.
    first_partial_s: float = 0.4
    #: After a partial that came back empty, the next one is asked for this much sooner.
    retry_partial_s: float = 0.25


@dataclass(frozen=True)
class Partial:
    utterance: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Final:
    utterance: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Pause:
    """Speech stopped (the voice-activity silence, shorter than the end silence, has passed).

    If the person does not speak again, the utterance will be final with exactly this span:
    transcribing it now, speculatively, lets the final caption arrive sooner.
    """

    utterance: int
    start_s: float
    end_s: float


Event = Partial | Final | Pause


@dataclass
class _Open:
    number: int
    start_s: float
    #: End of the last closed stretch of speech inside the utterance (None: still in its first).
    speech_end_s: float | None = None
    last_partial_s: float | None = None
    #: (speech end, next speech start) of each pause inside the utterance.
    pauses: list[tuple[float, float]] = field(default_factory=list)


class UtteranceSegmenter:
    def __init__(
        self,
        options: SegmenterOptions | None = None,
        vad: VadOptions | None = None,
    ) -> None:
        self.options = options or SegmenterOptions()
        self._vad = vad or VadOptions(min_silence_s=0.25)
        self._detector: SpeechDetector | None = None
        self._open: _Open | None = None
        self._count = 0
        #: Every closed stretch of speech (the live talk figures use them).
        self.speech: list[Interval] = []

    @property
    def position_s(self) -> float:
        return self._detector.position_s if self._detector else 0.0

    @property
    def open_speech_start_s(self) -> float | None:
        """Start of speech going on right now (for the live meter)."""
        return self._detector.open_start_s if self._detector else None

    def push(self, start_index: int, samples: FloatAudio) -> list[Event]:
        return self._advance(self.detector(start_index).push(samples))

    def detector(self, start_index: int) -> SpeechDetector:
        """The stream's voice activity, started at its first sample: to score it elsewhere
        (media/live/vad_worker.py) and hand the probabilities to :meth:`push_scored`."""
        if self._detector is None:
            self._detector = SpeechDetector(self._vad, start_s=start_index / SAMPLE_RATE_HZ)
        return self._detector

    def push_scored(self, probs: FloatAudio) -> list[Event]:
        """Events for windows scored by :meth:`detector` ``.score`` (in their order)."""
        if self._detector is None:
            return []
        return self._advance(self._detector.classify(probs))

    def flush(self) -> list[Event]:
        """The stream ended (the person left or dropped): finish what was being said."""
        if self._detector is None:
            return []
        events = self._advance(self._detector.flush())
        if self._open is not None:
            end = self._open.speech_end_s or self._detector.position_s
            events.append(Final(self._open.number, self._open.start_s, end))
            self._open = None
        return events

    def _advance(self, closed: list[Interval]) -> list[Event]:
        assert self._detector is not None
        opts = self.options
        events: list[Event] = []
        now = self._detector.position_s
        for interval in closed:
            self.speech.append(interval)
            before = self._open
            if (
                before is not None
                and before.speech_end_s is not None
                and interval.start_s - before.speech_end_s >= opts.end_silence_s
            ):
                # The audio came in one burst (a stalled sender or loop): the silence that
                # ends an utterance lies inside it, so the next speech starts a new one.
                events.append(Final(before.number, before.start_s, before.speech_end_s))
                self._open = None
            if self._open is None:
                self._open = self._start(interval.start_s)
            elif self._open.speech_end_s is not None:
                self._open.pauses.append((self._open.speech_end_s, interval.start_s))
            self._open.speech_end_s = interval.end_s
        if closed and self._open is not None and self._detector.open_start_s is None:
            events.append(Pause(self._open.number, self._open.start_s, closed[-1].end_s))
        speaking_since = self._detector.open_start_s
        if self._open is None and speaking_since is not None:
            self._open = self._start(speaking_since)
        current = self._open
        if current is None:
            return events
        in_speech = speaking_since is not None
        # Silence long enough after the last speech: the utterance is final.
        silent_for = None if current.speech_end_s is None else now - current.speech_end_s
        if not in_speech and silent_for is not None and silent_for >= opts.end_silence_s:
            assert current.speech_end_s is not None
            events.append(Final(current.number, current.start_s, current.speech_end_s))
            self._open = None
            return events
        # Too long: cut at the last pause if there is one, else right here.
        if now - current.start_s >= opts.max_utterance_s:
            if current.pauses:
                cut, resume = current.pauses[-1]
            else:
                cut = resume = now
            events.append(Final(current.number, current.start_s, cut))
            self._open = self._start(resume)
            if current.speech_end_s is not None and current.speech_end_s > resume:
                self._open.speech_end_s = current.speech_end_s
            return events
        # Still going: ask for a partial every so often.
        heard = now - current.start_s
        if current.last_partial_s is None:
            due = heard >= opts.first_partial_s
        else:
            due = now - current.last_partial_s >= opts.partial_every_s
        if due and (in_speech or current.speech_end_s is not None):
            current.last_partial_s = now
            events.append(Partial(current.number, current.start_s, now))
        return events

    def hurry(self, utterance: int) -> None:
        """A partial of ``utterance`` had no words yet: ask again soon, not a full interval on."""
        current = self._open
        if current is not None and current.number == utterance and current.last_partial_s:
            opts = self.options
            current.last_partial_s -= opts.partial_every_s - opts.retry_partial_s

    def reserve(self) -> int:
        """A new utterance number for speech transcribed outside the segmenter (audio put
        back after the network lost it): its captions never clash with the segmenter's."""
        self._count += 1
        return self._count

    def _start(self, start_s: float) -> _Open:
        self._count += 1
        return _Open(number=self._count, start_s=start_s)
