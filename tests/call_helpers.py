"""Set-up shared by the call tests: people, a mentorship, a call session, login cookies."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from server.auth import add_person, load_secret_key, monitor_token, sign, start_session
from server.db.calls import start_session as start_call
from server.db.directory import create_mentorship, save_mentorship_targets
from server.db.engine import Database
from server.settings import Settings


def prepare_call(
    settings: Settings, targets: dict[str, Any] | None = None
) -> tuple[int, dict[str, str]]:
    """(session id, Cookie header per role: mentor, mentee, outsider); ``targets`` are set
    for the pair (as its trainer would) before the call."""
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            people = {
                role: add_person(db, f"{role}@example.org", role.title(), role)
                for role in ("mentor", "mentee")
            }
            outsider = add_person(db, "out@example.org", "Out Sider", "mentee")
            mentorship = create_mentorship(db, "mentor@example.org", "mentee@example.org")
            if targets:
                save_mentorship_targets(db, mentorship, targets)
            session_id = start_call(db, mentorship).id
            tokens = {role: start_session(db, p) for role, p in people.items()}
            tokens["outsider"] = start_session(db, outsider)
    finally:
        database.close()
    key = load_secret_key(settings.data_dir, None)
    return session_id, {role: f"tandem_session={sign(key, t)}" for role, t in tokens.items()}


def health(base: str, settings: Settings | None = None) -> dict[str, Any]:
    """/healthz: in detail with the server's monitor token (from its data directory)."""
    request = urllib.request.Request(f"{base}/healthz")
    if settings is not None:
        key = load_secret_key(settings.data_dir, settings.secret_key)
        request.add_header("Authorization", f"Bearer {monitor_token(key)}")
    with urllib.request.urlopen(request, timeout=5) as response:
        document: dict[str, Any] = json.load(response)
        return document
