"""Transcripts another tool made, read into Tandem's Transcript: WebVTT with voice tags
(``<v Name>``, as Teams exports) or "Name:" prefixes (as Zoom does), SRT with "Name:"
prefixes, and Tandem's own analyze JSON.

Cue times stand in for voice activity, so talk figures from an import are approximate (the
caller says so). Consecutive cues of one speaker less than a second apart become one
utterance, as a tool splits sentences into caption-sized pieces. Parsing uses webvtt-py and
srt; errors are :class:`TranscriptError` with a one-line reason.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from media.transcript import SpeechInterval, Transcript, Utterance

#: Cues of one speaker closer than this are one utterance.
JOIN_GAP_S = 1.0
MAX_BYTES = 20 * 1024 * 1024
#: As long as a speaker label may be (the column holds 100; check_speaker allows as much).
MAX_SPEAKER_CHARS = 100
PREFIX = re.compile(r"^\s*([^:\n]{1,60}?)\s*:\s+(.+)$", re.DOTALL)
TAGS = re.compile(r"<[^>]+>")
FORMATS = ("vtt", "srt", "json")


class TranscriptError(ValueError):
    """The file cannot be read as a transcript; the message says why."""


@dataclass(frozen=True)
class Cue:
    speaker: str
    start_s: float
    end_s: float
    text: str


def parse_speaker_map(raw: str | None) -> dict[str, str]:
    """ "Ana=mentor,Sam=mentee" → {"ana": "mentor", "sam": "mentee"} (names matched ignoring
    case)."""
    mapping: dict[str, str] = {}
    if not raw:
        return mapping
    for part in raw.split(","):
        name, sep, label = part.partition("=")
        if not sep or not name.strip() or not label.strip():
            raise TranscriptError(f"--speaker-map: {part.strip()!r} is not NAME=LABEL")
        mapping[name.strip().casefold()] = label.strip()
    return mapping


def detect_format(path: Path, head: str) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    stripped = head.lstrip("\ufeff \n\r\t")
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped.startswith("{"):
        return "json"
    if re.match(r"\d+\s*\r?\n\d\d:\d\d:\d\d,\d{3} -->", stripped):
        return "srt"
    raise TranscriptError(
        f"{path}: not a transcript Tandem reads (WebVTT .vtt, SubRip .srt or Tandem JSON)"
    )


def _clean(text: str) -> str:
    return " ".join(html.unescape(TAGS.sub("", text)).split())


def _split_prefix(text: str) -> tuple[str | None, str]:
    found = PREFIX.match(text)
    if found and not found.group(1).strip().startswith(("http", "www")):
        return found.group(1).strip(), found.group(2)
    return None, text


def _vtt_cues(text: str) -> list[Cue]:
    import webvtt

    try:
        captions = webvtt.from_string(text)
    except Exception as exc:  # webvtt raises its own MalformedFileError and others
        raise TranscriptError(f"not valid WebVTT ({exc})") from None
    cues = []
    for caption in captions.captions:
        body = _clean(caption.text)
        speaker = caption.voice
        if not speaker:
            speaker, body = _split_prefix(body)
        cues.append(Cue(speaker or "", caption.start_time.in_milliseconds() / 1000,
                        caption.end_time.in_milliseconds() / 1000, body))  # fmt: skip
    return cues


def _srt_cues(text: str) -> list[Cue]:
    import srt

    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        raise TranscriptError(f"not valid SubRip ({exc})") from None
    cues = []
    for subtitle in subtitles:
        speaker, body = _split_prefix(_clean(subtitle.content))
        cues.append(Cue(speaker or "", subtitle.start.total_seconds(),
                        subtitle.end.total_seconds(), body))  # fmt: skip
    return cues


def _json_cues(text: str) -> list[Cue]:
    try:
        document = json.loads(text)
        rows = document["utterances"]
        return [
            Cue(str(u["speaker"]), float(u["start"]), float(u["end"]), str(u["text"])) for u in rows
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise TranscriptError(
            f"not a Tandem transcript JSON (needs utterances with speaker, start, end, text: {exc})"
        ) from None


def _join(cues: Sequence[Cue]) -> list[Utterance]:
    utterances: list[Utterance] = []
    for cue in sorted(cues, key=lambda c: c.start_s):
        last = utterances[-1] if utterances else None
        if last and last.speaker == cue.speaker and cue.start_s - last.end_s < JOIN_GAP_S:
            utterances[-1] = Utterance(
                last.speaker, last.start_s, max(last.end_s, cue.end_s), f"{last.text} {cue.text}"
            )
        else:
            utterances.append(Utterance(cue.speaker, cue.start_s, cue.end_s, cue.text))
    return utterances


def read_transcript(path: Path, speaker_map: Mapping[str, str] | None = None) -> Transcript:
    """The file as a Transcript (words not timed; speech = the cues' spans)."""
    if not path.is_file():
        raise TranscriptError(f"{path}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise TranscriptError(f"{path}: over {MAX_BYTES // 1024 // 1024} MB; is it a transcript?")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TranscriptError(f"{path}: not UTF-8 text") from None
    kind = detect_format(path, text[:200])
    parse = {"vtt": _vtt_cues, "srt": _srt_cues, "json": _json_cues}[kind]
    try:
        cues = [c for c in parse(text) if c.text and c.end_s >= c.start_s >= 0]
    except TranscriptError as exc:
        raise TranscriptError(f"{path}: {exc}") from None
    if not cues:
        raise TranscriptError(f"{path}: no cues with text")
    if not any(c.speaker for c in cues):
        raise TranscriptError(
            f"{path}: no speaker names (expected <v Name> voice tags or 'Name: text' lines)"
        )
    mapping = {k.casefold(): v for k, v in (speaker_map or {}).items()}
    named = [
        Cue(mapping.get(c.speaker.casefold(), c.speaker) or "unknown", c.start_s, c.end_s, c.text)
        for c in cues
    ]
    for cue in named:
        if len(cue.speaker) > MAX_SPEAKER_CHARS:
            raise TranscriptError(
                f"{path}: the speaker name {cue.speaker[:40]!r}… is over {MAX_SPEAKER_CHARS} "
                "characters; is that a name?"
            )
    utterances = _join(named)
    speakers = list(dict.fromkeys(u.speaker for u in utterances))
    speech = [
        SpeechInterval(c.speaker, c.start_s, c.end_s)
        for c in sorted(named, key=lambda c: c.start_s)
    ]
    duration = max(c.end_s for c in named)
    return Transcript(duration, speakers, f"imported {kind}", None, utterances, speech)
