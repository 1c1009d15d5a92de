"""Everything Tandem works out from a finished conversation: talk balance, cues, action items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from media.insight.actions import ActionItem, extract_action_items
from media.insight.balance import TalkReport, analyze_talk
from media.insight.cues import Cue, Targets, cues_for
from media.transcript import Transcript

ROLES = ("mentor", "mentee")


def infer_roles(speakers: Sequence[str]) -> dict[str, str]:
    """Speaker label → role. Labels that are roles keep them; otherwise the first speaker is
    taken as the mentor and the second as the mentee."""
    roles = {s: s for s in speakers if s in ROLES}
    free = [r for r in ROLES if r not in roles.values()]
    for speaker in speakers:
        if speaker not in roles and free:
            roles[speaker] = free.pop(0)
    return roles


@dataclass(frozen=True)
class Analysis:
    talk: TalkReport
    cues: list[Cue]
    action_items: list[ActionItem]
    targets: Targets
    roles: dict[str, str]

    def to_json(self, transcript: Transcript) -> dict[str, Any]:
        return {
            "talk": self.talk.to_json(),
            "targets": self.targets.to_json(),
            "roles": dict(self.roles),
            "cues": [c.to_json() for c in self.cues],
            "action_items": [i.to_json(transcript.utterances) for i in self.action_items],
        }


def analyze_conversation(
    transcript: Transcript,
    session_date: date | None = None,
    targets: Targets | None = None,
    roles: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Analysis:
    """Talk figures, the cues a live call would have shown, and the agreed action items."""
    targets = targets or Targets()
    roles = dict(roles) if roles else infer_roles(transcript.speakers)
    talk = analyze_talk(
        transcript.speech, transcript.utterances, transcript.speakers, transcript.duration_s
    )
    cues = cues_for(
        transcript.speech,
        transcript.utterances,
        transcript.speakers,
        transcript.duration_s,
        roles=roles,
        names=names,
        targets=targets,
    )
    items = extract_action_items(
        transcript.utterances, roles=roles, names=names, session_date=session_date
    )
    return Analysis(talk=talk, cues=cues, action_items=items, targets=targets, roles=roles)
