"""Voice activity scored on the worker thread: the same speech as scoring in place, in order,
with nothing left behind at the stream's end."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from media.live.vad_worker import BEHIND_CHUNKS, VadWorker
from media.vad import WINDOW_S, Interval, SpeechDetector, detect_speech
from server.bench.speech import Dialogue

FRAME = 320  # 20 ms at 16 kHz, as the tap emits


def test_intervals_scored_on_the_worker_match_scoring_in_place(dialogue: Dialogue) -> None:
    track = dialogue.tracks["mentor"]
    expected = detect_speech(track)
    assert len(expected) >= 2  # the fixture has several turns to find
    posted: queue.Queue[Callable[[], None]] = queue.Queue()  # stands for the event loop
    loop_thread = threading.get_ident()
    got: list[Interval] = []
    delivered_on: set[int] = set()
    detector = SpeechDetector()

    def deliver(probs: np.ndarray) -> None:
        delivered_on.add(threading.get_ident())
        got.extend(detector.classify(probs))

    worker = VadWorker(posted.put, tick_s=0.01)
    try:
        feed = worker.open(detector, deliver)
        for k, start in enumerate(range(0, len(track), FRAME)):
            feed.push(track[start : start + FRAME])
            if k % 50 == 49:  # a second of audio: let the worker score some of it meanwhile
                time.sleep(0.02)
                while not posted.empty():
                    posted.get()()
        feed.settle()  # the stream ends: everything pushed is scored and delivered now
        got.extend(detector.flush())
        worker.close_feed(feed)
        while not posted.empty():
            posted.get()()  # stale hand-ons of a closed feed deliver nothing twice
    finally:
        worker.close()
    assert delivered_on == {loop_thread}  # classified on the loop, never on the worker
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert abs(mine.start_s - theirs.start_s) <= WINDOW_S + 1e-9
        assert abs(mine.end_s - theirs.end_s) <= WINDOW_S + 1e-9


def test_a_worker_that_falls_behind_leaves_the_scoring_to_the_feeder(dialogue: Dialogue) -> None:
    """A worker that never gets to run (a loop holding the GIL): after BEHIND_CHUNKS chunks
    the feeder scores them itself, in order, so voice activity never lags without bound."""
    track = dialogue.tracks["mentor"]
    detector = SpeechDetector()
    scored: list[int] = []
    worker = VadWorker(lambda _fn: None, tick_s=3600.0)  # never ticks during the test
    try:
        feed = worker.open(detector, lambda probs: scored.append(len(probs)))
        for start in range(0, BEHIND_CHUNKS * FRAME * 3, FRAME):
            feed.push(track[start : start + FRAME])
    finally:
        worker.close()
    assert feed.inline == 3
    # Every whole 32 ms window of what was pushed was scored and delivered, none twice.
    assert sum(scored) == (BEHIND_CHUNKS * FRAME * 3) // 512
