"""The coaching dashboard (/coach): for a trainer, each mentor they coach; for a mentor, their
own conversations. Figures over time as charts with the targets drawn in and as a table,
trends in words, sessions that missed a target flagged. Figures only: no words are shown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session as OrmSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from media.insight.trends import SessionFigures
from server.auth import Viewer
from server.db.coaching import MentorView, mentor_views
from server.db.directory import program_targets
from server.services import in_db, services
from server.templating import render
from server.web import page, require

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 400.0, 170.0, 44.0, 12.0, 14.0, 26.0
NICE_STEPS = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1800)


@dataclass(frozen=True)
class Chart:
    """A line chart in SVG user units (the template draws it; text is never stretched)."""

    title: str
    points: list[tuple[float, float, str]]  # x, y, label of the point
    #: The target as an SVG path: a level line, stepping where a session was held to another.
    target_path: str
    target_y: float | None  # where the latest target is, for its label
    target_label: str
    y_ticks: list[tuple[float, str]]
    x_labels: list[tuple[float, str]]

    @property
    def polyline(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in self.points)


def chart(
    title: str,
    sessions: Sequence[SessionFigures],
    value: Callable[[SessionFigures], float | None],
    top: float,
    target_key: str | None,
    fallback: dict[str, Any],
    shown: Callable[[float], str],
) -> Chart:
    plotted = [(s, v) for s in sessions if (v := value(s)) is not None]

    def target_of(s: SessionFigures) -> float | None:
        if target_key is None:
            return None
        found = s.targets.get(target_key, fallback.get(target_key))
        return None if found is None else float(found)

    levels = [target_of(s) for s, _ in plotted] or [target_of_program(target_key, fallback)]
    known = [t for t in levels if t is not None]
    target = known[-1] if known else None
    inset = 14.0  # the first and last points keep clear of the axis labels
    span_x = WIDTH - LEFT - RIGHT - 2 * inset
    span_y = HEIGHT - TOP - BOTTOM
    highest = max([*(v for _, v in plotted), *known], default=0.0)
    # Four steps of a round size, with room above the highest point or target for its label.
    wanted = max(top, highest * 1.15) / 4
    step = next((n for n in NICE_STEPS if n >= wanted), wanted) if top > 1.0 else 0.25
    top = step * 4

    def y(v: float) -> float:
        return TOP + span_y * (1 - v / top)

    def x(i: int) -> float:
        offset = span_x * i / (len(plotted) - 1) if len(plotted) > 1 else span_x / 2
        return LEFT + inset + offset

    points = [(x(i), y(v), f"{s.held_at:%Y-%m-%d}: {shown(v)}") for i, (s, v) in enumerate(plotted)]
    path = ""
    if target is not None:
        # A level from the left edge; where a session was held to another target the line
        # steps halfway between it and the one before.
        path = f"M{LEFT:.1f},{y(levels[0] or target):.1f}"
        for i in range(1, len(levels)):
            before, now = levels[i - 1], levels[i]
            if now is not None and before is not None and now != before:
                middle = (x(i - 1) + x(i)) / 2
                path += f" H{middle:.1f} V{y(now):.1f}"
        path += f" H{WIDTH - RIGHT:.1f}"
    ticks = [(y(step * k), shown(step * k)) for k in range(5)]
    labels = [(x(i), f"{s.held_at:%b %d}") for i, (s, _) in enumerate(plotted)
              if i in (0, len(plotted) - 1) or len(plotted) <= 6]  # fmt: skip
    return Chart(title, points, path, None if target is None else y(target),
                 "" if target is None else f"target {shown(target)}", ticks, labels)  # fmt: skip


def target_of_program(key: str | None, program: dict[str, Any]) -> float | None:
    return None if key is None or program.get(key) is None else float(program[key])


def _charts(view: MentorView, targets: dict[str, Any]) -> list[Chart]:
    sessions = view.trends.sessions
    return [
        chart("Mentee share of talk", sessions, lambda s: s.mentee_share, 1.0,
              "mentee_min_share", targets, lambda v: f"{v * 100:.0f}%"),
        chart("Mentor's longest monologue", sessions, lambda s: s.longest_monologue_s, 60.0,
              "max_monologue_s", targets, lambda v: f"{v:.0f} s"),
        chart("Questions the mentor asked", sessions,
              lambda s: None if s.mentor_questions is None else float(s.mentor_questions),
              4.0, None, targets, lambda v: f"{v:.0f}"),
    ]  # fmt: skip


@page("/coach", ("GET",), "member")
async def coach_page(request: Request, viewer: Viewer | None) -> Response:
    who = require(viewer)
    if who.role not in ("trainer", "mentor"):
        raise HTTPException(403, "the coaching dashboard is for trainers and mentors")
    defaults = services(request).settings.targets

    def work(db: OrmSession) -> tuple[list[MentorView], dict[str, Any]]:
        targets = program_targets(db, defaults).to_json()
        return mentor_views(db, who.person_id, targets), targets

    views, targets = await in_db(request, work)
    cards = [{"view": v, "charts": _charts(v, targets)} for v in views]
    return render(request, "coach.html", {
        "cards": cards, "targets": targets, "own": who.role == "mentor",
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
    })  # fmt: skip


routes = [coach_page]
