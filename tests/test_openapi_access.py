"""Walk every operation of /api/openapi.json and check that it is protected as it says.

Anonymous callers get 401 on every non-public operation; ``admin`` operations refuse everyone
else with 403; ``object`` operations refuse people not entitled to the object (403 or 404)
while the people entitled to it get an answer; ``member`` operations answer anyone logged in.
An operation added later is walked too, and an operation this walk cannot fill in (a new path
parameter), a new public operation, or an /api route left out of the document fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import numpy as np
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from media.audio import SAMPLE_RATE_HZ
from media.mix import write_opus
from server.app import create_app
from server.db.calls import add_recording
from server.db.engine import Database
from server.settings import Settings
from tests.auth_helpers import (
    Account,
    Server,
    World,
    add_account,
    build_world,
    csrf_from_page,
    first_item,
    make_goal,
    make_resource,
    running,
    save_session,
)

if TYPE_CHECKING:
    from httpx2 import Response

ACCESS_LEVELS = {"public", "member", "admin", "object"}
#: The only operations anyone may call without logging in.
PUBLIC = {("GET", "/api/openapi.json")}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_REFUSAL = "CSRF"
#: JSON bodies that make sense for an operation; any other unsafe operation gets {}.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/mentorships/{mentorship_id}/sharing"): {"share": True},
    ("POST", "/api/mentorships"): {"mentor": "bruno@example.com", "mentee": "milo@example.com"},
    ("POST", "/api/people"): {"email": "nina@example.com", "name": "Nina New", "role": "mentee"},
    ("PUT", "/api/targets"): {"max_interruptions": 5},
    ("PATCH", "/api/sessions/{session_id}"): {"title": "Renamed by its pair"},
    ("POST", "/api/sessions/{session_id}/action-items"): {"action": "Write the summary"},
    ("PATCH", "/api/action-items/{action_item_id}"): {"done": True},
    ("POST", "/api/mentorships/{mentorship_id}/goals"): {"title": "Lead a design review"},
    ("PATCH", "/api/goals/{goal_id}"): {"status": "done"},
    ("POST", "/api/mentorships/{mentorship_id}/resources"): {"url": "https://example.org/x"},
    ("POST", "/api/sessions/{session_id}/notes"): {"text": "A coaching note"},
    ("PUT", "/api/mentorships/{mentorship_id}/targets"): {"max_monologue_s": 60},
}
#: Operations between a mentor and their trainer (coaching figures, notes): who of
#: mentorship B is entitled; the others of B (the mentee) are refused like outsiders. The
#: coaching figures are about mentor B (person_id).
COACHING = {("GET", "/api/coach/mentors/{person_id}/figures.csv")}
ENTITLED = {
    ("GET", "/api/coach/mentors/{person_id}/figures.csv"): ("mentor_b", "trainer_b"),
    ("GET", "/api/sessions/{session_id}/notes"): ("mentor_b", "trainer_b"),
    ("POST", "/api/sessions/{session_id}/notes"): ("mentor_b", "trainer_b"),
    # The pair's trainer (or an admin) sets the pair's targets; the pair reads them.
    ("PUT", "/api/mentorships/{mentorship_id}/targets"): ("trainer_b",),
}
#: Of those let in, who gets a 2xx with the walk's body (a mentor only replies to a note).
ANSWERED = {("POST", "/api/sessions/{session_id}/notes"): ("trainer_b",)}

#: Operations that take files (multipart); the walk sends a small transcript.
UPLOADS = {
    ("POST", "/api/mentorships/{mentorship_id}/uploads"): (
        {"kind": "transcript"},
        {
            "transcript": (
                "t.vtt",
                b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v A>Hi.\n",
                "text/vtt",
            )
        },
    ),
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def access(self) -> str:
        value: str = self.spec["x-access"]
        return value

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.spec.get('x-access')})"


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database, settings: Settings) -> World:
    built = build_world(database)
    # Session B was recorded, so its audio operation has something to serve its pair.
    path = settings.recordings_dir / f"session-{built.session_b}" / "mentor-1.ogg"
    write_opus(path, np.zeros(SAMPLE_RATE_HZ, np.float32))
    with database.sessions() as db:
        add_recording(db, built.session_b, "mentor", str(path), 0.0)
    return built


@pytest.fixture
def operations(server: Server) -> list[Operation]:
    response = server.browser().get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    found = [
        Operation(method.upper(), path, spec)
        for path, methods in document["paths"].items()
        for method, spec in methods.items()
    ]
    assert found, "the document lists no operations"
    return found


def _ids_in_mentorship_b(world: World) -> dict[str, str]:
    """Real ids of objects that belong to mentorship B (or to a person in it)."""
    return {
        "session_id": str(world.session_b),
        "mentorship_id": str(world.mentorship_b),
        "person_id": str(world.mentee_b.id),
        "action_item_id": str(world.item_b),
        "goal_id": str(world.goal_b),
        "upload_id": str(world.upload_b),
        "resource_id": str(world.resource_b),
        "fmt": "vtt",
    }


def _fresh_ids_in_mentorship_b(world: World, database: Database) -> dict[str, str]:
    """A new session of mentorship B (with its own action items) for an operation that
    deletes what it is given, so the walk's other operations keep their objects."""
    session_id = save_session(database, "Another Bravo session", world.mentorship_b)
    return _ids_in_mentorship_b(world) | {
        "session_id": str(session_id),
        "action_item_id": str(first_item(database, session_id)),
        "goal_id": str(make_goal(database, world.mentorship_b, world.mentor_b, "Another goal")),
        "resource_id": str(
            make_resource(database, world.mentorship_b, world.mentor_b, "https://example.org/y")
        ),
    }


def _fill(operation: Operation, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in ids:
            pytest.fail(
                f"{operation}: no value for the path parameter {{{name}}}; teach this walk "
                "which real object to use, and who may not see it"
            )
        return ids[name]

    return re.sub(r"\{(\w+)\}", value, operation.path)


def _call(
    browser: TestClient, operation: Operation, ids: dict[str, str], token: str | None
) -> Response:
    url = _fill(operation, ids)
    headers = {} if token is None else {"X-CSRF-Token": token}
    if (operation.method, operation.path) in UPLOADS:
        data, files = UPLOADS[(operation.method, operation.path)]
        return browser.request(
            operation.method, url, data=data, files=files, headers=headers, follow_redirects=False
        )
    if operation.method in UNSAFE:
        body = BODIES.get((operation.method, operation.path), {})
        return browser.request(
            operation.method, url, json=body, headers=headers, follow_redirects=False
        )
    return browser.request(operation.method, url, headers=headers, follow_redirects=False)


def _as(server: Server, account: Account) -> tuple[TestClient, str]:
    browser = server.logged_in(account)
    return browser, csrf_from_page(browser)


# -- the document ----------------------------------------------------------------------------


def test_every_operation_declares_who_may_call_it(operations: list[Operation]) -> None:
    for operation in operations:
        spec = operation.spec
        assert "x-public" in spec and "x-access" in spec, operation
        assert spec["x-access"] in ACCESS_LEVELS, operation
        assert spec["x-public"] is (spec["x-access"] == "public"), operation
        if spec["x-public"]:
            assert (operation.method, operation.path) in PUBLIC, f"{operation} is new and public"
        else:
            assert spec["security"] == [{"session": []}], operation
            assert {"401", "403"} <= set(spec["responses"]), operation
        declared = {p["name"] for p in spec.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"\{(\w+)\}", operation.path)), operation
        if spec["x-access"] in ("public", "member"):
            # An id in the path names one object: its operation must check the caller's right
            # to that object ("object"), or be for admins only.
            assert not any(name.endswith("_id") for name in declared), operation


def test_the_document_lists_every_api_route(
    settings: Settings, operations: list[Operation]
) -> None:
    """A route under /api/ that is not in the document skipped the access decorator."""
    routes = {
        (method, route.path)
        for route in create_app(settings).routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert routes == {(op.method, op.path) for op in operations}


# -- the walk ------------------------------------------------------------------------------------


def test_anonymous_callers_get_401_on_every_operation_that_is_not_public(
    server: Server, world: World, operations: list[Operation]
) -> None:
    anonymous = server.browser()
    token = csrf_from_page(anonymous)  # a valid token: the 401 is about logging in
    ids = _ids_in_mentorship_b(world)
    for operation in operations:
        response = _call(anonymous, operation, ids, token)
        if operation.access == "public":
            assert response.status_code == 200, operation
            continue
        assert response.status_code == 401, (str(operation), response.status_code, response.text)
        assert response.json() == {"error": "log in first"}, operation
        # Without a token too, and with a garbage id: still 401, nothing else is revealed.
        assert _call(anonymous, operation, ids, None).status_code == 401, operation
        garbage = {name: "999999" for name in ids} | {"fmt": "vtt"}
        assert _call(anonymous, operation, garbage, token).status_code == 401, operation


def test_admin_operations_refuse_everyone_but_admins(
    server: Server, world: World, operations: list[Operation]
) -> None:
    admin_operations = [op for op in operations if op.access == "admin"]
    assert admin_operations
    ids = _ids_in_mentorship_b(world)
    for account in (world.mentor_a, world.mentee_a, world.trainer_a, world.mentor_b):
        browser, token = _as(server, account)
        for operation in admin_operations:
            response = _call(browser, operation, ids, token)
            assert response.status_code == 403, (str(operation), account.role, response.text)
            assert CSRF_REFUSAL not in response.text, operation
    # An admin gets through (the answer may still be a 4xx about the request itself).
    admin, token = _as(server, world.admin)
    for operation in admin_operations:
        response = _call(admin, operation, ids, token)
        assert response.status_code not in (401, 403), (str(operation), response.text)
        assert response.status_code < 500, (str(operation), response.text)


def _outsiders_all(world: World) -> list[Account]:
    return [world.mentor_a, world.mentee_a, world.trainer_a, world.admin]


def _outsiders(world: World, operation: Operation) -> list[Account]:
    """People with real accounts who may not see or touch mentorship B's objects through
    this operation: the members of mentorship A, its trainer (who does not coach B), and, for
    sessions, the admin (admins do not read mentorships' conversations)."""
    people = [world.mentor_a, world.mentee_a, world.trainer_a]
    if "{session_id}" in operation.path:
        people.append(world.admin)
    return people


def test_object_operations_refuse_people_not_entitled_to_the_object(
    server: Server, world: World, database: Database, operations: list[Operation]
) -> None:
    object_operations = [op for op in operations if op.access == "object"]
    assert object_operations
    ids = _ids_in_mentorship_b(world)
    loner = add_account(database, "lou@example.com", "Lou Loner", "mentor")
    browsers = {account.email: _as(server, account) for account in (*_outsiders_all(world), loner)}
    for operation in object_operations:
        key = (operation.method, operation.path)
        given = ids | {"person_id": str(world.mentor_b.id)} if key in COACHING else ids
        members = {"mentor_b": world.mentor_b, "mentee_b": world.mentee_b}
        others = [a for n, a in members.items() if key in ENTITLED and n not in ENTITLED[key]]
        refused = [*_outsiders(world, operation), loner, *others]
        for account in refused:
            if account.email not in browsers:
                browsers[account.email] = _as(server, account)
            browser, token = browsers[account.email]
            response = _call(browser, operation, given, token)
            assert response.status_code in (403, 404), (
                str(operation),
                account.email,
                response.status_code,
                response.text,
            )
            assert CSRF_REFUSAL not in response.text, operation
            # An id that does not exist gets the same kind of answer as one not yours.
            missing = {name: "999999" for name in ids} | {"fmt": "vtt"}
            assert _call(browser, operation, missing, token).status_code == 404, operation
    # The people the objects belong to get answers, so the ids above were real.
    for account in (world.mentor_b, world.mentee_b, world.trainer_b):
        browser, token = _as(server, account)
        for operation in object_operations:
            key = (operation.method, operation.path)
            names = ANSWERED.get(key) or ENTITLED.get(key, ("mentor_b", "mentee_b"))
            if account not in [getattr(world, name) for name in names]:
                continue
            given = ids | {"person_id": str(world.mentor_b.id)} if key in COACHING else ids
            if operation.method == "DELETE":
                given = _fresh_ids_in_mentorship_b(world, database)
            response = _call(browser, operation, given, token)
            assert 200 <= response.status_code < 300, (str(operation), response.text)


def test_member_operations_answer_anyone_logged_in(
    server: Server, world: World, database: Database, operations: list[Operation]
) -> None:
    member_operations = [op for op in operations if op.access == "member"]
    assert member_operations
    ids = _ids_in_mentorship_b(world)
    loner = add_account(database, "lou@example.com", "Lou Loner", "mentee")
    everyone = (world.admin, world.mentor_a, world.mentee_a, world.trainer_a, loner)
    for account in everyone:
        browser, token = _as(server, account)
        for operation in member_operations:
            response = _call(browser, operation, ids, token)
            assert response.status_code != 401, (str(operation), account.email)
            assert 200 <= response.status_code < 500, (str(operation), response.text)
            assert CSRF_REFUSAL not in response.text, operation


# -- what the operations take --------------------------------------------------------------------


def _body_schema(operation: Operation, media: str = "application/json") -> dict[str, Any] | None:
    content = operation.spec.get("requestBody", {}).get("content", {})
    found: dict[str, Any] | None = content.get(media, {}).get("schema")
    return found


def test_the_walk_sends_bodies_the_schemas_allow(operations: list[Operation]) -> None:
    """Every operation that reads a body declares it, and the bodies the walk sends (which
    the people entitled to them get 2xx for) are ones its schema allows."""
    for operation in operations:
        key = (operation.method, operation.path)
        if key in UPLOADS:
            schema = _body_schema(operation, "multipart/form-data")
            assert schema is not None, f"{operation} takes files: declare them as multipart"
            fields, files = UPLOADS[key]
            assert jsonschema_rs.is_valid(schema, {**fields, **dict.fromkeys(files, "bytes")})
            continue
        schema = _body_schema(operation)
        assert (schema is not None) is (key in BODIES), f"{operation}: declare its body (body=)"
        if schema is not None:
            errors = [
                e.message for e in jsonschema_rs.validator_for(schema).iter_errors(BODIES[key])
            ]
            assert not errors, (str(operation), errors)


def _minimal(schema: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The walk's body cut down to the fields its schema requires (and as many more as it
    asks for at least)."""
    required = schema.get("required", [])
    minimal = {name: body[name] for name in required}
    for name in body:
        if len(minimal) >= schema.get("minProperties", 0):
            break
        minimal.setdefault(name, body[name])
    return minimal


def _send(
    browser: TestClient, operation: Operation, url: str, token: str, body: dict[str, Any]
) -> Response:
    return browser.request(operation.method, url, json=body, headers={"X-CSRF-Token": token})


def _entitled(world: World, operation: Operation) -> Account:
    key = (operation.method, operation.path)
    if operation.access == "admin":
        return world.admin
    names = ANSWERED.get(key) or ENTITLED.get(key, ("mentor_b",))
    account: Account = getattr(world, names[0])
    return account


def test_operations_take_what_their_schemas_declare(
    server: Server, world: World, database: Database, operations: list[Operation]
) -> None:
    """A body of only the required fields is accepted; without any one of them, or with a
    field the schema does not list (where it lists them all), the body is refused with 400."""
    bodies = [(op, schema) for op in operations if (schema := _body_schema(op)) is not None]
    assert bodies
    for operation, schema in bodies:
        browser, token = _as(server, _entitled(world, operation))
        ids = _fresh_ids_in_mentorship_b(world, database)
        url = _fill(operation, ids)

        minimal = _minimal(schema, BODIES[(operation.method, operation.path)])
        assert jsonschema_rs.is_valid(schema, minimal), (str(operation), minimal)
        for name in schema.get("required", []):
            without = {k: v for k, v in minimal.items() if k != name}
            assert not jsonschema_rs.is_valid(schema, without)
            refused = _send(browser, operation, url, token, without)
            assert refused.status_code == 400, (str(operation), name, refused.text)
        if schema.get("additionalProperties") is False:
            refused = _send(browser, operation, url, token, {**minimal, "not_a_field": 1})
            assert refused.status_code == 400, (str(operation), refused.text)
        accepted = _send(browser, operation, url, token, minimal)
        assert 200 <= accepted.status_code < 300, (str(operation), minimal, accepted.text)
