"""What a trainer coaches from: each mentor's sessions over time as figures (no words), read
from the figures stored with each session and the cues saved in the call.

Who may see a mentor's figures: the trainer of one of the mentor's mentorships (for those
mentorships), and the mentor themself (all of theirs: self-coaching). Sync; call from a
worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from media.insight.trends import SessionFigures, Trends, session_figures, trends
from server.db.store import as_utc
from server.db.tables import CoachingNote, CueRow, Mentorship, Person, Session, is_row_id


@dataclass(frozen=True)
class MentorView:
    mentor: Person
    mentorships: list[Mentorship]
    trends: Trends
    #: session id → the mentee's name, for tables.
    mentee_of: dict[int, str]
    #: Coaching notes on the mentor's sessions, newest first (replies with their notes).
    notes: list[dict[str, Any]] = field(default_factory=list)


def coached_mentorships(db: OrmSession, person_id: int) -> list[Mentorship]:
    """Mentorships whose figures this person may coach from: the ones they train, and the
    ones where they are the mentor."""
    return list(
        db.scalars(
            select(Mentorship)
            .where(or_(Mentorship.trainer_id == person_id, Mentorship.mentor_id == person_id))
            .order_by(Mentorship.id)
        )
    )


def mentor_views(
    db: OrmSession, person_id: int, targets: dict[str, Any], mentor_id: int | None = None
) -> list[MentorView]:
    """One view per mentor the person coaches (or their own, for a mentor)."""
    by_mentor: dict[int, list[Mentorship]] = {}
    for mentorship in coached_mentorships(db, person_id):
        if mentor_id is None or mentorship.mentor_id == mentor_id:
            by_mentor.setdefault(mentorship.mentor_id, []).append(mentorship)
    views = []
    for mentorships in sorted(by_mentor.values(), key=lambda ms: ms[0].mentor.name):
        ids = [m.id for m in mentorships]
        sessions = db.scalars(
            select(Session)
            .where(Session.mentorship_id.in_(ids), Session.talk.is_not(None))
            .order_by(Session.held_at)
        ).all()
        cues = dict(
            db.execute(
                select(CueRow.session_id, func.count())
                .where(CueRow.session_id.in_([s.id for s in sessions]))
                .group_by(CueRow.session_id)
            ).all()
        )
        names = {m.id: m.mentee.name for m in mentorships}
        figures: list[SessionFigures] = [
            session_figures(
                s.id,
                s.title,
                as_utc(s.held_at),
                s.talk,
                int(cues.get(s.id, 0)),
                (s.talk or {}).get("targets") or targets,
            )
            for s in sessions
        ]
        noted = db.scalars(select(Session.id).where(Session.mentorship_id.in_(ids))).all()
        views.append(
            MentorView(
                mentorships[0].mentor,
                mentorships,
                # Sentences speak of the targets the latest session was held to.
                trends(figures, {**targets, **(figures[-1].targets if figures else {})}),
                {s.id: names[s.mentorship_id] for s in sessions if s.mentorship_id in names},
                list(reversed(list_notes(db, list(noted)))),
            )
        )
    return views


CSV_COLUMNS = (
    "session_id", "title", "held_at", "mentee", "mentee_share", "longest_monologue_s",
    "mentor_questions", "mentor_interruptions", "mentor_backchannels",
    "median_response_gap_s", "cues_shown", "missed_targets",
)  # fmt: skip


def csv_rows(view: MentorView) -> list[list[object]]:
    return [
        [s.session_id, s.title, s.held_at.isoformat(), view.mentee_of.get(s.session_id, ""),
         "" if s.mentee_share is None else round(s.mentee_share, 4),
         "" if s.longest_monologue_s is None else round(s.longest_monologue_s, 1),
         s.mentor_questions, s.mentor_interruptions, s.mentor_backchannels,
         "" if s.median_response_gap_s is None else round(s.median_response_gap_s, 2),
         s.cues_shown, " ".join(s.missed)]
        for s in view.trends.sessions
    ]  # fmt: skip


# -- coaching notes ------------------------------------------------------------------------------
MAX_NOTE = 4000


def note_readers(mentorship: Mentorship) -> set[int]:
    """Who reads a session's coaching notes: its trainer and its mentor (not the mentee)."""
    return {mentorship.mentor_id, *([mentorship.trainer_id] if mentorship.trainer_id else [])}


def note_json(note: CoachingNote, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": note.id,
        "session_id": note.session_id,
        "author_id": note.author_id,
        "author": names.get(note.author_id or 0, "someone who left"),
        "at": note.at_s,
        "text": note.text,
        "reply_to": note.reply_to,
        "created_at": as_utc(note.created_at).isoformat(),
    }


def list_notes(db: OrmSession, session_ids: list[int]) -> list[dict[str, Any]]:
    """Notes of these sessions, oldest first, replies after the note they answer."""
    notes = db.scalars(
        select(CoachingNote)
        .where(CoachingNote.session_id.in_(session_ids))
        .order_by(CoachingNote.created_at, CoachingNote.id)
    ).all()
    authors = {n.author_id for n in notes if n.author_id is not None}
    names = {p.id: p.name for p in db.scalars(select(Person).where(Person.id.in_(authors)))}
    top = [n for n in notes if n.reply_to is None]
    ordered: list[CoachingNote] = []
    for note in top:
        ordered.append(note)
        ordered += [n for n in notes if n.reply_to == note.id]
    return [note_json(n, names) for n in ordered]


def add_note(
    db: OrmSession, session: Session, author: Person, body: dict[str, object]
) -> CoachingNote:
    """A trainer writes notes; the mentor replies to one. Raises ValueError with a reason."""
    mentorship = session.mentorship
    assert mentorship is not None
    unknown = sorted(set(body) - {"text", "at", "reply_to"})
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; fields are at, reply_to, text")
    raw = body.get("text")
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("text must not be empty")
    text = raw.strip()
    if len(text) > MAX_NOTE or any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise ValueError(f"text has at most {MAX_NOTE} printable characters")
    at = body.get("at")
    if at is not None and (isinstance(at, bool) or not isinstance(at, int | float)
                           or not 0 <= at <= (session.duration_s or 10**7)):  # fmt: skip
        raise ValueError("at must be a moment of the session, in seconds")
    reply_to = body.get("reply_to")
    if author.id == mentorship.trainer_id:
        if reply_to is not None:
            raise ValueError("the trainer writes notes; the mentor replies")
    elif author.id == mentorship.mentor_id:
        parent = db.get(CoachingNote, reply_to) if is_row_id(reply_to) else None
        if parent is None or parent.session_id != session.id or parent.reply_to is not None:
            raise ValueError("a mentor replies to one of the trainer's notes (reply_to)")
    else:
        raise PermissionError("only the trainer writes coaching notes")
    note = CoachingNote(session_id=session.id, author_id=author.id,
                        at_s=None if at is None else float(at), text=text,
                        reply_to=reply_to if is_row_id(reply_to) else None)  # fmt: skip
    db.add(note)
    db.commit()
    return note
