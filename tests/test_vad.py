"""Voice activity: where each voice is, the same whether fed whole or frame by frame."""

from __future__ import annotations

import numpy as np

from media.audio import SAMPLE_RATE_HZ
from media.vad import SpeechDetector, detect_speech
from server.bench.speech import Dialogue


def test_speech_intervals_match_the_dialogue(dialogue: Dialogue) -> None:
    for speaker in dialogue.speakers:
        intervals = detect_speech(dialogue.tracks[speaker])
        lines = [line for line in dialogue.lines if line.speaker == speaker]
        # Every line is covered by speech that starts and ends close to the voice.
        for line in lines:
            inside = [i for i in intervals if i.end_s > line.start_s and i.start_s < line.end_s]
            assert inside, line
            assert abs(inside[0].start_s - line.start_s) < 0.15
            assert abs(inside[-1].end_s - line.end_s) < 0.15
        # And nothing is detected where this speaker is silent.
        for interval in intervals:
            assert any(
                interval.end_s > line.start_s - 0.1 and interval.start_s < line.end_s + 0.1
                for line in lines
            ), interval
        talk = sum(i.end_s - i.start_s for i in intervals)
        truth = sum(line.voiced_s for line in lines)
        assert abs(talk - truth) / truth < 0.05, (talk, truth)


def test_streaming_in_small_frames_gives_the_same_intervals(dialogue: Dialogue) -> None:
    audio = dialogue.tracks["mentee"]
    whole = detect_speech(audio)
    detector = SpeechDetector()
    streamed = []
    frame = 320  # 20 ms, as a live track delivers it
    for offset in range(0, len(audio), frame):
        streamed.extend(detector.push(audio[offset : offset + frame]))
    streamed.extend(detector.flush())
    assert streamed == whole


def test_open_speech_is_reported_while_it_lasts(dialogue: Dialogue) -> None:
    line = dialogue.lines[0]
    detector = SpeechDetector()
    first_start, first_end = line.voiced[0]
    cut = int((first_start + first_end) / 2 * SAMPLE_RATE_HZ)
    detector.push(dialogue.tracks[line.speaker][:cut])
    assert detector.in_speech
    start = detector.open_start_s
    assert start is not None and abs(start - line.start_s) < 0.15
    assert detector.flush()  # the open stretch is closed at the end of the track
    assert not detector.in_speech


def test_noise_and_silence_are_not_speech() -> None:
    rng = np.random.default_rng(3)
    hiss = (rng.standard_normal(20 * SAMPLE_RATE_HZ) * 0.005).astype(np.float32)
    assert detect_speech(hiss) == []
    assert detect_speech(np.zeros(5 * SAMPLE_RATE_HZ, dtype=np.float32)) == []
