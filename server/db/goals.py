"""Goals of a mentorship: either member adds one, links action items to it, completes or
drops it. A goal shows its items, how many are done, and the sessions where it came up (the
sessions its items come from). Sync; bad input raises ValueError with a sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from server.db.action_items import clean_text, item_json
from server.db.store import ITEM_ORDER, NotFound, as_utc
from server.db.tables import GOAL_STATUSES, ActionItemRow, Goal, Session, utcnow

MAX_TITLE = 300
FIELDS = frozenset({"title", "status", "due_date"})


@dataclass(frozen=True)
class GoalChange:
    values: dict[str, Any]


def parse_goal(body: dict[str, object], creating: bool) -> GoalChange:
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}; fields are {', '.join(sorted(FIELDS))}")
    values: dict[str, Any] = {}
    if "title" in body or creating:
        values["title"] = clean_text(body.get("title"), "title", MAX_TITLE)
    if "status" in body:
        if body["status"] not in GOAL_STATUSES:
            raise ValueError(f"status must be one of {', '.join(GOAL_STATUSES)}")
        values["status"] = body["status"]
    if "due_date" in body:
        raw = body["due_date"]
        if raw in (None, ""):
            values["due_date"] = None
        else:
            try:
                values["due_date"] = date.fromisoformat(str(raw)) if isinstance(raw, str) else None
            except ValueError:
                values["due_date"] = None
            if values["due_date"] is None:
                raise ValueError("due_date must be a date like 2027-03-31, or null")
    if not values:
        raise ValueError("send at least one of title, status, due_date")
    return GoalChange(values)


def add_goal(db: OrmSession, mentorship_id: int, person_id: int, change: GoalChange) -> Goal:
    values = {"status": "open", **change.values}  # a goal may be made done or dropped at once
    goal = Goal(mentorship_id=mentorship_id, created_by=person_id, **values)
    if goal.status != "open":
        goal.closed_at = utcnow()
    db.add(goal)
    db.commit()
    return goal


def update_goal(db: OrmSession, goal_id: int, change: GoalChange) -> Goal:
    goal = db.get(Goal, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id}")
    for name, value in change.values.items():
        setattr(goal, name, value)
    if "status" in change.values:
        goal.closed_at = None if goal.status == "open" else utcnow()
    db.commit()
    return goal


def delete_goal(db: OrmSession, goal_id: int) -> None:
    goal = db.get(Goal, goal_id)
    if goal is None:
        raise NotFound(f"no goal {goal_id}")
    db.delete(goal)  # its items stay, unlinked (ON DELETE SET NULL)
    db.commit()


def mentorship_of_goal(db: OrmSession, goal_id: int) -> int | None:
    return db.scalar(select(Goal.mentorship_id).where(Goal.id == goal_id))


def goal_json(
    goal: Goal, items: list[ActionItemRow], sessions: dict[int, Session]
) -> dict[str, Any]:
    discussed = sorted({i.session_id for i in items}, key=lambda s: sessions[s].held_at)
    return {
        "id": goal.id,
        "mentorship_id": goal.mentorship_id,
        "title": goal.title,
        "status": goal.status,
        "due_date": goal.due_date.isoformat() if goal.due_date else None,
        "created_at": as_utc(goal.created_at).isoformat(),
        "closed_at": as_utc(goal.closed_at).isoformat() if goal.closed_at else None,
        "items": [item_json(i) for i in items],
        "items_done": sum(i.done for i in items),
        "sessions": [
            {
                "id": s,
                "title": sessions[s].title,
                "held_at": as_utc(sessions[s].held_at).isoformat(),
            }
            for s in discussed
        ],
    }


def list_goals(db: OrmSession, mentorship_id: int) -> list[dict[str, Any]]:
    """Open goals first, then done and dropped ones; each with its items and sessions."""
    goals = db.scalars(
        select(Goal).where(Goal.mentorship_id == mentorship_id).order_by(Goal.created_at, Goal.id)
    ).all()
    items = db.scalars(
        select(ActionItemRow)
        .where(ActionItemRow.goal_id.in_([g.id for g in goals]))
        .order_by(*ITEM_ORDER)
    ).all()
    sessions = {
        s.id: s
        for s in db.scalars(select(Session).where(Session.id.in_({i.session_id for i in items})))
    }
    order = {status: n for n, status in enumerate(GOAL_STATUSES)}
    return [
        goal_json(g, [i for i in items if i.goal_id == g.id], sessions)
        for g in sorted(goals, key=lambda g: order[g.status])
    ]
