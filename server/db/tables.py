"""The domain as tables (SQLAlchemy 2 typed ORM). Schema changes go through Alembic migrations.

Times of speech (``start_s``, ``end_s``) are seconds on the session clock; wall-clock moments are
timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeGuard

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


ROLES = ("admin", "trainer", "mentor", "mentee")
#: The largest id SQLite stores (a larger Python int raises OverflowError when bound).
MAX_ROW_ID = 2**63 - 1


def is_row_id(value: object) -> TypeGuard[int]:
    """Whether a value from a request can be a row's id (JSON's true is no id)."""
    return type(value) is int and 1 <= value <= MAX_ROW_ID


SESSION_STATUSES = ("scheduled", "live", "ended", "interrupted", "imported")
CALL_ROLES = ("mentor", "mentee")
UTTERANCE_SOURCES = ("live", "refined")


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: When the operator last reset the password from the console (`tandem users reset`), and
    #: whether the person has yet to be told at a login.
    password_reset_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    reset_notice: Mapped[bool] = mapped_column(Boolean, default=False)


class Mentorship(Base):
    __tablename__ = "mentorships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    mentee_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    #: Each member's agreement that the trainer may read transcripts (not only figures).
    mentor_shares: Mapped[bool] = mapped_column(Boolean, default=False)
    mentee_shares: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Targets a trainer or admin set for this pair only, over the program's ({key: value}).
    targets: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)

    # Joined eagerly: pages render people's names after the database session has closed.
    mentor: Mapped[Person] = relationship(foreign_keys=[mentor_id], lazy="joined")
    mentee: Mapped[Person] = relationship(foreign_keys=[mentee_id], lazy="joined")
    trainer: Mapped[Person | None] = relationship(foreign_keys=[trainer_id], lazy="joined")

    @property
    def shares_transcripts(self) -> bool:
        """The trainer may read transcripts only when both members agreed."""
        return self.mentor_shares and self.mentee_shares


class Session(Base):
    """One conversation: a call held in Tandem or a recording imported with ``tandem analyze``."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentorship_id: Mapped[int | None] = mapped_column(ForeignKey("mentorships.id"), default=None)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="imported")
    #: When the conversation took place (the import's --date, or the call's start).
    held_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: When the call's clock started (first join); None before anyone joined.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    #: Which utterances are the transcript people read: "live" until refinement replaces them.
    transcript_source: Mapped[str] = mapped_column(String(16), default="refined")
    #: The talk-balance figures (media.insight.balance.TalkReport.to_json) with the targets used.
    talk: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    #: The refinement pass after a call: None (not needed), pending, running, done, failed.
    refine_status: Mapped[str | None] = mapped_column(String(16), default=None)
    refine_progress: Mapped[float] = mapped_column(Float, default=0.0)
    refine_error: Mapped[str | None] = mapped_column(Text, default=None)
    #: Passes started on this session's audio (bounded: the audio is deleted after the last).
    refine_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The job queue (server.db.refine_queue): the worker running the pass, and when it last
    #: said it was alive (a pass whose worker fell silent goes back to "pending").
    refine_claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    refine_heartbeat_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    #: The server process (node, ``nodes.name``) holding the call's room: placed by the first
    #: join (server.db.nodes.place), kept as history after the call.
    node: Mapped[str | None] = mapped_column(String(200), default=None)
    #: When the retention policy removed the audio, and the transcript (figures stay).
    audio_deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    transcript_deleted_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    #: When someone first changed the action items: detection no longer replaces them.
    action_items_edited_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    mentorship: Mapped[Mentorship | None] = relationship(lazy="joined")

    @property
    def origin_is_call(self) -> bool:
        """Held in Tandem (live and refined transcripts), not imported from recordings."""
        return self.started_at is not None

    participants: Mapped[list[Participant]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="Participant.id"
    )

    __table_args__ = (
        # Workers look for pending passes (server.db.refine_queue).
        Index("ix_sessions_refine_status", "refine_status"),
        # A node's rooms (the ones it held when it died, server.db.nodes).
        Index("ix_sessions_node_status", "node", "status"),
        # One joinable call per mentorship (server.db.calls.OPEN_STATUSES).
        Index(
            "uq_sessions_open_call",
            "mentorship_id",
            unique=True,
            sqlite_where=text("status IN ('scheduled', 'live')"),
            postgresql_where=text("status IN ('scheduled', 'live')"),
        ),
    )


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    #: The speaker label used in the transcript ("mentor", "mentee", a name…).
    speaker: Mapped[str] = mapped_column(String(100))
    joined_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    #: This person agreed to audio recording (it happens only when both did).
    consent_record: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Where the recording of this person's audio starts, on the session clock.
    recording_start_s: Mapped[float | None] = mapped_column(Float, default=None)
    recording_path: Mapped[str | None] = mapped_column(String(500), default=None)
    #: Seconds of this person's audio the server received in the call (all connections).
    audio_received_s: Mapped[float] = mapped_column(Float, default=0.0)

    session: Mapped[Session] = relationship(back_populates="participants")
    person: Mapped[Person | None] = relationship()


class UtteranceRow(Base):
    __tablename__ = "utterances"
    __table_args__ = (
        Index("ix_utterances_session_source_start", "session_id", "source", "start_s"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), default=None
    )
    speaker: Mapped[str] = mapped_column(String(100))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    #: [{"word", "start", "end", "probability"}, …] as in the transcript JSON.
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(16), default="refined")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SpeechRow(Base):
    """Voice activity of one speaker: the input of the talk figures, kept to recompute them."""

    __tablename__ = "speech"
    __table_args__ = (Index("ix_speech_session_start", "session_id", "start_s"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    speaker: Mapped[str] = mapped_column(String(100))
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)


GOAL_STATUSES = ("open", "done", "dropped")


class Goal(Base):
    """Something the mentorship works towards ("lead a design review by March")."""

    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_mentorship", "mentorship_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Resource(Base):
    """A link the pair keeps for their mentorship (added by hand; chat links are found)."""

    __tablename__ = "resources"
    __table_args__ = (Index("ix_resources_mentorship", "mentorship_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(300))
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


UPLOAD_STATUSES = ("queued", "running", "done", "failed")


class Upload(Base):
    """A recording or transcript sent from the browser, processed into a session."""

    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mentorship_id: Mapped[int] = mapped_column(ForeignKey("mentorships.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    #: "tracks" (one file per person), "stereo", "single" or "transcript".
    kind: Mapped[str] = mapped_column(String(16))
    #: What the processing needs (titles, speakers, file names inside the upload folder).
    plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), default=None
    )
    #: The server process that processes it (the one that received it; a live node takes
    #: over those of a node that died).
    node: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ActionItemRow(Base):
    __tablename__ = "action_items"
    __table_args__ = (Index("ix_action_items_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(Text)
    #: "mentor", "mentee", "both" or a speaker label.
    owner: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    due_phrase: Mapped[str | None] = mapped_column(String(100), default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    start_s: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    #: [{"speaker", "start", "end", "text"}, …] the utterances it comes from.
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The mentorship goal this item serves, if someone linked it.
    goal_id: Mapped[int | None] = mapped_column(
        ForeignKey("goals.id", ondelete="SET NULL"), default=None
    )
    #: "detected" (as the analysis found it), "edited" (changed by a person), "added".
    origin: Mapped[str] = mapped_column(String(16), default="detected", server_default="detected")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Recording(Base):
    """One file of one person's call audio (a connection's worth: a reload makes another)."""

    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    speaker: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(500))
    #: Where the file starts, on the session clock.
    start_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CueRow(Base):
    __tablename__ = "cues"
    __table_args__ = (Index("ix_cues_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    at_s: Mapped[float] = mapped_column(Float)
    #: Who the cue was for.
    speaker: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[float] = mapped_column(Float)
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)


class CoachingNote(Base):
    """A trainer's note on a session or on a moment of it, and the mentor's replies. Seen by
    the mentorship's trainer and mentor only (never the mentee)."""

    __tablename__ = "coaching_notes"
    __table_args__ = (Index("ix_coaching_notes_session", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    #: The moment it is about, on the session clock (None: the whole session).
    at_s: Mapped[float | None] = mapped_column(Float, default=None)
    text: Mapped[str] = mapped_column(Text)
    #: The note this one answers (a mentor's reply), if any.
    reply_to: Mapped[int | None] = mapped_column(
        ForeignKey("coaching_notes.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuthSession(Base):
    """A login. The cookie carries the token; only its SHA-256 is stored."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    person: Mapped[Person] = relationship(lazy="joined")


class Invite(Base):
    """A one-time link: "setup" creates the first admin; "invite" lets a person set a password."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    person: Mapped[Person | None] = relationship()


class ProgramSetting(Base):
    """Program-wide settings an admin changes in the web UI (e.g. balance targets)."""

    __tablename__ = "program_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class ChatMessage(Base):
    """A side-chat message of a call; searchable with the transcript."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_session_at", "session_id", "at_s"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    speaker: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    #: Seconds on the session clock.
    at_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Node(Base):
    """A running `tandem serve` process (server.db.nodes): its name, the address its call
    sockets are reached at, and a heartbeat. A node whose heartbeat is stale is dead: the live
    ones end its calls as interrupted."""

    __tablename__ = "nodes"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginFailure(Base):
    """A failed login, counted by every server process alike (server.auth.LoginLimiter)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_key_at", "key", "at"),
        Index("ix_login_failures_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: "account:EMAIL", "address:IP" or "device:EMAIL|DEVICE".
    key: Mapped[str] = mapped_column(String(700))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
