"""The plain-language report of a session, from its figures against the targets, and the full
exports (Markdown, JSON) that carry it with the action items and the call's chat."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from media.insight.summary import summarize
from server.db.calls import add_chat
from server.db.engine import Database
from server.db.store import load_transcript
from server.exports import export, load_extras
from server.settings import Settings
from tests.auth_helpers import (
    Server,
    add_account,
    csrf_headers,
    make_mentorship,
    running,
    save_session,
)

TARGETS = {"mentee_min_share": 0.4, "max_monologue_s": 90.0, "max_interruptions": 3}
ROLES = {"A": "mentor", "B": "mentee"}
NAMES = {"A": "Mira", "B": "Tom"}
Talk = dict[str, Any]


def _talk(mentee_share: float, monologue_s: float, interruptions: int, questions: int) -> Talk:
    def speaker(share: float, longest: float, made: int, asked: int) -> Talk:
        return {"share": share, "longest_monologue_s": longest, "interruptions_made": made,
                "questions": asked, "backchannels": 0}  # fmt: skip

    return {
        "duration_s": 1800.0,
        "median_response_gap_s": 0.6,
        "speakers": {
            "A": speaker(1 - mentee_share, monologue_s, interruptions, questions),
            "B": speaker(mentee_share, 20.0, 0, 1),
        },
    }


def test_a_balanced_session_says_what_went_well() -> None:
    summary = summarize(_talk(0.46, 60.0, 1, 6), TARGETS, ROLES, NAMES)
    assert not summary.try_next
    assert any("Tom had room to talk: 46%" in t for t in summary.went_well)
    assert any("Mira asked 6 questions" in t for t in summary.went_well)
    assert all(met for *_, met in summary.checks) and len(summary.checks) == 4


def test_a_lecture_says_what_to_try_and_which_targets_were_missed() -> None:
    summary = summarize(_talk(0.22, 245.0, 5, 1), TARGETS, ROLES, NAMES)
    text = " ".join(summary.try_next)
    assert "Tom spoke 22% of the time, below the 40% aim" in text
    assert "4:05" in text and "1:30" in text  # the monologue and its target, as clocks
    assert "Mira cut in 5 times" in text
    assert "Mira asked 1 question in 30:00" in text
    missed = {what for what, _, _, met in summary.checks if not met}
    assert missed == {"Tom's share of talk", "Mira's longest monologue", "Interruptions by Mira"}


def test_no_figures_no_summary() -> None:
    assert summarize(None, TARGETS, ROLES, NAMES).checks == []


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def test_markdown_and_json_exports_carry_summary_items_and_chat(
    server: Server, database: Database
) -> None:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    session_id = save_session(database, "Export me", make_mentorship(database, mentor, mentee))
    with database.sessions() as db:
        add_chat(db, session_id, mentee.id, "mentee", "Plan: https://example.org/plan", 6.0)
    browser = server.logged_in(mentee)
    [item] = browser.get(f"/api/sessions/{session_id}/action-items").json()["action_items"]
    browser.patch(f"/api/action-items/{item['id']}", json={"done": True},
                  headers=csrf_headers(browser))  # fmt: skip

    markdown = browser.get(f"/api/sessions/{session_id}/export.md").text
    sections = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert sections == ["## Summary", "## Action items", "## Transcript", "## Chat"]
    assert f"- [x] Tom Mentee: {item['action']}" in markdown
    assert "Tom Mentee: Plan: https://example.org/plan" in markdown
    assert "**Mira Mentor** [00:00]:" in markdown

    document = json.loads(browser.get(f"/api/sessions/{session_id}/export.json").text)
    assert document["chat"] == [
        {"id": 1, "from": "mentee", "person_id": mentee.id,
         "text": "Plan: https://example.org/plan", "at": 6.0}
    ]  # fmt: skip
    assert [(i["action"], i["done"]) for i in document["action_items"]] == [(item["action"], True)]
    assert document["names"] == {"mentor": "Mira Mentor", "mentee": "Tom Mentee"}
    assert document["summary"]["went_well"] or document["summary"]["try_next"]
    # The console export is the same document.
    with database.sessions() as db:
        console = export(load_transcript(db, session_id), "json", load_extras(db, session_id))
    assert json.loads(console) == document


def test_caption_exports_parse_back_with_the_libraries_that_read_them(
    server: Server, database: Database, tmp_path: Path
) -> None:
    import srt
    import webvtt

    from media.transcript_import import read_transcript

    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    session_id = save_session(database, "Captions", make_mentorship(database, mentor, mentee))
    browser = server.logged_in(mentee)
    document = browser.get(f"/api/sessions/{session_id}").json()
    said = [(u["speaker"], u["text"]) for u in document["utterances"]]
    vtt = browser.get(f"/api/sessions/{session_id}/export.vtt").text
    cues = webvtt.from_string(vtt).captions
    assert [(c.voice, c.text) for c in cues] == said
    assert cues[0].start_time.in_milliseconds() == round(document["utterances"][0]["start"] * 1000)
    subtitles = list(srt.parse(browser.get(f"/api/sessions/{session_id}/export.srt").text))
    assert [s.content for s in subtitles] == [f"{who}: {text}" for who, text in said]
    # And Tandem itself reads its VTT back as the same conversation.
    path = tmp_path / "back.vtt"
    path.write_text(vtt, encoding="utf-8")
    back = read_transcript(path)
    assert [(u.speaker, u.text) for u in back.utterances] == said
