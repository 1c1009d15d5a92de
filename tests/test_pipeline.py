"""The offline pipeline on a two-voice espeak-ng dialogue, with the real tiny.en model."""

from __future__ import annotations

import numpy as np

from media.alignment import SpeechLayout
from media.audio import SAMPLE_RATE_HZ
from media.pipeline import Track, analyze_tracks
from media.transcriber import DecodeOptions, LoadedModel, decode_chunks, resume_point
from media.transcript import Transcript, Utterance
from server.bench.conversation import built_in
from server.bench.speech import Dialogue, SpokenLine
from server.bench.wer import normalise, word_errors

TOLERANCE_S = 0.3


def _line_utterances(transcript: Transcript, line: SpokenLine) -> list[Utterance]:
    return [
        u
        for u in transcript.utterances
        if u.speaker == line.speaker
        and u.end_s > line.start_s - 0.5
        and u.start_s < line.end_s + 0.5
    ]


def test_every_line_is_transcribed_for_the_right_speaker(
    dialogue: Dialogue, dialogue_transcript: Transcript
) -> None:
    for line in dialogue.lines:
        matched = _line_utterances(dialogue_transcript, line)
        assert matched, f"nothing transcribed for {line.speaker}: {line.text!r}"
        heard = " ".join(u.text for u in matched)
        assert word_errors(line.text, heard).wer <= 0.35, (line.text, heard)
    assert dialogue_transcript.speakers == ["mentor", "mentee"]
    assert {u.speaker for u in dialogue_transcript.utterances} == {"mentor", "mentee"}


def test_utterances_are_in_start_order_and_alternate_like_the_dialogue(
    dialogue: Dialogue, dialogue_transcript: Transcript
) -> None:
    starts = [u.start_s for u in dialogue_transcript.utterances]
    assert starts == sorted(starts)
    turn_order: list[str] = []
    for u in dialogue_transcript.utterances:
        if not turn_order or turn_order[-1] != u.speaker:
            turn_order.append(u.speaker)
    assert turn_order == [line.speaker for line in dialogue.lines]


def test_timestamps_are_true_to_the_recording(
    dialogue: Dialogue, dialogue_transcript: Transcript
) -> None:
    for line in dialogue.lines:
        matched = _line_utterances(dialogue_transcript, line)
        first_word = matched[0].words[0]
        last_word = matched[-1].words[-1]
        assert abs(first_word.start_s - line.start_s) <= TOLERANCE_S, (line, first_word)
        assert abs(last_word.end_s - line.end_s) <= TOLERANCE_S, (line, last_word)
        assert abs(matched[0].start_s - line.start_s) <= TOLERANCE_S
        assert abs(matched[-1].end_s - line.end_s) <= TOLERANCE_S
        for utterance in matched:
            times = [t for w in utterance.words for t in (w.start_s, w.end_s)]
            assert times == sorted(times), "word times must not go backwards"
            assert all(0.0 <= w.probability <= 1.0 for w in utterance.words)


def test_words_spoken_alone_are_placed_where_they_are_heard(
    dialogue: Dialogue, tiny_model: LoadedModel
) -> None:
    # Known word positions: single words placed at chosen times on an otherwise silent track.
    from server.bench.speech import render_sentence, voiced_span

    track = np.zeros(int(12 * SAMPLE_RATE_HZ), dtype=np.float32)
    truth = []
    for word, at_s in (("Monday", 1.0), ("questions", 4.5), ("practice", 8.0)):
        audio = render_sentence(word, "en-us+m3")
        offset = int(at_s * SAMPLE_RATE_HZ)
        track[offset : offset + len(audio)] = audio
        first, last = voiced_span(audio)
        truth.append((word.lower(), at_s + first, at_s + last))
    transcript = analyze_tracks([Track("mentor", track)], tiny_model, DecodeOptions())
    words = [w for u in transcript.utterances for w in u.words]
    for expected, start_s, end_s in truth:
        found = [w for w in words if normalise(w.word) == [expected]]
        assert found, f"{expected!r} not heard in {[w.word for w in words]}"
        assert abs(found[0].start_s - start_s) <= TOLERANCE_S
        assert abs(found[0].end_s - end_s) <= TOLERANCE_S


def test_silence_produces_no_text(tiny_model: LoadedModel) -> None:
    rng = np.random.default_rng(7)
    quiet = (rng.standard_normal(30 * SAMPLE_RATE_HZ) * 0.001).astype(np.float32)
    transcript = analyze_tracks([Track("mentee", quiet)], tiny_model, DecodeOptions())
    assert transcript.utterances == []
    assert transcript.duration_s == 30.0


def test_progress_reaches_the_end(dialogue: Dialogue, tiny_model: LoadedModel) -> None:
    seen: list[tuple[float, float]] = []
    tracks = [Track(s, dialogue.tracks[s]) for s in dialogue.speakers]
    analyze_tracks(
        tracks, tiny_model, DecodeOptions(), on_progress=lambda d, t: seen.append((d, t))
    )
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert abs(seen[-1][0] - seen[-1][1]) < 1e-6


def test_a_long_conversation_track_is_transcribed_to_the_end(tiny_model: LoadedModel) -> None:
    """Decoded as one long stream, Whisper jumped past nearly all of this track (WER 0.97);
    decoded chunk by chunk at pauses, nothing is skipped."""
    conversation = built_in(minutes=2, lead_s=3.0, seed=2, recordings=False)
    track = Track("mentee", conversation.tracks["mentee"])
    transcript = analyze_tracks([track], tiny_model, DecodeOptions())
    heard = " ".join(u.text for u in transcript.utterances)
    reference = conversation.references["mentee"]
    assert reference is not None
    assert word_errors(reference, heard).wer <= 0.12, heard


def test_chunks_hold_whole_stretches_up_to_the_limit() -> None:
    layout = SpeechLayout(
        joined_start_s=(0.0, 10.0, 20.0, 31.0, 40.0),
        original_start_s=(5.0, 30.0, 60.0, 90.0, 200.0),
        length_s=(10.0, 10.0, 11.0, 9.0, 40.0),
    )
    assert decode_chunks(layout, 25.0) == [(0.0, 20.0), (20.0, 40.0), (40.0, 80.0)]


def test_what_whisper_left_of_a_chunk_is_decoded_again_from_the_next_stretch() -> None:
    """Whisper sometimes ends a window early (14 s of a 25 s chunk left out on bench live
    material): decoding resumes at the next stretch of speech after where it stopped, or
    inside a long stretch it left 2 s or more of, and not at all for a short tail."""
    layout = SpeechLayout(
        joined_start_s=(0.0, 6.0, 12.0, 20.0),
        original_start_s=(1.0, 30.0, 50.0, 70.0),
        length_s=(6.0, 6.0, 8.0, 5.0),
    )
    assert resume_point(layout, covered_s=5.9, chunk_end_s=25.0) == 6.0  # the next stretch
    assert resume_point(layout, covered_s=13.0, chunk_end_s=25.0) == 13.0  # 7 s of it left
    assert resume_point(layout, covered_s=19.0, chunk_end_s=25.0) == 20.0  # 1 s left: next
    assert resume_point(layout, covered_s=24.5, chunk_end_s=25.0) is None  # nothing after
    assert resume_point(layout, covered_s=5.9, chunk_end_s=6.1) is None  # 0.1 s in the chunk
