"""Transcript exports: WebVTT, SRT, Markdown and JSON.

Markdown and JSON carry the whole session as people worked with it: names, the summary from
the figures, the action items (as edited) and the call's side chat; VTT and SRT are captions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session as OrmSession

from media.insight.summary import Summary, summarize
from server.db.calls import chat_history
from server.db.store import SavedTranscript, load_report
from server.db.tables import Session


@dataclass(frozen=True)
class Extras:
    """What a full export adds to the transcript."""

    names: dict[str, str] = field(default_factory=dict)
    chat: list[dict[str, Any]] = field(default_factory=list)
    action_items: list[dict[str, Any]] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


def load_extras(db: OrmSession, session_id: int) -> Extras:
    session = db.get(Session, session_id)
    if session is None:
        return Extras()
    names = {p.speaker: p.person.name for p in session.participants if p.person is not None}
    report = load_report(db, session_id)
    talk = report.talk or {}
    summary = summarize(talk.get("talk"), talk.get("targets"), talk.get("roles") or {}, names)
    return Extras(names, chat_history(db, session_id), report.action_items, summary)


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


def to_markdown(saved: SavedTranscript, extras: Extras | None = None) -> str:
    s = saved.summary
    more = extras or Extras()

    def who(label: str) -> str:
        return _md_escape(more.names.get(label, label))

    lines = [
        f"# {_md_escape(s.title)}",
        "",
        f"- Date: {s.held_at:%Y-%m-%d}",
        f"- Speakers: {', '.join(who(x) for x in s.speakers)}",
    ]
    if s.duration_s is not None:
        lines.append(f"- Duration: {clock(s.duration_s, always_hours=False)}")
    if more.summary.went_well or more.summary.try_next:
        lines += ["", "## Summary", ""]
        lines += [f"- Went well: {_md_escape(t)}" for t in more.summary.went_well]
        lines += [f"- Try next time: {_md_escape(t)}" for t in more.summary.try_next]
    if more.action_items:
        lines += ["", "## Action items", ""]
        owners = {"both": "Both", **more.names}
        for item in more.action_items:
            due = item.get("due_date") or item.get("due")
            lines.append(
                f"- [{'x' if item['done'] else ' '}] "
                f"{_md_escape(owners.get(item['owner'], item['owner']))}: "
                f"{_md_escape(item['action'])}" + (f" (due {_md_escape(str(due))})" if due else "")
            )
    lines += ["", "## Transcript", ""]
    for u in saved.transcript.utterances:
        lines.append(
            f"**{who(u.speaker)}** [{clock(u.start_s, always_hours=False)}]: {_md_escape(u.text)}  "
        )
    if more.chat:
        lines += ["", "## Chat", ""]
        for message in more.chat:
            lines.append(
                f"- [{clock(float(message['at']), always_hours=False)}] "
                f"{who(str(message['from']))}: {_md_escape(str(message['text']))}"
            )
    return "\n".join(lines) + "\n"


def to_json(saved: SavedTranscript, extras: Extras | None = None) -> str:
    more = extras or Extras()
    document = saved.transcript.to_json()
    document["session"] = {
        "id": saved.summary.id,
        "title": saved.summary.title,
        "held_at": saved.summary.held_at.isoformat(),
        "status": saved.summary.status,
    }
    document["names"] = more.names
    document["summary"] = {
        "went_well": more.summary.went_well,
        "try_next": more.summary.try_next,
    }
    document["action_items"] = more.action_items
    document["chat"] = more.chat
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _captions(caption: Callable[[SavedTranscript], str]) -> Callable[..., str]:
    return lambda saved, extras=None: caption(saved)


EXPORTERS: dict[str, Callable[[SavedTranscript, Extras | None], str]] = {
    "vtt": _captions(to_vtt),
    "srt": _captions(to_srt),
    "md": to_markdown,
    "json": to_json,
}


def export(saved: SavedTranscript, fmt: str, extras: Extras | None = None) -> str:
    try:
        exporter = EXPORTERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}") from None
    return exporter(saved, extras)
