"""Cues: the right person gets a kind, specific nudge when a target is missed, and only then."""

from __future__ import annotations

import itertools

from media.insight.cues import CueEngine, Targets, cues_for
from media.transcript import SpeechInterval, Utterance

NAMES = {"mentor": "Ana", "mentee": "Sam"}


def _alternating(total_s: float, mentor_s: float, mentee_s: float) -> list[SpeechInterval]:
    speech, t = [], 0.0
    while t < total_s:
        speech.append(SpeechInterval("mentor", t, t + mentor_s))
        speech.append(SpeechInterval("mentee", t + mentor_s + 0.5, t + mentor_s + 0.5 + mentee_s))
        t += mentor_s + mentee_s + 1.0
    return speech


def _questions_every(seconds: float, total_s: float) -> list[Utterance]:
    return [
        Utterance("mentor", t, t + 2, "What do you think about that?")
        for t in range(0, int(total_s), int(seconds))
    ]


def test_a_balanced_conversation_gets_no_cues() -> None:
    speech = _alternating(900, 20, 20)
    cues = cues_for(speech, _questions_every(120, 900), ["mentor", "mentee"], 900, names=NAMES)
    assert cues == []


def test_mentor_dominating_gets_a_share_cue_naming_the_mentee() -> None:
    speech = _alternating(600, 40, 8)
    cues = cues_for(speech, _questions_every(120, 600), ["mentor", "mentee"], 600, names=NAMES)
    share = [c for c in cues if c.kind == "share"]
    assert share and all(c.speaker == "mentor" for c in share)
    assert "Sam" in share[0].message and "%" in share[0].message
    assert share[0].value < 0.4
    # Rate-limited: at most one per cooldown window.
    times = [c.at_s for c in share]
    assert all(b - a >= 300 for a, b in itertools.pairwise(times))


def test_a_long_mentor_monologue_gets_one_cue_when_it_passes_90_seconds() -> None:
    speech = [
        SpeechInterval("mentee", 0, 5),
        *[SpeechInterval("mentor", 6 + 10 * k, 6 + 10 * k + 9.5) for k in range(15)],
        SpeechInterval("mentee", 160, 170),
    ]
    cues = cues_for(speech, _questions_every(60, 170), ["mentor", "mentee"], 170, names=NAMES)
    monologue = [c for c in cues if c.kind == "monologue"]
    assert len(monologue) == 1
    assert monologue[0].speaker == "mentor"
    assert 96 <= monologue[0].at_s <= 101
    assert "straight" in monologue[0].message and "Sam" in monologue[0].message


def test_mentee_monologues_are_welcome_by_default() -> None:
    speech = [SpeechInterval("mentor", 0, 5), SpeechInterval("mentee", 6, 200)]
    cues = cues_for(speech, [], ["mentor", "mentee"], 200, names=NAMES)
    assert [c for c in cues if c.kind == "monologue"] == []


def test_no_question_from_the_mentor_for_ten_minutes() -> None:
    speech = _alternating(800, 15, 15)
    said = [Utterance("mentor", 30, 32, "How was your week?")]
    cues = cues_for(speech, said, ["mentor", "mentee"], 800, names=NAMES)
    questions = [c for c in cues if c.kind == "questions"]
    assert questions and questions[0].speaker == "mentor"
    assert 630 <= questions[0].at_s <= 640  # ten minutes after the last question ended


def test_repeated_interruptions_get_a_cue_for_whoever_interrupts() -> None:
    speech = []
    for k in range(5):
        t = 40.0 * k
        speech += [SpeechInterval("mentor", t, t + 10.5), SpeechInterval("mentee", t + 10, t + 20)]
    engine = CueEngine(["mentor", "mentee"], names=NAMES, targets=Targets(max_interruptions=3))
    cues = engine.update(220, speech, [])
    [cue] = [c for c in cues if c.kind == "interruptions"]
    assert cue.speaker == "mentee" and cue.value == 5
    assert "Ana" in cue.message
    assert engine.update(221, speech, []) == []  # said once, not every second
