"""Saving and reading sessions and their transcripts (sync; call from a worker thread)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import selectinload

from media.insight.analysis import Analysis, infer_roles
from media.transcript import SpeechInterval, Transcript, Utterance, Word
from server.db.tables import (
    ActionItemRow,
    CueRow,
    Mentorship,
    Participant,
    Session,
    SpeechRow,
    UtteranceRow,
)

#: Action items in the order they came up in the conversation; ones added by hand after them.
ITEM_ORDER = (
    case((ActionItemRow.origin == "added", 1), else_=0),
    ActionItemRow.start_s,
    ActionItemRow.id,
)


class NotFound(LookupError):
    """No such object; the message names it."""


@dataclass(frozen=True)
class SessionSummary:
    id: int
    title: str
    status: str
    held_at: datetime
    duration_s: float | None
    speakers: tuple[str, ...]
    utterance_count: int
    model: str | None
    #: When the retention policy removed the audio, and what was said (None: kept).
    audio_deleted_at: datetime | None = None
    transcript_deleted_at: datetime | None = None


@dataclass(frozen=True)
class SavedTranscript:
    summary: SessionSummary
    transcript: Transcript


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored moment is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def participant_ids(db: OrmSession, session_id: int) -> dict[str, int]:
    """Participant row id by speaker label, for linking utterances to people."""
    found = db.scalars(select(Participant).where(Participant.session_id == session_id))
    return {p.speaker: p.id for p in found}


def utterance_rows(
    session_id: int, participants: Mapping[str, int], utterances: Sequence[Utterance], source: str
) -> list[UtteranceRow]:
    """Rows for utterances of one session ("live" captions or the "refined" transcript)."""
    return [
        UtteranceRow(
            session_id=session_id,
            participant_id=participants.get(u.speaker),
            speaker=u.speaker,
            start_s=u.start_s,
            end_s=u.end_s,
            text=u.text,
            words=[w.to_json() for w in u.words],
            source=source,
        )
        for u in utterances
    ]


def speech_rows(session_id: int, intervals: Sequence[SpeechInterval]) -> list[SpeechRow]:
    return [
        SpeechRow(session_id=session_id, speaker=i.speaker, start_s=i.start_s, end_s=i.end_s)
        for i in intervals
    ]


def save_transcript(
    db: OrmSession,
    transcript: Transcript,
    title: str,
    held_at: datetime,
    mentorship_id: int | None = None,
    analysis: Analysis | None = None,
    approximate: bool = False,
) -> int:
    """Store an imported transcript (and its analysis) as a new session; returns its id.
    ``approximate``: the times come from another tool's cues, not from voice activity."""
    session = Session(
        title=title,
        status="imported",
        held_at=held_at.astimezone(UTC),
        duration_s=transcript.duration_s,
        model=transcript.model,
        language=transcript.language,
        transcript_source="refined",
        mentorship_id=mentorship_id,
    )
    participants = {name: Participant(speaker=name) for name in transcript.speakers}
    session.participants.extend(participants.values())
    db.add(session)
    db.flush()
    ids = {name: p.id for name, p in participants.items()}
    db.add_all(utterance_rows(session.id, ids, transcript.utterances, "refined"))
    db.add_all(speech_rows(session.id, transcript.speech))
    if analysis is not None:
        _store_analysis(db, session, transcript, analysis)
        if approximate and session.talk is not None:
            session.talk = {**session.talk, "approximate": True}
    if mentorship_id is not None:
        mentorship = db.get(Mentorship, mentorship_id)
        if mentorship is not None:
            link_participants(session, mentorship)
    db.commit()
    return session.id


def link_participants(session: Session, mentorship: Mentorship) -> None:
    """Give the transcript's speakers the mentorship's people (by role), so pages show names."""
    roles = (session.talk or {}).get("roles") or infer_roles(
        [p.speaker for p in session.participants]
    )
    people = {"mentor": mentorship.mentor_id, "mentee": mentorship.mentee_id}
    for participant in session.participants:
        role = roles.get(participant.speaker)
        if role in people and participant.person_id is None:
            participant.person_id = people[role]


def replace_analysis(
    db: OrmSession, session_id: int, transcript: Transcript, analysis: Analysis
) -> None:
    """New talk figures and action items for a session (its cues, as shown, stay). Action
    items someone already changed stay as they made them."""
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    keep_items = session.action_items_edited_at is not None
    if not keep_items:
        db.execute(delete(ActionItemRow).where(ActionItemRow.session_id == session_id))
    _store_analysis(db, session, transcript, analysis, with_cues=False, with_items=not keep_items)


def _store_analysis(
    db: OrmSession,
    session: Session,
    transcript: Transcript,
    analysis: Analysis,
    with_cues: bool = True,
    with_items: bool = True,
) -> None:
    document = analysis.to_json(transcript)
    session.talk = {
        "talk": document["talk"],
        "targets": document["targets"],
        "roles": document["roles"],
    }
    if with_items:
        _add_items(db, session, analysis, document)
    if not with_cues:
        return
    db.add_all(
        CueRow(
            session_id=session.id,
            at_s=cue.at_s,
            speaker=cue.speaker,
            kind=cue.kind,
            message=cue.message,
            value=cue.value,
        )
        for cue in analysis.cues
    )


def _add_items(
    db: OrmSession, session: Session, analysis: Analysis, document: dict[str, Any]
) -> None:
    db.add_all(
        ActionItemRow(
            session_id=session.id,
            action=item.action,
            owner=item.owner,
            kind=item.kind,
            due_phrase=item.due_phrase,
            due_date=item.due_date,
            start_s=item.start_s,
            confidence=item.confidence,
            sources=json_item["sources"],
        )
        for item, json_item in zip(analysis.action_items, document["action_items"], strict=True)
    )


@dataclass(frozen=True)
class SessionReport:
    """What was worked out for a session: talk figures, cues, action items (JSON-ready)."""

    talk: dict[str, Any] | None
    cues: list[dict[str, Any]]
    action_items: list[dict[str, Any]]


def load_report(db: OrmSession, session_id: int) -> SessionReport:
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    items = db.scalars(
        select(ActionItemRow).where(ActionItemRow.session_id == session_id).order_by(*ITEM_ORDER)
    ).all()
    cues = db.scalars(
        select(CueRow).where(CueRow.session_id == session_id).order_by(CueRow.at_s, CueRow.id)
    ).all()
    return SessionReport(
        talk=session.talk,
        cues=[
            {
                "at": c.at_s,
                "speaker": c.speaker,
                "kind": c.kind,
                "message": c.message,
                "value": c.value,
                "dismissed": c.dismissed,
            }
            for c in cues
        ],
        action_items=[
            {
                "id": i.id,
                "action": i.action,
                "owner": i.owner,
                "kind": i.kind,
                "due": i.due_phrase,
                "due_date": i.due_date.isoformat() if i.due_date else None,
                "start": i.start_s,
                "confidence": i.confidence,
                "sources": i.sources,
                "done": i.done,
                "origin": i.origin,
            }
            for i in items
        ],
    )


def load_speech(db: OrmSession, session_id: int) -> list[SpeechInterval]:
    rows = db.scalars(
        select(SpeechRow).where(SpeechRow.session_id == session_id).order_by(SpeechRow.start_s)
    ).all()
    return [SpeechInterval(r.speaker, r.start_s, r.end_s) for r in rows]


def _summary(session: Session, count: int) -> SessionSummary:
    return SessionSummary(
        id=session.id,
        title=session.title,
        status=session.status,
        held_at=as_utc(session.held_at),
        duration_s=session.duration_s,
        speakers=tuple(p.speaker for p in session.participants),
        utterance_count=count,
        model=session.model,
        audio_deleted_at=session.audio_deleted_at and as_utc(session.audio_deleted_at),
        transcript_deleted_at=(
            session.transcript_deleted_at and as_utc(session.transcript_deleted_at)
        ),
    )


def list_sessions(
    db: OrmSession, limit: int = 200, only: set[int] | None = None
) -> list[SessionSummary]:
    """Newest first; ``only`` restricts to these session ids."""
    counts = (
        select(UtteranceRow.session_id, func.count().label("n"))
        .join(Session, Session.id == UtteranceRow.session_id)
        .where(UtteranceRow.source == Session.transcript_source)
        .group_by(UtteranceRow.session_id)
        .subquery()
    )
    query = select(Session, func.coalesce(counts.c.n, 0))
    if only is not None:
        query = query.where(Session.id.in_(only))
    rows = db.execute(
        query.outerjoin(counts, counts.c.session_id == Session.id)
        .options(selectinload(Session.participants))
        .order_by(Session.held_at.desc(), Session.id.desc())
        .limit(limit)
    ).all()
    return [_summary(session, count) for session, count in rows]


def load_transcript(db: OrmSession, session_id: int, source: str | None = None) -> SavedTranscript:
    """The session's transcript: its current one, or the ``source`` ("live"/"refined") asked."""
    session = db.get(Session, session_id, options=[selectinload(Session.participants)])
    if session is None:
        raise NotFound(f"no session {session_id}")
    wanted = source or session.transcript_source
    rows: Sequence[UtteranceRow] = db.scalars(
        select(UtteranceRow)
        .where(
            UtteranceRow.session_id == session_id,
            UtteranceRow.source == wanted,
        )
        .order_by(UtteranceRow.start_s, UtteranceRow.end_s, UtteranceRow.id)
    ).all()
    utterances = [
        Utterance(
            speaker=row.speaker,
            start_s=row.start_s,
            end_s=row.end_s,
            text=row.text,
            words=tuple(Word.from_json(w) for w in row.words or ()),
        )
        for row in rows
    ]
    transcript = Transcript(
        duration_s=session.duration_s or max((u.end_s for u in utterances), default=0.0),
        speakers=[p.speaker for p in session.participants],
        model=session.model or "",
        language=session.language,
        utterances=utterances,
        speech=load_speech(db, session_id),
    )
    return SavedTranscript(summary=_summary(session, len(utterances)), transcript=transcript)
