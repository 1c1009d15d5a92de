"""Transcripts other tools made: WebVTT with voice tags (Teams) or "Name:" lines (Zoom), SRT
with "Name:" lines, Tandem's own JSON; read, mapped to mentor and mentee, analysed and saved
with `tandem analyze --transcript`; bad files get one line saying why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from media.transcript_import import TranscriptError, parse_speaker_map, read_transcript
from server.cli import main
from server.db.engine import Database
from server.db.tables import Session
from tests.auth_helpers import add_account, make_mentorship

TEAMS = """WEBVTT

00:00:01.000 --> 00:00:03.500
<v Ana Silva>Hi Sam. How did the budget review go?</v>

00:00:04.000 --> 00:00:06.000
<v Sam Lee>It went well, but finance asked for the numbers &amp; the sources.</v>

00:00:06.400 --> 00:00:08.000
<v Sam Lee>I have not sent them yet.</v>

00:00:08.500 --> 00:00:11.000
<v Ana Silva>Can you send me the numbers by Friday?</v>

00:00:11.500 --> 00:00:13.000
<v Sam Lee>Yes, I will send you the numbers by Friday.</v>
"""

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:03.500
Ana Silva: Hi Sam. How did the budget review go?

2
00:00:04.000 --> 00:00:06.000
Sam Lee: It went well. See https://example.org/budget for the numbers.
"""

SRT = """1
00:00:01,000 --> 00:00:03,500
Ana Silva: Hi Sam. How did the budget review go?

2
00:00:04,000 --> 00:00:06,000
Sam Lee: It went well.
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_teams_vtt_voices_become_speakers_and_cues_join_into_utterances(tmp_path: Path) -> None:
    transcript = read_transcript(_write(tmp_path, "call.vtt", TEAMS),
                                 parse_speaker_map("ana silva=mentor,Sam Lee=mentee"))  # fmt: skip
    assert transcript.speakers == ["mentor", "mentee"]
    said = [(u.speaker, u.start_s, u.end_s, u.text) for u in transcript.utterances]
    assert said[1] == (
        "mentee", 4.0, 8.0,
        "It went well, but finance asked for the numbers & the sources. I have not sent them yet.",
    )  # fmt: skip
    assert len(said) == 4 and transcript.duration_s == 13.0
    assert [(s.speaker, s.start_s, s.end_s) for s in transcript.speech][:2] == [
        ("mentor", 1.0, 3.5), ("mentee", 4.0, 6.0),
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "text"), [("zoom.vtt", ZOOM), ("call.srt", SRT)])
def test_name_prefixes_in_vtt_and_srt(tmp_path: Path, name: str, text: str) -> None:
    transcript = read_transcript(_write(tmp_path, name, text))
    assert transcript.speakers == ["Ana Silva", "Sam Lee"]
    assert transcript.utterances[0].text == "Hi Sam. How did the budget review go?"
    # A link is not a speaker's name.
    assert transcript.utterances[1].text.startswith("It went well.")


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("empty.vtt", "WEBVTT\n", "no cues with text"),
        ("nobody.srt", "1\n00:00:01,000 --> 00:00:02,000\nhello there\n", "no speaker names"),
        ("notes.txt", "Just some notes.", "not a transcript Tandem reads"),
        ("broken.vtt", "WEBVTT\n\n00:00:01.000 --> nonsense\n<v A>hi\n", "no cues"),
        ("broken.srt", "1\n00:00:01,000 --> x\nA: hi\n", "not valid SubRip"),
        ("bad.json", '{"utterances": [{"speaker": "a"}]}', "not a Tandem transcript JSON"),
        (
            "long.vtt",
            f"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v {'A' * 101}>hi\n",
            "over 100 characters; is that a name",
        ),
    ],
)
def test_bad_transcripts_say_why(tmp_path: Path, name: str, text: str, reason: str) -> None:
    with pytest.raises(TranscriptError, match=reason):
        read_transcript(_write(tmp_path, name, text))


def test_binary_and_bad_maps_are_refused(tmp_path: Path) -> None:
    blob = tmp_path / "x.vtt"
    blob.write_bytes(b"\xff\xfe\x00\x01" * 10)
    with pytest.raises(TranscriptError, match="not UTF-8"):
        read_transcript(blob)
    with pytest.raises(TranscriptError, match="is not NAME=LABEL"):
        parse_speaker_map("Ana,Sam=mentee")


def test_analyze_transcript_saves_a_session_with_approximate_figures(
    tmp_path: Path,
    env: dict[str, str],
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    mentor = add_account(database, "ana@example.org", "Ana Silva", "mentor")
    mentee = add_account(database, "sam@example.org", "Sam Lee", "mentee")
    mentorship = make_mentorship(database, mentor, mentee)
    path = _write(tmp_path, "teams.vtt", TEAMS)
    out = tmp_path / "out.json"
    code = main(["analyze", "--transcript", str(path), "--speaker-map",
                 "Ana Silva=mentor,Sam Lee=mentee", "--save", "--mentorship", str(mentorship),
                 "--date", "2026-03-02", "--json", str(out)])  # fmt: skip
    assert code == 0
    document = json.loads(out.read_text())
    assert document["talk_approximate"] is True
    assert [i["owner"] for i in document["action_items"]] == ["mentee"]
    assert "numbers" in document["action_items"][0]["action"]
    with database.sessions() as db:
        session = db.get(Session, document["session_id"])
        assert session is not None and session.title == "teams"
        assert session.talk is not None and session.talk["approximate"] is True
        assert {p.person_id for p in session.participants} == {mentor.id, mentee.id}
    capsys.readouterr()
    assert main(["report", str(document["session_id"])]) == 0
    assert "approximate: from the cue times of an imported transcript" in capsys.readouterr().out
    # Tandem's own JSON goes back in as it came out.
    again = main(["analyze", "--transcript", str(out), "--json", str(tmp_path / "again.json")])
    assert again == 0
    round_trip = json.loads((tmp_path / "again.json").read_text())
    assert [u["text"] for u in round_trip["utterances"]] == [
        u["text"] for u in document["utterances"]
    ]


def test_cli_errors_are_one_line(
    tmp_path: Path,
    env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = _write(tmp_path, "nobody.srt", "1\n00:00:01,000 --> 00:00:02,000\nhello\n")
    assert main(["analyze", "--transcript", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("tandem: error:") and "no speaker names" in err and "\n" not in err
    good = _write(tmp_path, "good.srt", "1\n00:00:01,000 --> 00:00:02,000\nAna: hello\n")
    with pytest.raises(SystemExit):
        main(["analyze", "--transcript", str(good), "--save", "--title", "T" * 301])
    assert "error: --title: a title has at most 300 characters" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["analyze", "--transcript", str(path), "--track", f"mentor={path}"])
    with pytest.raises(SystemExit):
        main(["analyze", "--speaker-map", "A=mentor", "--stereo", str(path)])
