"""Saving and loading transcripts, and the VTT/SRT/Markdown/JSON exports."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from media.transcript import Transcript, Utterance, Word
from server.db.engine import Database
from server.db.store import (
    NotFound,
    SavedTranscript,
    list_sessions,
    load_transcript,
    save_transcript,
)
from server.db.tables import UtteranceRow
from server.exports import FORMATS, clock, export, to_json, to_markdown, to_srt, to_vtt

HELD_AT = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
TITLE = "Sync #3 <b>Q&A</b>"
GUEST = "Ann & <Bo>"
SPECIAL = "Try <b>bold</b> *stars* _under_ # hash [link](x) | pipe `code` back\\slash"


def _words(text: str, start: float, end: float) -> tuple[Word, ...]:
    """Word timings as the JSON contract stores them (ms, four-digit probabilities)."""
    parts = text.split()
    step = (end - start) / len(parts)
    return tuple(
        Word(
            w, round(start + i * step, 3), round(start + (i + 1) * step, 3), round(0.9 - i / 100, 4)
        )
        for i, w in enumerate(parts)
    )


def _utterance(speaker: str, start: float, end: float, text: str) -> Utterance:
    return Utterance(speaker, start, end, text, _words(text, start, end))


UTTERANCES = [
    _utterance("mentor", 1.5, 3.25, "Welcome back & let's start."),
    _utterance(GUEST, 4.0, 9.875, SPECIAL),
    _utterance("mentor", 12.0, 12.0, "Hm."),
    _utterance(GUEST, 3723.456, 3725.0, "Almost done, 5 < 6 and 7 > 6."),
]
TRANSCRIPT = Transcript(3726.0, ["mentor", GUEST], "tiny.en", "en", list(UTTERANCES))


@pytest.fixture
def saved(database: Database) -> SavedTranscript:
    shuffled = Transcript(3726.0, ["mentor", GUEST], "tiny.en", "en", UTTERANCES[::-1])
    with database.sessions() as db:
        session_id = save_transcript(db, shuffled, TITLE, HELD_AT)
    with database.sessions() as db:
        return load_transcript(db, session_id)


def test_load_transcript_returns_what_was_saved_in_time_order(saved: SavedTranscript) -> None:
    assert saved.transcript.utterances == UTTERANCES
    assert saved.transcript.speakers == ["mentor", GUEST]
    assert (saved.transcript.duration_s, saved.transcript.model) == (3726.0, "tiny.en")
    assert saved.transcript.language == "en"
    s = saved.summary
    assert (s.title, s.status, s.held_at, s.duration_s) == (TITLE, "imported", HELD_AT, 3726.0)
    assert (s.speakers, s.utterance_count, s.model) == (("mentor", GUEST), 4, "tiny.en")


def test_held_at_keeps_the_instant_of_a_non_utc_datetime(database: Database) -> None:
    berlin_morning = datetime(2026, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    with database.sessions() as db:
        session_id = save_transcript(db, TRANSCRIPT, "Offset", berlin_morning)
    with database.sessions() as db:
        held_at = load_transcript(db, session_id).summary.held_at
    assert held_at == berlin_morning
    assert held_at.astimezone(UTC) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_load_transcript_of_unknown_session_raises_not_found(database: Database) -> None:
    with database.sessions() as db, pytest.raises(NotFound, match="no session 4242"):
        load_transcript(db, 4242)


def test_list_sessions_newest_first_with_utterance_counts(database: Database) -> None:
    one = Transcript(2.0, ["a"], "tiny.en", None, [_utterance("a", 0.0, 2.0, "only one")])
    empty = Transcript(0.0, [], "tiny.en", None, [])
    with database.sessions() as db:
        middle = save_transcript(db, TRANSCRIPT, "Middle", HELD_AT)
        newest = save_transcript(db, one, "Newest", HELD_AT + timedelta(days=3))
        oldest = save_transcript(db, empty, "Oldest", HELD_AT - timedelta(days=30))
        db.add(
            UtteranceRow(
                session_id=newest,
                speaker="a",
                start_s=5,
                end_s=6,
                text="live",
                words=[],
                source="live",
            )
        )
        db.commit()
    with database.sessions() as db:
        summaries = list_sessions(db)
        limited = list_sessions(db, limit=2)
    assert [s.id for s in summaries] == [newest, middle, oldest]
    assert [s.utterance_count for s in summaries] == [1, 4, 0]
    assert [s.title for s in summaries] == ["Newest", "Middle", "Oldest"]
    assert summaries[0].speakers == ("a",) and summaries[2].speakers == ()
    assert summaries[1].held_at == HELD_AT
    assert [s.id for s in limited] == [newest, middle]


@pytest.mark.parametrize(
    ("seconds", "separator", "always_hours", "shown"),
    [
        (0.0, ".", True, "00:00:00.000"),
        (3723.456, ".", True, "01:02:03.456"),
        (3723.456, ",", True, "01:02:03,456"),
        (59.9996, ".", True, "00:01:00.000"),
        (-1.0, ".", True, "00:00:00.000"),
        (125.4, ".", False, "02:05"),
        (3725.0, ".", False, "1:02:05"),
    ],
)
def test_clock(seconds: float, separator: str, always_hours: bool, shown: str) -> None:
    assert clock(seconds, separator, always_hours) == shown


VTT_TIME = r"\d{2}:\d{2}:\d{2}\.\d{3}"


def test_vtt(saved: SavedTranscript) -> None:
    vtt = to_vtt(saved)
    lines = vtt.split("\n")
    assert lines[0] == "WEBVTT" and lines[1] == ""
    cues = [c.split("\n") for c in vtt.split("\n\n")[1:] if c]
    assert [c[0] for c in cues] == ["1", "2", "3", "4"]
    for cue in cues:
        assert re.fullmatch(f"{VTT_TIME} --> {VTT_TIME}", cue[1]), cue
    assert [c[1] for c in cues] == [
        "00:00:01.500 --> 00:00:03.250",
        "00:00:04.000 --> 00:00:09.875",
        "00:00:12.000 --> 00:00:12.001",  # a cue never ends where it starts
        "01:02:03.456 --> 01:02:05.000",
    ]
    assert cues[0][2] == "<v mentor>Welcome back &amp; let's start."
    assert cues[1][2] == (
        "<v Ann &amp; &lt;Bo&gt;>Try &lt;b&gt;bold&lt;/b&gt; *stars* _under_ # hash "
        "[link](x) | pipe `code` back\\slash"
    )
    assert cues[3][2] == "<v Ann &amp; &lt;Bo&gt;>Almost done, 5 &lt; 6 and 7 &gt; 6."
    assert "<b>" not in vtt and "Bo>" not in vtt


def test_srt(saved: SavedTranscript) -> None:
    srt = to_srt(saved)
    blocks = [b.split("\n") for b in srt.strip("\n").split("\n\n")]
    assert [b[0] for b in blocks] == ["1", "2", "3", "4"]
    assert [b[1] for b in blocks] == [
        "00:00:01,500 --> 00:00:03,250",
        "00:00:04,000 --> 00:00:09,875",
        "00:00:12,000 --> 00:00:12,001",
        "01:02:03,456 --> 01:02:05,000",
    ]
    assert blocks[0][2] == "mentor: Welcome back & let's start."
    assert blocks[3][2] == f"{GUEST}: Almost done, 5 < 6 and 7 > 6."
    assert all(len(b) == 3 for b in blocks)


def test_markdown(saved: SavedTranscript) -> None:
    md = to_markdown(saved)
    lines = md.split("\n")
    assert lines[0] == r"# Sync \#3 \<b\>Q\&A\</b\>"
    assert "- Date: 2026-03-14" in lines
    assert r"- Speakers: mentor, Ann \& \<Bo\>" in lines
    assert "- Duration: 1:02:06" in lines
    assert r"**mentor** [00:01]: Welcome back \& let's start.  " in lines
    assert (
        r"**Ann \& \<Bo\>** [00:04]: Try \<b\>bold\</b\> \*stars\* \_under\_ \# hash "
        r"\[link\](x) \| pipe \`code\` back\\slash  "
    ) in lines
    assert r"**Ann \& \<Bo\>** [1:02:03]: Almost done, 5 \< 6 and 7 \> 6.  " in lines
    assert md.endswith("\n")
    # Apart from the bold speaker and the [time], nothing is left to be read as markup.
    for line in [lines[0][2:], *(x for x in lines if x.startswith("**"))]:
        body = re.sub(r"^\*\*(.*?)\*\* \[[\d:]+\]: ", r"\1 ", line)
        assert re.findall(r"(?<!\\)[<>*_#\[\]|`&~]", body) == [], line


def test_json_round_trips_the_contract(saved: SavedTranscript) -> None:
    document = json.loads(to_json(saved))
    assert {"duration_s", "speakers", "model", "utterances", "session"} <= set(document)
    assert document["duration_s"] == 3726.0
    assert document["speakers"] == ["mentor", GUEST]
    assert document["model"] == "tiny.en"
    assert document["session"] == {
        "id": saved.summary.id,
        "title": TITLE,
        "held_at": "2026-03-14T09:30:00+00:00",
        "status": "imported",
    }
    for item, original in zip(document["utterances"], UTTERANCES, strict=True):
        assert set(item) == {"speaker", "start", "end", "text", "words"}
        assert (item["speaker"], item["start"], item["end"], item["text"]) == (
            original.speaker,
            original.start_s,
            original.end_s,
            original.text,
        )
        assert len(item["words"]) == len(original.words) > 0
        for word in item["words"]:
            assert set(word) == {"word", "start", "end", "probability"}
        assert Utterance.from_json(item) == Utterance.from_json(original.to_json())
    assert "Ann & <Bo>" in to_json(saved)  # plain UTF-8 JSON, not \u-escaped


def test_export_dispatches_and_rejects_unknown_formats(saved: SavedTranscript) -> None:
    assert export(saved, "vtt") == to_vtt(saved)
    assert export(saved, "srt") == to_srt(saved)
    assert export(saved, "md") == to_markdown(saved)
    assert export(saved, "json") == to_json(saved)
    assert FORMATS == ("vtt", "srt", "md", "json")
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        export(saved, "pdf")
