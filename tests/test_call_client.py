"""The scripted participant's pre-encoded microphone (what `tandem bench live` and `bench load`
send): real libopus packets that decode to the speech, and a real call that captions them."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import av
import numpy as np
import pytest
from sqlalchemy import select

from server.bench.call_client import (
    RATE_48K,
    OpusPackets,
    PatternTrack,
    ScriptedParticipant,
    SpeechTrack,
    encode_opus,
    pattern_vp8,
    to_48k_frames,
)
from server.bench.speech import Line, render_dialogue
from server.bench.wer import word_errors
from server.calls.sdp import UPLINK_PTIME_MS
from server.db.engine import Database
from server.db.tables import UtteranceRow
from server.settings import Settings
from tests.browser import serve
from tests.call_helpers import prepare_call

SENTENCE = "Please send me the migration plan and the budget before our next meeting."


def _decoded(packets: list[bytes]) -> np.ndarray:
    decoder = av.CodecContext.create("libopus", "r")
    parts = []
    for payload in packets:
        for frame in decoder.decode(av.Packet(payload)):
            samples = frame.to_ndarray()  # s16 interleaved stereo: shape (1, 2 * n)
            parts.append(samples.reshape(-1, 2)[:, 0].astype(np.float32) / 32768)
    return np.concatenate(parts)


def _envelope(audio: np.ndarray, window: int) -> np.ndarray:
    usable = len(audio) // window * window
    rms: np.ndarray = np.sqrt(np.mean(audio[:usable].reshape(-1, window) ** 2, axis=1))
    return rms


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    line = Line("mentor", SENTENCE, at_s=0.5)
    return render_dialogue([line], {"mentor": "en-us+m3"}, tail_s=1.0).tracks["mentor"]


def test_packets_decode_to_the_speech_and_silence_to_silence(speech: np.ndarray) -> None:
    frames = to_48k_frames(speech)
    opus = encode_opus(frames, UPLINK_PTIME_MS)
    original = np.concatenate(frames).astype(np.float32) / 32768
    decoded = _decoded(opus.packets)
    packet = RATE_48K * UPLINK_PTIME_MS // 1000
    # Every packet carries ptime of audio: all of it is there, at most one packet more.
    assert len(original) <= len(decoded) <= len(original) + 2 * packet
    # The loudness over time follows the speech (Opus is not waveform-exact; its envelope is).
    window = RATE_48K // 50
    a, b = _envelope(original, window), _envelope(decoded, window)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.9
    assert float(np.sqrt(np.mean(original**2))) > 0.01  # the speech is not itself silent
    quiet = _decoded([opus.silence] * 3)
    assert float(np.max(np.abs(quiet))) < 0.01


def test_the_track_sends_packets_timed_in_ptime_steps(speech: np.ndarray) -> None:
    opus = encode_opus(to_48k_frames(speech[: 16000 // 2]), UPLINK_PTIME_MS)

    async def play() -> list[tuple[int, bytes, float]]:
        track = SpeechTrack(opus)
        sent = []
        for _ in range(len(opus.packets) + 3):
            packet = await track.recv()
            assert isinstance(packet, av.Packet)
            sent.append((int(packet.pts or 0), bytes(packet), time.monotonic()))
        assert track.played.is_set()
        return sent

    sent = asyncio.run(play())
    step = RATE_48K * UPLINK_PTIME_MS // 1000
    assert [pts for pts, _, _ in sent] == [k * step for k in range(len(sent))]
    assert [data for _, data, _ in sent[: len(opus.packets)]] == opus.packets
    assert all(data == opus.silence for _, data, _ in sent[len(opus.packets) :])
    # Paced as a microphone: the last packet leaves about (n - 1) ptimes after the first.
    elapsed = sent[-1][2] - sent[0][2]
    assert elapsed >= (len(sent) - 1) * UPLINK_PTIME_MS / 1000 - 0.02


def test_the_pre_encoded_camera_loops_decodable_vp8() -> None:
    frames = pattern_vp8(15)
    decoder = av.CodecContext.create("libvpx", "r")
    pictures = []
    for k in range(2 * len(frames) + 1):  # round the loop twice: it restarts on its keyframe
        for picture in decoder.decode(av.Packet(frames[k % len(frames)])):
            pictures.append(picture)
    assert len(pictures) == 2 * len(frames) + 1
    assert {(p.width, p.height) for p in pictures} == {(640, 480)}
    # One keyframe, at the loop's start (bit 0 of a VP8 frame's tag is 0 on a keyframe only).
    assert [k for k, frame in enumerate(frames) if frame[0] & 1 == 0] == [0]
    # The bar moves: consecutive pictures differ.
    first, second = (p.to_ndarray(format="rgb24") for p in pictures[:2])
    assert float(np.abs(first.astype(int) - second.astype(int)).mean()) > 1.0

    async def two() -> list[int]:
        track = PatternTrack(encoded=True)
        sent = [await track.recv(), await track.recv()]
        assert all(isinstance(packet, av.Packet) for packet in sent)
        return [int(packet.pts or 0) for packet in sent]

    assert asyncio.run(two()) == [0, 6000]  # 15 fps on the 90 kHz video clock


@pytest.mark.slow
def test_a_call_captions_a_pre_encoded_microphone(
    speech: np.ndarray, env: dict[str, str], tmp_path: Path
) -> None:
    call_env = {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "p2p"}
    settings = Settings.from_env(call_env)
    session_id, cookies = prepare_call(settings)
    opus: OpusPackets = encode_opus(to_48k_frames(speech), UPLINK_PTIME_MS)
    quiet = np.zeros(16000 * 10, dtype=np.float32)
    with serve(call_env, tmp_path) as server:
        url = server.base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"

        async def call() -> list[str]:
            mentor = ScriptedParticipant(url, cookies["mentor"], speech, opus=opus)
            mentee = ScriptedParticipant(url, cookies["mentee"], quiet)
            await mentee.start()
            await mentor.start()
            await mentor.wait_sent()
            captions: list[str] = []
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not captions:
                captions = [m["text"] for m in mentee.messages
                            if m["type"] == "caption" and m.get("final")]  # fmt: skip
                await asyncio.sleep(0.2)
            await mentor.close()
            await mentee.close()
            return captions

        captions = asyncio.run(call())
    assert captions, "the other person saw no final caption"
    errors = word_errors(SENTENCE, " ".join(captions))
    assert errors.wer < 0.3, (captions, errors)
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            saved = db.scalars(
                select(UtteranceRow.text).where(UtteranceRow.session_id == session_id)
            ).all()
    finally:
        database.close()
    assert "migration" in " ".join(saved).lower()
