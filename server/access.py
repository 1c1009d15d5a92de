"""Who may see what. Every endpoint asks here about the specific object, not just "logged in".

- mentor and mentee of a mentorship: join its calls, read its sessions (transcripts, action
  items, figures), change their own agreement to share transcripts with the trainer;
- its trainer: the talk figures of its sessions; transcripts and action items only when both
  members agreed to share them;
- an admin: manages people and mentorships; reads only sessions that belong to no mentorship
  (imports not yet assigned), never a mentorship's conversations by default.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy import or_, select
from sqlalchemy.orm import Session as OrmSession

from server.auth import Viewer
from server.db.tables import Mentorship, Session


class Level(Enum):
    NONE = 0
    #: Title, date, talk figures and cues.
    FIGURES = 1
    #: Everything: transcript, action items, exports.
    FULL = 2


def mentorship_level(viewer: Viewer, mentorship: Mentorship) -> Level:
    if viewer.person_id in (mentorship.mentor_id, mentorship.mentee_id):
        return Level.FULL
    if viewer.person_id == mentorship.trainer_id:
        return Level.FULL if mentorship.shares_transcripts else Level.FIGURES
    return Level.NONE


def is_member(viewer: Viewer, mentorship: Mentorship) -> bool:
    return viewer.person_id in (mentorship.mentor_id, mentorship.mentee_id)


def session_level(viewer: Viewer, session: Session) -> Level:
    if session.mentorship is None:
        return Level.FULL if viewer.is_admin else Level.NONE
    return mentorship_level(viewer, session.mentorship)


def visible_mentorships(db: OrmSession, viewer: Viewer) -> list[Mentorship]:
    """Mentorships the viewer belongs to or coaches (admins: all, for managing them)."""
    query = select(Mentorship).order_by(Mentorship.id)
    if not viewer.is_admin:
        query = query.where(
            or_(
                Mentorship.mentor_id == viewer.person_id,
                Mentorship.mentee_id == viewer.person_id,
                Mentorship.trainer_id == viewer.person_id,
            )
        )
    return list(db.scalars(query))


def readable_session_ids(db: OrmSession, viewer: Viewer, level: Level) -> set[int]:
    """Ids of sessions the viewer may see at ``level`` or better."""
    allowed = set()
    for mentorship in visible_mentorships(db, viewer):
        if mentorship_level(viewer, mentorship).value >= level.value:
            allowed.add(mentorship.id)
    query = select(Session.id).where(Session.mentorship_id.in_(allowed))
    if viewer.is_admin:
        query = select(Session.id).where(Session.mentorship_id.is_(None))
    return set(db.scalars(query))


def may_manage_session(viewer: Viewer, session: Session) -> bool:
    """Rename it (and later delete it): the pair for their sessions, an admin for imports
    that belong to no mentorship. Trainers read; they do not manage."""
    if session.mentorship is None:
        return viewer.is_admin
    return is_member(viewer, session.mentorship)
