"""The action-item API: the pair edits, ticks off, adds and deletes; bad input is refused
with a sentence and changes nothing; trainers read only with sharing and never write; an
edited list survives the refinement's new analysis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select

from media.insight.analysis import analyze_conversation
from server.db.engine import Database
from server.db.store import replace_analysis
from server.db.tables import ActionItemRow, Mentorship
from server.settings import Settings
from tests.auth_helpers import (
    DEFAULT_LINES,
    HELD_AT,
    Server,
    World,
    build_world,
    csrf_headers,
    running,
    small_transcript,
)


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def _rows(database: Database, session_id: int) -> list[tuple[str, str, bool, date | None, str]]:
    with database.sessions() as db:
        return [
            (i.action, i.owner, i.done, i.due_date, i.origin)
            for i in db.scalars(
                select(ActionItemRow)
                .where(ActionItemRow.session_id == session_id)
                .order_by(ActionItemRow.id)
            )
        ]


def test_the_pair_edits_ticks_adds_and_deletes(
    server: Server, world: World, database: Database
) -> None:
    mentee = server.logged_in(world.mentee_b)
    headers = csrf_headers(mentee)
    listed = mentee.get(f"/api/sessions/{world.session_b}/action-items").json()["action_items"]
    assert [i["id"] for i in listed] == [world.item_b]
    assert listed[0]["origin"] == "detected"

    changed = mentee.patch(
        f"/api/action-items/{world.item_b}",
        json={"action": "  Send Bruno the rollback plan ", "due_date": "2026-03-06", "done": True},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["action"] == "Send Bruno the rollback plan"
    assert (body["due_date"], body["due"], body["done"], body["origin"]) == (
        "2026-03-06", None, True, "edited",
    )  # fmt: skip

    added = mentee.post(
        f"/api/sessions/{world.session_b}/action-items",
        json={"action": "Book the design review", "owner": "mentor"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    new_id = added.json()["id"]
    assert _rows(database, world.session_b) == [
        ("Send Bruno the rollback plan", "mentee", True, date(2026, 3, 6), "edited"),
        ("Book the design review", "mentor", False, None, "added"),
    ]
    # The mentor of the pair may change it too; then it is gone for good.
    mentor = server.logged_in(world.mentor_b)
    gone = mentor.delete(f"/api/action-items/{new_id}", headers=csrf_headers(mentor))
    assert gone.status_code == 204
    assert (
        mentor.delete(f"/api/action-items/{new_id}", headers=csrf_headers(mentor)).status_code
        == 404
    )
    assert len(_rows(database, world.session_b)) == 1

    # The session page shows the edited list.
    page = mentee.get(f"/sessions/{world.session_b}").text
    assert "Send Bruno the rollback plan" in page and "/static/items.js" in page


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"action": "   "}, "must not be empty"),
        ({"owner": "trainer"}, "owner must be one of"),
        ({"due_date": "next friday"}, "due_date must be a date"),
        ({"done": "yes"}, "done must be true or false"),
        ({"colour": "red"}, "unknown field"),
        ({"action": "x" * 501}, "at most 500"),
        ({"action": "tab\tinside\u0007"}, "cannot be shown"),
        ({"start": 1e12}, "start must be"),
        ({}, "at least one"),
    ],
)
def test_bad_changes_are_refused_with_a_reason_and_change_nothing(
    server: Server, world: World, database: Database, body: dict[str, object], reason: str
) -> None:
    mentee = server.logged_in(world.mentee_b)
    before = _rows(database, world.session_b)
    response = mentee.patch(
        f"/api/action-items/{world.item_b}", json=body, headers=csrf_headers(mentee)
    )
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert _rows(database, world.session_b) == before


def test_wrong_content_type_and_huge_bodies_are_refused(server: Server, world: World) -> None:
    mentee = server.logged_in(world.mentee_b)
    headers = csrf_headers(mentee)
    url = f"/api/sessions/{world.session_b}/action-items"
    assert mentee.post(url, content=b"action=x", headers=headers).status_code == 415
    huge = {"action": "x" * 100_000}
    assert mentee.post(url, json=huge, headers=headers).status_code == 413


def test_trainers_read_only_with_sharing_and_never_write(
    server: Server, world: World, database: Database
) -> None:
    trainer = server.logged_in(world.trainer_b)
    headers = csrf_headers(trainer)
    listing = f"/api/sessions/{world.session_b}/action-items"
    assert trainer.get(listing).status_code == 403
    with database.sessions() as db:
        mentorship = db.get(Mentorship, world.mentorship_b)
        assert mentorship is not None
        mentorship.mentor_shares = mentorship.mentee_shares = True
        db.commit()
    assert trainer.get(listing).status_code == 200
    refused = trainer.patch(
        f"/api/action-items/{world.item_b}", json={"done": True}, headers=headers
    )
    assert refused.status_code == 403
    assert trainer.post(listing, json={"action": "x"}, headers=headers).status_code == 403
    # Someone else's item is not even known to exist.
    outsider = server.logged_in(world.mentor_a)
    hidden = outsider.patch(
        f"/api/action-items/{world.item_b}", json={"done": True}, headers=csrf_headers(outsider)
    )
    assert hidden.status_code == 404
    assert not _rows(database, world.session_b)[0][2]


def test_an_edited_list_survives_a_new_analysis(
    server: Server, world: World, database: Database
) -> None:
    transcript = small_transcript(DEFAULT_LINES)
    analysis = analyze_conversation(transcript, HELD_AT.date())
    assert analysis.action_items  # the new analysis would bring its own items
    with database.sessions() as db:
        replace_analysis(db, world.session_b, transcript, analysis)
        db.commit()
    assert len(_rows(database, world.session_b)) == len(analysis.action_items)  # untouched: new

    mentee = server.logged_in(world.mentee_b)
    [first, *_] = mentee.get(f"/api/sessions/{world.session_b}/action-items").json()["action_items"]
    mentee.patch(
        f"/api/action-items/{first['id']}",
        json={"action": "Mine now"},
        headers=csrf_headers(mentee),
    )
    with database.sessions() as db:
        replace_analysis(db, world.session_b, transcript, analysis)
        db.commit()
    rows = _rows(database, world.session_b)
    assert rows[0][0] == "Mine now" and len(rows) == len(analysis.action_items)
