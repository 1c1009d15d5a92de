"""Audio the network lost, put back from the speaker's own copy (server/calls/gaps.py), in a
real call: a real `tandem serve`, scripted aiortc participants saying an espeak-ng dialogue,
the real tiny.en model. The mentor's packets are lost for 6 s in the middle of his long line
(nothing sent, timestamps going on, as when a network drops them); the server asks him for
the hole and he answers from his prepared audio, his stamps 150 ms late (a page's reckoning
of the session clock is off by its latency). Without the copy, two thirds of his line are
lost for good, from the captions and from the refined transcript alike.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from server.bench.call_client import ScriptedParticipant
from server.bench.speech import Dialogue, render_dialogue
from server.bench.wer import normalise, word_errors
from server.db.engine import Database
from server.db.tables import Session, UtteranceRow
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import health, prepare_call
from tests.test_live_calls import SCRIPT, VOICES

pytestmark = pytest.mark.slow

OUTAGE_FROM_S = 2.0  # into the mentor's long line
OUTAGE_S = 6.0
CLOCK_ERROR_S = 0.15


@pytest.fixture(scope="module")
def script() -> Dialogue:
    return render_dialogue(SCRIPT, VOICES, tail_s=3.0)


async def _until(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def _wait(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _finals(messages: list[dict[str, Any]], speaker: str) -> list[dict[str, Any]]:
    return [
        m
        for m in messages
        if m["type"] == "caption" and m["final"] and m["text"] and m["speaker"] == speaker
    ]


def _rows(database: Database, session_id: int, source: str) -> list[UtteranceRow]:
    with database.sessions() as db:
        return list(
            db.scalars(
                select(UtteranceRow)
                .where(UtteranceRow.session_id == session_id, UtteranceRow.source == source)
                .order_by(UtteranceRow.start_s)
            )
        )


def test_audio_lost_on_the_way_is_sent_again_and_transcribed_in_its_place(
    env: dict[str, str], tmp_path: Path, script: Dialogue
) -> None:
    call_env = {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "p2p"}
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    long_line = [line for line in script.lines if line.speaker == "mentor"][1]
    outage = (long_line.start_s + OUTAGE_FROM_S, long_line.start_s + OUTAGE_FROM_S + OUTAGE_S)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def call() -> dict[str, ScriptedParticipant]:
            mentor = ScriptedParticipant(
                url, cookies["mentor"], script.tracks["mentor"],
                outages=(outage,), answer_gaps=True, clock_error_s=CLOCK_ERROR_S,
            )  # fmt: skip
            mentee = ScriptedParticipant(url, cookies["mentee"], script.tracks["mentee"])
            await asyncio.gather(mentor.start(), mentee.start())
            request = await mentor.wait_for("gap", within_s=60)
            # Someone else cannot answer it (ids are per room, and checked against the
            # person asked).
            await mentee.send({"type": "gap-audio", "id": request["id"], "start_s": 1.0,
                               "pcm": "AAAA", "last": True})  # fmt: skip
            refused = await mentee.wait_for("error")
            assert refused["code"] == "bad-message" and refused["in_reply_to"] == "gap-audio"
            await asyncio.gather(mentor.wait_sent(), mentee.wait_sent())
            # The mentor's long line, its lost middle put back, is captioned for both.
            await _until(
                lambda: all(
                    any(
                        m["start"] >= request["hole"][0] - 0.1
                        for m in _finals(p.messages, "mentor")
                    )
                    for p in (mentor, mentee)
                ),
                60,
                "the captions of the lost audio",
            )
            await asyncio.sleep(2.0)
            for person in (mentor, mentee):
                await person.close()
            return {"mentor": mentor, "mentee": mentee}

        people = asyncio.run(call())
        figures = health(server.base_url, settings)["live"]
        database = Database.open(settings.database_url)
        try:
            _wait(lambda: _refined(database, session_id), 120, "the refinement pass")
            live = _rows(database, session_id, "live")
            refined = _rows(database, session_id, "refined")
        finally:
            database.close()
        log = server.log()

    [request] = [m for m in people["mentor"].messages if m["type"] == "gap"]
    hole_start, hole_end = request["hole"]
    assert abs((hole_end - hole_start) - OUTAGE_S) < 0.3, request
    assert request["from_s"] < hole_start and request["to_s"] > hole_end
    assert not [m for m in people["mentee"].messages if m["type"] == "gap"]  # no hole of hers
    assert figures["gaps_asked"] == 1 and abs(figures["gaps_recovered_s"] - OUTAGE_S) < 0.5
    # The copy was moved onto the audio received around it. (By how much is not the 150 ms
    # put in alone: the participant's own reckoning of the session clock lags by however long
    # the welcome took to reach it, 0-100 ms here, as a page's does.)
    [(moved, score)] = re.findall(
        r"gap \d+ of the mentor .*moved ([+-]\d+) ms \(correlation ([\d.]+)\)", log
    )
    assert float(score) >= 0.8 and -400 < int(moved) < 100, (moved, score)

    said = long_line.text
    for listener, person in people.items():
        finals = _finals(person.messages, "mentor")
        in_line = [m for m in finals if m["start"] >= hole_start - 4.0]
        heard = " ".join(m["text"] for m in sorted(in_line, key=lambda m: m["start"]))
        # The whole line is there, its middle included (without the copy: a third of it)...
        assert word_errors(said, heard).wer <= 0.3, (listener, heard)
        # ...from a caption of its own, placed inside the hole...
        recovered = [
            m for m in finals if hole_start - 0.1 <= m["start"] < m["end"] <= hole_end + 0.3
        ]
        assert sum(len(m["text"].split()) for m in recovered) >= 8, finals
        # ...and no word was said twice: what was received before and after stays theirs.
        words = normalise(heard)
        for word in ("prepare", "examples", "minutes"):
            assert words.count(word) <= 1, (word, heard)
    # Both saw the same captions.
    assert [m["text"] for m in _finals(people["mentor"].messages, "mentor")] == [
        m["text"] for m in _finals(people["mentee"].messages, "mentor")
    ]
    # Saved at its place in time, for the mentor.
    saved = [r for r in live if r.speaker == "mentor" and r.start_s >= hole_start - 4.0]
    assert word_errors(said, " ".join(r.text for r in saved)).wer <= 0.3, saved
    assert any(hole_start - 0.1 <= r.start_s < hole_end for r in saved)
    # The refinement pass heard it too (the copy was spooled over the silence).
    later = [r for r in refined if r.speaker == "mentor" and r.start_s >= hole_start - 4.0]
    assert word_errors(said, " ".join(r.text for r in later)).wer <= 0.3, later


def _refined(database: Database, session_id: int) -> bool:
    with database.sessions() as db:
        session = db.get(Session, session_id)
        return session is not None and session.refine_status in ("done", "failed")
