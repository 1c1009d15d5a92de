"""Which file (and channel) holds which speaker, and turning that into 16 kHz tracks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from media.audio import AudioError, DecodedAudio, FloatAudio, decode_file
from media.pipeline import Track

_SPEAKER = re.compile(r"^[\w][\w .'-]{0,99}$", re.UNICODE)


@dataclass(frozen=True)
class TrackSource:
    speaker: str
    path: Path
    #: Channel index within a multi-channel file; None mixes the file down to mono.
    channel: int | None = None


def check_speaker(name: str) -> str:
    name = name.strip()
    if not _SPEAKER.match(name):
        raise AudioError(
            f"speaker name {name!r} is not usable: use letters, digits, spaces, . ' - (max 100)"
        )
    return name


def parse_track(spec: str) -> TrackSource:
    """``NAME=PATH`` as given to ``--track``."""
    name, sep, path = spec.partition("=")
    if not sep or not path:
        raise AudioError(f"--track wants NAME=PATH, got {spec!r}")
    return TrackSource(speaker=check_speaker(name), path=Path(path).expanduser())


def stereo_sources(path: Path, channels: str) -> list[TrackSource]:
    names = [check_speaker(n) for n in channels.split(",")]
    if len(names) < 2:
        raise AudioError(
            f"--channels wants one name per channel, like mentor,mentee; got {channels!r}"
        )
    return [TrackSource(speaker=n, path=path, channel=i) for i, n in enumerate(names)]


def load_tracks(sources: Sequence[TrackSource]) -> list[Track]:
    """Decode each file once; split channels where a source names one."""
    if not sources:
        raise AudioError("no recording given")
    speakers = [s.speaker for s in sources]
    duplicates = sorted({s for s in speakers if speakers.count(s) > 1})
    if duplicates:
        raise AudioError(f"each speaker needs its own name; repeated: {', '.join(duplicates)}")
    decoded: dict[tuple[Path, bool], DecodedAudio] = {}
    tracks = []
    for source in sources:
        keep = source.channel is not None
        key = (source.path, keep)
        if key not in decoded:
            decoded[key] = decode_file(source.path, keep_channels=keep)
        audio = decoded[key]
        if source.channel is None:
            tracks.append(Track(source.speaker, audio.channels[0]))
            continue
        if source.channel >= len(audio.channels):
            raise AudioError(
                f"{source.path}: has {len(audio.channels)} channel(s), but "
                f"{sum(1 for s in sources if s.path == source.path)} speakers were named for it"
            )
        if source.channel == 1 and _same_sound(audio.channels[0], audio.channels[1]):
            raise AudioError(
                f"{source.path}: both channels hold the same sound (a mono recording saved as "
                "stereo), so they cannot be two people; give it as one FILE with --speaker, or "
                "one recording per person with --track NAME=PATH"
            )
        tracks.append(Track(source.speaker, audio.channels[source.channel]))
    return tracks


def _same_sound(left: FloatAudio, right: FloatAudio) -> bool:
    """Channels that differ by less than a thousandth of their level are one signal."""
    level = float(np.abs(left).mean() + np.abs(right).mean())
    if level == 0.0:
        return False  # silence on both: nothing to tell apart, nothing doubled either
    return float(np.abs(left - right).mean()) < 1e-3 * level
