"""What a call writes to the database: its session, participants, side chat, its end.

Sync functions; the call code runs them on worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from media.insight.cues import Cue
from media.transcript import SpeechInterval, Utterance
from server.db.nodes import place
from server.db.sessions import MAX_TITLE
from server.db.store import NotFound, as_utc, participant_ids, speech_rows, utterance_rows
from server.db.tables import (
    ChatMessage,
    CueRow,
    Mentorship,
    Participant,
    Recording,
    Session,
)


@dataclass(frozen=True)
class CallInfo:
    session_id: int
    title: str
    status: str
    started_at: datetime
    mentorship_id: int
    #: person id → (name, role in the call: "mentor" or "mentee")
    members: dict[int, tuple[str, str]]


#: Statuses of a call session that can still be joined. At most one per mentorship (a partial
#: unique index): two people pressing "Start a call" at the same moment meet in one call.
OPEN_STATUSES = ("scheduled", "live")


def open_session(db: OrmSession, mentorship_id: int) -> Session | None:
    """The mentorship's call that can be joined now, if there is one."""
    return db.scalars(
        select(Session)
        .where(Session.mentorship_id == mentorship_id, Session.status.in_(OPEN_STATUSES))
        .order_by(Session.id)
    ).first()


def default_title(mentorship: Mentorship, moment: datetime) -> str:
    """Names, day and time (the server's local time): two calls on one day differ. Long names
    are shortened so that the title fits its column (PostgreSQL holds it to that)."""
    when = f", {moment.astimezone():%Y-%m-%d %H:%M}"
    names = [mentorship.mentor.name, mentorship.mentee.name]
    room = (MAX_TITLE - len(when) - len(" & ")) // 2
    if sum(map(len, names)) > 2 * room:
        names = [name if len(name) <= room else name[: room - 1] + "\u2026" for name in names]
    return f"{names[0]} & {names[1]}{when}"


def start_session(db: OrmSession, mentorship: Mentorship, title: str | None = None) -> Session:
    """The mentorship's open call session, or a new one ready to be joined."""
    now = datetime.now(UTC)
    existing = open_session(db, mentorship.id)
    if existing is not None:
        if existing.started_at is None and existing.title == default_title(
            mentorship, as_utc(existing.held_at)
        ):
            # Started earlier but nobody came: it is today's call now.
            existing.held_at = now
            existing.title = title or default_title(mentorship, now)
            db.commit()
        return existing
    session = Session(
        title=title or default_title(mentorship, now),
        status="scheduled",
        held_at=now,
        mentorship_id=mentorship.id,
        transcript_source="live",
    )
    db.add(session)
    try:
        db.commit()
    except IntegrityError:  # the other person started it a moment ago
        db.rollback()
        existing = open_session(db, mentorship.id)
        if existing is None:
            raise
        return existing
    return session


class CallOver(LookupError):
    """The session can no longer be joined (it ended, or was imported)."""


def open_call(db: OrmSession, session_id: int, node: str | None = None) -> CallInfo:
    """The call's facts, at someone's join: the first starts its clock and marks it live, and
    places its room on ``node`` (server.db.nodes.place). NotFound when there is no such call
    session, CallOver when it can no longer be joined, Elsewhere when another node holds it."""
    session = db.get(Session, session_id)
    if session is None or session.mentorship is None:
        raise NotFound(f"no call session {session_id}")
    if session.status not in OPEN_STATUSES:
        raise CallOver(f"session {session_id} is over")
    if node is not None:
        place(db, session_id, node)
        session = db.get(Session, session_id, populate_existing=True)
        if session is None or session.mentorship is None:
            raise NotFound(f"no call session {session_id}")
        if session.status not in OPEN_STATUSES:
            raise CallOver(f"session {session_id} is over")
    if session.started_at is None:
        session.started_at = datetime.now(UTC)
        session.held_at = session.started_at
    if session.status == "scheduled":
        session.status = "live"
    db.commit()
    m = session.mentorship
    assert m is not None
    return CallInfo(
        session_id=session.id,
        title=session.title,
        status=session.status,
        started_at=as_utc(session.started_at),
        mentorship_id=m.id,
        members={m.mentor_id: (m.mentor.name, "mentor"), m.mentee_id: (m.mentee.name, "mentee")},
    )


def participant_joined(
    db: OrmSession, session_id: int, person_id: int, speaker: str, consent_record: bool
) -> None:
    row = db.scalars(
        select(Participant).where(
            Participant.session_id == session_id, Participant.person_id == person_id
        )
    ).first()
    if row is None:
        row = Participant(session_id=session_id, person_id=person_id, speaker=speaker)
        db.add(row)
    if row.joined_at is None:
        row.joined_at = datetime.now(UTC)
    row.left_at = None
    row.consent_record = consent_record
    db.commit()


def participant_left(
    db: OrmSession,
    session_id: int,
    person_id: int,
    recording_path: str | None = None,
    recording_start_s: float | None = None,
    audio_received_s: float = 0.0,
) -> None:
    db.execute(
        update(Participant)
        .where(Participant.session_id == session_id, Participant.person_id == person_id)
        .values(
            left_at=datetime.now(UTC),
            audio_received_s=Participant.audio_received_s + audio_received_s,
        )
    )
    if recording_path is not None:
        db.execute(
            update(Participant)
            .where(
                Participant.session_id == session_id,
                Participant.person_id == person_id,
                Participant.recording_path.is_(None),
            )
            .values(recording_path=recording_path, recording_start_s=recording_start_s)
        )
    db.commit()


def add_recording(db: OrmSession, session_id: int, speaker: str, path: str, start_s: float) -> None:
    db.add(Recording(session_id=session_id, speaker=speaker, path=path, start_s=start_s))
    db.commit()


def add_chat(
    db: OrmSession, session_id: int, person_id: int, speaker: str, text: str, at_s: float
) -> dict[str, Any]:
    message = ChatMessage(
        session_id=session_id, person_id=person_id, speaker=speaker, text=text, at_s=at_s
    )
    db.add(message)
    db.commit()
    return chat_json(message)


def chat_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from": message.speaker,
        "person_id": message.person_id,
        "text": message.text,
        "at": round(message.at_s, 2),
    }


def chat_history(db: OrmSession, session_id: int) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(ChatMessage)
        .where(ChatMessage.session_id == session_id)
        .order_by(ChatMessage.at_s, ChatMessage.id)
    )
    return [chat_json(m) for m in rows]


def end_call(db: OrmSession, session_id: int, duration_s: float, status: str = "ended") -> None:
    session = db.get(Session, session_id)
    if session is None:
        return
    if session.status in ("ended", "interrupted") and status == "ended":
        return
    now = datetime.now(UTC)
    session.status = status
    session.ended_at = now
    session.duration_s = max(session.duration_s or 0.0, duration_s)
    db.execute(
        update(Participant)
        .where(Participant.session_id == session_id, Participant.left_at.is_(None))
        .values(left_at=now)
    )
    db.commit()


def save_live_utterances(db: OrmSession, session_id: int, utterances: list[Utterance]) -> list[int]:
    """Final captions, stored the moment they are final (source "live")."""
    rows = utterance_rows(session_id, participant_ids(db, session_id), utterances, "live")
    db.add_all(rows)
    db.commit()
    return [r.id for r in rows]


def save_speech(db: OrmSession, session_id: int, intervals: list[SpeechInterval]) -> None:
    db.add_all(speech_rows(session_id, intervals))
    db.commit()


def save_cue(db: OrmSession, session_id: int, cue: Cue) -> int:
    row = CueRow(
        session_id=session_id,
        at_s=cue.at_s,
        speaker=cue.speaker,
        kind=cue.kind,
        message=cue.message,
        value=cue.value,
    )
    db.add(row)
    db.commit()
    return row.id


def dismiss_cue(db: OrmSession, session_id: int, cue_id: int, speaker: str) -> bool:
    row = db.get(CueRow, cue_id)
    if row is None or row.session_id != session_id or row.speaker != speaker:
        return False
    row.dismissed = True
    db.commit()
    return True
