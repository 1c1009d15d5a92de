"""The transcript document: words and utterances on one shared clock.

Times are seconds from the start of the recording (the session clock). The JSON names
(``duration_s``, ``speakers``, ``model``, ``utterances`` with ``speaker``, ``start``, ``end``,
``text``, ``words`` of ``word``, ``start``, ``end``, ``probability``) are a public contract:
later features add keys, none is renamed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    word: str
    start_s: float
    end_s: float
    probability: float

    def to_json(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "start": round(self.start_s, 3),
            "end": round(self.end_s, 3),
            "probability": round(self.probability, 4),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Word:
        return cls(
            word=str(data["word"]),
            start_s=float(data["start"]),
            end_s=float(data["end"]),
            probability=float(data.get("probability", 0.0)),
        )


@dataclass(frozen=True)
class Utterance:
    speaker: str
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "start": round(self.start_s, 3),
            "end": round(self.end_s, 3),
            "text": self.text,
            "words": [w.to_json() for w in self.words],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Utterance:
        return cls(
            speaker=str(data["speaker"]),
            start_s=float(data["start"]),
            end_s=float(data["end"]),
            text=str(data["text"]),
            words=tuple(Word.from_json(w) for w in data.get("words") or ()),
        )


@dataclass(frozen=True)
class SpeechInterval:
    """A stretch of one speaker's track where voice activity was detected."""

    speaker: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass
class Transcript:
    duration_s: float
    speakers: list[str]
    model: str
    language: str | None
    utterances: list[Utterance] = field(default_factory=list)
    #: Voice activity per speaker (not part of the utterance contract; used by analytics).
    speech: list[SpeechInterval] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "duration_s": round(self.duration_s, 3),
            "speakers": list(self.speakers),
            "model": self.model,
            "language": self.language,
            "utterances": [u.to_json() for u in self.utterances],
        }


def merge_utterances(per_speaker: list[list[Utterance]]) -> list[Utterance]:
    """All speakers' utterances in start order (ties: earlier end first, then speaker)."""
    merged = [u for utterances in per_speaker for u in utterances]
    merged.sort(key=lambda u: (u.start_s, u.end_s, u.speaker))
    return merged
