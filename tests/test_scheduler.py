"""The live ASR scheduler with the real tiny.en model: finals first, partials superseded and
shed under load, never a final lost."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from media.live.scheduler import AsrScheduler, Job, Result
from media.transcriber import LoadedModel
from server.bench.speech import Dialogue
from server.bench.wer import normalise

DATA = Path(__file__).parent / "data"


def _job(kind: str, stream: str, utterance: int, dialogue: Dialogue, index: int = 0) -> Job:
    line = dialogue.lines[index]
    start, end = round(line.start_s * 16000), round(line.end_s * 16000)
    return Job(kind, stream, line.speaker, utterance, line.start_s,
               dialogue.tracks[line.speaker][start:end], "en")  # fmt: skip


def test_finals_come_first_and_partials_are_superseded(
    tiny_model: LoadedModel, dialogue: Dialogue
) -> None:
    results: list[Result] = []
    done = threading.Event()
    gate = threading.Event()

    def collect(result: Result) -> None:
        gate.wait(10)  # hold the worker so jobs pile up behind the first one
        results.append(result)
        if sum(r.job.kind == "final" for r in results) == 3:
            done.set()

    scheduler = AsrScheduler(tiny_model, collect)
    try:
        scheduler.submit(_job("partial", "a", 1, dialogue))  # taken at once by the worker
        time.sleep(0.3)
        for n in range(2, 6):  # four partials of stream a: only the newest may survive
            scheduler.submit(_job("partial", "a", n, dialogue))
        scheduler.submit(_job("final", "b", 1, dialogue, 1))
        scheduler.submit(_job("final", "b", 2, dialogue, 3))
        scheduler.submit(_job("final", "a", 5, dialogue, 0))  # ends a's utterance 5
        gate.set()
        assert done.wait(60)
    finally:
        scheduler.close()
    kinds = [(r.job.kind, r.job.stream, r.job.utterance) for r in results]
    assert kinds[0] == ("partial", "a", 1)
    assert kinds[1:4] == [("final", "b", 1), ("final", "b", 2), ("final", "a", 5)]
    assert ("partial", "a", 5) not in kinds  # superseded by its own final
    stats = scheduler.stats
    assert stats.finals_done == 3
    assert stats.partials_superseded + stats.partials_shed >= 4
    final_b = results[1]
    assert final_b.utterances and "well" in final_b.text.lower()
    line = dialogue.lines[1]
    # Times are on the session clock, inside the line (live finals carry segment times; the
    # refinement pass adds word timings).
    utterance = final_b.utterances[0]
    assert line.start_s - 0.3 <= utterance.start_s and utterance.end_s <= line.end_s + 0.3
    assert utterance.words == ()
    last = results[3].utterances[0]
    first_line = dialogue.lines[0]
    assert first_line.start_s - 0.3 <= last.start_s and last.end_s <= first_line.end_s + 0.3


def test_under_overload_partials_are_shed_and_every_final_arrives(
    tiny_model: LoadedModel, dialogue: Dialogue
) -> None:
    results: list[Result] = []
    scheduler = AsrScheduler(tiny_model, results.append)
    try:
        for round_ in range(6):
            for stream in ("a", "b", "c"):
                scheduler.submit(_job("partial", stream, round_, dialogue))
                scheduler.submit(_job("final", stream, round_, dialogue, round_ % 4))
    finally:
        scheduler.close()  # waits for every queued final
    finals = [r for r in results if r.job.kind == "final"]
    assert len(finals) == 18
    assert all(r.text for r in finals)
    snapshot = scheduler.snapshot()
    assert snapshot["queued_finals"] == 0
    assert snapshot["partials_shed"] + snapshot["partials_superseded"] > 0


def test_a_final_that_fails_still_answers_so_its_partial_is_settled(
    tiny_model: LoadedModel, dialogue: Dialogue
) -> None:
    results: list[Result] = []
    scheduler = AsrScheduler(tiny_model, results.append)
    try:
        good = _job("final", "a", 1, dialogue)
        broken = replace(good, audio=np.stack([good.audio, good.audio]))  # not mono: it raises
        scheduler.submit(broken)
        scheduler.submit(_job("final", "a", 2, dialogue, 1))
    finally:
        scheduler.close()
    assert [(r.job.utterance, bool(r.utterances)) for r in results] == [(1, False), (2, True)]


def test_partials_never_hold_both_workers(tiny_model: LoadedModel, dialogue: Dialogue) -> None:
    """With two workers, one is always left for finals: partials run one at a time."""
    results: list[Result] = []
    scheduler = AsrScheduler(tiny_model, results.append, workers=2)
    try:
        for stream in ("a", "b", "c"):
            scheduler.submit(_job("partial", stream, 1, dialogue, 2))
        scheduler.submit(_job("final", "d", 1, dialogue, 1))
        deadline = time.monotonic() + 60
        while len(results) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.close()
    partials = sorted((r.started, r.finished) for r in results if r.job.kind == "partial")
    assert len(partials) == 3
    for (_, end), (start, _) in itertools.pairwise(partials):
        assert start >= end, partials  # never two at once
    final = next(r for r in results if r.job.kind == "final")
    assert final.started < partials[-1][0]  # the final did not wait for the partials


def test_a_short_reply_the_segmenter_heard_gets_its_words(tiny_model: LoadedModel) -> None:
    """A "Yeah." said over the other person's turn, as a browser call delivered it (espeak
    through Chromium's audio processing and Opus). Whisper rates the window likely silent
    (0.74) and at its default threshold drops it, though the segmenter heard 0.26 s of speech:
    the caption was lost in three of three browser runs."""
    # Float samples as the server had them: 16-bit rounding alone moves Whisper's verdict.
    audio = np.load(DATA / "yeah_over_turn.npy")
    job = Job("final", "a", "mentee", 1, 13.0, audio, "en",
              speech_start_s=13.1, speech_end_s=13.356)  # fmt: skip
    results: list[Result] = []
    scheduler = AsrScheduler(tiny_model, results.append)
    try:
        scheduler.submit(job)
    finally:
        scheduler.close()
    [result] = results
    # A word at all (tiny.en hears "Yes." or "Here." depending on the window: ambiguous audio).
    assert normalise(result.text), result.text
    [utterance] = result.utterances
    assert 13.0 <= utterance.start_s < utterance.end_s <= 13.0 + len(audio) / 16000
