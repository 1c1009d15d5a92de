"""Program-wide figures for the admin, without any conversation content: sessions held per
week, the share of mentorships meeting the talk targets, and the mentorships with no session
for a while (to re-engage). Only counts, dates and people's names; no titles, no words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from server.db.progress import mentee_share
from server.db.store import as_utc
from server.db.tables import Mentorship, Session

HELD = ("ended", "imported", "interrupted")


@dataclass(frozen=True)
class Quiet:
    mentorship_id: int
    mentor: str
    mentee: str
    #: The last session held (None: never met).
    last_held: date | None


@dataclass(frozen=True)
class ProgramFigures:
    #: (Monday of the week, sessions held that week), oldest first.
    per_week: list[tuple[date, int]]
    mentorships_with_figures: int
    meeting_share_target: int
    quiet: list[Quiet]

    @property
    def meeting_share_fraction(self) -> float | None:
        if not self.mentorships_with_figures:
            return None
        return self.meeting_share_target / self.mentorships_with_figures

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions_per_week": [
                {"week": week.isoformat(), "sessions": n} for week, n in self.per_week
            ],
            "mentorships_with_figures": self.mentorships_with_figures,
            "mentorships_meeting_share_target": self.meeting_share_target,
            "quiet_mentorships": [
                {
                    "mentorship_id": q.mentorship_id,
                    "mentor": q.mentor,
                    "mentee": q.mentee,
                    "last_held": q.last_held.isoformat() if q.last_held else None,
                }
                for q in self.quiet
            ],
        }


def program_figures(
    db: OrmSession, now: datetime, weeks: int, quiet_weeks: int, mentee_min_share: float
) -> ProgramFigures:
    today = as_utc(now).date()
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    rows = db.execute(
        select(Session.mentorship_id, Session.held_at, Session.talk).where(
            Session.status.in_(HELD), Session.mentorship_id.is_not(None)
        )
    ).all()
    counts = {first + timedelta(weeks=k): 0 for k in range(weeks)}
    last_held: dict[int, date] = {}
    latest_share: dict[int, tuple[datetime, float]] = {}
    for mentorship_id, held_at, talk in rows:
        held = as_utc(held_at)
        week = held.date() - timedelta(days=held.date().weekday())
        if week in counts:
            counts[week] += 1
        if mentorship_id not in last_held or held.date() > last_held[mentorship_id]:
            last_held[mentorship_id] = held.date()
        share = mentee_share(talk)
        if share is not None and (
            mentorship_id not in latest_share or held > latest_share[mentorship_id][0]
        ):
            latest_share[mentorship_id] = (held, share)
    active = db.scalars(select(Mentorship).where(Mentorship.active.is_(True))).all()
    cutoff = today - timedelta(weeks=quiet_weeks)
    quiet = [
        Quiet(m.id, m.mentor.name, m.mentee.name, last_held.get(m.id))
        for m in active
        if m.id not in last_held or last_held[m.id] < cutoff
    ]
    quiet.sort(key=lambda q: (q.last_held is not None, q.last_held or date.min))
    meeting = sum(1 for _, share in latest_share.values() if share >= mentee_min_share)
    return ProgramFigures(sorted(counts.items()), len(latest_share), meeting, quiet)
