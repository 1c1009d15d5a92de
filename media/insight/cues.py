"""Balance cues: kind, specific nudges for one person when the conversation tilts.

The same :class:`CueEngine` runs live (fed the growing conversation every second or so) and
after the fact (:func:`cues_for`, which replays the conversation in small steps), so the report
lists the cues the call showed. Rules, with defaults suited to mentoring (:class:`Targets`):

- **share**: the mentee had less than ``mentee_min_share`` (40%) of the talk in the last
  ``window_s`` (5 minutes, or since the start while shorter) → a cue for the mentor. Checked
  once the conversation is ``min_window_s`` (2 minutes) old and the window holds at least
  ``min_talk_s`` of talk.
- **monologue**: a turn of someone in ``monologue_roles`` (the mentor by default) passes
  ``max_monologue_s`` (90 s) → a cue for that speaker, once per turn.
- **questions**: the mentor asked no question for ``question_gap_s`` (10 minutes) while the
  conversation went on → a cue for the mentor.
- **interruptions**: a speaker's interruptions pass ``max_interruptions`` (3) → a cue for them.

Each kind is rate-limited per person (``cooldown_s``, 5 minutes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from media.insight.balance import (
    BalanceOptions,
    build_runs,
    count_questions,
    find_overlaps,
    window_shares,
)
from media.transcript import SpeechInterval, Utterance


@dataclass(frozen=True)
class Targets:
    mentee_min_share: float = 0.40
    window_s: float = 300.0
    #: The share is judged only after this much conversation, on at least min_talk_s of talk.
    min_window_s: float = 120.0
    min_talk_s: float = 60.0
    max_monologue_s: float = 90.0
    monologue_roles: tuple[str, ...] = ("mentor",)
    question_gap_s: float = 600.0
    max_interruptions: int = 3
    cooldown_s: float = 300.0

    def to_json(self) -> dict[str, Any]:
        return {
            "mentee_min_share": self.mentee_min_share,
            "window_s": self.window_s,
            "max_monologue_s": self.max_monologue_s,
            "question_gap_s": self.question_gap_s,
            "max_interruptions": self.max_interruptions,
        }


@dataclass(frozen=True)
class Cue:
    at_s: float
    #: Who the cue is for (a speaker label); only they see it.
    speaker: str
    kind: str
    message: str
    #: The figure that tripped the rule (a share, seconds, a count).
    value: float

    def to_json(self) -> dict[str, Any]:
        return {
            "at": round(self.at_s, 1),
            "speaker": self.speaker,
            "kind": self.kind,
            "message": self.message,
            "value": round(self.value, 3),
        }


def _minutes(seconds: float) -> str:
    minutes = seconds / 60
    if minutes < 1.75:
        return f"{seconds:.0f} seconds" if seconds < 100 else "1.5 minutes"
    return f"{minutes:.0f} minutes"


@dataclass
class CueEngine:
    """Decides which cues are due as a conversation goes on; remembers what it already said."""

    speakers: Sequence[str]
    roles: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)
    targets: Targets = field(default_factory=Targets)
    options: BalanceOptions = field(default_factory=BalanceOptions)
    _last: dict[tuple[str, str], float] = field(default_factory=dict)
    _monologues_cued: set[tuple[str, float]] = field(default_factory=set)
    _interruptions_cued: dict[str, int] = field(default_factory=dict)

    def role(self, speaker: str) -> str:
        return self.roles.get(speaker, speaker)

    def _with_role(self, role: str) -> str | None:
        return next((s for s in self.speakers if self.role(s) == role), None)

    def name(self, speaker: str | None) -> str:
        if speaker is None:
            return "them"
        if speaker in self.names:
            return self.names[speaker]
        role = self.role(speaker)
        return f"your {role}" if role in ("mentor", "mentee") else speaker

    def _other(self, speaker: str) -> str | None:
        return next((s for s in self.speakers if s != speaker), None)

    def _ready(self, kind: str, speaker: str, now_s: float) -> bool:
        last = self._last.get((kind, speaker))
        return last is None or now_s - last >= self.targets.cooldown_s

    def _emit(self, out: list[Cue], cue: Cue) -> None:
        self._last[(cue.kind, cue.speaker)] = cue.at_s
        out.append(cue)

    def update(
        self, now_s: float, speech: Sequence[SpeechInterval], utterances: Sequence[Utterance]
    ) -> list[Cue]:
        """New cues at ``now_s`` given everything heard so far."""
        t = self.targets
        out: list[Cue] = []
        mentor, mentee = self._with_role("mentor"), self._with_role("mentee")
        heard = [i for i in speech if i.start_s < now_s]
        said = [u for u in utterances if u.start_s < now_s]

        if mentor and mentee and now_s >= t.min_window_s and self._ready("share", mentor, now_s):
            window = min(t.window_s, now_s)
            shares = window_shares(heard, [mentor, mentee], now_s, window)
            talked = sum(
                min(i.end_s, now_s) - max(i.start_s, now_s - window)
                for i in heard
                if i.end_s > now_s - window
            )
            if talked >= t.min_talk_s and shares[mentee] < t.mentee_min_share:
                spoken = shares[mentor]
                span = "five minutes" if window >= 300 else _minutes(window)
                self._emit(out, Cue(
                    now_s, mentor, "share",
                    f"You've spoken {spoken:.0%} of the last {span} — "
                    f"a question could bring {self.name(mentee)} in.",
                    shares[mentee],
                ))  # fmt: skip

        runs = build_runs(heard, said, self.options)
        turns = [r for r in runs if not r.backchannel]
        for turn in turns:
            if self.role(turn.speaker) not in t.monologue_roles:
                continue
            length = min(turn.end_s, now_s) - turn.start_s
            key = (turn.speaker, round(turn.start_s, 2))
            if length < t.max_monologue_s or key in self._monologues_cued:
                continue
            if now_s - turn.end_s > 5.0:
                continue  # long over: a live cue would come too late to help
            self._monologues_cued.add(key)
            if self._ready("monologue", turn.speaker, now_s):
                self._emit(out, Cue(
                    now_s, turn.speaker, "monologue",
                    f"You've been speaking for {_minutes(length)} straight — "
                    f"pausing for {self.name(self._other(turn.speaker))}'s view could help.",
                    length,
                ))  # fmt: skip

        if mentor and self._ready("questions", mentor, now_s):
            asked = [u.end_s for u in said if u.speaker == mentor and count_questions(u.text)]
            since = max(asked, default=0.0)
            mentor_talked = any(i.speaker == mentor for i in heard)
            if mentor_talked and now_s - since >= t.question_gap_s:
                self._emit(out, Cue(
                    now_s, mentor, "questions",
                    f"No question from you in {_minutes(now_s - since)} — asking what "
                    f"{self.name(mentee)} thinks could open things up.",
                    now_s - since,
                ))  # fmt: skip

        overlaps = find_overlaps(turns, self.options)
        for speaker in self.speakers:
            made = sum(1 for o in overlaps if o.by == speaker and o.interruption)
            if made <= t.max_interruptions or made <= self._interruptions_cued.get(speaker, 0):
                continue
            if self._ready("interruptions", speaker, now_s):
                self._interruptions_cued[speaker] = made
                self._emit(out, Cue(
                    now_s, speaker, "interruptions",
                    f"You've started speaking while {self.name(self._other(speaker))} was "
                    f"still talking {made} times — letting them finish could help.",
                    made,
                ))  # fmt: skip
        return out


def cues_for(
    speech: Sequence[SpeechInterval],
    utterances: Sequence[Utterance],
    speakers: Sequence[str],
    duration_s: float,
    roles: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
    targets: Targets | None = None,
    step_s: float = 5.0,
) -> list[Cue]:
    """The cues a live call would have shown, replayed over a finished conversation."""
    engine = CueEngine(
        speakers=list(speakers),
        roles=dict(roles or {}),
        names=dict(names or {}),
        targets=targets or Targets(),
    )
    cues: list[Cue] = []
    now = step_s
    while now < duration_s + step_s:
        cues.extend(engine.update(min(now, duration_s), speech, utterances))
        now += step_s
    return cues
