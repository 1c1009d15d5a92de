"""Several server processes (nodes) on one database: a call is placed on one node once, a
dead node's calls are interrupted once (and nobody else's), and what the pages show (who is
in a call, the login limit) is the same from every process. The processes themselves, their
calls and a reverse proxy in front of them: tests/test_nodes_processes.py."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import delete, select

from media.audio import decode_file
from media.mix import write_opus
from server.auth import load_secret_key, start_session
from server.calls.nodes import origin_of, socket_url
from server.db.calls import open_call, participant_joined
from server.db.calls import start_session as start_call
from server.db.engine import Database
from server.db.nodes import (
    STALE_S,
    Elsewhere,
    beat,
    dead_holders,
    dead_upload_holders,
    ended_logins,
    interrupt_rooms,
    live_nodes,
    take_uploads,
)
from server.db.tables import (
    AuthSession,
    Mentorship,
    Node,
    Participant,
    Person,
    Session,
    Upload,
)
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Account,
    add_account,
    login,
    make_mentorship,
    running,
)


def _pair(database: Database, tag: str) -> tuple[Account, Account, int]:
    mentor = add_account(database, f"mentor-{tag}@example.org", f"Mentor {tag}", "mentor")
    mentee = add_account(database, f"mentee-{tag}@example.org", f"Mentee {tag}", "mentee")
    return mentor, mentee, make_mentorship(database, mentor, mentee)


def _call(database: Database, mentorship_id: int) -> int:
    with database.sessions() as db:
        mentorship = db.get(Mentorship, mentorship_id)
        assert mentorship is not None
        return start_call(db, mentorship).id


def _set_heartbeat(database: Database, name: str, age_s: float) -> None:
    with database.sessions() as db:
        beat(db, name, f"http://{name}.example.org")
        node = db.get(Node, name)
        assert node is not None
        node.heartbeat_at = datetime.now(UTC) - timedelta(seconds=age_s)
        db.commit()


def test_nodes_racing_for_a_call_place_it_once(database: Database) -> None:
    _, _, mentorship = _pair(database, "a")
    session_id = _call(database, mentorship)
    start = threading.Barrier(8)

    def join(name: str) -> str:
        start.wait()
        with database.sessions() as db:
            try:
                open_call(db, session_id, name)
            except Elsewhere as held:
                return f"elsewhere:{held.node}"
            return "placed"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(join, [f"node-{i}" for i in range(8)]))
    assert answers.count("placed") == 1, answers
    with database.sessions() as db:
        session = db.get(Session, session_id)
        assert session is not None and session.status == "live" and session.started_at
        winner = session.node
    assert winner == f"node-{answers.index('placed')}"
    assert sorted(a for a in answers if a != "placed") == [f"elsewhere:{winner}"] * 7
    # The holder joins again (a reload): still its own.
    with database.sessions() as db:
        assert open_call(db, session_id, winner).session_id == session_id


def test_a_dead_nodes_calls_are_interrupted_once_and_no_other_call(database: Database) -> None:
    rooms = {}
    for tag, node in (("a", "dead"), ("b", "alive"), ("c", "dead")):
        mentor, _, mentorship = _pair(database, tag)
        session_id = _call(database, mentorship)
        with database.sessions() as db:
            open_call(db, session_id, node)
            participant_joined(db, session_id, mentor.id, "mentor", False)
        rooms[tag] = session_id
    _set_heartbeat(database, "dead", STALE_S + 5)
    _set_heartbeat(database, "alive", 1)
    with database.sessions() as db:
        assert set(live_nodes(db)) == {"alive"}
        assert dead_holders(db, "alive") == ["dead"]
        assert dead_holders(db, "dead") == []  # a node never takes itself for dead
    start = threading.Barrier(4)

    def take_over(_: int) -> list[int]:
        start.wait()
        with database.sessions() as db:
            return interrupt_rooms(db, "dead")

    with ThreadPoolExecutor(4) as pool:
        taken = [i for ids in pool.map(take_over, range(4)) for i in ids]
    assert sorted(taken) == sorted([rooms["a"], rooms["c"]])  # each once, by one of them
    with database.sessions() as db:
        statuses = {tag: db.get(Session, sid).status for tag, sid in rooms.items()}  # type: ignore[union-attr]
        assert statuses == {"a": "interrupted", "b": "live", "c": "interrupted"}
        left = db.scalars(
            select(Participant.left_at).where(Participant.session_id == rooms["a"])
        ).all()
        assert all(at is not None for at in left)
        assert dead_holders(db, "alive") == []


def test_a_node_starting_ends_only_the_calls_it_held(
    settings: Settings, database: Database
) -> None:
    ids = {}
    for tag, node in (("a", settings.node), ("b", "another-node")):
        _, _, mentorship = _pair(database, tag)
        ids[tag] = _call(database, mentorship)
        with database.sessions() as db:
            open_call(db, ids[tag], node)
    _set_heartbeat(database, "another-node", 1)
    with running(settings), database.sessions() as db:
        mine = db.get(Session, ids["a"])
        theirs = db.get(Session, ids["b"])
        assert mine is not None and mine.status == "interrupted"
        assert theirs is not None and theirs.status == "live"
        assert settings.node in live_nodes(db)
    with database.sessions() as db:  # a clean stop leaves the nodes
        assert settings.node not in live_nodes(db)


def test_who_is_in_a_call_comes_from_the_database(settings: Settings, database: Database) -> None:
    mentor, mentee, mentorship = _pair(database, "a")
    session_id = _call(database, mentorship)
    with database.sessions() as db:  # another node holds the call, and the mentor is in it
        open_call(db, session_id, "another-node")
        participant_joined(db, session_id, mentor.id, "mentor", False)
    _set_heartbeat(database, "another-node", 1)
    with running(settings) as server:
        browser = server.logged_in(mentee)
        calls = browser.get("/api/calls").json()
        assert calls[0]["in_call"] == [{"name": mentor.name, "role": "mentor", "me": False}]
        assert f"{mentor.name} is in the call" in browser.get("/").text


def test_the_call_page_sends_people_to_the_node_holding_the_call(
    settings: Settings, database: Database
) -> None:
    _mentor, mentee, mentorship = _pair(database, "a")
    session_id = _call(database, mentorship)
    with running(settings) as server:
        browser = server.logged_in(mentee)
        alone = browser.get(f"/sessions/{session_id}/call")
        assert 'data-ws-url=""' in alone.text  # one node: the page's own address
        _set_heartbeat(database, "another-node", 1)
        with database.sessions() as db:
            open_call(db, session_id, "another-node")
        page = browser.get(f"/sessions/{session_id}/call")
        url = socket_url("http://another-node.example.org", session_id)
        assert url == f"ws://another-node.example.org/ws/sessions/{session_id}"
        assert f'data-ws-url="{url}"' in page.text
        assert origin_of(url) in page.headers["content-security-policy"]
        # The holder falls silent: the page finds the call over (interrupted).
        _set_heartbeat(database, "another-node", STALE_S + 5)
        assert "This session has ended" in browser.get(f"/sessions/{session_id}/call").text
        with database.sessions() as db:
            session = db.get(Session, session_id)
            assert session is not None and session.status == "interrupted"


def test_failed_logins_count_in_every_process(settings: Settings, database: Database) -> None:
    add_account(database, "ana@example.org", "Ana", "mentor")
    with running(settings) as one, running(settings) as two:
        for _ in range(5):
            assert login(one.browser(), "ana@example.org", "wrong password").status_code == 400
        # The other process refuses the next guess as the first would, the right password too.
        assert login(two.browser(), "ana@example.org", PASSWORD).status_code == 429


def test_ended_logins_are_found_for_other_nodes(database: Database) -> None:
    mentor, mentee, _ = _pair(database, "a")
    with database.sessions() as db:
        people = {p.id: p for p in db.scalars(select(Person))}
        tokens = [start_session(db, people[mentor.id]) for _ in range(3)]
        other = start_session(db, people[mentee.id])
        hashes = db.scalars(select(AuthSession.token_hash).order_by(AuthSession.id)).all()
        mine, revoked, gone, theirs = hashes
        row = db.scalars(select(AuthSession).where(AuthSession.token_hash == revoked)).one()
        row.revoked = True
        db.execute(delete(AuthSession).where(AuthSession.token_hash == gone))
        people[mentee.id].active = False
        db.commit()
    assert tokens and other
    with database.sessions() as db:
        assert ended_logins(db, [mine, revoked, gone, theirs]) == {
            revoked: False,
            gone: False,
            theirs: True,  # deactivated
        }


def test_processes_starting_at_once_keep_one_secret_key(tmp_path: Path) -> None:
    start = threading.Barrier(8)

    def load(_: int) -> bytes:
        start.wait()
        return load_secret_key(tmp_path / "data", None)

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(load, range(8)))
    assert len(keys) == 1
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret.key"]


def test_two_processes_mixing_one_call_at_once_leave_one_whole_file(tmp_path: Path) -> None:
    # (Two people pressing play on different nodes: each writes its own temporary file.)
    audio = (0.1 * np.sin(np.arange(16000 * 20) / 8.0)).astype(np.float32)
    out = tmp_path / "session-1" / "both.ogg"
    start = threading.Barrier(4)

    def write(_: int) -> None:
        start.wait()
        write_opus(out, audio)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))
    assert [p.name for p in out.parent.iterdir()] == ["both.ogg"]
    assert abs(decode_file(out).duration_s - 20.0) < 0.1


def test_the_waiting_uploads_of_a_dead_node_are_taken_over_once(database: Database) -> None:
    mentor, _, mentorship = _pair(database, "a")
    with database.sessions() as db:
        rows = [
            Upload(
                mentorship_id=mentorship,
                person_id=mentor.id,
                kind="single",
                plan={},
                status=status,
                node=node,
            )
            for status, node in (
                ("running", "dead"),
                ("queued", "dead"),
                ("done", "dead"),
                ("queued", "alive"),
            )
        ]
        db.add_all(rows)
        db.commit()
        ids = [r.id for r in rows]
    _set_heartbeat(database, "dead", STALE_S + 5)
    _set_heartbeat(database, "alive", 1)
    with database.sessions() as db:
        assert dead_upload_holders(db, "alive") == ["dead"]
        assert take_uploads(db, "alive", ["dead"]) == ids[:2]
        assert take_uploads(db, "other", ["dead"]) == []  # taken once
        states = {u.id: (u.status, u.node) for u in db.scalars(select(Upload))}
    assert states == {
        ids[0]: ("queued", "alive"),
        ids[1]: ("queued", "alive"),
        ids[2]: ("done", "dead"),
        ids[3]: ("queued", "alive"),
    }
