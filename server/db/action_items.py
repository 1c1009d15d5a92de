"""Action items people work with: edit, tick off, add, delete.

Detected items come from the analysis; once anyone has changed a session's list, the
refinement pass no longer replaces it (``Session.action_items_edited_at``), so nobody's edit
is overwritten by a later detection. Sync functions (call from a worker thread); bad input
raises ValueError with a sentence a person can act on.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from server.db.store import ITEM_ORDER, NotFound
from server.db.tables import ActionItemRow, Goal, Session, is_row_id, utcnow

OWNERS = ("mentor", "mentee", "both")
MAX_ACTION = 500
MAX_DUE_PHRASE = 100
#: Fields a person may set; anything else in a request is refused, not ignored.
FIELDS = frozenset({"action", "owner", "due_date", "due", "done", "start", "goal_id"})


@dataclass(frozen=True)
class ItemChange:
    """Validated fields of a request (only the ones it set)."""

    values: dict[str, Any]


def clean_text(raw: object, field: str, most: int) -> str:
    """One line of text a person typed: spaces folded, not empty, printable, not too long."""
    text = _text(raw, field, most)
    assert text is not None
    return text


def _text(raw: object, field: str, most: int, empty_ok: bool = False) -> str | None:
    if raw is None and empty_ok:
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{field} must be a string")
    text = " ".join(raw.split())
    if not text:
        if empty_ok:
            return None
        raise ValueError(f"{field} must not be empty")
    if len(text) > most:
        raise ValueError(f"{field} has at most {most} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in text):
        raise ValueError(f"{field} has characters that cannot be shown")
    return text


def parse_change(body: dict[str, object], creating: bool) -> ItemChange:
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; fields are {', '.join(sorted(FIELDS))}")
    values: dict[str, Any] = {}
    if "action" in body or creating:
        values["action"] = _text(body.get("action"), "action", MAX_ACTION)
    if "owner" in body or creating:
        owner = body.get("owner", "both" if creating else None)
        if owner not in OWNERS:
            raise ValueError(f"owner must be one of {', '.join(OWNERS)}")
        values["owner"] = owner
    if "due_date" in body:
        raw = body["due_date"]
        if raw is None or raw == "":
            values["due_date"] = None
        elif isinstance(raw, str):
            try:
                values["due_date"] = date.fromisoformat(raw)
            except ValueError:
                raise ValueError("due_date must be a date like 2026-12-31, or null") from None
        else:
            raise ValueError("due_date must be a date like 2026-12-31, or null")
    if "due" in body:
        values["due_phrase"] = _text(body["due"], "due", MAX_DUE_PHRASE, empty_ok=True)
    if "done" in body:
        if not isinstance(body["done"], bool):
            raise ValueError("done must be true or false")
        values["done"] = body["done"]
    if "start" in body:
        start = body["start"]
        if (
            isinstance(start, bool)
            or not isinstance(start, int | float)
            or not (0 <= start < 10**7)
        ):
            raise ValueError("start must be a number of seconds into the session")
        values["start_s"] = float(start)
    if "goal_id" in body:
        goal = body["goal_id"]
        if goal is not None and not is_row_id(goal):
            raise ValueError("goal_id must be a goal's id, or null")
        values["goal_id"] = goal
    return ItemChange(values)


def item_json(item: ActionItemRow) -> dict[str, Any]:
    return {
        "id": item.id,
        "session_id": item.session_id,
        "action": item.action,
        "owner": item.owner,
        "kind": item.kind,
        "due": item.due_phrase,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "start": item.start_s,
        "confidence": item.confidence,
        "sources": item.sources,
        "done": item.done,
        "origin": item.origin,
        "goal_id": item.goal_id,
    }


def list_items(db: OrmSession, session_id: int) -> list[ActionItemRow]:
    return list(
        db.scalars(
            select(ActionItemRow)
            .where(ActionItemRow.session_id == session_id)
            .order_by(*ITEM_ORDER)
        )
    )


def _touched(db: OrmSession, session_id: int) -> None:
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"no session {session_id}")
    session.action_items_edited_at = utcnow()


def add_item(db: OrmSession, session_id: int, change: ItemChange) -> ActionItemRow:
    _touched(db, session_id)
    check_goal_link(db, session_id, change.values.get("goal_id"))
    values = dict(change.values)
    item = ActionItemRow(
        session_id=session_id,
        action=values.pop("action"),
        owner=values.pop("owner"),
        kind="added",
        start_s=values.pop("start_s", 0.0),
        confidence=1.0,
        sources=[],
        origin="added",
        **values,
    )
    db.add(item)
    db.commit()
    return item


def update_item(db: OrmSession, item_id: int, change: ItemChange) -> ActionItemRow:
    item = db.get(ActionItemRow, item_id)
    if item is None:
        raise NotFound(f"no action item {item_id}")
    _touched(db, item.session_id)
    if "goal_id" in change.values:
        check_goal_link(db, item.session_id, change.values["goal_id"])
    for name, value in change.values.items():
        setattr(item, name, value)
    if "due_date" in change.values and "due_phrase" not in change.values:
        item.due_phrase = None  # the phrase said in the call no longer describes the date
    if item.origin == "detected" and set(change.values) - {"done", "goal_id"}:
        item.origin = "edited"
    db.commit()
    return item


def delete_item(db: OrmSession, item_id: int) -> None:
    item = db.get(ActionItemRow, item_id)
    if item is None:
        raise NotFound(f"no action item {item_id}")
    _touched(db, item.session_id)
    db.delete(item)
    db.commit()


def session_of_item(db: OrmSession, item_id: int) -> int | None:
    return db.scalar(select(ActionItemRow.session_id).where(ActionItemRow.id == item_id))


def check_goal_link(db: OrmSession, session_id: int, goal_id: int | None) -> None:
    """An item may only serve a goal of its own mentorship."""
    if goal_id is None:
        return
    goal = db.get(Goal, goal_id)
    session = db.get(Session, session_id)
    if goal is None or session is None or goal.mentorship_id != session.mentorship_id:
        raise ValueError(f"there is no goal {goal_id} in this mentorship")
