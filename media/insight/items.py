"""What an action item is, as saved, and a candidate for one as the grammar finds it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from media.insight.due import Due
from media.transcript import Utterance


@dataclass(frozen=True)
class ActionItem:
    #: A short imperative sentence ("Send Sam the review notes").
    action: str
    #: "mentor", "mentee", "both", or a speaker label when roles are unknown.
    owner: str
    kind: str
    due_phrase: str | None
    due_date: date | None
    #: Indices into the utterance list: the one that states the item first, then any reply
    #: that accepted it or restated it.
    sources: tuple[int, ...]
    start_s: float
    confidence: float

    def to_json(self, utterances: Sequence[Utterance]) -> dict[str, Any]:
        return {
            "action": self.action,
            "owner": self.owner,
            "kind": self.kind,
            "due": self.due_phrase,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "start": round(self.start_s, 2),
            "confidence": round(self.confidence, 2),
            "sources": [
                {
                    "speaker": utterances[i].speaker,
                    "start": round(utterances[i].start_s, 2),
                    "end": round(utterances[i].end_s, 2),
                    "text": utterances[i].text,
                }
                for i in self.sources
            ],
        }


@dataclass(frozen=True)
class Candidate:
    index: int
    speaker: str
    kind: str
    verb_phrase: str
    due: Due | None
    confidence: float
    anaphoric: bool
    #: One of several steps said with their own days in one phrase: never a restatement.
    step: bool = False
    #: Read from the tagger alone ("redesign the setting"): an item only with a deadline or a
    #: yes that takes it on ("will do", "I'll…"), not a bare "okay" to advice.
    taken_on: bool = False
