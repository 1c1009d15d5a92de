"""Deleting so that nothing is left: a session, a mentorship or a person, with their rows,
recordings, spools, uploads and search index content; and the retention policy's partial
removals (audio only, or what was said).

Rows go by foreign-key cascade (utterances, speech, action items, cues, chat, participants,
recordings). Deleted text would otherwise linger in two places of a SQLite file: FTS5 keeps
the tokens of deleted rows in its segments until they are merged (``optimize``), and freed
pages keep their old bytes unless ``secure_delete`` zeroes them; the write-ahead log is
checkpointed and truncated so no old page survives there either.

On PostgreSQL a row's search vector is part of the row: at commit the deleted text is gone
from every query and index lookup. The dead rows' space is reclaimed by autovacuum (which
Tandem leaves to its schedule: a VACUUM here would scan every index of the tables on each
deletion); until it is reused, old bytes can remain in the data files and the WAL, as on any
PostgreSQL server (docs/configuration.md).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.orm import Session as OrmSession

from server.db.store import NotFound
from server.db.tables import (
    ActionItemRow,
    ChatMessage,
    CoachingNote,
    Mentorship,
    Participant,
    Person,
    Recording,
    Session,
    Upload,
    UtteranceRow,
    utcnow,
)
from server.settings import Settings

log = logging.getLogger("tandem.deletion")

OPEN_STATUSES = ("scheduled", "live")
SEARCH_INDEXES = ("utterances_fts", "chat_fts")


@dataclass(frozen=True)
class Deleted:
    session_id: int
    title: str
    files_removed: int


def session_files(db: OrmSession, session_id: int, recordings_dir: Path) -> list[Path]:
    """Every file and folder on disk that holds something of the session."""
    paths = {recordings_dir / f"session-{session_id}"}
    for stored in db.scalars(select(Recording.path).where(Recording.session_id == session_id)):
        paths.add(Path(stored))
    for legacy in db.scalars(
        select(Participant.recording_path).where(Participant.session_id == session_id)
    ):
        if legacy is not None:
            paths.add(Path(legacy))
    return sorted(paths)


def delete_session(
    db: OrmSession, session_id: int, recordings_dir: Path, spool_dir: Path
) -> Deleted:
    """Remove the session and all that belongs to it. A call still open is refused (its room
    would write on): end it first."""
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    _refuse_busy(session)
    title = session.title
    files = [*session_files(db, session_id, recordings_dir), spool_dir]
    db.delete(session)
    db.commit()
    removed = sum(_remove(path) for path in files)
    purge_deleted_text(db)
    return Deleted(session_id, title, removed)


def _refuse_busy(session: Session) -> None:
    if session.status in OPEN_STATUSES and session.started_at is not None:
        raise ValueError("the call is still open: end it before deleting the session")
    if session.refine_status == "running":
        raise ValueError("the transcript is being refined right now; delete it in a minute")


@dataclass(frozen=True)
class DeletedMany:
    """What went with a mentorship or a person."""

    what: str
    sessions: int
    files_removed: int


def delete_mentorship(
    db: OrmSession, mentorship_id: int, settings: Settings, busy: Collection[int] = ()
) -> DeletedMany:
    """The mentorship and everything of it: its sessions (as delete_session), goals,
    resources, uploads and their files."""
    mentorship = db.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(f"no mentorship {mentorship_id}")
    what = f"{mentorship.mentor.name} and {mentorship.mentee.name}"
    sessions = db.scalars(select(Session).where(Session.mentorship_id == mentorship_id)).all()
    files = _sessions_files(db, sessions, settings, busy)
    files += _upload_files(
        db, select(Upload.id).where(Upload.mentorship_id == mentorship_id), settings
    )
    for session in sessions:
        db.delete(session)
    db.delete(mentorship)
    db.commit()
    removed = sum(_remove(path) for path in files)
    purge_deleted_text(db)
    return DeletedMany(what, len(sessions), removed)


def delete_person(
    db: OrmSession, person_id: int, settings: Settings, busy: Collection[int] = ()
) -> DeletedMany:
    """The person, their logins and links, and every conversation they took part in: the
    mentorships where they are mentor or mentee go whole (the other member's sessions with
    them too), a trainer's mentorships lose their trainer, a trainer's notes go."""
    person = db.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    if person.role == "admin" and person.active:
        admins = db.scalar(
            select(func.count())
            .select_from(Person)
            .where(Person.role == "admin", Person.active.is_(True))
        )
        if (admins or 0) <= 1:
            raise ValueError("this is the only admin: make another admin first")
    what = f"{person.name} <{person.email}>"
    member_of = db.scalars(
        select(Mentorship).where(
            (Mentorship.mentor_id == person_id) | (Mentorship.mentee_id == person_id)
        )
    ).all()
    ids = [m.id for m in member_of]
    sessions = db.scalars(
        select(Session).where(
            Session.mentorship_id.in_(ids)
            | Session.id.in_(
                select(Participant.session_id).where(Participant.person_id == person_id)
            )
        )
    ).all()
    files = _sessions_files(db, sessions, settings, busy)
    uploads = select(Upload.id).where(
        Upload.mentorship_id.in_(ids) | (Upload.person_id == person_id)
    )
    files += _upload_files(db, uploads, settings)
    for session in sessions:
        db.delete(session)
    db.flush()
    for mentorship in member_of:
        db.delete(mentorship)
    db.execute(update(Mentorship).where(Mentorship.trainer_id == person_id).values(trainer_id=None))
    db.execute(delete(CoachingNote).where(CoachingNote.author_id == person_id))
    db.execute(update(ChatMessage).where(ChatMessage.person_id == person_id).values(person_id=None))
    db.delete(person)
    db.commit()
    removed = sum(_remove(path) for path in files)
    purge_deleted_text(db)
    return DeletedMany(what, len(sessions), removed)


def _sessions_files(
    db: OrmSession, sessions: Sequence[Session], settings: Settings, busy: Collection[int]
) -> list[Path]:
    """Every file of these sessions; refused while one of them is a call still open."""
    files: list[Path] = []
    for session in sessions:
        if session.id in busy:
            raise ValueError("a call of theirs is still open: end it first")
        _refuse_busy(session)
        files += [
            *session_files(db, session.id, settings.recordings_dir),
            settings.spool_dir(session.id),
        ]
    return files


def _upload_files(db: OrmSession, ids: Select[int], settings: Settings) -> list[Path]:
    return [settings.uploads_dir / f"upload-{upload_id}" for upload_id in db.scalars(ids)]


def remove_audio(db: OrmSession, session: Session, settings: Settings) -> int:
    """The session's recordings, mixed file and spool; rows say the audio is gone."""
    files = [
        *session_files(db, session.id, settings.recordings_dir),
        settings.spool_dir(session.id),
    ]
    db.execute(delete(Recording).where(Recording.session_id == session.id))
    db.execute(
        update(Participant).where(Participant.session_id == session.id).values(recording_path=None)
    )
    session.audio_deleted_at = utcnow()
    db.commit()
    return sum(_remove(path) for path in files)


def remove_transcript(db: OrmSession, session: Session, settings: Settings) -> int:
    """What was said (utterances, chat, action items) and the audio; the session, its talk
    figures, cues and coaching notes stay for the progress pages."""
    removed = remove_audio(db, session, settings)
    for table in (UtteranceRow, ChatMessage, ActionItemRow):
        db.execute(delete(table).where(table.session_id == session.id))
    session.transcript_deleted_at = utcnow()
    db.commit()
    return removed


def _remove(path: Path) -> int:
    try:
        if path.is_dir():
            count = sum(1 for p in path.rglob("*") if p.is_file())
            shutil.rmtree(path)
            return count
        if path.exists():
            path.unlink()
            return 1
    except OSError:
        log.exception("could not remove %s", path)
        raise
    return 0


def purge_deleted_text(db: OrmSession) -> None:
    """Make deleted words unreadable in the database file (SQLite; PostgreSQL reclaims the
    space with autovacuum, see the module's notes)."""
    if db.get_bind().dialect.name != "sqlite":
        return
    for index in SEARCH_INDEXES:
        db.execute(text(f"INSERT INTO {index}({index}) VALUES ('optimize')"))
    db.commit()
    connection = db.connection()
    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.commit()


@dataclass(frozen=True)
class Footprint:
    """What deleting a person or a mentorship would take with it (shown before it is done)."""

    mentorships: int
    sessions: int
    recordings: int


def person_footprint(db: OrmSession, person_id: int) -> Footprint:
    ids = list(
        db.scalars(
            select(Mentorship.id).where(
                (Mentorship.mentor_id == person_id) | (Mentorship.mentee_id == person_id)
            )
        )
    )
    sessions = select(Session.id).where(
        Session.mentorship_id.in_(ids)
        | Session.id.in_(select(Participant.session_id).where(Participant.person_id == person_id))
    )
    return _footprint(db, len(ids), sessions)


def mentorship_footprint(db: OrmSession, mentorship_id: int) -> Footprint:
    return _footprint(db, 1, select(Session.id).where(Session.mentorship_id == mentorship_id))


def _footprint(db: OrmSession, mentorships: int, sessions: Select[int]) -> Footprint:
    count = db.scalar(select(func.count()).select_from(sessions.subquery())) or 0
    recordings = db.scalar(
        select(func.count()).select_from(Recording).where(Recording.session_id.in_(sessions))
    )
    return Footprint(mentorships, count, recordings or 0)
