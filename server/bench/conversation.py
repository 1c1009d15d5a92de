"""Two-person conversations for the call benchmarks: one track per person on a shared clock.

The built-in conversation is made from real recorded speech (the shared fixtures, when present)
and espeak-ng sentences, arranged the way people talk: turns of one to three sentences (long
turns run past the live segmenter's 12 s cut), short replies on their own, and backchannels
("yeah", "right") spoken over the end of the other person's turn. Any pair of recordings can
be used instead (``--track NAME=FILE`` twice, or a stereo file), with or without reference
transcripts.

Turns are found the same way for both: offline voice activity on each track, stretches of one
person's speech joined across pauses shorter than ``TURN_GAP_S``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio, decode_file
from media.sources import TrackSource, load_tracks
from media.vad import detect_speech
from server.settings import PROJECT_DIR

FIXTURES = PROJECT_DIR.parent / "shared" / "fixtures" / "speech" / "manifest.tsv"
#: A pause this long or longer between one person's stretches of speech starts a new turn
#: (the live segmenter ends an utterance after 0.5 s, so one turn never spans two people's).
TURN_GAP_S = 1.0
ROLES = ("mentor", "mentee")
VOICES = {"mentor": "en-us+m3", "mentee": "en-gb+f3"}

LONGER = (
    "When I started here I tried to solve every problem on my own, and it took me months to "
    "see that asking early saves everyone time.",
    "The review went better than I expected, although the question about the database "
    "migration caught me off guard.",
    "I think the next step is to write down what you want from the project and share it "
    "with your manager before the planning meeting.",
    "We tried pairing on the hardest tickets last sprint, and the team finished two days "
    "early for the first time this year.",
    "Could you tell me a little more about what happened in the meeting with the design team "
    "on Thursday?",
    "If you had a free afternoon every week, what would you spend it learning?",
)
SHORT = ("Yeah.", "Okay.", "Right.", "Go ahead.", "Sure.", "Got it.", "Exactly.", "Thank you.")


@dataclass(frozen=True)
class Turn:
    speaker: str
    #: Seconds on the conversation clock (track time) where this person's voice is heard.
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Conversation:
    tracks: dict[str, FloatAudio]
    #: What each person says, in order (None: no reference transcript).
    references: dict[str, str | None]
    turns: list[Turn]
    description: str

    @property
    def duration_s(self) -> float:
        return max(len(t) for t in self.tracks.values()) / SAMPLE_RATE_HZ


def find_turns(tracks: dict[str, FloatAudio], gap_s: float = TURN_GAP_S) -> list[Turn]:
    turns: list[Turn] = []
    for speaker, audio in tracks.items():
        current: list[float] | None = None
        for interval in detect_speech(audio):
            if current is not None and interval.start_s - current[1] < gap_s:
                current[1] = interval.end_s
                continue
            if current is not None:
                turns.append(Turn(speaker, current[0], current[1]))
            current = [interval.start_s, interval.end_s]
        if current is not None:
            turns.append(Turn(speaker, current[0], current[1]))
    return sorted(turns, key=lambda t: t.start_s)


def _material(
    recordings: bool,
) -> tuple[list[tuple[FloatAudio, str]], dict[str, list[tuple[FloatAudio, str]]]]:
    """(sentences anyone says, {role: short replies in that person's voice})."""
    from server.bench.speech import SENTENCES, render_sentence

    clips: list[tuple[FloatAudio, str]] = []
    if recordings and FIXTURES.is_file():
        from server.bench.transcribe import read_manifest

        for item in read_manifest(FIXTURES):
            clips.append((decode_file(item.path).channels[0], item.reference))
    for i, sentence in enumerate((*SENTENCES, *LONGER)):
        clips.append((render_sentence(sentence, VOICES[ROLES[i % 2]]), sentence))
    short = {r: [(render_sentence(s, VOICES[r]), s) for s in SHORT] for r in ROLES}
    return clips, short


def built_in(minutes: float, lead_s: float, seed: int = 7, recordings: bool = True) -> Conversation:
    """The built-in conversation, ``minutes`` long after ``lead_s`` of silence; without
    ``recordings`` (or without the shared fixtures) every voice is espeak-ng."""
    rng = random.Random(seed)
    recordings = recordings and FIXTURES.is_file()
    clips, short = _material(recordings)
    order = list(range(len(clips)))
    rng.shuffle(order)
    pieces: list[tuple[str, float, FloatAudio, str]] = []  # (speaker, at, audio, text)
    cursor = lead_s
    speaker_index = 0
    next_clip = 0
    end_s = lead_s + minutes * 60
    while cursor < end_s:
        speaker = ROLES[speaker_index % 2]
        listener = ROLES[(speaker_index + 1) % 2]
        kind = rng.random()
        if kind < 0.2:  # a short reply on its own
            audio, text = rng.choice(short[speaker])
            pieces.append((speaker, cursor, audio, text))
            cursor += len(audio) / SAMPLE_RATE_HZ
        else:
            count = 1 if kind < 0.65 else rng.choice((2, 3))  # long turns: 2-3 sentences
            for k in range(count):
                audio, text = clips[order[next_clip % len(order)]]
                next_clip += 1
                if k:
                    cursor += rng.uniform(0.3, 0.55)  # a breath between sentences
                pieces.append((speaker, cursor, audio, text))
                cursor += len(audio) / SAMPLE_RATE_HZ
            if rng.random() < 0.35:  # the listener says "yeah" over the end of it
                audio, text = rng.choice(short[listener])
                at = cursor - rng.uniform(0.4, 1.2)
                pieces.append((listener, at, audio, text))
                # The listener's next words are a new turn, not a continuation of "yeah".
                cursor = max(cursor, at + len(audio) / SAMPLE_RATE_HZ) + TURN_GAP_S + 0.3
        cursor += rng.uniform(0.5, 1.3)
        speaker_index += 1
    total = round((cursor + 3.0) * SAMPLE_RATE_HZ)
    tracks = {r: np.zeros(total, dtype=np.float32) for r in ROLES}
    said: dict[str, list[tuple[float, str]]] = {r: [] for r in ROLES}
    for speaker, at, audio, text in pieces:
        offset = round(at * SAMPLE_RATE_HZ)
        tracks[speaker][offset : offset + len(audio)] += audio
        said[speaker].append((at, text))
    references: dict[str, str | None] = {
        r: " ".join(text for _, text in sorted(said[r])) for r in ROLES
    }
    return Conversation(
        tracks,
        references,
        find_turns(tracks),
        f"built-in: {len(pieces)} sentences ({'recorded speech and ' if recordings else ''}"
        f"espeak-ng), turns of 1-3 sentences, short replies and backchannels over the other",
    )


def from_files(
    sources: list[TrackSource], references: dict[str, Path], lead_s: float
) -> Conversation:
    """Recordings of each person (same clock); references are plain-text transcripts."""
    lead = np.zeros(round(lead_s * SAMPLE_RATE_HZ), np.float32)
    audio = {t.speaker: np.concatenate([lead, t.audio]) for t in load_tracks(sources)}
    length = max(len(a) for a in audio.values()) + 3 * SAMPLE_RATE_HZ
    audio = {s: np.pad(a, (0, length - len(a))) for s, a in audio.items()}
    refs: dict[str, str | None] = {
        s: (references[s].read_text(encoding="utf-8") if s in references else None) for s in audio
    }
    names = ", ".join(sorted({s.path.name for s in sources}))
    return Conversation(audio, refs, find_turns(audio), f"recordings: {names}")
