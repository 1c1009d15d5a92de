"""Everything Tandem holds about one person, for them to take: one ZIP of JSON and audio.

``person.json`` holds their account (never the password hash), logins, mentorships with goals
and resources, and every session they took part in: the transcript as they can read it, the
call's chat, action items, talk figures and the cues shown to them; a mentor's also carries
the trainer's coaching notes on their sessions (which a mentee never sees), a trainer's the
notes they wrote. ``audio/`` holds the recordings of their own voice (the other person's
voice is theirs to take). Built on a worker thread into a temporary file.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from server.db.calls import chat_history
from server.db.store import NotFound, as_utc, load_report, load_transcript
from server.db.tables import (
    AuthSession,
    CoachingNote,
    CueRow,
    Goal,
    Mentorship,
    Participant,
    Person,
    Recording,
    Resource,
    Session,
    utcnow,
)

FORMAT = "tandem-person-export/1"


@dataclass
class PersonExport:
    document: dict[str, Any]
    #: (name inside the archive, file on disk) of each recording of their voice.
    audio: list[tuple[str, Path]] = field(default_factory=list)


def _when(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return None if value is None else value.isoformat()


def _person(person: Person | None) -> dict[str, Any] | None:
    return None if person is None else {"name": person.name, "email": person.email}


def _mentorship(db: OrmSession, m: Mentorship, person_id: int) -> dict[str, Any]:
    goals = db.scalars(select(Goal).where(Goal.mentorship_id == m.id).order_by(Goal.id))
    resources = db.scalars(
        select(Resource).where(Resource.mentorship_id == m.id).order_by(Resource.id)
    )
    role = "mentor" if m.mentor_id == person_id else "mentee" if m.mentee_id == person_id else ""
    return {
        "id": m.id,
        "your_role": role or "trainer",
        "mentor": _person(m.mentor),
        "mentee": _person(m.mentee),
        "trainer": _person(m.trainer),
        "active": m.active,
        "created_at": _when(m.created_at),
        "shares_transcripts_with_trainer": {"mentor": m.mentor_shares, "mentee": m.mentee_shares},
        "targets": m.targets,
        "goals": [
            {
                "title": g.title,
                "status": g.status,
                "due_date": _when(g.due_date),
                "created_at": _when(g.created_at),
                "closed_at": _when(g.closed_at),
            }
            for g in goals
        ],
        "resources": [
            {"title": r.title, "url": r.url, "created_at": _when(r.created_at)} for r in resources
        ],
    }


def _notes(db: OrmSession, where: Any) -> list[dict[str, Any]]:
    rows = db.scalars(select(CoachingNote).where(where).order_by(CoachingNote.id))
    return [
        {"id": n.id, "session_id": n.session_id, "at_s": n.at_s,
         "text": n.text, "reply_to": n.reply_to, "created_at": _when(n.created_at)}
        for n in rows
    ]  # fmt: skip


def _session(
    db: OrmSession, session: Session, speaker: str | None, sees_notes: bool
) -> dict[str, Any]:
    saved = load_transcript(db, session.id)
    report = load_report(db, session.id)
    cues = db.scalars(
        select(CueRow).where(CueRow.session_id == session.id, CueRow.speaker == speaker)
    )
    entry: dict[str, Any] = {
        "id": session.id,
        "title": session.title,
        "held_at": _when(session.held_at),
        "status": session.status,
        "duration_s": session.duration_s,
        "mentorship_id": session.mentorship_id,
        "you_speak_as": speaker,
        "names": {p.speaker: p.person.name for p in session.participants if p.person is not None},
        "transcript": [
            {"speaker": u.speaker, "start_s": u.start_s, "end_s": u.end_s, "text": u.text}
            for u in saved.transcript.utterances
        ],
        "transcript_deleted_at": _when(session.transcript_deleted_at),
        "chat": chat_history(db, session.id),
        "action_items": report.action_items,
        "talk": report.talk,
        "cues_shown_to_you": [
            {"at_s": c.at_s, "kind": c.kind, "message": c.message, "dismissed": c.dismissed}
            for c in cues
        ],
    }
    if sees_notes:
        entry["coaching_notes"] = _notes(db, CoachingNote.session_id == session.id)
    return entry


def gather(db: OrmSession, person_id: int) -> PersonExport:
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    logins = db.scalars(
        select(AuthSession).where(AuthSession.person_id == person_id).order_by(AuthSession.id)
    )
    mentorships = db.scalars(
        select(Mentorship)
        .where(
            or_(
                Mentorship.mentor_id == person_id,
                Mentorship.mentee_id == person_id,
                Mentorship.trainer_id == person_id,
            )
        )
        .order_by(Mentorship.id)
    ).all()
    taken_part = db.execute(
        select(Participant.session_id, Participant.speaker).where(
            Participant.person_id == person_id
        )
    ).all()
    speaker_in = {session_id: speaker for session_id, speaker in taken_part}
    # Sessions of their own mentorships count even where no participant row names them (an
    # import before they joined).
    member_of = {m.id: m for m in mentorships if person_id in (m.mentor_id, m.mentee_id)}
    sessions = db.scalars(
        select(Session)
        .where(or_(Session.id.in_(speaker_in), Session.mentorship_id.in_(member_of)))
        .order_by(Session.held_at, Session.id)
    ).all()
    export = PersonExport({})
    entries = []
    for session in sessions:
        mentorship = member_of.get(session.mentorship_id or 0)
        speaker = speaker_in.get(session.id)
        if speaker is None and mentorship is not None:
            speaker = "mentor" if mentorship.mentor_id == person_id else "mentee"
        sees_notes = mentorship is not None and mentorship.mentor_id == person_id
        entries.append(_session(db, session, speaker, sees_notes))
        for recording in db.scalars(
            select(Recording)
            .where(Recording.session_id == session.id, Recording.speaker == speaker)
            .order_by(Recording.id)
        ):
            path = Path(recording.path)
            if path.is_file():
                export.audio.append((f"audio/session-{session.id}/{path.name}", path))
    export.document = {
        "format": FORMAT,
        "exported_at": _when(utcnow()),
        "person": {
            "id": person.id,
            "email": person.email,
            "name": person.name,
            "role": person.role,
            "active": person.active,
            "created_at": _when(person.created_at),
            "password_set": person.password_hash is not None,
            "password_reset_at": _when(person.password_reset_at),
        },
        "logins": [
            {
                "created_at": _when(a.created_at),
                "last_seen_at": _when(a.last_seen_at),
                "ended": a.revoked,
            }
            for a in logins
        ],
        "mentorships": [_mentorship(db, m, person_id) for m in mentorships],
        "sessions": entries,
        "coaching_notes_written": _notes(db, CoachingNote.author_id == person_id),
        "audio_files": [name for name, _ in export.audio],
    }
    return export


def write_zip(export: PersonExport, out: Path) -> int:
    """Write the archive; returns its size in bytes. It is written under a temporary name
    and renamed, so a failure (disk full) leaves no half archive that looks whole."""
    partial = out.with_name(f".{out.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "person.json", json.dumps(export.document, ensure_ascii=False, indent=2) + "\n"
            )
            for name, path in export.audio:
                archive.write(path, name, compress_type=zipfile.ZIP_STORED)  # already compressed
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out.stat().st_size
