"""What a trainer coaches from: each mentor's sessions over time as figures (no words), read
from the figures stored with each session and the cues saved in the call.

Who may see a mentor's figures: the trainer of one of the mentor's mentorships (for those
mentorships), and the mentor themself (all of theirs: self-coaching). Sync; call from a
worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session as OrmSession

from media.insight.trends import SessionFigures, Trends, session_figures, trends
from server.db.store import as_utc
from server.db.tables import CueRow, Mentorship, Person, Session


@dataclass(frozen=True)
class MentorView:
    mentor: Person
    mentorships: list[Mentorship]
    trends: Trends
    #: session id → the mentee's name, for tables.
    mentee_of: dict[int, str]


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
        views.append(
            MentorView(
                mentorships[0].mentor,
                mentorships,
                trends(figures, targets),
                {s.id: names[s.mentorship_id] for s in sessions if s.mentorship_id in names},
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
