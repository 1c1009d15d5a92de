"""Small conversations for action-item tests: Ana mentors Raj, on Thursday 2026-03-12."""

from __future__ import annotations

from datetime import date

from media.insight.actions import ActionItem, extract_action_items
from media.transcript import Utterance

THURSDAY = date(2026, 3, 12)


def items(*lines: tuple[str, str]) -> list[ActionItem]:
    """The items of turns said four seconds apart, (speaker, text) each."""
    utterances = [Utterance(s, 4.0 * i, 4.0 * i + 3.0, t) for i, (s, t) in enumerate(lines)]
    return extract_action_items(
        utterances, names={"mentor": "Ana", "mentee": "Raj"}, session_date=THURSDAY
    )
