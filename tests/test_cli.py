"""`tandem` as a user runs it: analyze in every input mode, save, search, export, errors."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media.audio import decode_file
from media.models import ModelStore
from server.auth import needs_setup
from server.bench.speech import Dialogue, write_wav
from server.db.engine import Database
from server.db.tables import Session
from server.settings import Settings
from tests.conftest import DialogueFiles
from tests.helpers import run_tandem

CONTRACT_KEYS = {"duration_s", "speakers", "model", "utterances"}


def _analyze_json(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = run_tandem(["analyze", *args, "--json", "-"], env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "quiet when piped"
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def _texts(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(u["speaker"], u["text"]) for u in document["utterances"]]


def test_tracks_and_stereo_give_the_same_transcript(
    dialogue_files: DialogueFiles, dialogue: Dialogue, env: dict[str, str]
) -> None:
    tracks = _analyze_json(
        [
            "--track",
            f"mentor={dialogue_files.mentor}",
            "--track",
            f"mentee={dialogue_files.mentee}",
        ],
        env,
    )
    stereo = _analyze_json(
        ["--stereo", str(dialogue_files.stereo), "--channels", "mentor,mentee"], env
    )
    assert tracks.keys() >= CONTRACT_KEYS
    assert tracks["speakers"] == ["mentor", "mentee"]
    assert tracks["model"] == "tiny.en"
    assert abs(tracks["duration_s"] - dialogue.duration_s) < 0.05
    assert _texts(tracks) == _texts(stereo)
    for utterance in tracks["utterances"]:
        assert set(utterance) >= {"speaker", "start", "end", "text", "words"}
        for word in utterance["words"]:
            assert set(word) == {"word", "start", "end", "probability"}
    starts = [u["start"] for u in tracks["utterances"]]
    assert starts == sorted(starts)
    # Analytics ride along in the same document.
    shares = {name: s["share"] for name, s in tracks["talk"]["speakers"].items()}
    assert set(shares) == {"mentor", "mentee"} and abs(sum(shares.values()) - 1) < 0.01
    assert tracks["talk"]["speakers"]["mentor"]["questions"] >= 1
    assert isinstance(tracks["cues"], list)
    practice = [i for i in tracks["action_items"] if "practice" in i["action"].lower()]
    assert practice and practice[0]["owner"] == "mentee"
    assert practice[0]["due"] == "this week"
    assert practice[0]["sources"][0]["speaker"] == "mentee"


def test_single_file_with_one_speaker(dialogue_files: DialogueFiles, env: dict[str, str]) -> None:
    document = _analyze_json([str(dialogue_files.mentee), "--speaker", "Sam"], env)
    assert document["speakers"] == ["Sam"]
    assert {u["speaker"] for u in document["utterances"]} == {"Sam"}
    text = " ".join(u["text"] for u in document["utterances"]).lower()
    assert "timer" in text and "questions" in text


def test_save_then_search_and_export(
    dialogue_files: DialogueFiles, env: dict[str, str], tmp_path: Path
) -> None:
    done = run_tandem(
        [
            "analyze",
            "--stereo",
            str(dialogue_files.stereo),
            "--save",
            "--title",
            "Weekly check-in",
            "--date",
            "2026-11-20",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr
    match = re.fullmatch(r"saved session (\d+): (http://\S+/sessions/(\d+))\n", done.stdout)
    assert match, done.stdout
    session_id = match.group(1)

    found = run_tandem(["search", "presentation"], env)
    assert found.returncode == 0, found.stderr
    assert "Weekly check-in" in found.stdout and "[presentation]" in found.stdout
    assert "mentor" in found.stdout

    as_json = run_tandem(["search", "pract*", "--json"], env)
    hits = json.loads(as_json.stdout)["results"]
    assert hits and hits[0]["speaker"] == "mentee"
    assert "<mark>practice</mark>" in hits[0]["highlighted"].lower()

    bad = run_tandem(["search", '"unclosed'], env)
    assert bad.returncode == 1
    assert bad.stderr.strip() == 'tandem: error: the search query has an unclosed quote (")'

    out = tmp_path / "session.vtt"
    exported = run_tandem(["transcript", session_id, "--format", "vtt", "-o", str(out)], env)
    assert exported.returncode == 0, exported.stderr
    vtt = out.read_text()
    assert vtt.startswith("WEBVTT") and "<v mentee>" in vtt
    md = run_tandem(["transcript", session_id, "--format", "md"], env)
    assert "# Weekly check-in" in md.stdout and "2026-11-20" in md.stdout

    report = run_tandem(["report", session_id], env)
    assert report.returncode == 0, report.stderr
    assert "share of talk" in report.stdout and "Action items" in report.stdout
    assert "[ ] mentee: Practice" in report.stdout and "this week (2026-11-20)" in report.stdout

    missing = run_tandem(["transcript", "999", "--format", "json"], env)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "tandem: error: no session 999"


def _one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tandem: error: ")
    for needle in needles:
        assert needle in lines[0]


def test_clear_errors_for_bad_input(tmp_path: Path, env: dict[str, str]) -> None:
    _one_line_error(run_tandem(["analyze", str(tmp_path / "gone.wav")], env), "no such file")
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"\x00\x01not audio at all" * 100)
    _one_line_error(run_tandem(["analyze", str(junk)], env), "cannot be decoded")
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
    _one_line_error(run_tandem(["analyze", str(empty)], env), "empty")
    _one_line_error(
        run_tandem(["analyze", str(empty), "--model", "medium.en"], env),
        "unknown model 'medium.en'",
        "never downloads",
    )


def test_usage_errors_explain_the_fix(dialogue_files: DialogueFiles, env: dict[str, str]) -> None:
    both = run_tandem(
        ["analyze", str(dialogue_files.mentor), "--stereo", str(dialogue_files.stereo)], env
    )
    assert both.returncode == 2 and "give the recording one way" in both.stderr
    same = run_tandem(
        [
            "analyze",
            "--track",
            f"a={dialogue_files.mentor}",
            "--track",
            f"a={dialogue_files.mentee}",
        ],
        env,
    )
    assert same.returncode == 1 and "repeated: a" in same.stderr
    beam = run_tandem(["analyze", str(dialogue_files.mentor), "--beam", "0"], env)
    assert beam.returncode == 2 and "--beam" in beam.stderr
    language = run_tandem(["analyze", str(dialogue_files.mentor), "--language", "de"], env)
    assert language.returncode == 2 and "English-only" in language.stderr
    mono = run_tandem(["analyze", "--stereo", str(dialogue_files.mentor), "--channels", "a,b"], env)
    assert mono.returncode == 1 and "1 channel" in mono.stderr
    # A mono recording saved as two identical channels is not two people either.
    doubled = dialogue_files.mentor.parent / "doubled.wav"
    audio = decode_file(dialogue_files.mentor).channels[0]
    write_wav(doubled, np.stack([audio, audio]))
    same_twice = run_tandem(["analyze", "--stereo", str(doubled)], env)
    assert same_twice.returncode == 1 and "same sound" in same_twice.stderr, same_twice.stderr


def test_silent_recording_warns_but_succeeds(tmp_path: Path, env: dict[str, str]) -> None:
    quiet = tmp_path / "quiet.wav"
    with wave.open(str(quiet), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes(b"\0\0" * 16000 * 5)
    done = run_tandem(["analyze", str(quiet), "--json", "-"], env)
    assert done.returncode == 0
    assert json.loads(done.stdout)["utterances"] == []
    assert "no speech was found" in done.stderr


def test_progress_bar_on_a_terminal(dialogue_files: DialogueFiles, env: dict[str, str]) -> None:
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "analyze", str(dialogue_files.mentor)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    process.wait(timeout=120)
    os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    assert process.returncode == 0
    assert "loading model tiny.en" in shown
    assert "100.0%" in shown and "transcribing [" in shown


@pytest.mark.slow
def test_multilingual_base_detects_the_language(
    dialogue_files: DialogueFiles, env: dict[str, str]
) -> None:
    document = _analyze_json([str(dialogue_files.mentor), "--model", "base"], env)
    assert document["model"] == "base"
    assert document["language"] == "en"
    text = " ".join(u["text"] for u in document["utterances"]).lower()
    assert "presentation" in text


def test_models_lists_and_checks(env: dict[str, str]) -> None:
    done = run_tandem(["models", "--json"], env)
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    assert rows["tiny.en (default)"]["integrity"] == "ok"
    assert rows["tiny.en (default)"]["languages"] == "English"
    assert "base" in rows


def _damaged_tiny(tmp_path: Path, name: str) -> Path:
    """A copy of the bundled tiny.en folder, to be damaged by the test."""
    source = ModelStore(tmp_path / "unused").resolve("tiny.en").path
    assert source is not None
    target = tmp_path / "models" / name
    shutil.copytree(source, target)
    return target


def _exit_2_naming(done: subprocess.CompletedProcess[str], path: Path, *needles: str) -> None:
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tandem: error: model file ")
    for needle in (str(path), *needles):
        assert needle in lines[0], lines[0]


def test_a_damaged_model_stops_serve_and_analyze_at_start(
    tmp_path: Path, env: dict[str, str], dialogue_files: DialogueFiles
) -> None:
    cut = _damaged_tiny(tmp_path, "cut-tiny")
    with (cut / "model.bin").open("r+b") as handle:
        handle.truncate((cut / "model.bin").stat().st_size // 3)
    serve_env = {**env, "TANDEM_MODEL_DIRS": str(tmp_path / "models"), "TANDEM_MODEL": "cut-tiny"}
    served = run_tandem(["serve", "--port", "0"], serve_env, timeout=60)
    _exit_2_naming(served, cut / "model.bin", "cut short", "copy the model folder again")
    analyzed = run_tandem(["analyze", str(dialogue_files.mentor), "--model", str(cut)], env)
    _exit_2_naming(analyzed, cut / "model.bin", "cut short")

    garbled = _damaged_tiny(tmp_path, "garbled-tiny")
    (garbled / "config.json").write_text("{this is not json", encoding="utf-8")
    analyzed = run_tandem(["analyze", str(dialogue_files.mentor), "--model", str(garbled)], env)
    _exit_2_naming(analyzed, garbled / "config.json", "not readable JSON")
    served = run_tandem(["serve", "--port", "0"], {**env, "TANDEM_MODEL": str(garbled)}, 60)
    _exit_2_naming(served, garbled / "config.json", "not readable JSON")
    # The refinement model is checked too: a good live model does not let a bad one through.
    served = run_tandem(
        ["serve", "--port", "0"], {**env, "TANDEM_REFINE_MODEL": str(garbled)}, timeout=60
    )
    _exit_2_naming(served, garbled / "config.json")


def test_people_and_mentorships_from_the_command_line(
    env: dict[str, str], dialogue_files: DialogueFiles
) -> None:
    added = run_tandem(
        ["users", "add", "ana@example.org", "--name", "Ana", "--role", "mentor"], env
    )
    assert added.returncode == 0, added.stderr
    assert re.search(r"invite link .*: http://\S+/invite/\S+", added.stdout)
    for email, name, role in (("sam@example.org", "Sam", "mentee"),
                              ("tia@example.org", "Tia", "trainer")):  # fmt: skip
        assert (
            run_tandem(["users", "add", email, "--name", name, "--role", role], env).returncode == 0
        )
    again = run_tandem(
        ["users", "add", "ANA@example.org", "--name", "Ana", "--role", "mentor"], env
    )
    _one_line_error(again, "already has an account")

    created = run_tandem(
        ["mentorships", "add", "--mentor", "ana@example.org", "--mentee", "sam@example.org",
         "--trainer", "tia@example.org"], env
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "mentorship 1: mentor Ana, mentee Sam, trainer Tia"
    swapped = run_tandem(
        ["mentorships", "add", "--mentor", "sam@example.org", "--mentee", "ana@example.org"], env
    )
    _one_line_error(swapped, "is a mentee, not a mentor")

    missing = run_tandem(
        ["analyze", str(dialogue_files.mentor), "--save", "--mentorship", "7"], env
    )
    assert missing.returncode == 2 and "no mentorship 7" in missing.stderr
    saved = run_tandem(
        ["analyze", str(dialogue_files.mentor), "--speaker", "mentor", "--save",
         "--mentorship", "1"], env
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    listed = run_tandem(["users", "list"], env)
    # Nobody has chosen a password yet: the same word as the admin page.
    assert "mentor   Ana <ana@example.org> invited" in listed.stdout
    # People added first, admin later: the setup link still works until an admin exists.
    database = Database.open(Settings.from_env(env).database_url)
    try:
        with database.sessions() as db:
            assert needs_setup(db)
    finally:
        database.close()
    pairs = run_tandem(["mentorships", "list"], env)
    assert pairs.returncode == 0
    assert "1  mentor Ana <ana@example.org>, mentee Sam <sam@example.org>, trainer Tia" in (
        pairs.stdout
    )

    # An import saved without a mentorship is filed under one, and renamed.
    loose = run_tandem(["analyze", str(dialogue_files.mentee), "--speaker", "mentee", "--save",
                        "--title", "Walk in the park"], env)  # fmt: skip
    session_id = int(re.search(r"saved session (\d+)", loose.stdout).group(1))  # type: ignore[union-attr]
    filed = run_tandem(["sessions", "file", str(session_id), "--mentorship", "1"], env)
    assert filed.returncode == 0 and "now in mentorship 1" in filed.stdout, filed.stderr
    refiled = run_tandem(["sessions", "file", str(session_id), "--mentorship", "1"], env)
    assert refiled.returncode == 2 and "already belongs" in refiled.stderr
    renamed = run_tandem(["sessions", "rename", str(session_id), "Walk, week 3"], env)
    assert renamed.stdout.strip() == f"session {session_id}: Walk, week 3"
    empty = run_tandem(["sessions", "rename", str(session_id), "   "], env)
    assert empty.returncode == 2 and "title" in empty.stderr
    sessions = run_tandem(["sessions", "list"], env).stdout
    assert re.search(rf"{session_id}\s.*imported\s+mentorship 1\s+Walk, week 3", sessions)
    database = Database.open(Settings.from_env(env).database_url)
    try:
        with database.sessions() as db:
            row = db.get(Session, session_id)
            assert row is not None and row.mentorship_id == 1
            # The speaker is the mentorship's mentee now, so pages show her name.
            assert [p.person.name for p in row.participants if p.person] == ["Sam"]
    finally:
        database.close()
