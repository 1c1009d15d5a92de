"""Transcript exports: WebVTT, SRT, Markdown and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable

from server.db.store import SavedTranscript

FORMATS = ("vtt", "srt", "md", "json")
MEDIA_TYPES = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}


def clock(seconds: float, separator: str = ".", always_hours: bool = True) -> str:
    """``01:02:03.456`` (WebVTT) or with ``,`` (SRT); ``02:03`` style when not always_hours."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    if not always_hours:
        return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(saved: SavedTranscript) -> str:
    lines = ["WEBVTT", ""]
    for i, u in enumerate(saved.transcript.utterances, start=1):
        lines += [
            str(i),
            f"{clock(u.start_s)} --> {clock(max(u.end_s, u.start_s + 0.001))}",
            f"<v {_vtt_escape(u.speaker)}>{_vtt_escape(u.text)}",
            "",
        ]
    return "\n".join(lines)


def to_srt(saved: SavedTranscript) -> str:
    lines: list[str] = []
    for i, u in enumerate(saved.transcript.utterances, start=1):
        lines += [
            str(i),
            f"{clock(u.start_s, ',')} --> {clock(max(u.end_s, u.start_s + 0.001), ',')}",
            f"{u.speaker}: {u.text}",
            "",
        ]
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    out = text
    for char in "\\`*_[]<>#|&~":
        out = out.replace(char, "\\" + char)
    return out


def to_markdown(saved: SavedTranscript) -> str:
    s = saved.summary
    lines = [
        f"# {_md_escape(s.title)}",
        "",
        f"- Date: {s.held_at:%Y-%m-%d}",
        f"- Speakers: {', '.join(_md_escape(x) for x in s.speakers)}",
    ]
    if s.duration_s is not None:
        lines.append(f"- Duration: {clock(s.duration_s, always_hours=False)}")
    lines.append("")
    for u in saved.transcript.utterances:
        lines.append(
            f"**{_md_escape(u.speaker)}** [{clock(u.start_s, always_hours=False)}]: "
            f"{_md_escape(u.text)}  "
        )
    return "\n".join(lines) + "\n"


def to_json(saved: SavedTranscript) -> str:
    document = saved.transcript.to_json()
    document["session"] = {
        "id": saved.summary.id,
        "title": saved.summary.title,
        "held_at": saved.summary.held_at.isoformat(),
        "status": saved.summary.status,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


EXPORTERS: dict[str, Callable[[SavedTranscript], str]] = {
    "vtt": to_vtt,
    "srt": to_srt,
    "md": to_markdown,
    "json": to_json,
}


def export(saved: SavedTranscript, fmt: str) -> str:
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}") from None
    return exporter(saved)
