"""Putting back audio the network lost: aligning the browser's copy (media/live/recover.py),
keeping only the words inside the hole, spooling the copy over the silence, and what a
``gap-audio`` message may carry (server/calls/gaps.py, server/calls/protocol.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest

from media.audio import SAMPLE_RATE_HZ
from media.live.recover import align, keep_words
from media.live.spool import SpoolWriter, assemble_track, read_spools, write_recovered
from media.transcript import Utterance, Word
from server.bench.speech import render_sentence
from server.calls.gaps import MAX_OPEN, REQUEST_TTL_S, GapError, GapRequests
from server.calls.protocol import MAX_GAP_AUDIO_SAMPLES, ProtocolError, parse

RATE = SAMPLE_RATE_HZ


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    sentence = render_sentence("I looked at the rollout numbers this morning.", "en-us+m3")
    return np.concatenate([np.zeros(RATE, np.float32), sentence, np.zeros(RATE, np.float32)])


def test_the_copy_is_moved_onto_the_audio_received_beside_the_hole(speech: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    # The server's audio (index 0 = sample 48000 of the session), a little noisy.
    server = speech + rng.normal(0, 0.003, len(speech)).astype(np.float32)
    server_start = 48_000
    # The browser stamps its copy 130 ms late: its sample j is the server's j + lag.
    lag = -round(0.13 * RATE)
    browser_start = server_start - lag
    browser = speech.copy()
    middle = server_start + len(speech) // 2
    found = align(server, server_start, browser, browser_start,
                  [(middle - RATE, middle)], max_lag=RATE // 2)  # fmt: skip
    assert found.measured and found.lag == lag and found.score > 0.95, found
    # Over silence there is nothing to measure: the stamps stand.
    quiet = align(server, server_start, browser, browser_start,
                  [(server_start + 9000, server_start + 15000)], max_lag=RATE // 2)  # fmt: skip
    assert not quiet.measured and quiet.lag == 0
    # Other sound does not pass for the same: the stamps stand too.
    other = rng.normal(0, 0.1, len(speech)).astype(np.float32)
    unrelated = align(other, server_start, browser, browser_start,
                      [(middle - RATE, middle)], max_lag=RATE // 2)  # fmt: skip
    assert not unrelated.measured and unrelated.lag == 0


def test_only_words_whose_middle_lies_in_the_hole_are_kept() -> None:
    words = (
        Word(" cut", 9.5, 10.2, 0.9),  # middle 9.85: before the hole (heard live)
        Word(" in", 10.2, 10.4, 0.9),
        Word(" the", 10.4, 10.5, 0.9),
        Word(" middle.", 10.5, 12.4, 0.9),  # middle 11.45: after the hole
    )
    kept = keep_words([Utterance("mentor", 9.5, 12.4, "cut in the middle.", words)], 10.0, 11.0)
    assert kept == [Utterance("mentor", 10.2, 10.5, "in the", words[1:3])]
    assert keep_words([Utterance("mentor", 9.5, 10.2, "cut", words[:1])], 10.0, 11.0) == []


def test_the_recovered_piece_is_laid_over_the_silence_the_spool_holds(tmp_path: Path) -> None:
    spool = SpoolWriter(tmp_path / "mentor-1", "mentor")
    spool.write(16_000, np.full(8000, 0.5, np.float32))
    spool.write(40_000, np.full(8000, 0.5, np.float32))  # 1 s of silence filled between
    spool.close()
    # (named so it sorts before the stream's own file: the order is the sidecar's, not the name's)
    write_recovered(tmp_path / "mentor-0-gap-1", "mentor", 24_000, np.full(16000, 0.25, np.float32))
    assert json.loads((tmp_path / "mentor-0-gap-1.json").read_text())["recovered"] is True
    pieces = read_spools(tmp_path)["mentor"]
    assert [start for start, _ in pieces] == [16_000, 24_000]
    track = assemble_track(pieces, 48_000)
    assert np.allclose(track[16_000:24_000], 0.5, atol=1e-4)
    assert np.allclose(track[24_000:40_000], 0.25, atol=1e-4)
    assert np.allclose(track[40_000:48_000], 0.5, atol=1e-4)


def _pcm(samples: int, value: float = 0.1) -> str:
    return base64.b64encode((np.full(samples, value) * 32767).astype("<i2").tobytes()).decode()


def _body(request_id: int, start_s: object, pcm: str, last: object) -> dict[str, object]:
    return {"type": "gap-audio", "id": request_id, "start_s": start_s, "pcm": pcm, "last": last}


def test_gap_audio_is_taken_only_as_asked_from_whom_it_was_asked() -> None:
    gaps = GapRequests()
    request = gaps.ask(7, "s/mentor/1", 10 * RATE, 16 * RATE)
    assert request is not None
    message = request.message()
    assert message["hole"] == [10.0, 16.0]
    assert message["from_s"] < 10.0 and message["to_s"] > 16.0
    # Not this person's, unknown, broken or out of bounds: refused, the request stays open.
    for person, body, reason in (
        (8, _body(request.id, 9.0, _pcm(100), True), "no gap request"),
        (7, _body(request.id + 1, 9.0, _pcm(100), True), "no gap request"),
        (7, _body(request.id, 9.0, "not base64!", True), "base64"),
        (7, _body(request.id, 9.0, base64.b64encode(b"abc").decode(), True), "whole"),
        (7, _body(request.id, 2.0, _pcm(100), True), "outside"),
        (7, _body(request.id, message["to_s"] - 0.1, _pcm(RATE), True), "outside"),
    ):
        with pytest.raises(GapError, match=reason):
            gaps.take(person, body)
        assert request.id in gaps.open
    # In 2 s pieces; the last one completes it.
    start = message["from_s"]
    total = round((message["to_s"] - start) * RATE)
    pieces = [(k, min(2 * RATE, total - k)) for k in range(0, total, 2 * RATE)]
    for k, n in pieces[:-1]:
        assert gaps.take(7, _body(request.id, start + k / RATE, _pcm(n), False)) is None
    k, n = pieces[-1]
    done = gaps.take(7, _body(request.id, start + k / RATE, _pcm(n), True))
    assert done is request and request.id not in gaps.open
    assert request.covered.all() and abs(float(request.audio.mean()) - 0.1) < 1e-3
    with pytest.raises(GapError, match="no gap request"):  # answered once only
        gaps.take(7, _body(request.id, start, _pcm(10), True))


def test_gap_requests_are_bounded() -> None:
    gaps = GapRequests()
    asked = [gaps.ask(7, "s", k * 100 * RATE, (k * 100 + 5) * RATE) for k in range(MAX_OPEN + 1)]
    assert all(asked[:MAX_OPEN]) and asked[MAX_OPEN] is None and gaps.skipped == 1
    assert gaps.ask(8, "t", 0, 5 * RATE) is not None  # another person's are counted apart
    # A hole longer than the page keeps is asked for its last part.
    other = GapRequests()
    long = other.ask(7, "s", 0, 300 * RATE)
    assert long is not None and (long.last - long.first) / RATE < 60
    assert long.hole_end == 300 * RATE
    # No more than was asked for, even in pieces that each fit.
    request = other.ask(7, "s", 400 * RATE, 401 * RATE)
    assert request is not None
    size = request.last - request.first
    other.take(7, _body(request.id, request.first / RATE, _pcm(size), False))
    with pytest.raises(GapError, match="more audio"):
        other.take(7, _body(request.id, request.first / RATE, _pcm(RATE), False))
    # Unanswered requests close after a while.
    assert other.expired(now=request.asked_at + REQUEST_TTL_S + 1) == [long, request]
    assert not other.open


def test_gap_audio_messages_are_checked_by_the_protocol() -> None:
    good = parse(json.dumps(_body(3, 12.5, _pcm(RATE), True)))
    assert good.type == "gap-audio" and good.body["start_s"] == 12.5
    assert parse(json.dumps(_body(3, 12, "", True))).body["start_s"] == 12
    for body, code in (
        (_body(3, True, "", True), "bad-message"),
        (_body(3, -1.0, "", True), "bad-message"),
        (_body(3, 1.0, "", "yes"), "bad-message"),
        ({"type": "gap-audio", "id": 3, "start_s": 1.0, "pcm": ""}, "bad-message"),
        (_body(3, 1.0, _pcm(MAX_GAP_AUDIO_SAMPLES + 10), True), "too-large"),
    ):
        with pytest.raises(ProtocolError) as caught:
            parse(json.dumps(body))
        assert caught.value.code == code, body
