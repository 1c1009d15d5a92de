"""A mentor's coaching figures over sessions, and what they say in words.

Pure functions over figures already stored per session (the talk document of
``TalkReport.to_json`` with its roles, and the count of cues shown): nothing is recomputed
from transcripts. Per session: the mentee's share of talk, the mentor's longest monologue,
questions the mentor asked, interruptions the mentor made, the mentor's listening signals
(backchannels), the median response gap, cues shown. Against the targets each session is
flagged where it missed one; trends are sentences a trainer (or the mentor) reads:
"mentee share rose from 28% to 46% over six sessions", "longest monologue above the 90 s
target in 4 of the last 5 sessions".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: How many recent sessions a "k of the last n" sentence looks at.
RECENT = 5
#: A change in share smaller than this (in points of share) is "steady", not a rise or fall.
STEADY_SHARE = 0.05
#: The targets a session is judged by.
JUDGED = ("mentee_min_share", "max_monologue_s", "max_interruptions")


@dataclass(frozen=True)
class SessionFigures:
    session_id: int
    title: str
    held_at: datetime
    mentee_share: float | None
    longest_monologue_s: float | None
    mentor_questions: int | None
    mentor_interruptions: int | None
    mentor_backchannels: int | None
    median_response_gap_s: float | None
    cues_shown: int
    #: Which targets this session missed ("share", "monologue", "interruptions").
    missed: tuple[str, ...] = ()
    #: The targets it was judged by (those of its mentorship when it was held), by key.
    targets: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Trends:
    sessions: list[SessionFigures]
    sentences: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> list[SessionFigures]:
        return [s for s in self.sessions if s.missed]


def _by_role(talk: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    roles: Mapping[str, str] = talk.get("roles") or {}
    speakers: Mapping[str, Mapping[str, Any]] = (talk.get("talk") or {}).get("speakers") or {}
    return {roles.get(label, label): figures for label, figures in speakers.items()}


def session_figures(
    session_id: int,
    title: str,
    held_at: datetime,
    talk: Mapping[str, Any] | None,
    cues_shown: int,
    targets: Mapping[str, Any],
) -> SessionFigures:
    """One session's coaching figures from its stored talk document (None where missing)."""
    figures = _by_role(talk or {})
    mentor, mentee = figures.get("mentor"), figures.get("mentee")
    document = (talk or {}).get("talk") or {}
    share = float(mentee["share"]) if mentee else None
    monologue = float(mentor["longest_monologue_s"]) if mentor else None
    interruptions = int(mentor["interruptions_made"]) if mentor else None
    missed = []
    if share is not None and share < float(targets.get("mentee_min_share", 0.0)):
        missed.append("share")
    if monologue is not None and monologue > float(targets.get("max_monologue_s", float("inf"))):
        missed.append("monologue")
    if interruptions is not None and interruptions > int(targets.get("max_interruptions", 10**9)):
        missed.append("interruptions")
    gap = document.get("median_response_gap_s")
    return SessionFigures(
        session_id=session_id,
        title=title,
        held_at=held_at,
        mentee_share=share,
        longest_monologue_s=monologue,
        mentor_questions=int(mentor["questions"]) if mentor else None,
        mentor_interruptions=interruptions,
        mentor_backchannels=int(mentor["backchannels"]) if mentor else None,
        median_response_gap_s=float(gap) if gap is not None else None,
        cues_shown=cues_shown,
        missed=tuple(missed),
        targets={k: float(targets[k]) for k in JUDGED if targets.get(k) is not None},
    )


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def _count(n: int) -> str:
    words = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
    return words[n] if n < len(words) else str(n)


def _named(
    sessions: Sequence[SessionFigures], key: str, fallback: float, shown: Callable[[float], str]
) -> str:
    """ "the 90 s target" when these sessions were all held to one value, else "target"."""
    values = {s.targets.get(key, fallback) for s in sessions}
    return f"the {shown(values.pop())} target" if len(values) == 1 else "target"


def trends(sessions: Sequence[SessionFigures], targets: Mapping[str, Any]) -> Trends:
    """Sessions in time order, and sentences about them (empty with fewer than two)."""
    ordered = sorted(sessions, key=lambda s: s.held_at)
    sentences: list[str] = []
    shares = [s.mentee_share for s in ordered if s.mentee_share is not None]
    if len(shares) >= 2:
        first, last = shares[0], shares[-1]
        span = f"over {_count(len(shares))} sessions"
        if last - first >= STEADY_SHARE:
            sentences.append(
                f"Mentee share rose from {_percent(first)} to {_percent(last)} {span}."
            )
        elif first - last >= STEADY_SHARE:
            sentences.append(
                f"Mentee share fell from {_percent(first)} to {_percent(last)} {span}."
            )
        else:
            sentences.append(f"Mentee share held steady around {_percent(last)} {span}.")
    recent = ordered[-RECENT:]
    most = targets.get("max_monologue_s")
    monologues = [s for s in recent if s.longest_monologue_s is not None]
    if most is not None and len(monologues) >= 2:
        # Judged by each session's own target; named when they were all held to the same.
        target = _named(monologues, "max_monologue_s", float(most), lambda v: f"{v:.0f} s")
        above = sum(1 for s in monologues if "monologue" in s.missed)
        if above:
            sentences.append(
                f"Longest monologue above {target} in {_count(above)} of "
                f"the last {_count(len(monologues))} sessions."
            )
        else:
            sentences.append(
                f"Longest monologue within {target} in each of the last "
                f"{_count(len(monologues))} sessions."
            )
    low = targets.get("mentee_min_share")
    shared = [s for s in recent if s.mentee_share is not None]
    below = [s for s in shared if "share" in s.missed]
    if low is not None and below:
        target = _named(shared, "mentee_min_share", float(low), _percent)
        sentences.append(
            f"Mentee share below {target} in {_count(len(below))} of "
            f"the last {_count(len(shared))} sessions."
        )
    asked = [s.mentor_questions for s in ordered if s.mentor_questions is not None]
    if len(asked) >= 2 and asked[-1] != asked[0]:
        direction = "more" if asked[-1] > asked[0] else "fewer"
        sentences.append(
            f"The mentor asked {direction} questions: {asked[0]} in the first session, "
            f"{asked[-1]} in the latest."
        )
    return Trends(ordered, sentences)
