"""The recorded files of a session and the one file of both voices built from them.

A call's audio is kept only when both people agreed; each connection's recording is a row of
``recordings`` (its file and where it starts on the session clock). The review page plays
one mixed file, ``both.ogg`` in the session's recordings folder (so deleting the session
removes it too), built after the call by the refinement worker or on first request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from server.db.tables import Recording, Session

MIX_NAME = "both.ogg"


@dataclass(frozen=True)
class AudioPlan:
    #: (start on the session clock, file) of each recording still on disk.
    files: list[tuple[float, Path]]
    duration_s: float | None

    def stale(self, mixed: Path) -> bool:
        """The mixed file is missing or older than one of the recordings."""
        if not mixed.is_file():
            return True
        built = mixed.stat().st_mtime
        return any(path.stat().st_mtime > built for _, path in self.files)


def recorded_files(db: OrmSession, session_id: int) -> AudioPlan:
    rows = db.scalars(
        select(Recording).where(Recording.session_id == session_id).order_by(Recording.id)
    ).all()
    session = db.get(Session, session_id)
    files = [(r.start_s, Path(r.path)) for r in rows if Path(r.path).is_file()]
    return AudioPlan(files, session.duration_s if session else None)


def mix_path(recordings_dir: Path, session_id: int) -> Path:
    return recordings_dir / f"session-{session_id}" / MIX_NAME
