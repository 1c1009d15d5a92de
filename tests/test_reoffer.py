"""A page reconnecting after a network fault makes new connections with new offers; the server
takes each in place of the old one (a real `tandem serve`, scripted aiortc participants, the
real tiny.en model, relay mode). The mentor replaces both his connections mid-call: his audio
goes on into the same live stream on the same session clock (captions keep their ids and
their times), the other person keeps receiving his audio and video through the relay (the
relayed copies follow the new tracks), and the old connections are gone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.bench.call_client import ScriptedParticipant
from server.bench.speech import Dialogue, render_dialogue
from server.bench.wer import word_errors
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import health, prepare_call
from tests.test_live_calls import SCRIPT, VOICES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def script() -> Dialogue:
    return render_dialogue(SCRIPT, VOICES, tail_s=3.0)


async def _until(condition: Callable[[], object], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def _finals(person: ScriptedParticipant, speaker: str) -> list[dict[str, Any]]:
    return [
        m
        for m in person.messages
        if m["type"] == "caption" and m["final"] and m["text"] and m["speaker"] == speaker
    ]


# aiortc's own teardown: a client connection the server closed first sometimes leaves its
# closing task and an ICE socket to the garbage collector (aiortc/aioice know of such
# leaks). That is the scripted client's, not the server's, and not what this test is about.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_new_offers_replace_both_legs_and_the_call_goes_on(
    env: dict[str, str], tmp_path: Path, script: Dialogue
) -> None:
    call_env = {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "relay"}
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    first, long_line = [line for line in script.lines if line.speaker == "mentor"]
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def call() -> tuple[ScriptedParticipant, dict[str, int]]:
            mentor = ScriptedParticipant(
                url, cookies["mentor"], script.tracks["mentor"], answer_gaps=True
            )
            mentee = ScriptedParticipant(url, cookies["mentee"], script.tracks["mentee"])
            await asyncio.gather(mentor.start(), mentee.start())
            got = mentee.received
            await _until(lambda: got.audio_frames > 50 and got.video_frames > 10, 40, "relay")
            await _until(lambda: _finals(mentee, "mentor"), 60, "the mentor's first caption")
            # The mentor's page makes both its connections again.
            await mentor.reconnect("uplink")
            await mentor.reconnect("relay")
            audio, video = got.audio_frames, got.video_frames
            await _until(
                lambda: got.audio_frames > audio + 50 and got.video_frames > video + 10,
                40,
                "the mentor's audio and video through the relay again",
            )
            calls = health(server.base_url, settings)["calls"]
            await asyncio.gather(mentor.wait_sent(), mentee.wait_sent())
            await _until(
                lambda: any(m["start"] > long_line.start_s - 1 for m in _finals(mentee, "mentor")),
                60,
                "captions of the mentor's next line",
            )
            await asyncio.sleep(3.0)
            for person in (mentor, mentee):
                await person.close()
            return mentee, calls

        mentee, calls = asyncio.run(call())
        log = server.log()
    # The old connections are closed: two per person (uplink and relay).
    assert calls["participants"] == 2 and calls["peer_connections"] == 4, calls
    finals = _finals(mentee, "mentor")
    before = [m for m in finals if m["start"] < first.end_s + 1]
    after = [m for m in finals if m["start"] > long_line.start_s - 1]
    assert before and after, finals
    # One live stream throughout: the same caption id prefix before and after.
    assert {m["id"].rsplit("/", 1)[0] for m in finals} == {before[0]["id"].rsplit("/", 1)[0]}
    # On the same session clock: the next line lands where it was said, by the first line's
    # placement (the script's times are the mentor's own audio's).
    origin = before[0]["start"] - first.start_s
    assert abs(after[0]["start"] - (origin + long_line.start_s)) < 0.5, (after[0], origin)
    heard = " ".join(m["text"] for m in after)
    assert word_errors(long_line.text, heard).wer <= 0.3, heard
    assert "Traceback" not in log, log[-3000:]
