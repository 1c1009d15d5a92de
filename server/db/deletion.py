"""Deleting a session so that nothing of it is left: rows, recordings, spool, search index.

Rows go by foreign-key cascade (utterances, speech, action items, cues, chat, participants,
recordings). Deleted text would otherwise linger in two places of a SQLite file: FTS5 keeps
the tokens of deleted rows in its segments until they are merged (``optimize``), and freed
pages keep their old bytes unless ``secure_delete`` zeroes them; the write-ahead log is
checkpointed and truncated so no old page survives there either.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session as OrmSession

from server.db.store import NotFound
from server.db.tables import Participant, Recording, Session

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
    if session.status in OPEN_STATUSES and session.started_at is not None:
        raise ValueError("the call is still open: end it before deleting the session")
    if session.refine_status == "running":
        raise ValueError("the transcript is being refined right now; delete it in a minute")
    title = session.title
    files = [*session_files(db, session_id, recordings_dir), spool_dir]
    db.delete(session)
    db.commit()
    removed = sum(_remove(path) for path in files)
    purge_deleted_text(db)
    return Deleted(session_id, title, removed)


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
    """Make deleted words unreadable in the database file (SQLite; other engines reclaim
    space their own way)."""
    if db.get_bind().dialect.name != "sqlite":
        return
    for index in SEARCH_INDEXES:
        db.execute(text(f"INSERT INTO {index}({index}) VALUES ('optimize')"))
    db.commit()
    connection = db.connection()
    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.commit()
