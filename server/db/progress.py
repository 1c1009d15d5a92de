"""A mentorship over time: its sessions with their figures and items, the action items still
open from earlier sessions ("From last time"), and the links shared in its calls.

Read from stored rows and figures (nothing is recomputed from transcripts). Sync; call from a
worker thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from server.db.action_items import item_json
from server.db.store import ITEM_ORDER, as_utc
from server.db.tables import ActionItemRow, ChatMessage, Resource, Session

#: A link in chat: http(s), up to whitespace, not counting punctuation that ends a sentence.
LINK = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")
MAX_URL = 2000


@dataclass(frozen=True)
class SessionPoint:
    id: int
    title: str
    held_at: datetime
    status: str
    duration_s: float | None
    #: The mentee's share of talk (0-1), where figures exist.
    mentee_share: float | None
    items_done: int
    items_open: int


@dataclass(frozen=True)
class SharedLink:
    url: str
    session_id: int
    session_title: str
    at_s: float
    speaker: str


def mentee_share(talk: dict[str, Any] | None) -> float | None:
    figures = (talk or {}).get("talk")
    roles: dict[str, str] = (talk or {}).get("roles") or {}
    if not figures:
        return None
    for speaker, numbers in figures["speakers"].items():
        if roles.get(speaker, speaker) == "mentee":
            return float(numbers["share"])
    return None


def session_points(db: OrmSession, mentorship_id: int) -> list[SessionPoint]:
    """The mentorship's sessions, oldest first (a progress reads left to right)."""
    sessions = db.scalars(
        select(Session).where(Session.mentorship_id == mentorship_id).order_by(Session.held_at)
    ).all()
    counts: dict[tuple[int, bool], int] = {
        (session_id, done): n
        for session_id, done, n in db.execute(
            select(ActionItemRow.session_id, ActionItemRow.done, func.count())
            .where(ActionItemRow.session_id.in_([s.id for s in sessions]))
            .group_by(ActionItemRow.session_id, ActionItemRow.done)
        ).all()
    }
    return [
        SessionPoint(
            s.id, s.title, as_utc(s.held_at), s.status, s.duration_s, mentee_share(s.talk),
            counts.get((s.id, True), 0), counts.get((s.id, False), 0),
        )
        for s in sessions
    ]  # fmt: skip


def open_items(
    db: OrmSession, mentorship_id: int, except_session: int | None = None
) -> list[dict[str, Any]]:
    """Action items not done yet, from the mentorship's sessions (newest session first), with
    the session they come from."""
    rows = db.execute(
        select(ActionItemRow, Session.title, Session.held_at)
        .join(Session, Session.id == ActionItemRow.session_id)
        .where(
            Session.mentorship_id == mentorship_id,
            ActionItemRow.done.is_(False),
            Session.id != (except_session or 0),
        )
        .order_by(Session.held_at.desc(), *ITEM_ORDER)
    ).all()
    return [
        item_json(item) | {"session_title": title, "held_at": as_utc(held).isoformat()}
        for item, title, held in rows
    ]


def done_items(db: OrmSession, mentorship_id: int) -> list[dict[str, Any]]:
    rows = db.execute(
        select(ActionItemRow, Session.title, Session.held_at)
        .join(Session, Session.id == ActionItemRow.session_id)
        .where(Session.mentorship_id == mentorship_id, ActionItemRow.done.is_(True))
        .order_by(Session.held_at.desc(), *ITEM_ORDER)
    ).all()
    return [
        item_json(item) | {"session_title": title, "held_at": as_utc(held).isoformat()}
        for item, title, held in rows
    ]


def point_json(point: SessionPoint) -> dict[str, Any]:
    return {
        "id": point.id,
        "title": point.title,
        "held_at": point.held_at.isoformat(),
        "status": point.status,
        "duration_s": point.duration_s,
        "mentee_share": None if point.mentee_share is None else round(point.mentee_share, 4),
        "items_done": point.items_done,
        "items_open": point.items_open,
        "url": f"/sessions/{point.id}",
    }


def link_json(link: SharedLink) -> dict[str, Any]:
    return {
        "url": link.url,
        "session_id": link.session_id,
        "session_title": link.session_title,
        "at": round(link.at_s, 2),
        "from": link.speaker,
        "moment": f"/sessions/{link.session_id}#t={link.at_s:.1f}",
    }


def shared_links(db: OrmSession, mentorship_id: int) -> list[SharedLink]:
    """Every link sent in the mentorship's calls, newest first, each once (its first time)."""
    rows = db.execute(
        select(ChatMessage, Session.title)
        .join(Session, Session.id == ChatMessage.session_id)
        .where(Session.mentorship_id == mentorship_id, ChatMessage.text.contains("http"))
        .order_by(Session.held_at, ChatMessage.at_s)
    ).all()
    seen: dict[str, SharedLink] = {}
    for message, title in rows:
        for found in LINK.finditer(message.text):
            url = found.group(0)
            if url not in seen:
                seen[url] = SharedLink(
                    url, message.session_id, title, message.at_s, message.speaker
                )
    return list(reversed(seen.values()))


def clean_url(raw: object) -> str:
    """An http(s) address a person typed (nothing else becomes a link)."""
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("url must be a web address like https://example.org/page")
    url = raw.strip()
    if not LINK.fullmatch(url) or len(url) > MAX_URL:
        raise ValueError("url must be a web address like https://example.org/page")
    return url


def resource_json(resource: Resource) -> dict[str, Any]:
    return {
        "id": resource.id,
        "mentorship_id": resource.mentorship_id,
        "url": resource.url,
        "title": resource.title,
        "added_by": resource.added_by,
        "created_at": as_utc(resource.created_at).isoformat(),
    }


def list_resources(db: OrmSession, mentorship_id: int) -> list[Resource]:
    return list(
        db.scalars(
            select(Resource)
            .where(Resource.mentorship_id == mentorship_id)
            .order_by(Resource.created_at.desc(), Resource.id.desc())
        )
    )


def add_resource(
    db: OrmSession, mentorship_id: int, person_id: int, url: str, title: str
) -> Resource:
    resource = Resource(mentorship_id=mentorship_id, added_by=person_id, url=url, title=title)
    db.add(resource)
    db.commit()
    return resource
