"""Hostile input as part of the suite: Schemathesis makes requests from /api/openapi.json
(ones the schema allows, ones it refuses, and its boundaries) and sends them to a real
`tandem serve` holding a world of accounts, mentorships and sessions, as each kind of person
(the mentee, mentor and trainer of mentorship B, an admin) and as nobody.

Every answer must be: no 5xx; a status and media type the document declares for the
operation (errors JSON, as declared); a 4xx for whatever the schema refuses; 401 once the
login cookie is left out or made up; 405 with Allow for a method the path does not take. An
anonymous caller gets nothing but a refusal from an operation that is not public.

Ids in paths are pointed at mentorship B's objects (operations that delete at spare ones), so
bodies and queries reach the code behind the access check; ids the schema refuses are sent as
generated. Bounded: a fixed number of examples per operation from a fixed seed, so a run is
the same run every time. Each caller has a server of its own, so what one deletes or
deactivates leaves the others' runs as they are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import AuthContext
from schemathesis import Case as AnyCase
from schemathesis.checks import CheckContext
from schemathesis.core.transport import Response
from schemathesis.generation.meta import CoverageScenario
from schemathesis.specs.openapi.checks import positive_data_acceptance

import server.app  # noqa: F401  (its routes register every operation in the document)
from server.auth import SESSION_COOKIE
from server.db.action_items import add_item, parse_change
from server.db.engine import Database
from server.settings import Settings
from server.web import ID, openapi_document
from tests.auth_helpers import (
    CSRF_FIELD,
    CSRF_META,
    Account,
    World,
    add_account,
    build_world,
    make_goal,
    make_resource,
    save_session,
)
from tests.browser import serve

#: A generated request, of any operation.
Case = AnyCase[Any]

#: The callers, each with a server of its own.
ROLES = ("anonymous", "mentee", "mentor", "trainer", "admin")
#: What an anonymous caller may get from an operation that is not public.
REFUSALS = {400, 401, 403, 404, 405, 413, 415, 422}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SEED = 20261120
#: Examples per operation and caller in the fuzzing phase (the coverage phase adds the
#: schema's boundaries and violations, a fixed set).
EXAMPLES = 6

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
DOCUMENT = openapi_document()
assert DOCUMENT["paths"], "no operation registered"
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


@dataclass
class Fuzzed:
    role: str
    base_url: str
    log: Path
    #: Sends the requests; holds no cookie (the login goes with each case, as its auth).
    session: requests.Session
    #: The caller's session cookie (None: anonymous) and CSRF token.
    cookie: str | None
    token: str
    #: Ids to put in paths, by parameter name, and the spare ones for operations that delete.
    ids: dict[str, int] = field(default_factory=dict)
    spares: dict[str, int] = field(default_factory=dict)
    #: Operations that refused this caller a request the schema allows (403 or 404 for the
    #: object it was aimed at): the rest of their boundaries would be refused the same way.
    refused: set[str] = field(default_factory=set)


#: The caller of the server whose tests are running (Schemathesis's auth reads it).
CURRENT: list[Fuzzed] = []


@schema.auth(refresh_interval=None)
class SessionCookie:
    """The login cookie as Schemathesis's auth, so that it knows what it sends and checks
    that the answer changes without it, or with one it makes up."""

    def get(self, case: Case, ctx: AuthContext) -> str | None:
        return CURRENT[-1].cookie if CURRENT else None

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        case.cookies = {**(case.cookies or {}), SESSION_COOKIE: data}


def _csrf(session: requests.Session, base_url: str, path: str) -> str:
    page = session.get(f"{base_url}{path}", allow_redirects=False)
    found = CSRF_FIELD.search(page.text) or CSRF_META.search(page.text)
    assert found is not None, f"no CSRF token on {path} ({page.status_code})"
    return found.group(1)


def _log_in(base_url: str, account: Account | None) -> tuple[str | None, str]:
    """The session cookie and CSRF token of a browser that logged in as ``account``."""
    with requests.Session() as browser:
        token = _csrf(browser, base_url, "/login")
        if account is None:
            return None, token
        answer = browser.post(
            f"{base_url}/login",
            data={"csrf_token": token, "email": account.email, "password": account.password},
            allow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser.cookies.get(SESSION_COOKIE), _csrf(browser, base_url, "/")


def _caller(world: World, role: str) -> Account | None:
    people = {"mentee": world.mentee_b, "mentor": world.mentor_b,
              "trainer": world.trainer_b, "admin": world.admin}  # fmt: skip
    return people.get(role)


def _spares(database: Database, world: World) -> dict[str, int]:
    """Objects of mentorship B for the operations that delete (or deactivate) what they get."""
    session_id = save_session(database, "A spare Bravo session", world.mentorship_b)
    with database.sessions() as db:
        change = parse_change({"action": "A spare item"}, creating=True)
        item_id = add_item(db, world.session_b, change).id
    spare = add_account(database, "sam@example.com", "Sam Spare", "mentee")
    return {
        "session_id": session_id,
        "action_item_id": item_id,
        "goal_id": make_goal(database, world.mentorship_b, world.mentor_b, "A spare goal"),
        "resource_id": make_resource(
            database, world.mentorship_b, world.mentor_b, "https://example.org/spare"
        ),
        "person_id": spare.id,
    }


@pytest.fixture(scope="module", params=ROLES)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fuzzed]:
    role: str = request.param
    tmp = tmp_path_factory.mktemp(f"fuzz-{role}")
    env = dict(os.environ, TANDEM_DATA_DIR=str(tmp / "data"), TANDEM_CPU_THREADS="2",
               HF_HUB_OFFLINE="1")  # fmt: skip
    env.pop("TANDEM_DATABASE_URL", None)
    database = Database.open(Settings.from_env(env).database_url)
    try:
        world = build_world(database)
        spares = _spares(database, world)
    finally:
        database.close()
    ids = {
        "session_id": world.session_b,
        "mentorship_id": world.mentorship_b,
        "action_item_id": world.item_b,
        "goal_id": world.goal_b,
        "resource_id": world.resource_b,
        "upload_id": world.upload_b,
        # The coaching figures are about a mentor.
        "person_id": world.mentor_b.id,
    }
    with serve(env, tmp) as server, requests.Session() as session:
        cookie, token = _log_in(server.base_url, _caller(world, role))
        caller = Fuzzed(role, server.base_url, server.log_path, session, cookie, token, ids, spares)
        CURRENT.append(caller)
        try:
            yield caller
        finally:
            CURRENT.remove(caller)


def _aim(case: Case, fuzzed: Fuzzed) -> None:
    """Point ids the schema allows at real objects (a spare one for operations that delete
    or deactivate it); ids it refuses stay as generated."""
    if not case.path_parameters:
        return
    destroys = case.method.upper() == "DELETE" or case.path.endswith("/deactivate")
    for name, value in case.path_parameters.items():
        # The coverage phase spells its values as they go in the path.
        number = (
            int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else value
        )
        allowed = type(number) is int and ID["minimum"] <= number <= ID["maximum"]
        if name in fuzzed.ids and allowed:
            case.path_parameters[name] = (fuzzed.spares if destroys else fuzzed.ids).get(
                name, fuzzed.ids[name]
            )


def _worth_sending(case: Case, fuzzed: Fuzzed) -> bool:
    """Each case where its answer says something: a method the path does not take is answered
    405 before anyone's login is looked at (the anonymous caller sends those), and the bodies
    and parameters of a caller who is refused are never read (the callers let in send their
    boundaries)."""
    meta = case.meta
    if meta is None or meta.phase.name.value != "coverage":
        return True
    scenario = getattr(meta.phase.data, "scenario", None)
    other_method = scenario is CoverageScenario.UNSPECIFIED_HTTP_METHOD
    about_login = getattr(meta.phase.data, "parameter", None) == SESSION_COOKIE
    if fuzzed.role == "anonymous":
        return other_method or about_login
    if case.operation.label in fuzzed.refused:
        return about_login
    return not other_method


def _log_in_case(case: Case, fuzzed: Fuzzed) -> None:
    """The coverage phase's cases are made when the tests are collected, before any server
    is up, so they carry no login: give them the caller's, but for those about the login
    cookie itself (left out or made up)."""
    meta = case.meta
    if fuzzed.cookie is None or meta is None or meta.phase.name.value != "coverage":
        return
    if getattr(meta.phase.data, "parameter", None) == SESSION_COOKIE:
        return
    case.cookies = {**(case.cookies or {}), SESSION_COOKIE: fuzzed.cookie}


def anonymous_is_refused(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    if not case.operation.definition.raw.get("x-public"):
        assert response.status_code in REFUSALS, (
            f"{case.operation.label} answered {response.status_code} to an anonymous caller"
        )
    return None


def _server_log(fuzzed: Fuzzed) -> str:
    lines = fuzzed.log.read_text(errors="replace").splitlines()
    return "\n".join(lines[-60:])


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # Schemas with patterns and lengths are slow to draw from, and filter.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.mark.slow
@schema.parametrize()
@FUZZ_SETTINGS
def test_the_api_answers_hostile_input_with_a_clear_4xx(case: Case, fuzzed: Fuzzed) -> None:
    if not _worth_sending(case, fuzzed):
        return
    _aim(case, fuzzed)
    _log_in_case(case, fuzzed)
    fuzzed.session.cookies.clear()  # only what the case sends: no cookie an answer set
    headers = {"X-CSRF-Token": fuzzed.token} if case.method.upper() in UNSAFE else {}
    try:
        response = case.call_and_validate(
            base_url=fuzzed.base_url,
            session=fuzzed.session,
            headers=headers,
            additional_checks=[anonymous_is_refused] if fuzzed.role == "anonymous" else [],
            # A request the schema allows may still be refused for what it says (an email
            # nobody has, a search for punctuation): tests/test_openapi_access.py holds the
            # schemas to what the operations accept.
            excluded_checks=[positive_data_acceptance],
        )
        positive = case.meta is not None and case.meta.generation.mode.is_positive
        if positive and response.status_code in (403, 404):
            fuzzed.refused.add(case.operation.label)
    except (Exception, BaseExceptionGroup):  # Schemathesis reports a BaseExceptionGroup
        # Shown with the failure (captured output): why the server answered as it did.
        print(f"as {fuzzed.role}; the server's log ends:\n{_server_log(fuzzed)}", file=sys.stderr)
        raise
