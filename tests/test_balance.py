"""Talk balance: definitions on plain lists, and the real pipeline on a scripted espeak-ng
dialogue whose turn timings are known."""

from __future__ import annotations

import pytest

from media.insight.balance import (
    analyze_talk,
    build_runs,
    count_questions,
    find_overlaps,
    is_backchannel_text,
    window_shares,
)
from media.pipeline import Track, analyze_tracks
from media.transcriber import DecodeOptions, LoadedModel
from media.transcript import SpeechInterval, Transcript, Utterance
from server.bench.speech import Dialogue, Line, render_dialogue, render_sentence

# -- definitions on plain lists -------------------------------------------------------------


def _iv(speaker: str, start: float, end: float) -> SpeechInterval:
    return SpeechInterval(speaker, start, end)


def test_short_pauses_are_bridged_into_one_monologue() -> None:
    speech = [_iv("a", 0, 10), _iv("a", 11.0, 20), _iv("a", 23, 30), _iv("b", 31, 33)]
    report = analyze_talk(speech, [], ["a", "b"], 40.0)
    assert report.speakers["a"].longest_monologue_s == pytest.approx(20.0)
    assert report.speakers["a"].longest_monologue_start_s == 0
    assert report.speakers["a"].turns == 2
    assert report.speakers["a"].talk_s == pytest.approx(26.0)  # pauses are not talk
    assert report.speakers["a"].share == pytest.approx(26 / 28)


def test_the_other_person_starting_a_turn_ends_a_run() -> None:
    speech = [_iv("a", 0, 10), _iv("b", 10.2, 13), _iv("a", 11.0, 20)]
    utterances = [Utterance("b", 10.2, 13, "Can I ask about the budget?")]
    runs = build_runs(speech, utterances)
    assert [(r.speaker, r.start_s, r.end_s) for r in runs] == [
        ("a", 0, 10),
        ("b", 10.2, 13),
        ("a", 11.0, 20),
    ]


def test_backchannels_are_listening_not_turns_or_interruptions() -> None:
    speech = [_iv("a", 0, 10), _iv("b", 4.0, 4.5), _iv("a", 11.0, 20), _iv("b", 10.3, 10.7)]
    utterances = [
        Utterance("a", 0, 20, "A long explanation of the plan."),
        Utterance("b", 4.0, 4.5, "Mm-hmm."),
        Utterance("b", 10.3, 10.7, "Yeah."),
    ]
    report = analyze_talk(speech, utterances, ["a", "b"], 25.0)
    assert report.speakers["b"].backchannels == 2
    assert report.speakers["b"].turns == 0
    assert report.overlaps == []
    assert report.speakers["a"].turns == 1  # "Yeah." in the pause did not split the run
    assert report.speakers["a"].longest_monologue_s == pytest.approx(20.0)


def test_interruption_when_the_speaker_gives_way_overlap_when_not() -> None:
    turns = build_runs(
        [_iv("a", 0, 10.8), _iv("b", 10.0, 15), _iv("a", 20, 30), _iv("b", 22, 24)],
        [
            Utterance("b", 10, 15, "Sorry, but that is not what we agreed."),
            Utterance("b", 22, 24, "Well, actually the numbers say otherwise."),
        ],
    )
    overlaps = find_overlaps([t for t in turns if not t.backchannel])
    assert [(o.by, o.over, o.start_s, o.end_s, o.interruption) for o in overlaps] == [
        ("b", "a", 10.0, 10.8, True),
        ("b", "a", 22, 24, False),
    ]


def test_response_gaps_and_longest_silence() -> None:
    speech = [_iv("a", 0, 5), _iv("b", 6, 9), _iv("a", 9.5, 12), _iv("b", 20, 22)]
    report = analyze_talk(speech, [], ["a", "b"], 25.0)
    assert report.speakers["b"].median_response_gap_s == pytest.approx((1.0 + 8.0) / 2)
    assert report.speakers["a"].median_response_gap_s == pytest.approx(0.5)
    assert report.longest_silence_s == pytest.approx(8.0)
    assert report.longest_silence_start_s == pytest.approx(12.0)
    assert report.switches_per_minute == pytest.approx(3 / (25 / 60))


def test_questions_and_backchannel_words() -> None:
    assert count_questions("How did it go? I liked it. Do you want to try again") == 2
    assert count_questions("What a day.") == 0
    assert is_backchannel_text("Mm-hmm.")
    assert is_backchannel_text("Yeah, right.")
    assert is_backchannel_text("I see.")
    assert not is_backchannel_text("Yeah, but the budget is wrong.")


def test_rolling_window_share() -> None:
    speech = [_iv("a", 0, 200), _iv("b", 200, 300), _iv("a", 300, 360)]
    shares = window_shares(speech, ["a", "b"], end_s=360, window_s=300)
    assert shares["a"] == pytest.approx((140 + 60) / 300)
    assert shares["b"] == pytest.approx(100 / 300)
    assert window_shares([], ["a", "b"], 10.0) == {"a": 0.0, "b": 0.0}


# -- the real pipeline on a scripted dialogue -------------------------------------------------

VOICES = {"mentor": "en-us+m3", "mentee": "en-gb+f2"}
TEXTS = {
    "m1": "Let me tell you how the review went. The team liked the design, and the numbers "
    "looked solid. There were a few open questions about the rollout.",
    "nod": "Mm-hmm.",
    "e1": "That sounds encouraging. Which questions came up about the rollout plan?",
    "m2": "Mostly about timing and the support load for the first weeks.",
    "e2": "I was thinking we could ship it to a small group first and then",
    "m3": "Sorry to jump in, have you asked support what they need?",
    "e3": "Not yet. I will talk to them this week and bring their numbers.",
    "m4": "Good. When you talk to them, ask about the weekend shifts and the hiring plan, "
    "because those two decide whether a small group is enough.",
    "e4": "Right, but the hiring",
}
CUT_E2_S = 3.2


def scripted_lines() -> list[Line]:
    """Absolute placements, from the rendered length of each line."""
    length = {
        key: len(render_sentence(text, VOICES["mentor" if key[0] == "m" else "mentee"])) / 16000
        for key, text in TEXTS.items()
    }
    length["e2"] = CUT_E2_S
    at: dict[str, float] = {"m1": 0.5, "nod": 4.2}  # nodding while the mentor talks
    at["e1"] = at["m1"] + length["m1"] + 0.7
    at["m2"] = at["e1"] + length["e1"] + 0.9
    at["e2"] = at["m2"] + length["m2"] + 0.8
    at["m3"] = at["e2"] + 2.0  # jumps in; the mentee stops 1.2 s later (cut off)
    at["e3"] = at["m3"] + length["m3"] + 0.8
    at["m4"] = at["e3"] + length["e3"] + 0.9
    at["e4"] = at["m4"] + 2.0  # talks over the mentor, who carries on: an overlap only
    return [
        Line(
            "mentor" if key[0] == "m" else "mentee",
            TEXTS[key],
            at_s=at[key],
            cut_s=CUT_E2_S if key == "e2" else None,
        )
        for key in TEXTS
    ]


@pytest.fixture(scope="module")
def scripted() -> Dialogue:
    return render_dialogue(scripted_lines(), VOICES)


@pytest.fixture(scope="module")
def scripted_transcript(scripted: Dialogue, tiny_model: LoadedModel) -> Transcript:
    tracks = [Track(s, scripted.tracks[s]) for s in scripted.speakers]
    return analyze_tracks(tracks, tiny_model, DecodeOptions())


def _truth_talk(dialogue: Dialogue, speaker: str) -> float:
    from media.insight.balance import merge_intervals

    spans = merge_intervals(
        [v for line in dialogue.lines if line.speaker == speaker for v in line.voiced]
    )
    return sum(b - a for a, b in spans)


def test_talk_shares_within_two_points(scripted: Dialogue, scripted_transcript: Transcript) -> None:
    report = analyze_talk(
        scripted_transcript.speech,
        scripted_transcript.utterances,
        scripted_transcript.speakers,
        scripted_transcript.duration_s,
    )
    truth = {s: _truth_talk(scripted, s) for s in scripted.speakers}
    total = sum(truth.values())
    for speaker in scripted.speakers:
        assert abs(report.speakers[speaker].share - truth[speaker] / total) <= 0.02, (
            speaker,
            report.speakers[speaker].share,
            truth[speaker] / total,
        )


def test_monologue_overlap_backchannel_and_interruption(
    scripted: Dialogue, scripted_transcript: Transcript
) -> None:
    report = analyze_talk(
        scripted_transcript.speech,
        scripted_transcript.utterances,
        scripted_transcript.speakers,
        scripted_transcript.duration_s,
    )
    lines = scripted.lines
    first = next(line for line in lines if line.speaker == "mentor")
    longest_mentor = max(line.end_s - line.start_s for line in lines if line.speaker == "mentor")
    assert first.end_s - first.start_s == longest_mentor
    assert abs(report.speakers["mentor"].longest_monologue_s - longest_mentor) <= 0.5

    assert report.speakers["mentee"].backchannels == 1
    cut_off = next(line for line in lines if line.text.startswith("I was thinking"))
    jump_in = next(line for line in lines if line.text.startswith("Sorry to jump in"))
    talk_over = next(line for line in lines if line.text.startswith("Right, but"))
    carries_on = next(line for line in lines if line.text.startswith("Good. When"))

    interruptions = [o for o in report.overlaps if o.interruption]
    assert [(o.by, o.over) for o in interruptions] == [("mentor", "mentee")]
    assert abs(interruptions[0].start_s - jump_in.start_s) <= 0.5
    assert abs(interruptions[0].end_s - cut_off.end_s) <= 0.5
    plain = [o for o in report.overlaps if not o.interruption]
    assert [(o.by, o.over) for o in plain] == [("mentee", "mentor")]
    assert abs(plain[0].start_s - talk_over.start_s) <= 0.5
    assert abs(plain[0].end_s - min(talk_over.end_s, carries_on.end_s)) <= 0.5
    truth_overlap = (cut_off.end_s - jump_in.start_s) + (talk_over.end_s - talk_over.start_s)
    assert abs(report.overlap_s - truth_overlap) <= 0.5
    assert report.speakers["mentor"].interruptions_made == 1
    assert report.speakers["mentee"].interrupted == 1
    assert report.speakers["mentor"].questions >= 1
