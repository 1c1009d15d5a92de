"""A full disk under the live audio writers: the spool and the recorder stop that stream
cleanly (no error reaches whoever feeds them, one log line, one report), and what they had
written stays whole. ENOSPC is real: /dev/full, or a small tmpfs filled to the last byte."""

from __future__ import annotations

import errno
import logging
import time
from pathlib import Path

import av
import numpy as np
import pytest

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.live.gather import GATHER_SAMPLES
from media.live.recorder import OpusRecorder
from media.live.spool import SpoolWriter, read_spools
from tests.helpers import fill_disk, small_disk

CHUNK = 960  # 60 ms at 16 kHz, as the audio tap hands them on


def _speechlike(seconds: float, seed: int = 3) -> FloatAudio:
    rng = np.random.default_rng(seed)
    samples = round(seconds * SAMPLE_RATE_HZ)
    envelope = 0.5 + 0.5 * np.sin(np.arange(samples) / SAMPLE_RATE_HZ * 2 * np.pi * 3)
    return (rng.standard_normal(samples) * 0.2 * envelope).astype(np.float32)


def _feed(writer: SpoolWriter | OpusRecorder, audio: FloatAudio, start: int, end: int) -> None:
    for index in range(start, end, CHUNK):
        writer.write(index, audio[index : min(index + CHUNK, end)])


def _wait(condition: object, within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_spool_on_dev_full_stops_quietly_for_its_feeder(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "mentor-1.pcm").symlink_to("/dev/full")
    told: list[OSError] = []
    spool = SpoolWriter(tmp_path / "mentor-1", "mentor", on_failure=told.append)
    audio = _speechlike(10.0)
    with caplog.at_level(logging.ERROR, logger="tandem.spool"):
        _feed(spool, audio, 0, len(audio))  # never raises, whatever the disk does
        _wait(lambda: spool.failed is not None, 30, "the spool to notice the full disk")
        _feed(spool, audio, 0, len(audio))  # after the failure: dropped at once
        spool.close()
    assert [e.errno for e in told] == [errno.ENOSPC]
    lines = [r for r in caplog.records if r.name == "tandem.spool"]
    assert len(lines) == 1 and "the disk is full" in lines[0].getMessage()


def test_spooled_audio_written_before_the_disk_filled_stays_whole(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = _speechlike(40.0)
    before = 15 * SAMPLE_RATE_HZ
    with small_disk(tmp_path / "disk", "4m") as disk:
        told: list[OSError] = []
        spool = SpoolWriter(disk / "spool" / "mentee-1", "mentee", on_failure=told.append)
        pcm = disk / "spool" / "mentee-1.pcm"
        with caplog.at_level(logging.ERROR, logger="tandem.spool"):
            _feed(spool, audio, 0, before)
            _wait(lambda: pcm.exists() and pcm.stat().st_size == before * 2, 30, "15 s on disk")
            fill_disk(disk)
            _feed(spool, audio, before, len(audio))
            _wait(lambda: spool.failed is not None, 30, "the spool to notice the full disk")
            spool.close()
        assert [e.errno for e in told] == [errno.ENOSPC]
        assert len([r for r in caplog.records if r.name == "tandem.spool"]) == 1
        pieces = read_spools(disk / "spool")
    assert set(pieces) == {"mentee"}
    [(start, samples)] = pieces["mentee"]
    assert start == 0
    # Everything written before the disk filled, then (perhaps) a little more, all of it
    # exactly what was said: no torn sample, no garbage at the end.
    assert before <= len(samples) < len(audio)
    expected = (np.clip(audio[: len(samples)], -1, 1) * 32767).astype("<i2") / 32767.0
    assert np.array_equal(samples, expected.astype(np.float32))


def test_a_recording_cut_by_a_full_disk_is_kept_and_plays(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = _speechlike(60.0)
    before = 20 * SAMPLE_RATE_HZ
    with small_disk(tmp_path / "disk", "4m") as disk:
        told: list[OSError] = []
        recorder = OpusRecorder(disk / "rec" / "mentor.ogg", on_failure=told.append)
        partial = disk / "rec" / "mentor.partial.ogg"
        with caplog.at_level(logging.ERROR, logger="tandem.recorder"):
            _feed(recorder, audio, 0, before)
            # Pages reach the disk as they are made (about one a second); the last quarter
            # second waits for more audio (media/live/gather.py).
            _wait(lambda: recorder.samples_encoded >= before - GATHER_SAMPLES, 30, "20 s encoded")
            _wait(lambda: partial.exists() and partial.stat().st_size > 50_000, 30, "pages")
            on_disk = partial.stat().st_size
            fill_disk(disk)
            _feed(recorder, audio, before, len(audio))
            _wait(lambda: recorder.failed is not None, 30, "the recorder to notice")
            recorder.close()
        assert [e.errno for e in told] == [errno.ENOSPC]
        assert len([r for r in caplog.records if r.name == "tandem.recorder"]) == 1
        kept = disk / "rec" / "mentor.ogg"
        assert kept.is_file() and kept.stat().st_size >= on_disk
        with av.open(str(kept)) as container:
            decoded = sum(frame.samples for frame in container.decode(audio=0))
            rate = container.streams.audio[0].rate
    assert decoded / rate >= 15.0  # what was on disk when it filled still plays
