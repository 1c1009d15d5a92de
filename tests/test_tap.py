"""The audio tap keeps 16 kHz on the session clock: frames land where they were spoken (by
their timestamps), gaps are filled, floods are refused."""

from __future__ import annotations

import fractions
import itertools
from datetime import UTC, datetime

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ
from media.live.clock import SessionClock
from media.live.tap import RECEIVE_DELAY_PACKETS, AudioTap


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


def _stamped(index: int, ms: int = 60, value: float = 0.25) -> av.AudioFrame:
    """The index-th frame of a stream as aiortc decodes it: pts = RTP timestamp at 48 kHz."""
    frame = _frame(ms, value)
    frame.pts = index * 48 * ms
    frame.time_base = fractions.Fraction(1, 48_000)
    return frame


def _delay_s(ms: int = 60) -> float:
    """How long after its first sample was spoken a frame reaches the tap, on an idle link."""
    return ms / 1000 * (1 + RECEIVE_DELAY_PACKETS)


def test_a_stalled_server_places_late_frames_where_they_were_spoken() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentor", clock)
    spoken_at = 10.0  # session time of the stream's first sample
    for index in range(20):  # 1.2 s arriving on time
        clock.now_s = spoken_at + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    assert tap.first_sample_s is not None and abs(tap.first_sample_s - spoken_at) < 0.01
    # The event loop stalls for 1.5 s; the frames queued meanwhile arrive in one burst.
    clock.now_s += 1.5
    for index in range(20, 44):
        tap.on_frame(_stamped(index, value=0.5 if index == 40 else 0.25))
    for index in range(44, 60):  # and on time again
        clock.now_s = spoken_at + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    assert tap.gap_s < 0.005 and tap.refused_s == 0.0  # (the resampler holds 1 ms back once)
    # Frame 40's samples sit exactly where frame 40 was spoken: no stall was written in.
    marked = round((spoken_at + 40 * 0.06) * SAMPLE_RATE_HZ)
    around = tap.ring.read(marked - 320, marked + 3 * 320)
    loud = np.flatnonzero(around > 0.4)
    assert loud.size and abs(loud[0] - 320) < 40, loud[:3]
    assert abs(tap.position_s - (spoken_at + 60 * 0.06)) < 0.01


def test_lost_packets_become_silence_of_their_length() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentee", clock)
    heard: list[tuple[int, int]] = []
    tap.listen(lambda start, samples: heard.append((start, len(samples))))
    for index in [*range(10), *range(15, 25)]:  # packets 10-14 never arrive
        clock.now_s = 10.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    assert abs(tap.gap_s - 0.3) < 0.005
    assert abs(tap.position_s - (10.0 + 25 * 0.06)) < 0.01
    for (a, n), (b, _) in itertools.pairwise(heard):
        assert a + n == b


def test_a_late_first_frame_does_not_shift_the_rest() -> None:
    """The first frame arrives 0.4 s late; the mapping follows the frames that come on time."""
    clock = SteppedClock()
    tap = AudioTap("mentor", clock)
    clock.now_s = 10.0 + _delay_s() + 0.4
    tap.on_frame(_stamped(0))
    for index in range(1, 40):
        clock.now_s = 10.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    assert tap.corrections >= 1
    assert abs(tap.position_s - (10.0 + 40 * 0.06)) < 0.03


def test_a_flood_with_timestamps_is_held_to_real_time() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentor", clock)
    for index in range(2000):  # 120 s of audio within 6 s of wall time
        clock.now_s += 0.003
        tap.on_frame(_stamped(index))
    assert tap.position_s <= clock.now_s + 0.1
    assert tap.received_s < 6 + 0.2
    assert tap.refused_s > 100


def test_a_new_source_starts_where_the_old_one_stopped_not_at_its_timestamps() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentee", clock)
    for index in range(30):
        clock.now_s = 10.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    # The person reloads the page: 3 s later a new connection starts again from timestamp 0.
    tap.new_source()
    for index in range(30):
        clock.now_s = 15.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    assert abs(tap.position_s - (15.0 + 30 * 0.06)) < 0.01
    assert abs(tap.gap_s - (15.0 - 10.0 - 30 * 0.06)) < 0.01


def test_holes_of_half_a_second_or_more_are_reported_after_their_silence() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentee", clock)
    holes: list[tuple[int, int]] = []
    written: list[int] = []
    tap.listen(lambda start, samples: written.append(start + len(samples)))

    def hole(start: int, end: int) -> None:
        holes.append((start, end))
        written.append(-end)

    tap.on_hole(hole)
    # Packets 10-14 lost (0.3 s: not reported), 30-59 lost (1.8 s: reported).
    for index in [*range(10), *range(15, 30), *range(60, 70)]:
        clock.now_s = 10.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    [(start, end)] = holes
    assert abs(start / SAMPLE_RATE_HZ - (10.0 + 30 * 0.06)) < 0.01
    assert abs(end / SAMPLE_RATE_HZ - (10.0 + 60 * 0.06)) < 0.01
    # Told once the silence is written and before the audio after it.
    told = written.index(-end)
    assert written[told - 1] == end and written[told + 1] > end


def test_a_new_source_after_an_outage_reports_the_stretch_never_heard() -> None:
    clock = SteppedClock()
    tap = AudioTap("mentee", clock)
    holes: list[tuple[int, int]] = []
    tap.on_hole(lambda start, end: holes.append((start, end)))
    for index in range(30):
        clock.now_s = 10.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    tap.new_source()  # the browser's new connection, 8 s later
    for index in range(10):
        clock.now_s = 20.0 + index * 0.06 + _delay_s()
        tap.on_frame(_stamped(index))
    [(start, end)] = holes
    assert abs(start / SAMPLE_RATE_HZ - (10.0 + 30 * 0.06)) < 0.01
    assert abs(end / SAMPLE_RATE_HZ - 20.0) < 0.01
