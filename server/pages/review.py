"""What the session review page shows, assembled from saved data: the conversation (speech
and side chat in time order, unsure words marked) and the timeline of who spoke when."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from media.insight.balance import build_runs
from media.transcript import SpeechInterval, Utterance

#: Below this probability a word is shown as one the model was unsure of.
UNSURE_BELOW = 0.5


@dataclass(frozen=True)
class Piece:
    text: str
    unsure: bool = False


@dataclass(frozen=True)
class Entry:
    """One line of the conversation as read: a person's utterance or a chat message."""

    kind: str  # "speech" or "chat"
    start_s: float
    end_s: float
    speaker: str
    name: str
    pieces: tuple[Piece, ...] = ()
    chat: str = ""

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces).strip() if self.pieces else self.chat


def _pieces(utterance: Utterance) -> tuple[Piece, ...]:
    joined = "".join(w.word for w in utterance.words)
    if not utterance.words or joined.split() != utterance.text.split():
        return (Piece(utterance.text),)  # the words do not spell the text: show the text
    pieces: list[Piece] = []
    for word in utterance.words:
        text = word.word if pieces else word.word.lstrip()  # words carry their spaces
        if word.probability < UNSURE_BELOW:
            bare = text.lstrip()
            if len(bare) < len(text):
                pieces.append(Piece(text[: len(text) - len(bare)]))  # the space is not unsure
            pieces.append(Piece(bare, unsure=True))
        else:
            pieces.append(Piece(text))
    return tuple(pieces)


def conversation(
    utterances: Sequence[Utterance],
    chat: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
) -> list[Entry]:
    entries = [
        Entry("speech", u.start_s, u.end_s, u.speaker, names.get(u.speaker, u.speaker), _pieces(u))
        for u in utterances
    ]
    entries += [
        Entry("chat", float(m["at"]), float(m["at"]), str(m["from"]),
              names.get(str(m["from"]), str(m["from"])), chat=str(m["text"]))
        for m in chat
    ]  # fmt: skip
    # A chat message sent while someone spoke comes after that utterance's start.
    return sorted(entries, key=lambda e: (e.start_s, e.kind == "chat"))


@dataclass(frozen=True)
class Bar:
    start_s: float
    length_s: float
    #: (start, length) of the parts said while someone else spoke too.
    overlaps: tuple[tuple[float, float], ...] = ()


@dataclass
class Lane:
    speaker: str
    name: str
    bars: list[Bar] = field(default_factory=list)
    #: (start, length) of this person's listening signals ("mm-hm", "right") while the
    #: other spoke.
    listening: list[tuple[float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Timeline:
    duration_s: float
    lanes: list[Lane]
    #: (at_s, for whom, message) of each cue shown in the call.
    cues: list[tuple[float, str, str]]

    @property
    def ticks(self) -> list[float]:
        """About six round marks along the time axis."""
        if self.duration_s <= 0:
            return []
        step = next(
            (s for s in (10, 30, 60, 120, 300, 600, 900, 1800) if self.duration_s / s <= 7), 3600
        )
        return [float(t) for t in range(0, int(self.duration_s) + 1, step)]


def timeline(
    speech: Sequence[SpeechInterval],
    duration_s: float,
    names: Mapping[str, str],
    speakers: Sequence[str],
    cues: Sequence[Mapping[str, Any]] = (),
    utterances: Sequence[Utterance] = (),
) -> Timeline:
    """Who spoke when, one lane per speaker; a stretch said while another spoke is marked.
    From the words (which are not shown), a person's listening signals ("mm-hm" while the
    other holds the floor) are drawn as such and do not count as talking at once."""
    order = list(dict.fromkeys([*speakers, *(s.speaker for s in speech)]))
    lanes = {speaker: Lane(speaker, names.get(speaker, speaker)) for speaker in order}
    signals = [r for r in build_runs(speech, utterances) if r.backchannel] if utterances else []

    def listening(interval: SpeechInterval) -> bool:
        return any(r.speaker == interval.speaker and r.start_s <= interval.start_s + 1e-6
                   and interval.end_s <= r.end_s + 1e-6 for r in signals)  # fmt: skip

    talking = [s for s in speech if not listening(s)]
    # One speaker's stretches do not overlap each other, so per speaker both starts and ends
    # are sorted: the stretches that can meet this one are a slice found by bisection.
    by_speaker = {
        speaker: sorted((s for s in talking if s.speaker == speaker), key=lambda s: s.start_s)
        for speaker in order
    }
    starts = {speaker: [s.start_s for s in stretch] for speaker, stretch in by_speaker.items()}
    ends = {speaker: [s.end_s for s in stretch] for speaker, stretch in by_speaker.items()}

    def overlaps(interval: SpeechInterval) -> tuple[tuple[float, float], ...]:
        parts = []
        for speaker, stretch in by_speaker.items():
            if speaker == interval.speaker:
                continue
            last = bisect.bisect_left(starts[speaker], interval.end_s)
            first = bisect.bisect_left(ends[speaker], interval.start_s)
            for other in stretch[first:last]:
                begin, finish = (
                    max(other.start_s, interval.start_s),
                    min(other.end_s, interval.end_s),
                )
                if finish > begin:
                    parts.append((begin, finish - begin))
        return tuple(sorted(parts))

    for interval in talking:
        lanes[interval.speaker].bars.append(
            Bar(interval.start_s, max(0.05, interval.end_s - interval.start_s), overlaps(interval))
        )
    for run in signals:
        if run.speaker in lanes:
            lanes[run.speaker].listening.append((run.start_s, max(0.05, run.duration_s)))
    end = max([duration_s, *(s.end_s for s in speech)], default=0.0)
    return Timeline(
        end,
        list(lanes.values()),
        [(float(c["at"]), str(c["speaker"]), str(c["message"])) for c in cues],
    )
