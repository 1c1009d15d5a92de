"""Live utterance segmentation on espeak-ng speech fed in 60 ms packets, as a call delivers."""

from __future__ import annotations

import itertools

import numpy as np

from media.audio import SAMPLE_RATE_HZ
from media.live.segmenter import Event, Final, Partial, UtteranceSegmenter
from server.bench.speech import Dialogue, Line, render_dialogue

PACKET = int(0.06 * SAMPLE_RATE_HZ)


def _feed(
    audio: np.ndarray, segmenter: UtteranceSegmenter, start_s: float = 0.0
) -> list[tuple[float, Event]]:
    """(position when emitted, event) for the whole track, then the end-of-stream flush."""
    seen: list[tuple[float, Event]] = []
    base = round(start_s * SAMPLE_RATE_HZ)
    for offset in range(0, len(audio), PACKET):
        for event in segmenter.push(base + offset, audio[offset : offset + PACKET]):
            seen.append((segmenter.position_s, event))
    seen.extend((segmenter.position_s, e) for e in segmenter.flush())
    return seen


def test_each_line_becomes_one_final_soon_after_it_ends(dialogue: Dialogue) -> None:
    for speaker in dialogue.speakers:
        segmenter = UtteranceSegmenter()
        events = _feed(dialogue.tracks[speaker], segmenter)
        finals = [(at, e) for at, e in events if isinstance(e, Final)]
        lines = [line for line in dialogue.lines if line.speaker == speaker]
        assert len(finals) >= len(lines)
        for line in lines:
            covering = [e for _, e in finals if e.end_s > line.start_s and e.start_s < line.end_s]
            assert covering, line
            assert abs(covering[0].start_s - line.start_s) < 0.2
            assert abs(covering[-1].end_s - line.end_s) < 0.2
        for at, final in finals:
            # Final within the end-of-speech silence (0.5 s) plus one packet and the VAD's
            # own 0.25 s: captions settle well under a second after the voice stops.
            assert at - final.end_s < 0.9, (at, final)


def test_partials_arrive_while_someone_is_still_talking(dialogue: Dialogue) -> None:
    line = max(dialogue.lines, key=lambda item: item.end_s - item.start_s)
    events = _feed(dialogue.tracks[line.speaker], UtteranceSegmenter())
    partials = [(at, e) for at, e in events if isinstance(e, Partial)]
    during = [at for at, e in partials if line.start_s < at < line.end_s]
    assert during, "no partial while the longest line was spoken"
    assert during[0] - line.start_s <= 1.0  # a first partial within a second of speech


def test_a_dropped_stream_still_finishes_its_sentence(dialogue: Dialogue) -> None:
    line = dialogue.lines[0]
    track = dialogue.tracks[line.speaker]
    cut = round((line.start_s + (line.end_s - line.start_s) * 0.6) * SAMPLE_RATE_HZ)
    events = _feed(track[:cut], UtteranceSegmenter())
    finals = [e for _, e in events if isinstance(e, Final)]
    assert finals and abs(finals[-1].start_s - line.start_s) < 0.2
    assert finals[-1].end_s <= cut / SAMPLE_RATE_HZ + 0.05


def test_ten_minutes_of_silence_and_room_noise_give_nothing() -> None:
    rng = np.random.default_rng(11)
    noise = (rng.standard_normal(600 * SAMPLE_RATE_HZ) * 0.003).astype(np.float32)
    assert _feed(noise, UtteranceSegmenter(), start_s=42.0) == []


def test_a_long_monologue_is_cut_at_a_pause() -> None:
    sentences = [
        "First I want to walk you through the history of this service.",
        "It started as a small script that one engineer wrote on a weekend.",
        "Over the years it grew into the backbone of our billing system.",
        "Nobody planned that, and that is why the code looks the way it does.",
    ]
    monologue = render_dialogue(
        [Line("mentor", s, gap_s=0.4) for s in sentences], {"mentor": "en-us+m3"}
    )
    events = _feed(monologue.tracks["mentor"], UtteranceSegmenter())
    finals = [e for _, e in events if isinstance(e, Final)]
    assert len(finals) >= 2
    assert all(e.end_s - e.start_s <= 12.0 + 0.1 for e in finals)
    pauses = [(a.end_s, b.start_s) for a, b in itertools.pairwise(monologue.lines)]
    for final in finals[:-1]:
        # Each cut lands in a pause between sentences, not mid-word.
        assert any(end - 0.15 <= final.end_s <= start + 0.15 for end, start in pauses), final


def test_a_reply_and_the_next_turn_arriving_in_one_burst_stay_two_utterances() -> None:
    """A stalled sender (or a busy server) hands over seconds of audio at once: a "Yeah." and
    the answer 1.6 s later were one utterance, and Whisper dropped the "Yeah." (CI run)."""
    voices = {"mentee": "en-us"}
    lines = [Line("mentee", "Yeah.", at_s=0.0), Line("mentee", "It went well, thanks.", at_s=2.0)]
    rendered = render_dialogue(lines, voices, lead_s=0.5, tail_s=1.0)
    audio = rendered.tracks["mentee"]
    segmenter = UtteranceSegmenter()
    burst = segmenter.push(0, audio)  # everything at once
    finals = [e for e in [*burst, *segmenter.flush()] if isinstance(e, Final)]
    assert len(finals) == 2, finals
    yeah, answer = rendered.lines
    assert abs(finals[0].start_s - yeah.start_s) < 0.3 and finals[0].end_s < answer.start_s
    assert abs(finals[1].start_s - answer.start_s) < 0.3
