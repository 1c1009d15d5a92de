"""The audio tap keeps 16 kHz on the session clock: gaps are filled, floods are refused."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ
from media.live.clock import SessionClock
from media.live.tap import AudioTap


class SteppedClock(SessionClock):
    """A session clock the test moves by hand (the real one reads the monotonic clock)."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self.now_s = 10.0

    def now(self) -> float:
        return self.now_s


def _frame(ms: int = 60, value: float = 0.25) -> av.AudioFrame:
    samples = 48 * ms
    pcm = np.full((1, samples * 2), int(value * 32767), dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
    frame.sample_rate = 48_000
    return frame


def test_audio_lands_on_the_session_clock_and_gaps_become_silence() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentee", clock)
    heard: list[tuple[int, int]] = []
    tap.listen(lambda start, samples: heard.append((start, len(samples))))
    for _ in range(50):  # 3 s in real time
        clock.now_s += 0.06
        tap.on_frame(_frame())
    assert abs(tap.first_sample_s - 10.0) < 0.07  # type: ignore[operator]
    assert abs(tap.position_s - clock.now_s) < 0.1
    clock.now_s += 2.0  # the network went quiet for two seconds
    tap.on_frame(_frame())
    assert abs(tap.position_s - clock.now_s) < 0.1
    assert 1.8 < tap.gap_s < 2.1
    assert abs(tap.received_s - 3.06) < 0.1
    # Everything listeners got is contiguous: index + length chains without holes.
    for (a, n), (b, _) in itertools.pairwise(heard):
        assert a + n == b
    gap = tap.ring.read(round((clock.now_s - 1.5) * SAMPLE_RATE_HZ),
                        round((clock.now_s - 0.5) * SAMPLE_RATE_HZ))  # fmt: skip
    assert np.abs(gap).max() == 0.0


def test_a_client_sending_faster_than_real_time_is_held_to_real_time() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentor", clock)
    for _ in range(2000):  # 120 s of audio within 6 s of wall time
        clock.now_s += 0.003
        tap.on_frame(_frame())
    assert tap.position_s <= clock.now_s + tap.max_ahead_s + 0.07
    assert tap.received_s < 6 + tap.max_ahead_s + 0.1
    assert tap.refused_s > 100
