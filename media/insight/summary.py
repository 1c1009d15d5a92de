"""A short plain-language report of a session from its figures (no model, no words read):
what went well and what to try next time, judged against the targets in force.

Input is the stored talk document (``TalkReport.to_json``), the targets (``Targets.to_json``)
and the speakers' roles and names; output is sentences a person reads on the review page and
in the Markdown export.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Summary:
    went_well: list[str] = field(default_factory=list)
    try_next: list[str] = field(default_factory=list)
    #: Each figure against its target: (what, value shown, target shown, met).
    checks: list[tuple[str, str, str, bool]] = field(default_factory=list)


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}" if whole >= 60 else f"{whole} s"


def _percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def summarize(
    talk: Mapping[str, Any] | None,
    targets: Mapping[str, Any] | None,
    roles: Mapping[str, str],
    names: Mapping[str, str],
) -> Summary:
    """``roles`` maps speaker label → "mentor"/"mentee"; ``names`` label → display name."""
    if not talk or not talk.get("speakers"):
        return Summary()
    targets = targets or {}
    speakers: Mapping[str, Mapping[str, Any]] = talk["speakers"]
    by_role = {roles.get(label, label): label for label in speakers}
    summary = Summary()

    def name(label: str) -> str:
        return names.get(label, label)

    mentee = by_role.get("mentee")
    mentor = by_role.get("mentor")
    low = targets.get("mentee_min_share")
    if mentee is not None and low is not None:
        share = float(speakers[mentee]["share"])
        met = share >= float(low)
        summary.checks.append(
            (f"{name(mentee)}'s share of talk", _percent(share), f"at least {_percent(low)}", met)
        )
        if met:
            summary.went_well.append(
                f"{name(mentee)} had room to talk: {_percent(share)} of the conversation "
                f"(the aim is at least {_percent(low)})."
            )
        else:
            summary.try_next.append(
                f"{name(mentee)} spoke {_percent(share)} of the time, below the "
                f"{_percent(low)} aim: ask an open question and leave a pause for the answer."
            )
    most = targets.get("max_monologue_s")
    if most is not None:
        for label in [mentor] if mentor else list(speakers):
            longest = float(speakers[label]["longest_monologue_s"])
            met = longest <= float(most)
            summary.checks.append(
                (f"{name(label)}'s longest monologue", _clock(longest),
                 f"at most {_clock(float(most))}", met)
            )  # fmt: skip
            if not met:
                summary.try_next.append(
                    f"{name(label)}'s longest stretch without a break was {_clock(longest)} "
                    f"(aim: {_clock(float(most))} or less): check in with a question sooner."
                )
    limit = targets.get("max_interruptions")
    if limit is not None:
        for label in speakers:
            made = int(speakers[label]["interruptions_made"])
            met = made <= int(limit)
            summary.checks.append(
                (f"Interruptions by {name(label)}", str(made), f"at most {int(limit)}", met)
            )
            if not met:
                summary.try_next.append(
                    f"{name(label)} cut in {made} times (aim: {int(limit)} or fewer): let the "
                    "other finish, then answer."
                )
    if mentor is not None:
        asked = int(speakers[mentor]["questions"])
        if asked >= 3:
            summary.went_well.append(f"{name(mentor)} asked {asked} questions.")
        elif float(talk.get("duration_s") or 0) >= 300:
            summary.try_next.append(
                f"{name(mentor)} asked {asked} question{'s' if asked != 1 else ''} in "
                f"{_clock(float(talk['duration_s']))}: questions open the mentee up."
            )
    listening = {label: int(s["backchannels"]) for label, s in speakers.items()}
    if mentor is not None and listening.get(mentor, 0) >= 3:
        summary.went_well.append(
            f"{name(mentor)} showed they were listening ({listening[mentor]} short "
            "acknowledgements while the other spoke)."
        )
    gap = talk.get("median_response_gap_s")
    if gap is not None and float(gap) < 0:
        summary.try_next.append(
            "Answers usually started before the other person had finished: leave a beat."
        )
    if not summary.try_next and summary.checks:
        summary.went_well.append("Every figure was within its target.")
    return summary
