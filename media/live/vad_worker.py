"""Voice activity of every live stream, scored on one worker thread instead of the event loop.

Profiled at twelve calls, Silero's per-frame scoring took a fifth of the event loop's time.
Here the loop only appends each stream's audio to its feed (no thread is woken); a worker
wakes every ``tick_s``, scores what every stream gathered (the ONNX call releases the GIL, so
the loop runs meanwhile), and hands the probabilities back in one loop callback per tick, in
order. The loop classifies them (media/live/segmenter.py): all state the pipeline reads stays
on the loop. The cost is at most one tick of delay, a few milliseconds beside the half second
of silence that ends an utterance.

The worker makes one call per stream per tick: the Silero model faster-whisper ships takes one
stream at a time (input ``[seq_len, 576]``, state ``[1, 1, 128]``; its first axis is a
stream's consecutive windows), so several streams cannot share one call.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from media.audio import FloatAudio
from media.vad import SpeechDetector

log = logging.getLogger("tandem.vad")

#: How often the worker scores (a Silero window is 32 ms).
TICK_S = 0.03
#: Chunks waiting (about 20 ms each) before the loop scores them itself: a loop that is busy
#: already keeps the GIL from the worker (each of its calls waits up to the 5 ms switch
#: interval for it), and the worker would fall ever further behind the audio.
BEHIND_CHUNKS = 10

Deliver = Callable[[FloatAudio], None]
"""Called on the loop with each batch of a stream's window probabilities, in order."""
Post = Callable[[Callable[[], None]], Any]
"""Runs a callable on the loop soon (``loop.call_soon_threadsafe``)."""


class VadFeed:
    """One stream's audio waiting to be scored, and its scores waiting for the loop."""

    def __init__(self, detector: SpeechDetector, deliver: Deliver) -> None:
        self.detector = detector
        self._deliver = deliver
        self._audio: collections.deque[FloatAudio] = collections.deque()  # appended lock-free
        self._scored: list[FloatAudio] = []
        #: Held while the detector scores: by the worker, or by the loop at the stream's end.
        self._lock = threading.Lock()
        self.closed = False
        #: Times the loop scored for the worker (it had fallen behind).
        self.inline = 0

    def push(self, samples: FloatAudio) -> None:
        """From the loop: no wait, no wake-up; but where the worker has fallen behind, the
        loop scores and delivers what waits itself (in order)."""
        self._audio.append(samples)
        if len(self._audio) >= BEHIND_CHUNKS:
            self.inline += 1
            self.settle()

    def _take(self) -> FloatAudio | None:
        parts = []
        while self._audio:
            parts.append(self._audio.popleft())
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def score_waiting(self) -> bool:
        """Score the audio gathered so far (any thread); True if there is something to hand on."""
        with self._lock:
            audio = self._take()
            if audio is not None:
                probs = self.detector.score(audio)
                if len(probs):
                    self._scored.append(probs)
            return bool(self._scored)

    def hand_on(self) -> None:
        """On the loop: deliver what was scored, oldest first."""
        with self._lock:
            scored, self._scored = self._scored, []
        for probs in scored:
            self._deliver(probs)

    def settle(self) -> None:
        """On the loop, before the stream is flushed: everything pushed so far is scored and
        delivered now, in order, so nothing is left behind the flush."""
        self.score_waiting()
        self.hand_on()


class VadWorker:
    """The thread that scores every open feed each tick."""

    def __init__(self, post: Post, tick_s: float = TICK_S) -> None:
        self._post = post
        self._tick_s = tick_s
        self._feeds: set[VadFeed] = set()
        self._feeds_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vad", daemon=True)
        self._thread.start()

    def open(self, detector: SpeechDetector, deliver: Deliver) -> VadFeed:
        feed = VadFeed(detector, deliver)
        with self._feeds_lock:
            self._feeds.add(feed)
        return feed

    def close_feed(self, feed: VadFeed) -> None:
        feed.closed = True
        with self._feeds_lock:
            self._feeds.discard(feed)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._tick_s):
            with self._feeds_lock:
                feeds = list(self._feeds)
            ready = []
            for feed in feeds:
                try:
                    if feed.score_waiting():
                        ready.append(feed)
                except Exception:  # one stream's failure must not stop the others'
                    log.exception("scoring voice activity failed; the stream's audio is dropped")
            if ready:
                try:
                    self._post(functools.partial(_hand_on, ready))
                except RuntimeError:  # the loop closed under us: shutting down
                    return


def _hand_on(feeds: list[VadFeed]) -> None:
    for feed in feeds:
        if not feed.closed:
            try:
                feed.hand_on()
            except Exception:
                log.exception("voice activity of a stream could not be handed on")
