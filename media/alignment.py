"""Putting decoded words back on the track's clock and at the edges of real speech.

The transcriber decodes only the speech stretches of a track, joined into one buffer. This
module maps times in that buffer back to the track, keeps every word inside the voice-activity
interval it belongs to, and groups words into utterances. Pure functions: no model here.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.transcript import Utterance, Word
from media.vad import Interval


@dataclass(frozen=True)
class SpeechLayout:
    """Where each kept stretch of a track sits in the joined speech-only buffer."""

    joined_start_s: tuple[float, ...]
    original_start_s: tuple[float, ...]
    length_s: tuple[float, ...]

    def to_original(self, joined_s: float, index: int) -> float:
        offset = min(max(joined_s - self.joined_start_s[index], 0.0), self.length_s[index])
        return self.original_start_s[index] + offset

    def index_of(self, joined_s: float) -> int:
        return max(0, bisect.bisect_right(self.joined_start_s, joined_s) - 1)


def join_speech(
    audio: FloatAudio, speech: Sequence[Interval], margin_s: float = 0.3
) -> tuple[FloatAudio, SpeechLayout]:
    """Cut the speech stretches (widened by ``margin_s``) out of ``audio`` into one buffer."""
    track_s = len(audio) / SAMPLE_RATE_HZ
    spans: list[list[float]] = []
    for interval in speech:
        start = max(0.0, interval.start_s - margin_s)
        end = min(track_s, interval.end_s + margin_s)
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    bounds = [(round(s * SAMPLE_RATE_HZ), round(e * SAMPLE_RATE_HZ)) for s, e in spans]
    joined = np.empty(sum(e - s for s, e in bounds), dtype=np.float32)
    joined_starts: list[float] = []
    cursor = 0
    for s, e in bounds:
        joined[cursor : cursor + e - s] = audio[s:e]
        joined_starts.append(cursor / SAMPLE_RATE_HZ)
        cursor += e - s
    layout = SpeechLayout(
        joined_start_s=tuple(joined_starts),
        original_start_s=tuple(s / SAMPLE_RATE_HZ for s, _ in bounds),
        length_s=tuple((e - s) / SAMPLE_RATE_HZ for s, e in bounds),
    )
    return joined, layout


@dataclass(frozen=True)
class DecodedWord:
    """A word as the decoder gave it, times on the joined buffer's clock."""

    word: str
    start_s: float
    end_s: float
    probability: float


@dataclass(frozen=True)
class DecodedSegment:
    text: str
    start_s: float
    end_s: float
    words: tuple[DecodedWord, ...]


def _nearest_interval(
    speech: Sequence[Interval], starts: list[float], start: float, end: float
) -> int:
    middle = (start + end) / 2
    i = max(0, bisect.bisect_right(starts, middle) - 1)
    candidates = range(max(0, i - 1), min(len(speech), i + 2))

    def distance(k: int) -> float:
        interval = speech[k]
        overlap = min(end, interval.end_s) - max(start, interval.start_s)
        if overlap > 0:
            return -overlap
        return max(interval.start_s - end, start - interval.end_s)

    return min(candidates, key=distance)


def place_words(
    segments: Sequence[DecodedSegment],
    layout: SpeechLayout,
    speech: Sequence[Interval],
    speaker: str,
    split_gap_s: float = 1.0,
    edge_pull_s: float = 1.0,
) -> list[Utterance]:
    """Utterances on the track clock.

    Whisper's word timings drift: first words start early or late, last words end late. Voice
    activity knows where the voice is, so each word is kept inside its speech interval, and the
    first and last word of an interval are pulled to its edges when within ``edge_pull_s``.
    An utterance is a decoded segment, split where words are ``split_gap_s`` or more apart.
    """
    starts = [i.start_s for i in speech]
    placed: list[list[tuple[int, Word]]] = []
    for segment in segments:
        words: list[tuple[int, Word]] = []
        for raw in segment.words:
            # Both ends come from the stretch holding the word's middle, so a word never
            # straddles a silence that was cut out.
            index = layout.index_of((raw.start_s + raw.end_s) / 2)
            start = layout.to_original(raw.start_s, index)
            end = max(start, layout.to_original(raw.end_s, index))
            owner = -1
            if speech:
                owner = _nearest_interval(speech, starts, start, end)
                interval = speech[owner]
                start = min(max(start, interval.start_s), interval.end_s)
                end = max(min(end, interval.end_s), start)
            words.append((owner, Word(raw.word, float(start), float(end), float(raw.probability))))
        placed.append(words)
    _pull_to_edges(placed, speech, edge_pull_s)

    utterances: list[Utterance] = []
    for segment, words in zip(segments, placed, strict=True):
        if not words:
            utterances.extend(_wordless(segment, layout, speech, speaker))
            continue
        groups: list[list[Word]] = [[words[0][1]]]
        for _, word in words[1:]:
            if word.start_s - groups[-1][-1].end_s >= split_gap_s:
                groups.append([])
            groups[-1].append(word)
        for group in groups:
            text = "".join(w.word for w in group).strip()
            if text:
                utterances.append(
                    Utterance(speaker, group[0].start_s, group[-1].end_s, text, tuple(group))
                )
    return utterances


def _pull_to_edges(
    placed: list[list[tuple[int, Word]]], speech: Sequence[Interval], edge_pull_s: float
) -> None:
    first: dict[int, tuple[int, int]] = {}
    last: dict[int, tuple[int, int]] = {}
    for s, words in enumerate(placed):
        for w, (owner, _) in enumerate(words):
            if owner < 0:
                continue
            first.setdefault(owner, (s, w))
            last[owner] = (s, w)
    for owner, (s, w) in first.items():
        _, word = placed[s][w]
        gap = word.start_s - speech[owner].start_s
        if 0 < gap <= edge_pull_s:
            placed[s][w] = (
                owner,
                Word(word.word, speech[owner].start_s, word.end_s, word.probability),
            )
    for owner, (s, w) in last.items():
        _, word = placed[s][w]
        gap = speech[owner].end_s - word.end_s
        if 0 < gap <= edge_pull_s:
            placed[s][w] = (
                owner,
                Word(word.word, word.start_s, speech[owner].end_s, word.probability),
            )


def _wordless(
    segment: DecodedSegment, layout: SpeechLayout, speech: Sequence[Interval], speaker: str
) -> list[Utterance]:
    """A segment decoded without word timings: its span mapped back, inside the speech."""
    text = segment.text.strip()
    if not text:
        return []
    start = layout.to_original(segment.start_s, layout.index_of(segment.start_s))
    end_index = layout.index_of(max(segment.start_s, segment.end_s - 1e-3))
    end = max(start, layout.to_original(segment.end_s, end_index))
    if speech:
        first = speech[_nearest_interval(speech, [i.start_s for i in speech], start, start)]
        last = speech[_nearest_interval(speech, [i.start_s for i in speech], end, end)]
        start = min(max(start, first.start_s), first.end_s)
        end = max(min(end, last.end_s), start)
    return [Utterance(speaker, start, end, text)]
