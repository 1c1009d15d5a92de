"""Changes to a saved session: its title, and filing an import under a mentorship.

Sync functions (call from a worker thread); they raise NotFound or ValueError with a sentence
a person can act on.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy.orm import Session as OrmSession

from server.db.store import NotFound, link_participants
from server.db.tables import Mentorship, Session

MAX_TITLE = 300


def clean_title(raw: str) -> str:
    title = " ".join(raw.split())
    if not title:
        raise ValueError("give the session a title")
    if len(title) > MAX_TITLE:
        raise ValueError(f"a title has at most {MAX_TITLE} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in title):
        raise ValueError("the title has characters that cannot be shown")
    return title


def rename_session(db: OrmSession, session_id: int, title: str) -> Session:
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    session.title = clean_title(title)
    db.commit()
    return session


def file_session(db: OrmSession, session_id: int, mentorship_id: int) -> Session:
    """Put an imported session that belongs to no mentorship under one (its members can then
    read it; the admin who filed it no longer can)."""
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    if session.mentorship_id is not None:
        raise ValueError(f"session {session_id} already belongs to mentorship "
                         f"{session.mentorship_id}")  # fmt: skip
    mentorship = db.get(Mentorship, mentorship_id)
    if mentorship is None:
        raise NotFound(f"no mentorship {mentorship_id}")
    session.mentorship_id = mentorship.id
    link_participants(session, mentorship)
    db.commit()
    return session
