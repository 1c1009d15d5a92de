"""Decoding recordings of every common format to 16 kHz, and clear errors for bad ones."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from media.audio import SAMPLE_RATE_HZ, AudioError, decode_file
from media.vad import detect_speech
from tests.conftest import DialogueFiles

FORMATS = {
    "flac": ["-c:a", "flac"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-c:a", "libopus", "-b:a", "32k"],
    "webm": ["-c:a", "libopus", "-b:a", "32k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
}


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_every_format_decodes_to_the_same_clock(
    tmp_path: Path, dialogue_files: DialogueFiles, extension: str
) -> None:
    reference = decode_file(dialogue_files.mentor)
    target = tmp_path / f"mentor.{extension}"
    # 48 kHz like a browser recording, so resampling is exercised too.
    _ffmpeg("-i", str(dialogue_files.mentor), "-ar", "48000", *FORMATS[extension], str(target))
    decoded = decode_file(target)
    assert len(decoded.channels) == 1
    assert decoded.channels[0].dtype == np.float32
    assert decoded.source_rate_hz == 48000
    assert abs(decoded.duration_s - reference.duration_s) < 0.1
    want = detect_speech(reference.channels[0])
    got = detect_speech(decoded.channels[0])
    assert len(got) == len(want)
    for a, b in zip(want, got, strict=True):
        # Encoder delay must not shift the clock: speech stays where it was said.
        assert abs(a.start_s - b.start_s) < 0.1
        assert abs(a.end_s - b.end_s) < 0.15


def test_stereo_channels_stay_apart(dialogue_files: DialogueFiles) -> None:
    stereo = decode_file(dialogue_files.stereo, keep_channels=True)
    mentor = decode_file(dialogue_files.mentor).channels[0]
    mentee = decode_file(dialogue_files.mentee).channels[0]
    assert len(stereo.channels) == 2
    assert np.abs(stereo.channels[0] - mentor).max() < 1e-3
    assert np.abs(stereo.channels[1] - mentee).max() < 1e-3
    mixed = decode_file(dialogue_files.stereo)
    assert len(mixed.channels) == 1


def test_resampling_keeps_duration(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    rate = 44_100
    t = np.arange(int(rate * 3.0)) / rate
    pcm = (np.sin(2 * np.pi * 440 * t) * 0.3 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm.tobytes())
    decoded = decode_file(path)
    assert abs(len(decoded.channels[0]) - 3 * SAMPLE_RATE_HZ) <= 32
    assert 0.25 < float(np.abs(decoded.channels[0]).max()) < 0.35


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="no such file"):
        decode_file(tmp_path / "nowhere.wav")


def test_folder_is_not_a_recording(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="folder"):
        decode_file(tmp_path)


def test_undecodable_file(tmp_path: Path) -> None:
    fake = tmp_path / "notes.wav"
    fake.write_text("these are meeting notes, not audio\n" * 20)
    with pytest.raises(AudioError, match="cannot be decoded"):
        decode_file(fake)


def test_empty_recording(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
    with pytest.raises(AudioError, match="empty"):
        decode_file(empty)


def test_video_without_sound(tmp_path: Path) -> None:
    video = tmp_path / "silent.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x64:rate=5", "-t", "1", str(video))
    with pytest.raises(AudioError, match="no audio stream"):
        decode_file(video)
