"""A mentor's figures over sessions and the sentences they make, checked against figures
worked out by hand on a fixture of six sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from media.insight.trends import session_figures, trends

TARGETS = {"mentee_min_share": 0.40, "max_monologue_s": 90.0, "max_interruptions": 3}
#: (mentee share, mentor's longest monologue s, mentor questions, mentor interruptions)
SIX = [(0.28, 120.0, 2, 5), (0.31, 95.0, 3, 2), (0.35, 100.0, 4, 1),
       (0.38, 80.0, 5, 0), (0.42, 130.0, 6, 4), (0.46, 140.0, 8, 1)]  # fmt: skip


def _talk(share: float, monologue: float, questions: int, interruptions: int) -> dict[str, Any]:
    def speaker(share: float, longest: float, asked: int, made: int) -> dict[str, Any]:
        return {"share": share, "longest_monologue_s": longest, "questions": asked,
                "interruptions_made": made, "backchannels": 3}  # fmt: skip

    return {
        "roles": {"Ana": "mentor", "Sam": "mentee"},
        "talk": {
            "median_response_gap_s": 0.7,
            "speakers": {
                "Ana": speaker(1 - share, monologue, questions, interruptions),
                "Sam": speaker(share, 30.0, 1, 0),
            },
        },
    }


def _series() -> list[Any]:
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    return [
        session_figures(
            n + 1,
            f"Week {n + 1}",
            start + timedelta(weeks=n),
            _talk(*figures),
            cues_shown=n % 2,
            targets=TARGETS,
        )
        for n, figures in enumerate(SIX)
    ]


def test_each_session_is_flagged_for_the_targets_it_missed() -> None:
    flags = [s.missed for s in _series()]
    assert flags == [
        ("share", "monologue", "interruptions"),
        ("share", "monologue"),
        ("share", "monologue"),
        ("share",),
        ("monologue", "interruptions"),
        ("monologue",),
    ]
    first = _series()[0]
    assert (first.mentee_share, first.longest_monologue_s, first.mentor_questions,
            first.mentor_interruptions, first.mentor_backchannels,
            first.median_response_gap_s) == (0.28, 120.0, 2, 5, 3, 0.7)  # fmt: skip


def test_the_trend_sentences_say_what_the_numbers_say() -> None:
    # Shuffled on purpose: the trend reads in time order.
    series = _series()
    result = trends([series[3], series[0], series[5], series[1], series[4], series[2]], TARGETS)
    assert [s.title for s in result.sessions] == [f"Week {n}" for n in range(1, 7)]
    assert result.sentences == [
        "Mentee share rose from 28% to 46% over six sessions.",
        "Longest monologue above the 90 s target in four of the last five sessions.",
        "Mentee share below the 40% target in three of the last five sessions.",
        "The mentor asked more questions: 2 in the first session, 8 in the latest.",
    ]
    assert [s.title for s in result.flagged] == [f"Week {n}" for n in range(1, 7)]


def test_steady_and_missing_figures() -> None:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    steady = [
        session_figures(1, "A", start, _talk(0.45, 60.0, 3, 0), 0, TARGETS),
        session_figures(2, "B", start + timedelta(days=7), _talk(0.47, 70.0, 3, 0), 0, TARGETS),
    ]
    assert trends(steady, TARGETS).sentences == [
        "Mentee share held steady around 47% over two sessions.",
        "Longest monologue within the 90 s target in each of the last two sessions.",
    ]
    nothing = session_figures(3, "Imported notes", start, None, 0, TARGETS)
    assert nothing.mentee_share is None and nothing.missed == ()
    assert trends([nothing], TARGETS).sentences == []
